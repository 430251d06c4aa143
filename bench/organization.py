"""The organization: `superwerker-backup backfill --organization` against `c7n-org run` with the same policy (issue 17),
over N member accounts × 2 regions of the emulator, each region seeded with the single-account mix (common.seed).

Both run as shipped, from the management account, with their default concurrency (ours: --concurrency 8 accounts at a
time, an account's regions one after another; c7n-org: a process pool of C7N_ORG_PARALLEL, by default 4 × the cores,
over account × region pairs). Both talk to the fault proxy, whose log gives the API calls. moto maps the credentials
that STS AssumeRole returns to the account in the role's ARN (it checks no trust policy), so each tool's role ARNs lead
it into the member accounts: ours its default per-region role superwerker-backup-backfill-<region>, c7n-org the role
of its accounts file (OrganizationAccountAccessRole, as c7n-org's documentation sets it up).

Memory is that of the whole process tree (c7n-org forks its workers): sampled every 50 ms with psutil, the peak of the
tree's summed PSS (proportional set size: a page shared by forked workers is counted once over all of them) and of its
summed RSS (shared pages counted in every process)."""
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from common import (C7N_PULL_POLICIES, KEY, PROXY, REGION, c7n_env, calls_between, client, emulator_seconds_between,
                    end_state, guard, moto_reset, proxy_log, seed)

REGIONS = (REGION, "eu-west-1")
C7N_ROLE = "OrganizationAccountAccessRole"
OURS_CONCURRENCY = 8  # passed as --concurrency: the CLI's default (crates/cli/src/organization.rs)


class TreePeak:
    """The peak memory of a process and all its descendants, summed, while it runs."""

    def __init__(self, pid, every=0.05):
        self.root = psutil.Process(pid)
        self.pss = self.rss = 0
        self.processes = 1
        self.every = every
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while not self.done.is_set():
            try:
                tree = [self.root] + self.root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            pss = rss = 0
            for p in tree:
                try:
                    m = p.memory_full_info()
                    pss, rss = pss + m.pss, rss + m.rss
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    pass
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            self.processes = max(self.processes, len(tree))
            self.done.wait(self.every)

    def stop(self):
        self.done.set()
        self.thread.join()
        return {"pss_mb": round(self.pss / 2**20, 1), "rss_sum_mb": round(self.rss / 2**20, 1),
                "processes": self.processes}


def cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tree(cmd, env, cwd=None):
    """Runs `cmd` to its end: (wall seconds, memory and CPU seconds of its tree, exit code, stdout, stderr). The CPU
    time is that of every process of the tree that was waited for (RUSAGE_CHILDREN: c7n-org's pool joins its
    workers)."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    cpu0 = cpu_of_children()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
    peak = TreePeak(p.pid)
    code = p.wait()
    wall = time.perf_counter() - t0
    memory = dict(peak.stop(), cpu_s=round(cpu_of_children() - cpu0, 1))
    out.seek(0)
    err.seek(0)
    return wall, memory, code, out.read(), err.read()


def credentials(account):
    """Credentials of `account` (moto maps an assumed role's credentials to the account in its ARN)."""
    c = client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/bench-seed",
                                  RoleSessionName="bench-seed")["Credentials"]
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def build(accounts, per_region):
    """A fresh organization of `accounts` members, each region of each seeded: (ids, expected end state, counts)."""
    moto_reset()
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [org.create_account(Email=f"bench-{n}@example.com", AccountName=f"bench-{n}")["CreateAccountStatus"]
           ["AccountId"] for n in range(accounts)]
    expected, counts, untagged = {}, {}, {}
    for n, account in enumerate(ids):
        creds = credentials(account)
        for region in REGIONS:
            # Labelled by the account's place, not its id (moto draws new ids for each build): the two builds' end
            # states compare resource by resource.
            plan, c, u = seed(per_region, region=region, creds=creds, label=f"{n}/{region}/")
            expected.update({i: value or "daily" for i, _, value in plan})
            for kind in c:
                counts[kind] = counts.get(kind, 0) + c[kind]
                untagged[kind] = untagged.get(kind, 0) + u[kind]
    return ids, expected, counts, untagged


def state_of(ids):
    state = {}
    for account in ids:
        creds = credentials(account)
        for region in REGIONS:
            state.update(end_state(region=region, account=account, creds=creds))
    return state


def run_ours(cli, ids):
    env = dict(os.environ, AWS_ENDPOINT_URL=PROXY, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", RUST_LOG="warn")
    cmd = [cli, "backfill", "--organization", "--accounts", ",".join(ids), "--regions", ",".join(REGIONS),
           "--concurrency", str(OURS_CONCURRENCY), "--dynamodb-tags-per-second", "0", "--output", "json"]
    # The stacks' backfill role may tag only resources without the key (GuardedTaggingPolicy); moto evaluates no IAM
    # condition, so the proxy's guard rule stands in for it on DynamoDB TagResource, the probe write, exactly as in
    # the single-account backfill measure (backfill.py).
    guard(True)
    try:
        wall, memory, code, out, err = run_tree(cmd, env)
    finally:
        guard(False)
    assert code == 0, err.decode()[-3000:]
    report = json.loads(out)
    failed = [(a["account"], r["region"], r["error"]) for a in report["accounts"] for r in a["regions"] if r["error"]]
    assert len(report["accounts"]) == len(ids) and not failed, (len(report["accounts"]), failed[:5])
    return wall, memory


def run_c7n_org(ids):
    work = Path(tempfile.mkdtemp(prefix="c7n-org-", dir=os.environ.get("SWB_RUN_DIR")))
    accounts = {"accounts": [{"account_id": a, "name": f"bench-{n}", "role": f"arn:aws:iam::{a}:role/{C7N_ROLE}",
                              "regions": list(REGIONS)} for n, a in enumerate(ids)]}
    (work / "accounts.yml").write_text(json.dumps(accounts))  # JSON is YAML
    (work / "policies.yml").write_text(json.dumps(C7N_PULL_POLICIES))
    (work / "cache").mkdir()
    c7n_org = str(Path(sys.executable).parent / "c7n-org")
    cmd = [c7n_org, "run", "-c", str(work / "accounts.yml"), "-u", str(work / "policies.yml"), "-s", str(work / "out"),
           "--cache-period", "0", "--cache-path", str(work / "cache")]
    for region in REGIONS:
        cmd += ["-r", region]
    wall, memory, code, out, err = run_tree(cmd, c7n_env(), cwd=work)
    # c7n-org logs an account × region whose run raised ("Error running policy …") and goes on, without failing the
    # run's exit code (c7n_org/cli.py `run`): the log is read here, and the end state is checked after.
    assert code == 0 and b"Error running policy" not in err, err.decode()[-3000:]
    return wall, memory


def organization(cli, accounts=50, per_region=200):
    results, states, seeds, as_rules_say = {}, {}, {}, {}
    counts = untagged = None
    for tool in ("ours", "c7n_org"):
        t0 = time.perf_counter()
        ids, expected, counts, untagged = build(accounts, per_region)
        seeds[tool] = time.perf_counter() - t0
        before = proxy_log()
        wall, memory = run_ours(cli, ids) if tool == "ours" else run_c7n_org(ids)
        after = proxy_log()
        calls = calls_between(before, after)
        states[tool] = state_of(ids)
        as_rules_say[tool] = states[tool] == expected
        results[tool] = {"seconds": round(wall, 2), "memory": memory, "calls": sum(calls.values()),
                         "by_operation": calls, "emulator_by_operation": emulator_seconds_between(before, after)}
    ours, theirs = results["ours"], results["c7n_org"]
    return {
        "accounts": accounts,
        "regions": len(REGIONS),
        "resources": sum(counts.values()),
        "resources_per_region": per_region,
        "untagged": untagged,
        "ours_s": ours["seconds"],
        "c7n_org_s": theirs["seconds"],
        "ratio": round(ours["seconds"] / theirs["seconds"], 3),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "ours_rss_mb": ours["memory"]["rss_sum_mb"],
        "c7n_org_rss_mb": theirs["memory"]["rss_sum_mb"],
        "ours_pss_mb": ours["memory"]["pss_mb"],
        "c7n_org_pss_mb": theirs["memory"]["pss_mb"],
        "ours_cpu_s": ours["memory"]["cpu_s"],
        "c7n_org_cpu_s": theirs["memory"]["cpu_s"],
        "ours_processes": ours["memory"]["processes"],
        "c7n_org_processes": theirs["memory"]["processes"],
        "ours_calls": ours["calls"],
        "c7n_org_calls": theirs["calls"],
        "ours_by_operation": ours["by_operation"],
        "c7n_org_by_operation": theirs["by_operation"],
        "ours_emulator_seconds_by_operation": ours["emulator_by_operation"],
        "c7n_org_emulator_seconds_by_operation": theirs["emulator_by_operation"],
        "ours_concurrency": f"{OURS_CONCURRENCY} accounts at a time, an account's regions in turn",
        "c7n_org_concurrency": f"{int(os.environ.get('C7N_ORG_PARALLEL', (os.cpu_count() or 1) * 4))} worker "
                               "processes over account x region pairs",
        "same_end_state": states["ours"] == states["c7n_org"],
        "end_state_as_rules_say": as_rules_say,
        "tagged_daily": sum(1 for v in states["ours"].values() if v == "daily"),
        "key": KEY,
        "seed_s": {tool: round(s, 1) for tool, s in seeds.items()},
        "method": "one run each, ours first, each from a fresh seeding; wall time from start to exit of each tool's "
                  "process; memory: peak of the process tree's summed RSS (rss_mb) and PSS (pss_mb), psutil every "
                  "50 ms (both tools equally sampled, on the same 2 cores as the emulator); cpu_s: user + system "
                  "seconds of the tree (RUSAGE_CHILDREN); calls: the fault proxy's log",
    }
