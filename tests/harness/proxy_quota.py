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
"""
import re
import threading
import time

_BUCKETS = {}
_LOCK = threading.Lock()


class Bucket:
    """A token bucket: `burst` tokens at most, `rate` more per second; full at the start."""

    def __init__(self, rate, burst, now):
        self.rate, self.burst = float(rate), float(burst)
        self.tokens, self.at = float(burst), now

    def take(self, now, cost=1.0):
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
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


def applies(rule, service, op, region):
    return (
        rule.get("fault") == "quota"
        and (not rule.get("service") or rule["service"] == service)
        and (not rule.get("op") or rule["op"] == op)
        and (not rule.get("region") or rule["region"] == region)
    )


def admits(rules, service, op, headers, now=None):
    """Whether every quota rule matching the request has a token for it (each matching rule spends one); the id of the
    first rule that refused, or None."""
    now = time.monotonic() if now is None else now
    key_id, region = signer(headers)
    with _LOCK:
        for rule in rules:
            if not applies(rule, service, op, region):
                continue
            scope = region if rule.get("scope", "region") == "region" else "*"
            key = (rule.get("id"), rule.get("service"), rule.get("op"), key_id, scope)
            bucket = _BUCKETS.get(key)
            if bucket is None:
                bucket = _BUCKETS[key] = Bucket(rule["rate"], rule.get("burst", 1), now)
            if not bucket.take(now):
                return rule.get("id") or "quota"
    return None


def forget(rule_id=None):
    """Drops the buckets of a removed rule (all buckets without an id)."""
    with _LOCK:
        for key in [k for k in _BUCKETS if rule_id is None or k[0] == rule_id]:
            del _BUCKETS[key]
