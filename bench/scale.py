"""The sweep at scale (issue: scale): the backfill Lambda binary over one region of 1,000 / 10,000 / 100,000 resources
in the issue's mix (60% volumes, 20% tables, 10% DB instances, 5% DB clusters, 5% file systems; a third of each
untagged, every resource with ten tags), and a chain of invocations under a compressed deadline and AWS's write quotas.

Per size: the process's peak RSS (VmHWM, read after its answer while it waits for the next event, so the whole
invocation is in it), its API calls (the proxy's log) against the floor at AWS's page sizes, and its wall time. The
emulator pages as AWS documents (tests/harness/teach_paging.py), so the pages counted are AWS's. Pacing is off for the
curves (SUPERWERKER_BACKUP_DYNAMODB_TAGS_PER_SECOND=0): they measure the listing and the writes, not the quotas, which
quota.py and the chain below measure.

The chain: the daily Scheduled Event, then the tick rule's `{"sweep": "continue"}`, delivered to the real binary over
the Lambda runtime API with the deadline compressed (`deadline_s`), the quota rules of quota.py on, the chain record in
a DynamoDB table as the template declares it. The daily event is delivered again after the first step, as EventBridge
or Lambda's retry would: it must start nothing."""
import json
import math
import subprocess
import time

from common import (ACCOUNT, KEY, REGION, calls_between, client, emulator_seconds_between, guard, moto_reset,
                    proxy_log)
from quota import _rules, rules
from runtime_api import RuntimeApi, lambda_env, peak_rss_mb

# Kind of resource i by i % 20, as the mix: 12 volumes, 4 tables, 2 DB instances, 1 cluster, 1 file system.
KINDS = ["volume"] * 12 + ["table"] * 4 + ["db"] * 2 + ["cluster", "filesystem"]
FILLER = [("team", "platform"), ("cost-center", "cc-1234"), ("env", "prod"), ("owner", "someone@example.com"),
          ("app", "ledger"), ("tier", "backend"), ("data-class", "internal"), ("created-by", "terraform")]
# AWS's most per page for each listing (cited in tests/harness/teach_paging.py and the adapter), and per write.
PAGE = {"ec2.DescribeVolumes": 1000, "dynamodb.ListTables": 100, "tagging.GetResources": 100,
        "rds.DescribeDBInstances": 100, "rds.DescribeDBClusters": 100, "elasticfilesystem.DescribeFileSystems": 100}
LISTED = {"ec2.DescribeVolumes": "volume", "dynamodb.ListTables": "table", "tagging.GetResources": "table",
          "rds.DescribeDBInstances": "db", "rds.DescribeDBClusters": "cluster",
          "elasticfilesystem.DescribeFileSystems": "filesystem"}


def kind_of(i):
    return KINDS[i % 20]


def value_of(i):
    """A third of each kind untagged (20 and 3 are coprime), the rest daily."""
    return None if i % 3 == 2 else "daily"


def seed_mix(total, threads=8):
    import concurrent.futures
    ec2, ddb, rds, efs = (client(s) for s in ("ec2", "dynamodb", "rds", "efs"))

    def create(i):
        if i and i % 10000 == 0:
            print(f"    seeded {i} of {total} ({time.perf_counter() - t0:.0f} s)", flush=True)
        tags = [{"Key": "bench-id", "Value": str(i)}] + [{"Key": k, "Value": v} for k, v in FILLER]
        if value_of(i):
            tags.append({"Key": KEY, "Value": value_of(i)})
        name, kind = f"bench-{i}", kind_of(i)
        if kind == "volume":
            ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1,
                              TagSpecifications=[{"ResourceType": "volume", "Tags": tags}])
        elif kind == "table":
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], Tags=tags)
        elif kind == "db":
            rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                                   AllocatedStorage=20, MasterUsername="bench", MasterUserPassword="not-a-secret-1",
                                   Tags=tags)
        elif kind == "cluster":
            rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-postgresql", MasterUsername="bench",
                                  MasterUserPassword="not-a-secret-1", Tags=tags)
        else:
            efs.create_file_system(CreationToken=name, Tags=tags)

    t0 = time.perf_counter()
    # RDS in one thread of its own: moto's DB cluster answer iterates the instances' dict, which a concurrent
    # CreateDBInstance mutates ("OrderedDict mutated during iteration", an emulator race AWS does not have).
    rds_items = [i for i in range(total) if kind_of(i) in ("db", "cluster")]
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        serial = pool.submit(lambda: [create(i) for i in rds_items])
        list(pool.map(create, (i for i in range(total) if kind_of(i) not in ("db", "cluster"))))
        serial.result()
    counts = {k: 0 for k in set(KINDS)}
    untagged = {k: 0 for k in set(KINDS)}
    for i in range(total):
        counts[kind_of(i)] += 1
        untagged[kind_of(i)] += value_of(i) is None
    return counts, untagged, time.perf_counter() - t0


def end_state():
    """bench-id → our key's value, for every seeded resource, read straight from the emulator with the listings that
    carry tags, and each table's own tags (moto's GetResources walks every resource for each page: 400 pages of
    40,000 resources take about 17 minutes, against a few for these)."""
    import concurrent.futures
    state = {}

    def take(tags, key="Key", value="Value"):
        tags = {t[key]: t[value] for t in tags}
        if "bench-id" in tags:
            state[tags["bench-id"]] = tags.get(KEY)

    for page in client("ec2").get_paginator("describe_volumes").paginate(MaxResults=1000):
        for v in page["Volumes"]:
            take(v.get("Tags", []))
    rds = client("rds")
    for page in rds.get_paginator("describe_db_instances").paginate(MaxRecords=100):
        for db in page["DBInstances"]:
            take(db.get("TagList", []))
    for page in rds.get_paginator("describe_db_clusters").paginate(MaxRecords=100):
        for c in page["DBClusters"]:
            take(c.get("TagList", []))
    for page in client("efs").get_paginator("describe_file_systems").paginate():
        for fs in page["FileSystems"]:
            take(fs.get("Tags", []))
    ddb = client("dynamodb")
    arns = [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
            for page in ddb.get_paginator("list_tables").paginate() for name in page["TableNames"]]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for tags in pool.map(lambda arn: ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", []), arns):
            take(tags)
    return state


def floor_calls(counts, untagged, ours_by_op):
    """The fewest calls at AWS's page sizes: each seeded listing at its most per page (at least one call), the table
    tags from GetResources pages, CreateTags at 1,000 ids, TagResources at 20 ARNs (every other kind); every other
    call ours made (a listing of a kind with nothing in it, the caller's identity) once, as ours made it, but not the
    guard's probe."""
    floor = sum(max(1, math.ceil(counts[kind] / PAGE[op])) for op, kind in LISTED.items())
    floor += math.ceil(untagged["volume"] / 1000)
    floor += math.ceil(sum(n for k, n in untagged.items() if k != "volume") / 20)
    fixed = {op: n for op, n in ours_by_op.items()
             if op not in LISTED and op not in ("ec2.CreateTags", "tagging.TagResources")
             and not op.startswith("dynamodb.")}  # the guard's probe (2 reads, 2 writes) is ours, not the floor's
    return floor + sum(fixed.values()), fixed


def invoke(backfill_bin, events, extra_env, deadline_s=900, log=None):
    """Delivers `events` in order to one process of the binary (each after the previous answer): the answers, the
    process's peak RSS in MB, and the wall seconds from start to the last answer."""
    api = RuntimeApi(deadline_s=deadline_s)
    env = lambda_env(api, extra_env)
    t0 = time.perf_counter()
    p = subprocess.Popen([backfill_bin], stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
    answers = []
    try:
        for event in events:
            rid = api.submit(event)
            (_, kind, body), = api.wait([rid], timeout=3600)
            answers.append((kind, json.loads(body)))
        rss = peak_rss_mb(p.pid)
    finally:
        p.kill()
        p.wait()
        api.close()
    return answers, rss, time.perf_counter() - t0


def untag_the_third(total):
    """Removes our key from the third that was seeded without it (the run before tagged them), so another build can
    be measured on the same seeding (seeding 100,000 resources takes about 20 minutes)."""
    import concurrent.futures
    ec2, ddb, rds, efs = (client(s) for s in ("ec2", "dynamodb", "rds", "efs"))
    untagged = {i for i in range(total) if value_of(i) is None}
    volumes = [v["VolumeId"] for page in ec2.get_paginator("describe_volumes").paginate(MaxResults=1000)
               for v in page["Volumes"]
               if int({t["Key"]: t["Value"] for t in v.get("Tags", [])}.get("bench-id", -1)) in untagged]
    for n in range(0, len(volumes), 1000):
        ec2.delete_tags(Resources=volumes[n:n + 1000], Tags=[{"Key": KEY}])
    file_systems = {fs["CreationToken"]: fs["FileSystemId"]
                    for page in efs.get_paginator("describe_file_systems").paginate() for fs in page["FileSystems"]}

    def untag(i):
        name = f"bench-{i}"
        kind = kind_of(i)
        if kind == "table":
            ddb.untag_resource(ResourceArn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}", TagKeys=[KEY])
        elif kind in ("db", "cluster"):
            rds.remove_tags_from_resource(ResourceName=f"arn:aws:rds:{REGION}:{ACCOUNT}:{kind}:{name}", TagKeys=[KEY])
        elif kind == "filesystem":
            efs.untag_resource(ResourceId=file_systems[name], TagKeys=[KEY])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(untag, sorted(i for i in untagged if kind_of(i) != "volume")))


def measure_once(backfill_bin, total, untagged):
    before = proxy_log()
    # The deployed role's guard (it may tag only what lacks the key), which moto does not evaluate: the proxy's guard
    # rule stands in for it, as in backfill.py's measure.
    guard(True)
    try:
        answers, rss, wall = invoke(backfill_bin, [{"dryRun": False, "regions": [REGION]}],
                                    {"SUPERWERKER_BACKUP_DYNAMODB_TAGS_PER_SECOND": "0"})
    finally:
        guard(False)
    after = proxy_log()
    calls = calls_between(before, after)
    emulator_s = emulator_seconds_between(before, after)
    (kind, answer), = answers
    assert kind == "response", json.dumps(answer)[:2000]
    tagged = sum(k["tagged"] for k in answer["kinds"].values())
    out = {"rss_mb": round(rss, 1), "wall_s": round(wall, 2), "calls": sum(calls.values()),
           "calls_by_operation": calls, "emulator_s_by_operation": emulator_s, "tagged": tagged,
           "tagged_every_untagged_once": tagged == sum(untagged.values())}
    state = end_state()
    out["resources_not_daily"] = sum(1 for i in range(total) if state.get(str(i)) != "daily")
    out["end_state_as_rules_say"] = out["resources_not_daily"] == 0
    return out


def curve_point(backfill_bin, total, compare=None):
    """One size: seeded once, measured with `backfill_bin`, then (with `compare`, another build) the seeded-untagged
    third untagged again and measured with that build."""
    moto_reset()
    counts, untagged, seed_s = seed_mix(total)
    point = {"resources": total, "mix": counts, "untagged": untagged, "seed_s": round(seed_s, 1)}
    point.update(measure_once(backfill_bin, total, untagged))
    point["floor_calls"], point["fixed_calls"] = floor_calls(counts, untagged, point["calls_by_operation"])
    if compare:
        untag_the_third(total)
        point["compare"] = measure_once(compare, total, untagged)
    return point


def chain_table():
    name = "bench-sweep-chain"
    client("dynamodb").create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                    Tags=[{"Key": KEY, "Value": "none"}])  # as the template's SweepChainTable
    return name


def chain(backfill_bin, total, deadline_s, run_dir):
    """The chain under the quota rules with a compressed deadline, to its end: each step one delivery to the running
    process (a warm Lambda), the daily event redelivered after step 1, and one more tick and daily event after the end.
    """
    moto_reset()
    counts, untagged, seed_s = seed_mix(total)
    table = chain_table()
    _rules("POST", rules("bench-chain"))
    guard(True)
    daily = {"version": "0", "id": "bench-chain-daily-1", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": ACCOUNT, "region": REGION, "detail": {},
             "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/superwerker-backup-sweep"]}
    tick = {"sweep": "continue"}
    api = RuntimeApi(deadline_s=deadline_s)
    log_path = f"{run_dir}/chain.log"
    env = lambda_env(api, {"SUPERWERKER_BACKUP_SWEEP_CHAIN_TABLE": table, "RUST_LOG": "info"})
    steps, skipped_mid, after_end, rss = [], [], [], 0.0
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        p = subprocess.Popen([backfill_bin], stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            def deliver(event):
                (_, kind, body), = api.wait([api.submit(event)], timeout=deadline_s + 120)
                return kind, json.loads(body)

            kind, answer = deliver(daily)
            while True:
                assert kind == "response", json.dumps(answer)[:2000]
                if "skipped" in answer:
                    raise AssertionError(f"a tick ran nothing mid-chain: {answer}")
                steps.append(answer)
                if len(steps) == 1:
                    skipped_mid.append(deliver(daily))  # the redelivered daily event: must start nothing
                if answer["chain"]["ending"] != "Continues":
                    break
                kind, answer = deliver(tick)
            after_end = [deliver(tick), deliver(daily)]
            rss = peak_rss_mb(p.pid)
        finally:
            p.kill()
            p.wait()
            api.close()
            guard(False)
            _rules("DELETE", query="?id=bench-chain")
    wall = time.perf_counter() - t0
    with open(log_path, encoding="utf-8", errors="replace") as f:
        reports = [line for line in f if "backfill report" in line]
    state = end_state()
    tagged = sum(sum(k["tagged"] for k in s["kinds"].values()) for s in steps)
    all_untagged = sum(untagged.values())
    reruns = sum(1 for _, a in skipped_mid + after_end if "skipped" not in a)
    return {"resources": total, "seed_s": round(seed_s, 1), "deadline_s": deadline_s, "invocations": len(steps),
            "ending": steps[-1]["chain"]["ending"], "wall_s": round(wall, 1), "rss_mb": round(rss, 1),
            "tagged_per_step": [sum(k["tagged"] for k in s["kinds"].values()) for s in steps],
            "all_tagged_once": tagged == all_untagged and all(state.get(str(i)) == "daily" for i in range(total)),
            "untagged_at_start": all_untagged,
            "reports_logged": len(reports), "largest_report_bytes": max((len(r) for r in reports), default=0),
            "reruns": reruns, "skipped_answers": [a.get("skipped", "") for _, a in skipped_mid + after_end]}


def plot(curve, path, before=None):
    """The curves as a PNG; `before`: the curve of an earlier build, drawn dashed for comparison."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = [p["resources"] for p in curve]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    series = [("peak RSS (MB)", [p["rss_mb"] for p in curve], None),
              ("API calls", [p["calls"] for p in curve], [p["floor_calls"] for p in curve]),
              ("wall time (s), pacing off", [p["wall_s"] for p in curve], None)]
    keys = {"peak RSS (MB)": "rss_mb", "API calls": "calls", "wall time (s), pacing off": "wall_s"}
    for ax, (title, ours, floor) in zip(axes, series):
        if before:
            ax.plot([p["resources"] for p in before], [p[keys[title]] for p in before], "s:", color="tab:red",
                    label=before[0].get("label", "before"))
        ax.plot(sizes, ours, "o-", label="ours")
        if floor:
            ax.plot(sizes, floor, "x--", label="floor at AWS page sizes")
        if title.startswith("peak"):
            ax.axhline(64, color="grey", linestyle=":", label="target 64 MB")
        ax.set_xscale("log")
        if not title.startswith("peak"):
            ax.set_yscale("log")
        ax.set_xlabel("resources in the region")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("backup-backfill (release Lambda binary) over one region, emulator paging as AWS")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def measure_scale(backfill_bin, sizes, chain_resources, chain_deadline_s, png, compare=None):
    import os
    import tempfile
    curve = []
    for total in sizes:
        print(f"scale: {total} resources (seeded once) ...", flush=True)
        curve.append(curve_point(backfill_bin, total, compare))
        print("  ", json.dumps(curve[-1]), flush=True)
    steps = None
    if chain_resources:
        print(f"scale: the chain over {chain_resources} resources, deadline {chain_deadline_s} s, under the quotas ...",
              flush=True)
        run_dir = tempfile.mkdtemp(prefix="chain-", dir=os.environ.get("SWB_RUN_DIR"))
        steps = chain(backfill_bin, chain_resources, chain_deadline_s, run_dir)
        print("  ", json.dumps(steps), flush=True)
    before = [dict(p["compare"], resources=p["resources"], label="compared build") for p in curve if "compare" in p]
    plot(curve, png, before or None)
    by = lambda key: {str(p["resources"]): p[key] for p in curve}  # noqa: E731
    return {"rss_mb": by("rss_mb"), "calls": by("calls"), "floor_calls": by("floor_calls"), "wall_s": by("wall_s"),
            "seed_s": by("seed_s"), "curve": curve, "chain": steps, "plot": str(png),
            **({"compare": {str(p["resources"]): p["compare"] for p in curve}} if compare else {})}


def scale_table(s):
    sizes = list(s["rss_mb"])
    c = s["chain"]
    row = lambda name, key: f"  {name:<28} " + " ".join(f"{s[key][n]:>10}" for n in sizes)  # noqa: E731
    return "\n".join([
        "scale, one region (pacing off; the emulator pages as AWS):",
        f"  {'resources':<28} " + " ".join(f"{n:>10}" for n in sizes),
        row("peak RSS MB (target 64)", "rss_mb"),
        row("API calls", "calls"),
        row("floor at AWS page sizes", "floor_calls"),
        f"  {'calls / floor':<28} " + " ".join(f"{s['calls'][n] / s['floor_calls'][n]:>10.3f}" for n in sizes),
        row("wall s", "wall_s"),
        row("seeding s", "seed_s"),
        *([f"  {'compared build: peak RSS MB':<28} " + " ".join(f"{s['compare'][n]['rss_mb']:>10}" for n in sizes),
           f"  {'compared build: API calls':<28} " + " ".join(f"{s['compare'][n]['calls']:>10}" for n in sizes)]
          if s.get("compare") else []),
        (f"  chain over {c['resources']} resources, deadline {c['deadline_s']} s, under the quotas: "
         f"{c['invocations']} invocations ({c['ending']}), all tagged once: {c['all_tagged_once']}, "
         f"reports logged: {c['reports_logged']} (largest {c['largest_report_bytes']} bytes), reruns: {c['reruns']}"
         if c else "  no chain measured (--chain-resources 0)"),
        f"  plot: {s['plot']}",
    ])
