"""Which AWS service and operation a request is (from its signature, target header, form body or REST path), and
the errors the fault proxy answers in each service's own protocol."""
import json
import re
import urllib.parse

# REST services name their operation by method and path (EFS; AWS Backup's reads, as botocore's model routes them).
REST_OPS = [
    ("GET", re.compile(r"^/2015-02-01/file-systems"), "DescribeFileSystems"),
    ("POST", re.compile(r"^/2015-02-01/file-systems"), "CreateFileSystem"),
    ("POST", re.compile(r"^/2015-02-01/resource-tags/"), "TagResource"),
    ("GET", re.compile(r"^/2015-02-01/resource-tags/"), "ListTagsForResource"),
    ("GET", re.compile(r"^/backup-vaults/[^/?]+/recovery-points/?(\?|$)"), "ListRecoveryPointsByBackupVault"),
    ("GET", re.compile(r"^/backup-vaults/?(\?|$)"), "ListBackupVaults"),
    ("GET", re.compile(r"^/backup-vaults/[^/?]+/?(\?|$)"), "DescribeBackupVault"),
    ("GET", re.compile(r"^/resources/.+/recovery-points/?(\?|$)"), "ListRecoveryPointsByResource"),
    ("GET", re.compile(r"^/account-settings/?(\?|$)"), "DescribeRegionSettings"),
    ("GET", re.compile(r"^/backup/plans/?(\?|$)"), "ListBackupPlans"),
    ("GET", re.compile(r"^/backup/plans/[^/?]+/selections/?(\?|$)"), "ListBackupSelections"),
    ("GET", re.compile(r"^/backup/plans/[^/?]+/selections/[^/?]+/?(\?|$)"), "GetBackupSelection"),
    ("GET", re.compile(r"^/backup/plans/[^/?]+/?(\?|$)"), "GetBackupPlan"),
]


def service_of(headers):
    auth = headers.get("Authorization", "")
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", auth)
    return m.group(1) if m else ""


def op_of(method, path, headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    if body[:200].find(b"Action=") >= 0:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    for m, pattern, name in REST_OPS:
        if m == method and pattern.match(path):
            return name
    return ""


def fault_response(service, op, kind):
    """(status, headers, body) of an error in the service's own protocol."""
    request_id = "fault-proxy-0000"
    throttle = kind == "throttle"
    if service in ("dynamodb", "tagging"):
        if throttle:
            code = "ThrottlingException" if service == "dynamodb" else "ThrottledException"
        else:
            code = "ResourceNotFoundException"
        body = json.dumps({"__type": f"com.amazonaws.{service}#{code}", "message": f"injected {kind}"})
        ctype = "application/x-amz-json-1.0" if service == "dynamodb" else "application/x-amz-json-1.1"
        return 400, {"Content-Type": ctype, "x-amzn-RequestId": request_id}, body.encode()
    if service == "ec2":
        if throttle:
            code, status = "RequestLimitExceeded", 503
        else:
            code = "InvalidInstanceID.NotFound" if "Instance" in op else "InvalidVolume.NotFound"
            status = 400
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>injected {kind}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    if service == "rds":
        if throttle:
            code, status = "Throttling", 400
        else:
            code, status = ("DBClusterNotFoundFault" if "Cluster" in op else "DBInstanceNotFound"), 404
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected {kind}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    if service == "elasticfilesystem":
        code, status = ("ThrottlingException", 429) if throttle else ("FileSystemNotFound", 404)
        body = json.dumps({"ErrorCode": code, "Message": f"injected {kind}"})
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body.encode()
    if service == "fsx":
        # FSx (JSON 1.1): Describe* answer FileSystemNotFound for an unknown id (botocore fsx 2018-03-01).
        code = "ThrottlingException" if throttle else "FileSystemNotFound"
        body = json.dumps({"__type": code, "Message": f"injected {kind}"})
        return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}, body.encode()
    return 400, {"Content-Type": "text/plain"}, f"injected {kind}".encode()


DENIED = {  # service -> (HTTP status, error code) of IAM's refusal in that service's protocol
    "dynamodb": (400, "AccessDeniedException"),
    "tagging": (400, "AccessDeniedException"),
    "ec2": (403, "UnauthorizedOperation"),
    "rds": (403, "AccessDenied"),
    "elasticfilesystem": (403, "AccessDeniedException"),
    "fsx": (400, "AccessDeniedException"),
    "backup": (403, "AccessDeniedException"),  # AWS Backup API reference, Common Errors
}


def deny_response(service, op, rule):
    """IAM's refusal of `op`, as AWS words it (IAM user guide, access denied error messages)."""
    status, code = DENIED.get(service, (403, "AccessDenied"))
    action = f"{service}:{op}"
    reason = ("with an explicit deny in a service control policy" if rule.get("scp")
              else f"because no identity-based policy allows the {action} action")
    message = (f"User: arn:aws:sts::000000000000:assumed-role/backfill/session is not authorized to perform: "
               f"{action} on resource: * {reason}")
    if service in ("dynamodb", "tagging"):
        prefix = "com.amazonaws.dynamodb.v20120810" if service == "dynamodb" else "com.amazonaws.tagging"
        body = json.dumps({"__type": f"{prefix}#{code}", "message": message}).encode()
        ctype = "application/x-amz-json-1.0" if service == "dynamodb" else "application/x-amz-json-1.1"
        return status, {"Content-Type": ctype}, body
    if service in ("elasticfilesystem", "backup"):
        body = json.dumps({"ErrorCode": code, "Message": message}).encode()
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body
    if service == "fsx":
        body = json.dumps({"__type": code, "Message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1"}, body
    if service == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
                f"<Message>{message}</Message></Error></Errors><RequestID>fault-proxy-deny</RequestID></Response>")
        return status, {"Content-Type": "text/xml"}, body.encode()
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>fault-proxy-deny</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, body.encode()
