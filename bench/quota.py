"""The backfill under AWS's documented request rates (issue: scale): the fault proxy's quota rules
(tests/harness/proxy_quota.py) in front of the emulator answer a write beyond its rate with the service's throttling
error, as AWS does, so the wall times predict AWS rather than moto. Ours (the Lambda binary, paced as deployed) and
Cloud Custodian (its own retries) tag the same seeding side by side, and both are set against the floor: the least
wall time the quotas allow for the writes the work needs.

The rules are the write quotas the backfill's pacing cites (crates/domain/src/quotas.rs, one source each): the Tagging
API's TagResources (5 a second per account and region), EC2's CreateTags (a bucket of 100, 10 a second) and DynamoDB's
TagResource (5 a second per account), which a table tagged through the Tagging API draws on too, one token per table.
Where AWS documents a rate and no bucket ("5 per second"), the bucket holds one second of it: no more than 5 calls in
any second, the statement read literally (a bucket of one would also refuse two calls 199 ms apart, which the
statement allows). Ours paces each quota with a bucket of one token (quotas.rs), so it conforms to either reading.
Reads are not limited: their documented rates are far above what either tool needs here."""
import json
import math
import urllib.request

from backfill import run_c7n, run_ours
from common import PROXY, calls_between, end_state, guard, moto_reset, proxy_log, seed

# (service, op, rate per second, burst, scope, draws): the rates as quotas.rs has them.
QUOTAS = [
    ("tagging", "TagResources", 5, 5, "region", []),
    ("ec2", "CreateTags", 10, 100, "region", []),
    ("dynamodb", "TagResource", 5, 5, "account",
     [{"service": "tagging", "op": "TagResources", "per_arn": "arn:aws:dynamodb:"}]),
]


def rules(rule_id):
    return [{"id": rule_id, "fault": "quota", "service": service, "op": op, "rate": rate, "burst": burst,
             "scope": scope, "draws": draws}
            for service, op, rate, burst, scope, draws in QUOTAS]


def floor_seconds(untagged):
    """The least wall time the quotas allow: each bucket drains on its own, so the slowest decides. The fewest
    writes: TagResources with 20 ARNs (tables and DB instances together), CreateTags with 1,000 ids; every untagged
    table one token of DynamoDB's bucket. A bucket's burst is spent at once, the rest at its rate."""
    needs = {
        "tagging.TagResources": math.ceil((untagged["table"] + untagged["db"]) / 20),
        "ec2.CreateTags": math.ceil(untagged["volume"] / 1000),
        "dynamodb.TagResource": untagged["table"],
    }
    floor = {}
    for service, op, rate, burst, _, _ in QUOTAS:
        need = needs[f"{service}.{op}"]
        floor[f"{service}.{op}"] = max(0.0, (need - burst) / rate)
    return max(floor.values()), floor


def _rules(method, body=None, query=""):
    req = urllib.request.Request(f"{PROXY}/__faults__/rules{query}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def quota(backfill_bin, total):
    out = {"resources": total, "rules": rules("bench-quota")}
    expected = None
    for tool in ("ours", "c7n"):
        moto_reset()
        plan, counts, untagged = seed(total)
        expected = {str(i): (value or "daily") for i, _, value in plan}
        # Fresh buckets for each tool: the rule is added after the seeding, which no quota limits.
        _rules("POST", rules(f"bench-quota-{tool}"))
        before = proxy_log()
        try:
            if tool == "ours":
                # The deployed role's guard, which moto does not evaluate, as in backfill.py's measure.
                guard(True)
                try:
                    wall, _ = run_ours(backfill_bin, {})
                finally:
                    guard(False)
                code = 0
            else:
                wall, code = run_c7n(check=False)
        finally:
            _rules("DELETE", query=f"?id=bench-quota-{tool}")
        after = proxy_log()
        refused = sum(1 for row in after[len(before):] if row.get("fault") == "quota")
        out[tool] = {"seconds": round(wall, 2), "exit": code, "calls": sum(calls_between(before, after).values()),
                     "throttled": refused, "end_state_as_rules_say": end_state() == expected}
        out["mix"], out["untagged"] = counts, untagged
    floor, per_bucket = floor_seconds(out["untagged"])
    out["floor_s"] = round(floor, 2)
    out["floor_by_quota_s"] = {k: round(v, 2) for k, v in per_bucket.items()}
    out["ours_s"], out["c7n_s"] = out["ours"]["seconds"], out["c7n"]["seconds"]
    out["ratio_to_floor"] = round(out["ours_s"] / floor, 3) if floor else None
    out["c7n_ratio_to_floor"] = round(out["c7n_s"] / floor, 3) if floor else None
    return out
