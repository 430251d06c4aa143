"""Shared pieces of the deploy tool: sessions from the standard AWS chain, the manifest, messages."""
import json
import sys
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# The SDK's standard retry mode (jittered backoff on throttling and 5xx), as the Rust code uses.
CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})
MANIFEST = "manifest.json"
PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-iso-", "aws-iso"))


class DeployError(Exception):
    """A failure the person running the deploy can act on; printed without a traceback."""


def say(message):
    print(message, flush=True)


def session():
    """Credentials, region and endpoint (AWS_ENDPOINT_URL) from the standard chain: environment, profile, SSO."""
    return boto3.session.Session()


def client(service, region):
    return session().client(service, region_name=region, config=CONFIG)


def regions_or_default(spec):
    """`r1,r2` as a list; empty means the region of the standard chain (AWS_REGION, AWS_DEFAULT_REGION, profile)."""
    regions = [r.strip() for r in (spec or "").split(",") if r.strip()]
    if regions:
        return regions
    default = session().region_name
    if not default:
        raise DeployError("no region: set REGIONS=r1,r2 (or AWS_REGION, or a region in your AWS profile)")
    return [default]


def partition(region):
    return next((p for prefix, p in PARTITIONS if region.startswith(prefix)), "aws")


def account_id():
    return client("sts", session().region_name or "us-east-1").get_caller_identity()["Account"]


def bucket_name(prefix, region):
    return f"{prefix}-{region}"


def default_bucket_prefix():
    """One artifact bucket prefix per account, so that `make deploy` needs no setting: names are global."""
    return f"superwerker-backup-artifacts-{account_id()}"


def load_manifest(dist):
    path = Path(dist) / MANIFEST
    if not path.exists():
        raise DeployError(f"{path} is missing: run `make package` first")
    return json.loads(path.read_text())


def error_code(e):
    return e.response.get("Error", {}).get("Code", "") if isinstance(e, ClientError) else ""


def fail(message):
    print(f"deploy: {message}", file=sys.stderr, flush=True)
    return 1
