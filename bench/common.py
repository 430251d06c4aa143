"""What every measure of the bench shares: the emulator and its proxy, the seeding of resources and the reading of
their end state, and how Cloud Custodian is run (bench.py, backfill.py, organization.py)."""
import concurrent.futures
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
KEY = "superwerker:backup"
ACCOUNT = "123456789012"
REGION = os.environ.get("AWS_REGION", "eu-central-1")
MOTO = os.environ["AWS_ENDPOINT_URL"]  # the emulator itself (seeding, reset, reading end states)
PROXY = os.environ["SWB_FAULT_PROXY_URL"]  # what both tools talk to (request log)
TESTING = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}


# ------------------------------------------------------------------------------------------ emulator helpers
def client(service, endpoint=MOTO, region=REGION, creds=None):
    """A boto3 client of the emulator; `creds` (from STS AssumeRole) select another account, as moto maps them."""
    return boto3.client(service, region_name=region, endpoint_url=endpoint, **(creds or TESTING))


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




# ------------------------------------------------------------------------------------------ Cloud Custodian
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


def run_measured(cmd, env, cwd=None):
    """Runs a process to its end: (wall seconds, peak RSS MB from wait4's rusage, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out, err = p.stdout.read(), p.stderr.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, p.returncode, out, err



C7N_PULL_POLICIES = {"policies": [
    {"name": f"superwerker-backup-{r}", "resource": r, "filters": [{f"tag:{KEY}": "absent"}],
     "actions": [{"type": "tag", "key": KEY, "value": "daily"}]}
    for r in ("ebs", "dynamodb-table", "rds")
]}


# ------------------------------------------------------------------------------------------ seeding, end states
def seed(total, region=REGION, creds=None, label=""):
    """Mixed resources: 50% volumes, 30% tables, 20% DB instances; a third already daily (every third), 7% none
    (every tenth that is not also a third's), the rest untagged. Each carries bench-id (`label` + its number) so the end states of two seedings can be compared."""
    ec2, ddb, rds = (client(s, region=region, creds=creds) for s in ("ec2", "dynamodb", "rds"))
    plan = []
    for i in range(total):
        kind = "volume" if i % 10 < 5 else ("table" if i % 10 < 8 else "db")
        value = "daily" if i % 3 == 0 else ("none" if i % 10 == 1 else None)
        plan.append((f"{label}{i}", kind, value))

    def create(item):
        i, kind, value = item
        tags = [{"Key": "bench-id", "Value": i}] + ([{"Key": KEY, "Value": value}] if value else [])
        name = f"bench-{i}".replace("/", "-")
        if kind == "volume":
            ec2.create_volume(AvailabilityZone=f"{region}a", Size=1,
                              TagSpecifications=[{"ResourceType": "volume", "Tags": tags}])
        elif kind == "table":
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], Tags=tags)
        else:
            rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres",
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


def end_state(region=REGION, account=ACCOUNT, creds=None):
    """bench-id → value of our key, read from the emulator directly."""
    ec2, ddb, rds = (client(s, region=region, creds=creds) for s in ("ec2", "dynamodb", "rds"))
    state = {}
    for page in ec2.get_paginator("describe_volumes").paginate():
        for v in page["Volumes"]:
            tags = {t["Key"]: t["Value"] for t in v.get("Tags", [])}
            if "bench-id" in tags:
                state[tags["bench-id"]] = tags.get(KEY)
    for page in ddb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
            tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])}
            if "bench-id" in tags:
                state[tags["bench-id"]] = tags.get(KEY)
    for page in rds.get_paginator("describe_db_instances").paginate():
        for db in page["DBInstances"]:
            tags = {t["Key"]: t["Value"] for t in db.get("TagList", [])}
            if "bench-id" in tags:
                state[tags["bench-id"]] = tags.get(KEY)
    return state
