"""`make publish`: one artifact bucket per region (Lambda reads code only from a bucket in the function's own region,
Lambda API reference, FunctionCode.S3Bucket), readable by the organization, and the packaged artifacts in each.

Idempotent: an existing bucket is checked (ours, in the right region) and its settings are written only where they
differ; an artifact whose content-addressed key is already there is not uploaded again.
"""
import io
import json
import zipfile
from pathlib import Path

from botocore.exceptions import ClientError

from common import DeployError, bucket_name, client, error_code, load_manifest, partition, say
from package import ENTRY, reproducible_zip
from policies import artifact_bucket_policy

PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
}
SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


def organization_id(region):
    """The caller's organization id, or None outside an organization."""
    try:
        return client("organizations", region).describe_organization()["Organization"]["Id"]
    except ClientError as e:
        if error_code(e) in ("AWSOrganizationsNotInUseException", "AccessDeniedException"):
            return None
        raise


def ensure_bucket(s3, bucket, region, org):
    """Creates or checks the bucket; writes only the settings that differ. Returns what it did."""
    changes = []
    try:
        s3.head_bucket(Bucket=bucket)
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        if location != region:
            raise DeployError(f"bucket {bucket} exists in {location}, not {region}: choose another ARTIFACT_BUCKET_PREFIX")
    except ClientError as e:
        if error_code(e) in ("403", "AccessDenied"):
            raise DeployError(f"bucket {bucket} belongs to someone else: choose another ARTIFACT_BUCKET_PREFIX") from e
        if error_code(e) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **kwargs)
        changes.append("created")
    try:
        current = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError:
        current = None
    if current != PUBLIC_ACCESS_BLOCK:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
        changes.append("public access blocked")
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        encrypted = any(r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256" for r in rules)
    except ClientError:
        encrypted = False
    if not encrypted:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=SSE_S3)
        changes.append("SSE-S3")
    desired = artifact_bucket_policy(bucket, partition(region), org)
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError:
        policy = None
    if policy != desired:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(desired))
        changes.append("policy " + ("(organization may read)" if org else "(TLS only)"))
    return changes


def region_marked(zip_path, region):
    """The zip with region.txt naming `region` added: only for tests, which must tell which bucket code came from."""
    with zipfile.ZipFile(zip_path) as zf:
        binary = zf.read(ENTRY)
    scratch = Path(zip_path).with_suffix(f".{region}.bin")
    scratch.write_bytes(binary)
    out = io.BytesIO()
    reproducible_zip(scratch, out, extra={"region.txt": region.encode()})
    scratch.unlink()
    return out.getvalue()


def upload(s3, bucket, key, data, sha256):
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return False
    except ClientError as e:
        if error_code(e) not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"sha256": sha256})
    return True


def publish(dist, prefix, regions, mark_region=False):
    manifest = load_manifest(dist)
    org = organization_id(regions[0])
    for region in regions:
        s3 = client("s3", region)
        bucket = bucket_name(prefix, region)
        changes = ensure_bucket(s3, bucket, region, org)
        uploaded = kept = 0
        for entry in list(manifest["artifacts"].values()) + list(manifest["templates"].values()):
            path = Path(dist) / entry["file"]
            data = region_marked(path, region) if mark_region and path.suffix == ".zip" else path.read_bytes()
            if upload(s3, bucket, entry["key"], data, entry["sha256"]):
                uploaded += 1
            else:
                kept += 1
        say(f"{region}: s3://{bucket} {', '.join(changes) or 'up to date'}; {uploaded} uploaded, {kept} already there")
