"""One account: the backfill of seeded resources by ours and by Custodian, and the AWS Backup calls of the audit."""
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from common import (C7N_PULL_POLICIES, MOTO, PROXY, REGION, c7n_dir, c7n_env, calls_between, client, emulator_seconds_between,
                    end_state, guard, moto_reset, proxy_log, seed)
from runtime_api import RuntimeApi, lambda_env


def run_ours(backfill_bin, extra_env):
    """One manual invocation `{"dryRun": false}` of the backup-backfill binary, as Lambda runs it (runtime_api.py):
    (wall seconds to its answer, the answer)."""
    api = RuntimeApi()
    rid = api.submit({"dryRun": False, "regions": [REGION]})
    t0 = time.perf_counter()
    p = subprocess.Popen([backfill_bin], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=lambda_env(api, extra_env))
    (t1, kind, body), = api.wait([rid], timeout=1800)
    p.kill()
    p.wait()
    api.close()
    assert kind == "response", body[:2000]
    return t1 - t0, json.loads(body)


def run_c7n(check=True):
    """Cloud Custodian's pull policies (tag what lacks our key) over the region: its wall seconds (and, unchecked, its
    exit code)."""
    work = c7n_dir([])
    policy = work / "policies.yml"
    policy.write_text(json.dumps(C7N_PULL_POLICIES))
    custodian = str(Path(sys.executable).parent / "custodian")
    t0 = time.perf_counter()
    # --cache-period 0: c7n caches resource listings for 15 minutes by default (~/.cache), which would reuse the
    # previous seeding's ids.
    out = subprocess.run([custodian, "run", "-s", str(work / "out"), "--region", REGION, "--cache-period", "0",
                          str(policy)],
                         env=c7n_env(), cwd=work, capture_output=True)
    wall = time.perf_counter() - t0
    if not check:
        return wall, out.returncode
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    return wall


def backfill(backfill_bin, total):
    results = {}
    states = {}
    expected = None
    for tool in ("ours", "ours_no_guard", "c7n"):
        moto_reset()
        t_seed = time.perf_counter()
        plan, counts, untagged = seed(total)
        seed_s = time.perf_counter() - t_seed
        expected = {str(i): (value or "daily") for i, _, value in plan}
        before = proxy_log()
        if tool == "ours":
            # The deployed role may tag only resources without the key (infra/template.yaml); moto does not evaluate
            # IAM conditions, so the proxy's guard rule stands in for IAM on DynamoDB TagResource — the probe write.
            # Not on the TagResources batches: no table gains the key during the run, so IAM would allow each of
            # them, and the proxy's check (a GetResources per batch) would add emulator time AWS does not have. The
            # refusal of TagResources batches is tested in tests/tests/backfill_emulator.rs.
            guard(True)
        if tool.startswith("ours"):
            wall, answer = run_ours(backfill_bin, {"SUPERWERKER_BACKUP_DYNAMODB_TAGS_PER_SECOND": "0"})
            guard(False)
            checks = answer.get("indexChecks", {})
        else:
            wall = run_c7n()
        after = proxy_log()
        calls = calls_between(before, after)
        emulator_s = emulator_seconds_between(before, after)
        states[tool] = end_state()
        results[tool] = {"seconds": round(wall, 2), "calls": sum(calls.values()), "by_operation": calls,
                         "emulator_seconds_by_operation": emulator_s, "seed_seconds": round(seed_s, 1)}
        if tool.startswith("ours"):
            results[tool]["dynamodb_checks"] = checks
    correct = {tool: states[tool] == expected for tool in states}
    # The floor: list pages at each API's page maximum, the table tags (not in ListTables) from GetResources pages,
    # and the fewest tagging calls (CreateTags 1,000 ids, TagResources 20 ARNs).
    pages = math.ceil(counts["volume"] / 1000) + 2 * math.ceil(counts["table"] / 100) + math.ceil(counts["db"] / 100)
    floor = pages + math.ceil(untagged["volume"] / 1000) + math.ceil((untagged["table"] + untagged["db"]) / 20)
    # moto pages differently from AWS in two listings: DescribeVolumes ignores MaxResults (1 page instead of
    # ceil(volumes/1,000)), and GetResources ends a page at 100 tags by default (moto's TagsPerPage default; AWS
    # documents none and recommends ResourcesPerPage, which ours sets to 100), so ~60 of the bench's tables fit a
    # page, not 100. Our calls at AWS's page sizes, derived from the measured counts (every bench table is tagged:
    # ceil(tables/100) pages):
    ours_ops = results["ours"]["by_operation"]
    at_aws_pages = (results["ours"]["calls"]
                    - ours_ops.get("tagging.GetResources", 0) + math.ceil(counts["table"] / 100)
                    - ours_ops.get("ec2.DescribeVolumes", 0) + math.ceil(counts["volume"] / 1000))
    return {
        "resources": total,
        "mix": counts,
        "untagged": untagged,
        "ours_s": results["ours"]["seconds"],
        "c7n_s": results["c7n"]["seconds"],
        "ours_calls": results["ours"]["calls"],
        "c7n_calls": results["c7n"]["calls"],
        "floor_calls": floor,
        "ours_calls_at_aws_page_sizes": at_aws_pages,
        "ours_no_guard_s": results["ours_no_guard"]["seconds"],
        "ours_no_guard_calls": results["ours_no_guard"]["calls"],
        "ours_no_guard_by_operation": results["ours_no_guard"]["by_operation"],
        "ours_dynamodb_checks": results["ours"]["dynamodb_checks"],
        "ours_no_guard_dynamodb_checks": results["ours_no_guard"]["dynamodb_checks"],
        "ours_by_operation": results["ours"]["by_operation"],
        "c7n_by_operation": results["c7n"]["by_operation"],
        "ours_emulator_seconds_by_operation": results["ours"]["emulator_seconds_by_operation"],
        "c7n_emulator_seconds_by_operation": results["c7n"]["emulator_seconds_by_operation"],
        "same_end_state": states["ours"] == states["c7n"] == states["ours_no_guard"],
        "ours_end_state_as_rules_say": correct["ours"] and correct["ours_no_guard"],
        "c7n_end_state_as_rules_say": correct["c7n"],
        "seed_s": results["ours"]["seed_seconds"],
    }


def audit_calls(cli, total):
    """AWS Backup calls of `superwerker-backup audit` over `total` seeded resources (a third tagged daily), after
    tonight's backup (the emulator's backup-run) put a recovery point in the vault for each: as built (recovery points
    read per vault), and with ListBackupVaults refused by the proxy, which makes the audit read every covered
    resource's points one by one (what it did before reading per vault). The floor: the vault listing's pages
    (1,000 points each), ListBackupVaults, ListBackupPlans, DescribeRegionSettings, DescribeBackupVault."""
    moto_reset()
    plan, counts, _ = seed(total)
    daily = sum(1 for _, _, value in plan if value == "daily")
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    env = dict(os.environ, AWS_ENDPOINT_URL=MOTO)
    subprocess.run([cli, "bootstrap"], env=env, check=True, capture_output=True)
    client("iam").create_role(Path="/service-role/", RoleName="AWSBackupDefaultServiceRole",
                              AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                  {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]}))
    client("backup").create_backup_vault(BackupVaultName="superwerker-backup")
    req = urllib.request.Request(f"{MOTO}/moto-api/superwerker/backup-run", method="POST", data=b"{}",
                                 headers={"Content-Type": "application/json"})
    backed_up = len(json.loads(urllib.request.urlopen(req).read())["backedUp"])
    out = {"resources": total, "daily": daily, "recovery_points": backed_up}
    for name, deny in (("per_vault", False), ("per_resource", True)):
        if deny:
            rule = [{"id": "bench-no-vaults", "service": "backup", "op": "ListBackupVaults", "fault": "deny"}]
            urllib.request.urlopen(urllib.request.Request(f"{PROXY}/__faults__/rules", method="POST",
                                                          data=json.dumps(rule).encode(),
                                                          headers={"Content-Type": "application/json"})).read()
        before = proxy_log()
        t0 = time.perf_counter()
        run = subprocess.run([cli, "audit", "--regions", REGION, "--output", "json"],
                             env=dict(os.environ, AWS_ENDPOINT_URL=PROXY), capture_output=True)
        wall = time.perf_counter() - t0
        if deny:
            urllib.request.urlopen(urllib.request.Request(f"{PROXY}/__faults__/rules?id=bench-no-vaults",
                                                          method="DELETE")).read()
        assert run.returncode in (0, 3), run.stderr.decode()[-3000:]
        report = json.loads(run.stdout)
        calls = {k: v for k, v in calls_between(before, proxy_log()).items() if k.startswith("backup.")}
        out[name] = {"backup_calls": sum(calls.values()), "by_operation": calls, "seconds": round(wall, 2),
                     "counts": report["counts"]}
    out["floor_calls"] = math.ceil(backed_up / 1000) + 4
    out["same_verdicts"] = out["per_vault"]["counts"] == out["per_resource"]["counts"]
    return out


def emulator_noop(n=300):
    """Per-request cost of the emulator (through the proxy) with the thinnest client: raw HTTP, STS
    GetCallerIdentity (moto does not check signatures)."""
    url = urllib.parse.urlparse(PROXY)
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20261126/{REGION}/sts/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    conn = http.client.HTTPConnection(url.hostname, url.port)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        conn.getresponse().read()
        times.append(time.perf_counter() - t0)
    conn.close()
    return statistics.median(times)
