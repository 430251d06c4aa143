"""AWS Backup's region settings, recovery points and protected resources, which moto 5.2 lacks, kept to the AWS Backup
API reference (request paths and answer shapes from botocore's backup-2018-11-15 model):

- DescribeRegionSettings (GET /account-settings): ResourceTypeOptInPreference {type: bool} and
  ResourceTypeManagementPreference. AWS's initial settings differ by type and by when the account was created and are
  not documented as one list, so the emulator starts every type listed in TYPES opted in; tests and the demo turn
  types off with UpdateRegionSettings, as a user would.
- UpdateRegionSettings (PUT /account-settings): changes only the types the map names.
- ListRecoveryPointsByBackupVault (GET /backup-vaults/{name}/recovery-points/): RecoveryPoints of
  RecoveryPointByBackupVault, filtered by the query's resourceArn, resourceType, backupPlanId, createdAfter,
  createdBefore (ByResourceArn … ByCreatedBefore in the SDKs); paged by maxResults/nextToken; an unknown vault is ResourceNotFoundException.
- ListRecoveryPointsByResource (GET /resources/{resourceArn}/recovery-points/): RecoveryPoints of
  RecoveryPointByResource, paged.
- ListProtectedResources (GET /resources/): Results of ProtectedResource {ResourceArn, ResourceType, LastBackupTime,
  LastBackupVaultArn, LastRecoveryPointArn, ResourceName}, paged.
Recovery points are made by "tonight's backup" (teach_backup_run.py), the way AWS Backup's jobs make them.
"""
import json
from urllib.parse import unquote

from moto.backup import urls
from moto.backup.exceptions import ResourceNotFoundException
from moto.backup.responses import BackupResponse
from moto.core.exceptions import JsonRESTError

from teach_backup import answer, page_of

# The resource types of DescribeRegionSettings (AWS Backup developer guide, "Feature availability by resource").
TYPES = ("Aurora", "CloudFormation", "DocumentDB", "DSQL", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS",
         "Redshift", "Redshift Serverless", "S3", "SAP HANA on Amazon EC2", "Storage Gateway", "Timestream",
         "VirtualMachine")


def opt_in(backend):
    """The region's opt-in per type, held on moto's backend so that moto's reset clears it."""
    if not hasattr(backend, "taught_opt_in"):
        backend.taught_opt_in = {t: True for t in TYPES}
    return backend.taught_opt_in


def points(backend):
    """The region's recovery points, oldest first."""
    if not hasattr(backend, "taught_points"):
        backend.taught_points = []
    return backend.taught_points


def describe_region_settings(self):
    return json.dumps({"ResourceTypeOptInPreference": opt_in(self.backup_backend),
                       "ResourceTypeManagementPreference": {"DynamoDB": False, "EFS": False}})


def update_region_settings(self):
    body = json.loads(self.body or "{}")
    changes = body.get("ResourceTypeOptInPreference") or {}
    unknown = sorted(set(changes) - set(TYPES))
    if unknown:
        raise JsonRESTError("InvalidParameterValueException", f"Unsupported resource types: {', '.join(unknown)}")
    opt_in(self.backup_backend).update({k: bool(v) for k, v in changes.items()})
    return "{}"


def _segment(path, after, before):
    """The path segment between `/after/` and `/before` (an ARN may hold slashes, encoded or not)."""
    raw = unquote(path.split("?")[0])
    return raw.split(f"/{after}/", 1)[1].rsplit(f"/{before}", 1)[0]


def list_recovery_points_by_backup_vault(self):
    name = _segment(self.path, "backup-vaults", "recovery-points")
    backend = self.backup_backend
    if name not in backend.vaults:
        raise ResourceNotFoundException(msg=f"Backup vault {name} does not exist")
    params = self._get_params()
    after, before = params.get("createdAfter"), params.get("createdBefore")
    tests = [
        lambda p: p["BackupVaultName"] == name,
        lambda p: not params.get("resourceArn") or p["ResourceArn"] == params["resourceArn"],
        lambda p: not params.get("resourceType") or p["ResourceType"] == params["resourceType"],
        lambda p: not params.get("backupPlanId") or p["CreatedBy"].get("BackupPlanId") == params["backupPlanId"],
        lambda p: not after or p["CreationDate"] >= _epoch(after),
        lambda p: not before or p["CreationDate"] <= _epoch(before),
    ]
    chosen = [p for p in points(backend) if all(t(p) for t in tests)]
    page, token = page_of(self, chosen)
    return answer("RecoveryPoints", page, token)


def _epoch(value):
    """Query timestamps: epoch seconds or ISO 8601 (the SDKs send ISO 8601 for query strings)."""
    try:
        return float(value)
    except ValueError:
        from datetime import datetime
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


BY_RESOURCE = ("RecoveryPointArn", "CreationDate", "Status", "StatusMessage", "BackupSizeBytes", "BackupVaultName",
               "IsParent", "ResourceName", "VaultType")


def list_recovery_points_by_resource(self):
    arn = _segment(self.path, "resources", "recovery-points")
    # RecoveryPointByResource names the size BackupSizeBytes (RecoveryPointByBackupVault: BackupSizeInBytes).
    chosen = [dict({k: p[k] for k in BY_RESOURCE if k in p}, BackupSizeBytes=p.get("BackupSizeInBytes", 0))
              for p in points(self.backup_backend) if p["ResourceArn"] == arn]
    page, token = page_of(self, chosen)
    return answer("RecoveryPoints", page, token)


def list_protected_resources(self):
    newest = {}
    for p in points(self.backup_backend):
        newest[p["ResourceArn"]] = p
    results = [{"ResourceArn": arn, "ResourceType": p["ResourceType"], "LastBackupTime": p["CreationDate"],
                "LastBackupVaultArn": p["BackupVaultArn"], "LastRecoveryPointArn": p["RecoveryPointArn"],
                "ResourceName": p.get("ResourceName", "")} for arn, p in newest.items()]
    page, token = page_of(self, results)
    return answer("Results", page, token)


for _fn in (describe_region_settings, update_region_settings, list_recovery_points_by_backup_vault,
            list_recovery_points_by_resource, list_protected_resources):
    setattr(BackupResponse, _fn.__name__, _fn)

# moto routes by these patterns before it picks the operation from botocore's model (method and URI).
urls.url_paths.update({
    "{0}/account-settings$": urls.response.dispatch,
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/?$": urls.response.dispatch,
    "{0}/resources/?$": urls.response.dispatch,
    "{0}/resources/(?P<resource_arn>.+)/recovery-points/?$": urls.response.dispatch,
})
