"""Request-rate quotas for the fault proxy (`fault: "quota"` rules), so that what runs through it meets AWS's rates
rather than moto's none (issue: scale).

A rule {"id", "fault": "quota", "service", "op", "rate", "burst", "scope", "region"} gives every matching request one
token of a bucket that holds at most `burst` tokens and refills at `rate` per second (a token bucket, as AWS describes
its throttling: EC2 API reference, "Request throttling": "a bucket ... refilled at a fixed rate"). A request that finds
the bucket empty is answered with the service's own throttling error and never reaches moto. `scope` is "region" (one
bucket per account and region: the Tagging API's, EC2's) or "account" (one across regions: DynamoDB's TagResource,
"up to five times per second, per account"). The account is the request's access key id (SigV4 credential scope):
one identity per account, as the tests and the bench use it. `region`, when given, limits the rule to requests signed
for that region, so that a test can put quotas on its own region alone.

`draws` makes other operations draw on the rule's bucket per ARN: [{"service": "tagging", "op": "TagResources",
"per_arn": "arn:aws:dynamodb:"}] charges a TagResources call one token for each DynamoDB table in its
`ResourceARNList`, since the Tagging API tags a table through DynamoDB's own TagResource, and so draws on its quota
(the domain crate's `quotas::TAGGING_API_DYNAMODB`, which cites it). A draw larger than the burst is admitted once
that many tokens have accrued at the rate (20 tables: 4 s after the bucket was last emptied, at 5 a second), and spends
them: the rate over time is the quota's, whether a client waits before a batch or after it. For such a draw the bucket
holds its cost and the burst's tokens beyond the first (with AWS's burst of one: the cost alone; a test's larger burst
is slack for network jitter, and stays slack after a batch). How AWS answers a batch
beyond the rate (a throttled call, or the tables in `FailedResourcesMap`) is not documented; the proxy throttles the
call.
"""
import json
import re
import threading
import time

_BUCKETS = {}
_LOCK = threading.Lock()


class Bucket:
    """A token bucket: `burst` tokens at most, `rate` more per second; full at the start (for a draw above the burst
    too: the bucket has been filling since before its first request)."""

    def __init__(self, rate, burst, now):
        self.rate, self.burst = float(rate), float(burst)
        self.tokens, self.at = float("inf"), now

    def take(self, now, cost=1.0):
        # A draw above the burst may accrue its own cost (see the module's doc).
        self.tokens = min(max(self.burst, cost + self.burst - 1), self.tokens + (now - self.at) * self.rate)
        self.at = now
        # A hair of slack: tenths of a second summed in floating point fall just short of a whole token.
        if self.tokens >= cost - 1e-9:
            self.tokens -= cost
            return True
        return False


def signer(headers):
    """(access key id, region) from the request's SigV4 credential scope; empty strings when unsigned."""
    found = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/", headers.get("Authorization", ""))
    return (found.group(1), found.group(2)) if found else ("", "")


def arns_in(body):
    """The ARNs of a Tagging API request (`ResourceARNList`, JSON); none for any other body."""
    try:
        found = json.loads(body or b"{}").get("ResourceARNList", [])
    except (ValueError, AttributeError):
        return []
    return [a for a in found if isinstance(a, str)] if isinstance(found, list) else []


def cost_of(rule, service, op, region, body=b""):
    """The tokens a request takes from the rule's bucket: one for the rule's own operation, one per matching ARN for an
    operation in its `draws`; 0 when the rule does not apply."""
    if rule.get("fault") != "quota" or (rule.get("region") and rule["region"] != region):
        return 0
    if (not rule.get("service") or rule["service"] == service) and (not rule.get("op") or rule["op"] == op):
        return 1
    for draw in rule.get("draws", []):
        if draw.get("service") == service and draw.get("op") == op:
            return sum(arn.startswith(draw.get("per_arn", "")) for arn in arns_in(body))
    return 0


def admits(rules, service, op, headers, now=None, body=b""):
    """Whether every quota rule the request draws on has its tokens (each such rule spends them); the id of the first
    rule that refused, or None."""
    now = time.monotonic() if now is None else now
    key_id, region = signer(headers)
    with _LOCK:
        for rule in rules:
            cost = cost_of(rule, service, op, region, body)
            if not cost:
                continue
            scope = region if rule.get("scope", "region") == "region" else "*"
            key = (rule.get("id"), rule.get("service"), rule.get("op"), key_id, scope)
            bucket = _BUCKETS.get(key)
            if bucket is None:
                bucket = _BUCKETS[key] = Bucket(rule["rate"], rule.get("burst", 1), now)
            if not bucket.take(now, cost):
                return rule.get("id") or "quota"
    return None


def forget(rule_id=None):
    """Drops the buckets of a removed rule (all buckets without an id)."""
    with _LOCK:
        for key in [k for k in _BUCKETS if rule_id is None or k[0] == rule_id]:
            del _BUCKETS[key]
