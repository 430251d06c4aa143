"""S3 bucket policies as AWS evaluates them for the requests the emulator stands in for.

moto evaluates a bucket policy's statements for object requests but ignores their Condition: a Deny that applies
only "when aws:SecureTransport is false" (S3 user guide, example bucket policies, "Managing access based on HTTPS")
denies every request, over TLS too. Every AWS SDK and CLI request to AWS uses TLS; the emulator is reached over plain
HTTP on 127.0.0.1 only as a stand-in for that. So a Deny whose only condition is `Bool: {aws:SecureTransport: false}`
never applies here, as it never applies to the SDK's requests to AWS. Every other statement is left to moto.
"""
import json

from moto.s3.models import FakeBucket

_get_permission = FakeBucket.get_permission
TLS_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


def _only_for_plain_http(statement):
    return statement.get("Effect") == "Deny" and statement.get("Condition") == TLS_ONLY


def get_permission(self, action, resource):
    if self.policy is None:
        return _get_permission(self, action, resource)
    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    kept = [s for s in statements if not _only_for_plain_http(s)]
    if len(kept) == len(statements):
        return _get_permission(self, action, resource)
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if not kept:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(dict(document, Statement=kept))).is_action_permitted(action, resource)


FakeBucket.get_permission = get_permission
