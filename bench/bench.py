"""superwerker-backup vs Cloud Custodian (c7n) on the same work, same machine, same emulator, same run.

Run by `make bench` inside tests/harness/with-emulator.sh (moto on 127.0.0.1 plus the fault proxy in front of it,
which passes everything through and keeps a log of every request: the API calls by operation are read from it).
Python: the .venv-bench interpreter (c7n and its own boto3, pinned in bench/requirements.txt).

Ours runs as the real release Lambda binaries (`cargo lambda build --release`), fed by a minimal Lambda Runtime API
server in this script (the same protocol Lambda and `cargo lambda watch` speak). Custodian runs as its Lambda entry
point `c7n.handler.dispatch_event` (mode cloudtrail) and as `custodian run` (pull mode) for the backfill.

Usage: bench.py --tagger dist/backup-tagger.zip --backfill dist/backup-backfill.zip
                [--runs 10] [--warm 1000] [--resources 10000] [--out bench/results.json]
"""
import argparse
import concurrent.futures
import http.client
import json
import math
import os
import platform
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "cloudtrail"
KEY = "superwerker:backup"
ACCOUNT = "123456789012"
REGION = os.environ.get("AWS_REGION", "eu-central-1")
MOTO = os.environ["AWS_ENDPOINT_URL"]  # the emulator itself (seeding, reset, reading end states)
PROXY = os.environ["SWB_FAULT_PROXY_URL"]  # what both tools talk to (request log)


# ------------------------------------------------------------------------------------------ Lambda Runtime API
class RuntimeApi:
    """Serves queued events to one Lambda process over the Runtime API and records each answer."""

    def __init__(self):
        self.events = queue.Queue()
        self.answers = {}
        self.answered = threading.Condition()
        self.first_next = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
                # delayed ACK add ~40 ms to every answer.
                super().setup()
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def _reply(self, status, body=b"{}", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return self._reply(404)
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                request_id, event = api.events.get()
                body = json.dumps(event).encode()
                deadline = int((time.time() + 900) * 1000)
                self._reply(200, body, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path.split("/")
                if "invocation" in parts and (parts[-1] in ("response", "error")):
                    request_id = parts[parts.index("invocation") + 1]
                    with api.answered:
                        api.answers[request_id] = (time.perf_counter(), parts[-1], body)
                        api.answered.notify_all()
                    return self._reply(202)
                return self._reply(202)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the Lambda process is killed while its next long poll is open: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def submit(self, event):
        request_id = str(uuid.uuid4())
        self.events.put((request_id, event))
        return request_id

    def wait(self, request_ids, timeout=900):
        end = time.time() + timeout
        with self.answered:
            while not all(r in self.answers for r in request_ids):
                left = end - time.time()
                if left <= 0:
                    raise TimeoutError(f"{len([r for r in request_ids if r not in self.answers])} answers missing")
                self.answered.wait(left)
        return [self.answers[r] for r in request_ids]

    def close(self):
        self.server.shutdown()


def lambda_env(api, extra=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_ENDPOINT_URL": PROXY,
        "SUPERWERKER_BACKUP_ACCOUNT_ID": ACCOUNT,
        # boto3's read timeout (60 s), not our 10 s default: moto answers DescribeVolumes for 5,000 volumes in one
        # page (it ignores MaxResults) and takes about 8-12 s to render it.
        "SUPERWERKER_BACKUP_ATTEMPT_TIMEOUT_MS": "60000",
        "RUST_LOG": "warn",
    }
    env.update(extra or {})
    return env


def lambda_binary(path):
    """The Lambda's `bootstrap`: a zip as `cargo lambda build --output-format zip` ships it is unpacked first, so the
    exact artifact is measured."""
    if not path.endswith(".zip"):
        return path
    import zipfile
    out = Path(tempfile.mkdtemp(prefix="lambda-", dir=os.environ.get("SWB_RUN_DIR"))) / "bootstrap"
    with zipfile.ZipFile(path) as z:
        out.write_bytes(z.read("bootstrap"))
    out.chmod(0o755)
    return str(out)


def peak_rss_mb(pid):
    """VmHWM of a live process (its peak resident set), in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


# ------------------------------------------------------------------------------------------ emulator helpers
def client(service, endpoint=MOTO):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing")


def moto_reset():
    req = urllib.request.Request(f"{MOTO}/moto-api/reset", method="POST")
    urllib.request.urlopen(req).read()


def guard(on):
    """The fault proxy's guard rule (see tests/harness/fault_proxy.py) on or off."""
    if on:
        req = urllib.request.Request(f"{PROXY}/__faults__/rules", method="POST",
                                     data=json.dumps([{"id": "bench-guard", "fault": "guard", "service": "dynamodb",
                                                       "op": "TagResource"}]).encode(),
                                     headers={"Content-Type": "application/json"})
    else:
        req = urllib.request.Request(f"{PROXY}/__faults__/rules?id=bench-guard", method="DELETE")
    urllib.request.urlopen(req).read()


def proxy_log():
    with urllib.request.urlopen(f"{PROXY}/__faults__/log") as r:
        return json.loads(r.read())


def calls_between(before, after):
    counts = {}
    for row in after[len(before):]:
        name = f"{row['service']}.{row['op']}"
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def emulator_seconds_between(before, after):
    """Per operation, the seconds the emulator spent answering (the proxy's forward time): the profile."""
    seconds = {}
    for row in after[len(before):]:
        if row.get("t_end") and row.get("t_start"):
            name = f"{row['service']}.{row['op']}"
            seconds[name] = seconds.get(name, 0) + row["t_end"] - row["t_start"]
    return {k: round(v, 2) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])}


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


def c7n_dir(policies):
    d = Path(tempfile.mkdtemp(prefix="c7n-", dir=os.environ.get("SWB_RUN_DIR")))
    config = {"execution-options": {"account_id": ACCOUNT, "region": REGION, "output_dir": str(d / "out"),
                                    "log_group": None, "metrics_enabled": False},
              "policies": policies}
    (d / "config.json").write_text(json.dumps(config))
    return d


def c7n_env():
    env = dict(os.environ)
    env.update({"AWS_ENDPOINT_URL": PROXY, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "C7N_SKIP_EXTRA_VALIDATION": "1"})
    return env


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


def run_measured(cmd, env, cwd=None):
    """Runs a process to its end: (wall seconds, peak RSS MB from wait4's rusage, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out, err = p.stdout.read(), p.stderr.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, p.returncode, out, err


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


# --- backfill
def seed(total):
    """Mixed resources: 50% volumes, 30% tables, 20% DB instances; a third already daily, 10% none, the rest
    untagged. Each carries bench-id so the end states of two seedings can be compared."""
    ec2, ddb, rds = client("ec2"), client("dynamodb"), client("rds")
    plan = []
    for i in range(total):
        kind = "volume" if i % 10 < 5 else ("table" if i % 10 < 8 else "db")
        value = "daily" if i % 3 == 0 else ("none" if i % 10 == 1 else None)
        plan.append((i, kind, value))

    def create(item):
        i, kind, value = item
        tags = [{"Key": "bench-id", "Value": str(i)}] + ([{"Key": KEY, "Value": value}] if value else [])
        if kind == "volume":
            ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1,
                              TagSpecifications=[{"ResourceType": "volume", "Tags": tags}])
        elif kind == "table":
            ddb.create_table(TableName=f"bench-{i}", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], Tags=tags)
        else:
            rds.create_db_instance(DBInstanceIdentifier=f"bench-{i}", Engine="postgres",
                                   DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="bench",
                                   MasterUserPassword="not-a-secret-1", Tags=tags)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(create, plan))
    counts = {"volume": 0, "table": 0, "db": 0}
    untagged = {"volume": 0, "table": 0, "db": 0}
    for _, kind, value in plan:
        counts[kind] += 1
        untagged[kind] += value is None
    return plan, counts, untagged


def end_state():
    """bench-id → value of our key, read from the emulator directly."""
    ec2, ddb, rds = client("ec2"), client("dynamodb"), client("rds")
    state = {}
    for page in ec2.get_paginator("describe_volumes").paginate():
        for v in page["Volumes"]:
            tags = {t["Key"]: t["Value"] for t in v.get("Tags", [])}
            if "bench-id" in tags:
                state[tags["bench-id"]] = tags.get(KEY)
    for page in ddb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
            tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])}
            if "bench-id" in tags:
                state[tags["bench-id"]] = tags.get(KEY)
    for page in rds.get_paginator("describe_db_instances").paginate():
        for db in page["DBInstances"]:
            tags = {t["Key"]: t["Value"] for t in db.get("TagList", [])}
            if "bench-id" in tags:
                state[tags["bench-id"]] = tags.get(KEY)
    return state


C7N_PULL_POLICIES = {"policies": [
    {"name": f"superwerker-backup-{r}", "resource": r, "filters": [{f"tag:{KEY}": "absent"}],
     "actions": [{"type": "tag", "key": KEY, "value": "daily"}]}
    for r in ("ebs", "dynamodb-table", "rds")
]}


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
            api = RuntimeApi()
            rid = api.submit({"dryRun": False, "regions": [REGION]})
            t0 = time.perf_counter()
            p = subprocess.Popen([backfill_bin], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=lambda_env(api, {"SUPERWERKER_BACKUP_DYNAMODB_TAGS_PER_SECOND": "0"}))
            (t1, kind, body), = api.wait([rid], timeout=1800)
            p.kill()
            p.wait()
            api.close()
            guard(False)
            assert kind == "response", body[:2000]
            wall = t1 - t0
            checks = json.loads(body).get("indexChecks", {})
        else:
            work = c7n_dir([])
            policy = work / "policies.yml"
            policy.write_text(json.dumps(C7N_PULL_POLICIES))
            custodian = str(Path(sys.executable).parent / "custodian")
            t0 = time.perf_counter()
            # --cache-period 0: c7n caches resource listings for 15 minutes by default (~/.cache), which would
            # reuse the previous seeding's ids.
            out = subprocess.run([custodian, "run", "-s", str(work / "out"), "--region", REGION, "--cache-period", "0",
                                  str(policy)],
                                 env=c7n_env(), cwd=work, capture_output=True)
            wall = time.perf_counter() - t0
            assert out.returncode == 0, out.stderr.decode()[-3000:]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tagger", required=True)
    ap.add_argument("--backfill", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warm", type=int, default=1000)
    ap.add_argument("--resources", type=int, default=10000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    ap.add_argument("--cold-only", action="store_true", help="only the per-event cold measure (profile_effect.sh)")
    ap.add_argument("--backfill-only", action="store_true", help="only the backfill measure (for profiling)")
    ap.add_argument("--cli", help="the superwerker-backup CLI binary, for the audit measure")
    ap.add_argument("--audit-only", action="store_true", help="only the audit measure")
    args = ap.parse_args()
    if args.tagger.endswith(".zip"):
        args.tagger = lambda_binary(args.tagger)
    if args.backfill.endswith(".zip"):
        args.backfill = lambda_binary(args.backfill)
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
    per_call = emulator_noop()
    results["backfill"]["emulator_noop_ms_per_call"] = round(per_call * 1000, 2)
    results["backfill"]["emulator_noop_s"] = round(per_call * results["backfill"]["ours_calls"], 2)
    if args.cli:
        print(f"audit of {args.resources} resources ...", flush=True)
        results["audit"] = audit_calls(args.cli, args.resources)
        print("  ", json.dumps(results["audit"]), flush=True)
    results["artifact"] = artifact()
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nwritten to {args.out} ({results['bench_seconds']} s)")


if __name__ == "__main__":
    main()
