"""superwerker-backup vs Cloud Custodian (c7n) on the same work, same machine, same emulator, same run.

Run by `make bench` inside tests/harness/with-emulator.sh (moto on 127.0.0.1 plus the fault proxy in front of it,
which passes everything through and keeps a log of every request: the API calls by operation are read from it).
Python: the .venv-bench interpreter (c7n and its own boto3, pinned in bench/requirements.txt).

Ours runs as the real release Lambda binaries (`cargo lambda build --release`), fed by a minimal Lambda Runtime API
server (runtime_api.py; the same protocol Lambda and `cargo lambda watch` speak). Custodian runs as its Lambda entry
point `c7n.handler.dispatch_event` (mode cloudtrail) and as `custodian run` (pull mode) for the backfill
(backfill.py). The organization: our release CLI against `c7n-org run` (organization.py).

Usage: bench.py --tagger dist/backup-tagger.zip --backfill dist/backup-backfill.zip --cli <superwerker-backup>
                [--runs 10] [--warm 1000] [--resources 10000] [--org-accounts 50] [--org-resources 200]
                [--out bench/results.json]
"""
import argparse
import concurrent.futures
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from backfill import audit_calls, backfill, emulator_noop
from common import ACCOUNT, KEY, REGION, ROOT, c7n_dir, c7n_env, client, moto_reset, run_measured
from organization import organization
from quota import quota
from scale import measure_scale, scale_table
from runtime_api import RuntimeApi, lambda_binary, lambda_env, peak_rss_mb

FIXTURES = ROOT / "tests" / "fixtures" / "cloudtrail"


def envelope(detail):
    source = "aws." + detail["eventSource"].split(".")[0]
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail", "source": source,
            "account": ACCOUNT, "time": "2026-11-26T07:00:00Z", "region": REGION, "resources": [], "detail": detail}


def create_volume_event(volume_id):
    d = json.loads((FIXTURES / "create-volume.awsdocs-kms.json").read_text())
    d["awsRegion"] = REGION
    d["recipientAccountId"] = ACCOUNT
    d["userIdentity"]["accountId"] = ACCOUNT
    d["responseElements"]["volumeId"] = volume_id
    d["requestParameters"]["zone"] = d["responseElements"]["zone"] = f"{REGION}a"
    return envelope(d)


def tag_of_volume(ec2, volume_id):
    v = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
    return {t["Key"]: t["Value"] for t in v.get("Tags", [])}.get(KEY)


# ------------------------------------------------------------------------------------------ Cloud Custodian
C7N_EVENT_POLICY = {
    "name": "superwerker-backup-ebs",
    "resource": "ebs",
    "mode": {
        "type": "cloudtrail",
        "role": f"arn:aws:iam::{ACCOUNT}:role/custodian",
        "events": [{"source": "ec2.amazonaws.com", "event": "CreateVolume", "ids": "responseElements.volumeId"}],
    },
    "filters": [{f"tag:{KEY}": "absent"}],
    "actions": [{"type": "tag", "key": KEY, "value": "daily"}],
}


C7N_ONE_EVENT = """
import json, sys
from c7n.handler import dispatch_event
dispatch_event(json.load(open(sys.argv[1])), None)
"""

C7N_MANY_EVENTS = """
import json, sys, time
from c7n.handler import dispatch_event
events = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
for e in events:
    dispatch_event(e, None)
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


# ------------------------------------------------------------------------------------------ measurements
def per_event_cold(tagger, runs, with_c7n=True):
    ec2 = client("ec2")
    ours, c7n, ours_rss, c7n_rss = [], [], [], []
    work = c7n_dir([C7N_EVENT_POLICY])
    for i in range(runs):
        # ours: a fresh process handles one event and is stopped after answering
        vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
        api = RuntimeApi()
        rid = api.submit(create_volume_event(vol))
        t0 = time.perf_counter()
        p = subprocess.Popen([tagger], env=lambda_env(api), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        (t1, kind, body), = api.wait([rid], timeout=60)
        rss = peak_rss_mb(p.pid)
        p.kill()
        p.wait()
        api.close()
        answer = json.loads(body)
        assert kind == "response" and answer.get("action") == "tagged", (kind, body)
        assert tag_of_volume(ec2, vol) == "daily"
        ours.append(t1 - t0)
        ours_rss.append(rss)
        if not with_c7n:
            continue
        # c7n: a fresh Python process runs its Lambda entry point on the same kind of event and exits
        vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
        event_file = work / f"event-{i}.json"
        event_file.write_text(json.dumps(create_volume_event(vol)))
        wall, rss, code, out, err = run_measured([sys.executable, "-c", C7N_ONE_EVENT, str(event_file)], c7n_env(),
                                                 cwd=work)
        assert code == 0, err.decode()[-2000:]
        assert tag_of_volume(ec2, vol) == "daily", "c7n did not tag: " + err.decode()[-2000:]
        c7n.append(wall)
        c7n_rss.append(rss)
    med = statistics.median
    if not with_c7n:
        return {"ours_ms": round(med(ours) * 1000, 1), "ours_rss_mb": round(med(ours_rss), 1), "runs": runs}
    return {"ours_ms": round(med(ours) * 1000, 1), "c7n_ms": round(med(c7n) * 1000, 1),
            "ours_rss_mb": round(med(ours_rss), 1), "c7n_rss_mb": round(med(c7n_rss), 1), "runs": runs,
            "speedup": round(med(c7n) / med(ours), 1), "memory_ratio": round(med(ours_rss) / med(c7n_rss), 3),
            "method": "wall time from process start to the answer (ours: Runtime API response; c7n: process exit), "
                      "median; peak RSS (ours: VmHWM; c7n: wait4 ru_maxrss)"}


def per_event_warm(tagger, n):
    ec2 = client("ec2")

    def volumes(count):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"],
                                 range(count)))

    vols = volumes(n)
    api = RuntimeApi()
    p = subprocess.Popen([tagger], env=lambda_env(api), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    warmup = api.submit(create_volume_event(volumes(1)[0]))
    api.wait([warmup])
    t0 = time.perf_counter()
    rids = [api.submit(create_volume_event(v)) for v in vols]
    answers = api.wait(rids)
    ours_s = answers[-1][0] - t0
    p.kill()
    p.wait()
    api.close()
    assert all(k == "response" for _, k, _ in answers)

    vols = volumes(n)
    work = c7n_dir([C7N_EVENT_POLICY])
    events_file = work / "events.json"
    events_file.write_text(json.dumps([create_volume_event(v) for v in vols]))
    wall, rss, code, out, err = run_measured([sys.executable, "-c", C7N_MANY_EVENTS, str(events_file)], c7n_env(),
                                             cwd=work)
    assert code == 0, err.decode()[-2000:]
    c7n_s = json.loads(out.decode().strip().splitlines()[-1])["seconds"]
    sample = vols[:50]
    tagged = sum(1 for v in sample if tag_of_volume(ec2, v) == "daily")
    assert tagged == len(sample), f"c7n tagged {tagged} of the first {len(sample)}"
    return {"ours_events_per_s": round(n / ours_s, 1), "c7n_events_per_s": round(n / c7n_s, 1), "events": n,
            "method": "ours: one backup-tagger process fed through the Lambda Runtime API (this script's server), "
                      "first event excluded; c7n: one Python process calling dispatch_event in a loop"}


def artifact():
    out = {}
    for name in ("backup-tagger", "backup-backfill", "backup-bootstrap"):
        z = ROOT / "dist" / f"{name}.zip"
        if z.exists():
            out[f"{name}_zip_bytes"] = z.stat().st_size
    profile = {}
    in_release = False
    for line in (ROOT / "Cargo.toml").read_text().splitlines():
        if line.strip().startswith("["):
            in_release = line.strip() == "[profile.release]"
            continue
        if in_release and "=" in line:
            k, v = line.split("=", 1)
            profile[k.strip()] = v.strip().strip('"')
    out["release_profile"] = profile
    effect = ROOT / "bench" / "profile-effect.json"
    if effect.exists():
        out["profile_effect"] = json.loads(effect.read_text())
    return out


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}"


def table(results):
    c, w, b, a = results["per_event_cold"], results["per_event_warm"], results["backfill"], results["artifact"]
    rows = [
        ("per event, cold: wall ms (median of %d)" % c["runs"], c["ours_ms"], c["c7n_ms"],
         f"{c['speedup']}x faster"),
        ("per event, cold: peak RSS MB", c["ours_rss_mb"], c["c7n_rss_mb"], f"{c['memory_ratio']:.2f} of c7n's"),
        ("per event, warm: events/s (%d events)" % w["events"], w["ours_events_per_s"], w["c7n_events_per_s"],
         f"{w['ours_events_per_s'] / w['c7n_events_per_s']:.1f}x"),
        ("backfill %d resources: wall s" % b["resources"], b["ours_s"], b["c7n_s"], f"{b['ours_s'] / b['c7n_s']:.2f} of c7n's"),
        ("backfill: API calls (floor %d)" % b["floor_calls"], b["ours_calls"], b["c7n_calls"],
         f"ours {b['ours_calls'] / b['floor_calls']:.2f}x floor"),
        ("backfill: ours' calls at AWS page sizes (derived)", b["ours_calls_at_aws_page_sizes"], "",
         f"{b['ours_calls_at_aws_page_sizes'] / b['floor_calls']:.2f}x floor"),
        ("backfill, ours without the guard: wall s / calls", f"{b['ours_no_guard_s']} / {b['ours_no_guard_calls']}", "",
         f"{b['ours_no_guard_s'] / b['c7n_s']:.2f} of c7n's; confirms each table"),
        ("backfill: emulator no-op floor s (ours' calls)", b["emulator_noop_s"], "", f"{b['emulator_noop_ms_per_call']} ms/call"),
        ("backfill: same end state / as the rules say", b["same_end_state"], "", f"ours {b['ours_end_state_as_rules_say']}, c7n {b['c7n_end_state_as_rules_say']}"),
        ("artifact: backup-tagger zip bytes", a.get("backup-tagger_zip_bytes", "-"), "", ""),
    ]
    if "audit" in results:
        au = results["audit"]
        rows.append(("audit %d resources (%d points): Backup calls" % (au["resources"], au["recovery_points"]),
                     au["per_vault"]["backup_calls"], "",
                     f"floor {au['floor_calls']}; per resource (before): {au['per_resource']['backup_calls']}; "
                     f"same verdicts {au['same_verdicts']}"))
    lines = [f"machine: {results['machine']}", "", f"{'measure':<48} {'ours':>12} {'c7n':>12}  note", "-" * 96]
    for name, ours, theirs, note in rows:
        lines.append(f"{name:<48} {str(ours):>12} {str(theirs):>12}  {note}")
    return "\n".join(lines)


def measure_organization(args):
    print(f"organization: {args.org_accounts} accounts x 2 regions x {args.org_resources} resources, "
          "seeded twice ...", flush=True)
    out = organization(args.cli, args.org_accounts, args.org_resources)
    print("  ", json.dumps({k: v for k, v in out.items() if "by_operation" not in k}), flush=True)
    return out


def measure_quota(args):
    print(f"backfill of {args.quota_resources} resources under AWS's write quotas (seeded twice) ...", flush=True)
    out = quota(args.backfill, args.quota_resources)
    print("  ", json.dumps({k: v for k, v in out.items() if k != "rules"}), flush=True)
    return out


def measure_scale_args(args):
    sizes = [int(n) for n in args.scale_sizes.split(",")]
    compare = lambda_binary(args.scale_compare) if args.scale_compare else None
    return measure_scale(args.backfill, sizes, args.chain_resources, args.chain_deadline,
                         ROOT / "bench" / "scale.png", compare)


def quota_table(q):
    ratio = lambda r: f"{r:.2f}x the floor" if r else "no floor"  # noqa: E731
    return "\n".join([
        f"backfill under AWS's write quotas, {q['resources']} resources ({q['untagged']} untagged):",
        f"  {'':<28} {'ours':>10} {'c7n':>10}",
        f"  {'wall s':<28} {q['ours_s']:>10} {q['c7n_s']:>10}  floor {q['floor_s']} s: ours "
        f"{ratio(q['ratio_to_floor'])}, c7n {ratio(q['c7n_ratio_to_floor'])}",
        f"  {'calls throttled by a quota':<28} {q['ours']['throttled']:>10} {q['c7n']['throttled']:>10}",
        f"  {'API calls':<28} {q['ours']['calls']:>10} {q['c7n']['calls']:>10}",
        f"  {'end state as the rules say':<28} {str(q['ours']['end_state_as_rules_say']):>10} "
        f"{str(q['c7n']['end_state_as_rules_say']):>10}  (c7n exit {q['c7n']['exit']})",
        f"  floor by quota, s: {q['floor_by_quota_s']}",
    ])


def organization_table(o):
    return "\n".join([
        f"organization, {o['accounts']} accounts x {o['regions']} regions, {o['resources']} resources:",
        f"  {'':<28} {'ours':>10} {'c7n-org':>10}",
        f"  {'wall s':<28} {o['ours_s']:>10} {o['c7n_org_s']:>10}  ours {o['ratio']:.2f} of c7n-org's",
        f"  {'peak RSS MB, tree summed':<28} {o['ours_rss_mb']:>10} {o['c7n_org_rss_mb']:>10}",
        f"  {'peak PSS MB, tree summed':<28} {o['ours_pss_mb']:>10} {o['c7n_org_pss_mb']:>10}",
        f"  {'CPU s (user + system)':<28} {o.get('ours_cpu_s', '-'):>10} {o.get('c7n_org_cpu_s', '-'):>10}",
        f"  {'API calls':<28} {o['ours_calls']:>10} {o['c7n_org_calls']:>10}",
        f"  same end state: {o['same_end_state']}; as the rules say: {o['end_state_as_rules_say']}",
        f"  concurrency: ours {o['ours_concurrency']}; c7n-org {o['c7n_org_concurrency']}",
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tagger", help="the backup-tagger zip or binary (per event measures)")
    ap.add_argument("--backfill", help="the backup-backfill zip or binary (backfill measure)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warm", type=int, default=1000)
    ap.add_argument("--resources", type=int, default=10000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    ap.add_argument("--cold-only", action="store_true", help="only the per-event cold measure (profile_effect.sh)")
    ap.add_argument("--backfill-only", action="store_true", help="only the backfill measure (for profiling)")
    ap.add_argument("--cli", help="the superwerker-backup CLI binary, for the audit measure")
    ap.add_argument("--audit-only", action="store_true", help="only the audit measure")
    ap.add_argument("--organization-only", action="store_true",
                    help="only the organization measure (needs --cli), merged into --out")
    ap.add_argument("--org-accounts", type=int, default=50, help="member accounts of the organization measure")
    ap.add_argument("--org-resources", type=int, default=200, help="resources seeded per account and region")
    ap.add_argument("--quota-only", action="store_true",
                    help="only the backfill under AWS's write quotas (needs --backfill), merged into --out")
    ap.add_argument("--quota-resources", type=int, default=10000, help="resources seeded for the quota measure")
    ap.add_argument("--scale-only", action="store_true",
                    help="only the scale curve and chain (needs --backfill), merged into --out")
    ap.add_argument("--scale-sizes", default="1000,10000,30000", help="resources per point of the scale curve")
    ap.add_argument("--chain-resources", type=int, default=10000, help="resources of the chain measure")
    ap.add_argument("--chain-deadline", type=int, default=30, help="the chain's compressed invocation deadline, s")
    ap.add_argument("--scale-compare", help="another backup-backfill build, measured on the same seedings")
    args = ap.parse_args()
    needs = {"scale_only": ["backfill"], "quota_only": ["backfill"], "organization_only": ["cli"], "audit_only": ["cli"], "backfill_only": ["backfill"],
             "cold_only": ["tagger"]}
    chosen = [flag for flag in needs if getattr(args, flag)]
    missing = [name for name in (needs[chosen[0]] if chosen else ["tagger", "backfill", "cli"])
               if not getattr(args, name)]
    if missing:
        ap.error("this measure needs " + ", ".join(f"--{name}" for name in missing))
    if args.tagger and args.tagger.endswith(".zip"):
        args.tagger = lambda_binary(args.tagger)
    if args.backfill and args.backfill.endswith(".zip"):
        args.backfill = lambda_binary(args.backfill)
    for only, key, measure, show in (("scale_only", "scale", measure_scale_args, scale_table),
                                     ("quota_only", "quota", measure_quota, quota_table),
                                     ("organization_only", "organization", measure_organization, organization_table)):
        if getattr(args, only):
            # One measure, merged into the results of the last full run.
            results = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {"machine": machine()}
            results[key] = measure(args)
            Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
            print(show(results[key]))
            return
    if args.audit_only:
        print(json.dumps(audit_calls(args.cli, args.resources), indent=2))
        return
    if args.backfill_only:
        b = backfill(args.backfill, args.resources)
        print(json.dumps(b, indent=2))
        return
    if args.cold_only:
        cold = per_event_cold(args.tagger, args.runs, with_c7n=False)
        Path(args.out).write_text(json.dumps(cold, indent=2) + "\n")
        print(json.dumps(cold))
        return
    started = time.perf_counter()
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print("per event, cold ...", flush=True)
    results["per_event_cold"] = per_event_cold(args.tagger, args.runs)
    print("  ", json.dumps(results["per_event_cold"]), flush=True)
    print("per event, warm ...", flush=True)
    results["per_event_warm"] = per_event_warm(args.tagger, args.warm)
    print("  ", json.dumps(results["per_event_warm"]), flush=True)
    print(f"backfill of {args.resources} resources (seeded three times) ...", flush=True)
    moto_reset()
    results["backfill"] = backfill(args.backfill, args.resources)
    print("  ", json.dumps({k: v for k, v in results["backfill"].items() if "by_operation" not in k}), flush=True)
    print("   emulator seconds by operation, ours:", json.dumps(results["backfill"]["ours_emulator_seconds_by_operation"]))
    print("   emulator seconds by operation, c7n: ", json.dumps(results["backfill"]["c7n_emulator_seconds_by_operation"]))
    results["quota"] = measure_quota(args)
    results["scale"] = measure_scale_args(args)
    per_call = emulator_noop()
    results["backfill"]["emulator_noop_ms_per_call"] = round(per_call * 1000, 2)
    results["backfill"]["emulator_noop_s"] = round(per_call * results["backfill"]["ours_calls"], 2)
    if args.cli:  # always given by the full run (checked above)
        print(f"audit of {args.resources} resources ...", flush=True)
        results["audit"] = audit_calls(args.cli, args.resources)
        print("  ", json.dumps(results["audit"]), flush=True)
        results["organization"] = measure_organization(args)
    results["artifact"] = artifact()
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(quota_table(results["quota"]))
    print(scale_table(results["scale"]))
    if "organization" in results:
        print(organization_table(results["organization"]))
    print(f"\nwritten to {args.out} ({results['bench_seconds']} s)")


if __name__ == "__main__":
    main()
