"""What the deploy tests share: the emulator's endpoint and reset, Make and README commands run as a person runs
them, and sessions inside member accounts."""
import base64
import hashlib
import os
import subprocess
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MANAGEMENT = "123456789012"


def endpoint():
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    if not url.startswith("http://127.0.0.1:"):
        raise AssertionError("run through make test: the deploy tests need the local emulator")
    return url


def reset_emulator():
    urllib.request.urlopen(urllib.request.Request(f"{endpoint()}/moto-api/reset", method="POST"), timeout=30).read()


def make(*args, env=None):
    """Runs a Make target as a person would; fails the test with its output when it fails. Returns stdout."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        env=env or dict(os.environ), capture_output=True, text=True, timeout=1200,
    )
    if done.returncode != 0:
        raise AssertionError(f"make {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def in_account(account):
    """A boto3 session with credentials of `account` (STS AssumeRole; moto maps the role's account)."""
    if account == MANAGEMENT:
        return boto3.session.Session()
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="deploy-test"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def code_sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def readme_steps(heading):
    """The commands of the first sh block under `heading` in the README's Deploy section, as written."""
    text = README.read_text()
    section = text[text.index("## Deploy\n"):]
    section = section[: section.index("\n## ", 5)]
    part = section[section.index(heading):]
    start = part.index("```sh\n") + len("```sh\n")
    block = part[start : part.index("```", start)]
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def run_step(command, env=None):
    """One README command, run by bash in the repository as a person would paste it. Returns stdout."""
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env or dict(os.environ), capture_output=True,
                          text=True, timeout=1200)
    if done.returncode != 0:
        raise AssertionError(f"README step failed ({done.returncode}): {command}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def setting(commands, name):
    """The value a README command gives a Make variable, e.g. REGIONS."""
    for command in commands:
        for word in command.split():
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
    raise AssertionError(f"no {name}= in the README steps")


def trusted_accounts(role):
    """The accounts a role's trust policy names (IAM shows an account principal as its root ARN)."""
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    principals = statement["Principal"]["AWS"]
    principals = principals if isinstance(principals, list) else [principals]
    return {p.removeprefix("arn:aws:iam::").removesuffix(":root") for p in principals}
