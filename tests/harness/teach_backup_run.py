"""Tonight's backup: what AWS Backup's scheduled jobs would do, run on demand in the emulator.

POST /moto-api/superwerker/backup-run with a JSON body (every field optional):
  {"accounts": [...], "regions": [...], "resources": [ARN, ...], "except": [ARN, ...], "status": "COMPLETED",
   "hours_ago": 0}
For every account and region moto holds resources in, every rule of every account backup plan and of the
organization's effective backup policy (teach_organizations.py) backs up the resources its selections select, each
into a recovery point (teach_backup_points.py) in the rule's vault, with `status`, created `hours_ago` hours ago.
`resources` limits the run to those ARNs, `except` leaves those out (a test makes one resource's point PARTIAL). The answer lists what was backed
up and, for each resource a selection selected but no point was made, why.

Written from AWS's documentation, not from the audit's code (so the audit is checked against an independent reading):
- Selections (AWS Backup API reference, BackupSelection; developer guide, "Assign resources with AWS CLI"):
  `Resources` patterns and `ListOfTags` (StringEquals) select by OR, `Conditions` all must hold, `NotResources`
  excludes; `*` is zero or more non-whitespace characters; no `Resources`, `ListOfTags` nor `Conditions` selects
  every supported, opted-in resource. A selection with only `Conditions` or only `NotResources` has no documented
  rule: the emulator backs nothing up through it and says so. Policy selections (Organizations user guide, "Backup
  policy syntax"): `tags` need tag_key and one of tag_value; `resources` list `resource_types` and
  `not_resource_types`; `$account` in `iam_role_arn` is the account.
- A job is not started for a type whose region opt-in is off, unless a `Resources` pattern names the type ("it will be
  included in the backup regardless of the opt-in setting"; not for Aurora, RDS clusters and FSx, which share their
  ARN format); it fails when the rule's vault or the selection's role does not exist.
- AWS Backup backs up Aurora and Multi-AZ DB clusters as clusters; their member instances are not backed up alone.
Resources seen: EBS volumes, EC2 instances, DynamoDB tables, RDS instances and clusters, EFS file systems.
"""
import json
import re
import time

from moto.backup.models import backup_backends
from moto.dynamodb.models import dynamodb_backends
from moto.ec2.models import ec2_backends
from moto.efs.models import efs_backends
from moto.iam.models import iam_backends
from moto.moto_api._internal import mock_random
from moto.organizations.exceptions import AWSOrganizationsNotInUseException
from moto.moto_api._internal import urls as api_urls
from moto.rds.models import rds_backends

import teach_backup
import teach_backup_points
import teach_organizations


def _tags(pairs):
    return {t["Key"]: t["Value"] for t in pairs or []}


def inventory(account, region):
    """(arn, AWS Backup resource type, tags, why it cannot be backed up alone or None) of the region's resources."""
    out = []
    ec2 = ec2_backends[account][region]
    for vid in ec2.volumes:
        out.append((f"arn:aws:ec2:{region}:{account}:volume/{vid}", "EBS", dict(ec2.tags.get(vid, {})), None))
    for instance in ec2.all_instances():
        iid = instance.id
        out.append((f"arn:aws:ec2:{region}:{account}:instance/{iid}", "EC2", dict(ec2.tags.get(iid, {})), None))
    for table in dynamodb_backends[account][region].tables.values():
        out.append((table.table_arn, "DynamoDB", _tags(table.tags), None))
    rds = rds_backends[account][region]
    for db in rds.databases.values():
        member = "backed up with its DB cluster" if getattr(db, "db_cluster_identifier", None) else None
        out.append((db.arn, "RDS", _tags(db.tags), member))
    for cluster in rds.clusters.values():
        kind = "Aurora" if str(cluster.engine).startswith("aurora") else "RDS"
        out.append((cluster.arn, kind, _tags(cluster.tags), None))
    efs = efs_backends[account][region]
    for fs in efs.file_systems_by_id.values():
        out.append((fs.file_system_arn, "EFS", _tags(efs.list_tags_for_resource(fs.file_system_id)), None))
    return out


def glob(pattern, text):
    """`*` is zero or more non-whitespace characters."""
    return re.fullmatch("".join(r"\S*" if c == "*" else re.escape(c) for c in pattern), text) is not None


def shares_arn_format(arn):
    """Aurora and RDS clusters share `arn:aws:rds:…:cluster:…`, FSx file systems theirs ("Enable the respective
    opt-in settings", developer guide, assigning resources)."""
    return ":cluster:" in arn or arn.split(":")[2:3] == ["fsx"]


def names_type(pattern, arn):
    """Whether a `Resources` pattern names the resource's type (service and resource part both spelled out)."""
    parts = pattern.split(":", 5)
    if shares_arn_format(arn) or len(parts) < 6 or "*" in parts[2]:
        return False
    return not re.split("[/:]", parts[5])[0].startswith("*")


def _test(op, key, value, tags):
    have = tags.get(key)
    if op in ("StringEquals", "StringNotEquals"):
        return (have == value) == (op == "StringEquals")
    return (have is not None and glob(value, have)) == (op == "StringLike")


def selects(sel, arn, tags):
    """(selected, why not decided) for one selection in the plan form (BackupSelection)."""
    if any(glob(p, arn) for p in sel.get("NotResources") or []):
        return False, None
    resources, any_of = sel.get("Resources") or [], sel.get("ListOfTags") or []
    conditions = [(op, c["ConditionKey"].removeprefix("aws:ResourceTag/"), c["ConditionValue"])
                  for op, cs in (sel.get("Conditions") or {}).items() for c in cs]
    if not resources and not any_of:
        if conditions:
            return False, "a selection with only Conditions has no documented rule"
        if sel.get("NotResources"):
            return False, "a selection with only NotResources has no documented rule"
        return True, None
    chosen = any(glob(p, arn) for p in resources) or any(
        _test("StringEquals", t["ConditionKey"], t["ConditionValue"], tags) for t in any_of)
    return chosen and all(_test(op, k, v, tags) for op, k, v in conditions), None


def _plain(v):
    return v.get("@@assign", v) if isinstance(v, dict) else v


def policy_selections(account, region):
    """(plan id, rule vault names, role, selection in the plan form) of the effective policy's plans for the region."""
    try:
        found = teach_organizations.effective(account, "BACKUP_POLICY")
    except AWSOrganizationsNotInUseException:
        found = None
    out = []
    ops = {"string_equals": "StringEquals", "string_not_equals": "StringNotEquals", "string_like": "StringLike",
           "string_not_like": "StringNotLike"}
    for name, plan in (found or {}).get("plans", {}).items():
        if region not in (_plain(plan.get("regions")) or []):
            continue
        vaults = [_plain(r.get("target_backup_vault_name")) for r in (plan.get("rules") or {}).values()]
        for form, named in (plan.get("selections") or {}).items():
            for sel in named.values():
                role = str(_plain(sel.get("iam_role_arn"))).replace("$account", account)
                conditions = {ops[op]: [{"ConditionKey": c["condition_key"], "ConditionValue": c["condition_value"]}
                                        for c in cs.values()] for op, cs in (sel.get("conditions") or {}).items()}
                values = _plain(sel.get("tag_value")) or []
                values = [values] if isinstance(values, str) else values
                shape = {"Conditions": conditions,
                         "ListOfTags": [{"ConditionKey": _plain(sel.get("tag_key")), "ConditionValue": v}
                                        for v in values] if form == "tags" else [],
                         "Resources": _plain(sel.get("resource_types")) or [] if form == "resources" else [],
                         "NotResources": _plain(sel.get("not_resource_types")) or []}
                out.append((f"orgs/{name}", [v.replace("$account", account) for v in vaults if v], role, shape))
    return out


def plan_selections(account, region):
    backend = backup_backends[account][region]
    out = []
    for plan in backend.plans.values():
        if plan.deletion_date is not None:
            continue
        vaults = [r["TargetBackupVaultName"] for r in plan.backup_plan.get("Rules", [])]
        for s in teach_backup.selections_of(backend, plan.backup_plan_id):
            sel = s["BackupSelection"]
            out.append((plan.backup_plan_id, vaults, sel.get("IamRoleArn"), sel))
    return out


def _role_exists(account, arn):
    try:
        iam_backends[account]["aws"].get_role_by_arn(arn)
        return True
    except Exception:  # moto raises its own not-found error
        return False


def run(account, region, limit, status, created, leave=frozenset()):
    backend = backup_backends[account][region]
    settings = teach_backup_points.opt_in(backend)
    done, skipped = [], []
    selections = plan_selections(account, region) + policy_selections(account, region)
    for arn, rtype, tags, alone in inventory(account, region):
        if (limit and arn not in limit) or arn in leave:
            continue
        for plan_id, vaults, role, sel in selections:
            chosen, undecided = selects(sel, arn, tags)
            if undecided:
                skipped.append({"resource": arn, "reason": undecided})
            if not chosen:
                continue
            by_type = any(glob(p, arn) and names_type(p, arn) for p in sel.get("Resources") or [])
            why = (alone or (not settings.get(rtype, False) and not by_type and f"{rtype} is not opted in")
                   or (not _role_exists(account, role or "") and f"role {role} does not exist"))
            for vault in vaults:
                reason = why or (vault not in backend.vaults and f"vault {vault} does not exist")
                if reason:
                    skipped.append({"resource": arn, "reason": reason})
                    continue
                teach_backup_points.points(backend).append(_point(backend, arn, rtype, vault, plan_id, role, status,
                                                                  created))
                done.append(arn)
    return done, skipped


def _point(backend, arn, rtype, vault, plan_id, role, status, created):
    region, account = backend.region_name, backend.account_id
    return {"RecoveryPointArn": f"arn:aws:backup:{region}:{account}:recovery-point:{mock_random.uuid4()}",
            "BackupVaultName": vault, "BackupVaultArn": backend.vaults[vault].backup_vault_arn,
            "ResourceArn": arn, "ResourceType": rtype, "ResourceName": arn.rsplit("/", 1)[-1],
            "CreatedBy": {"BackupPlanId": plan_id}, "IamRoleArn": role, "Status": status,
            "CreationDate": created, "BackupSizeInBytes": 0, "IsEncrypted": False, "VaultType": "BACKUP_VAULT",
            **({} if status == "CREATING" else {"CompletionDate": created + 60})}


def _known(backends):
    return {(a, r) for a in list(backends.keys()) for r in list(backends[a].keys())}


def backup_run(request, full_url, headers):
    body = json.loads(request.get_data() or b"{}")
    where = _known(ec2_backends) | _known(dynamodb_backends) | _known(rds_backends) | _known(efs_backends)
    accounts, regions = body.get("accounts"), body.get("regions")
    created = time.time() - float(body.get("hours_ago", 0)) * 3600
    answer = {"backedUp": [], "skipped": []}
    for account, region in sorted(where):
        if (accounts and account not in accounts) or (regions and region not in regions) or region == "global":
            continue
        done, skipped = run(account, region, set(body.get("resources") or []), body.get("status", "COMPLETED"),
                            created, frozenset(body.get("except") or []))
        answer["backedUp"] += done
        answer["skipped"] += skipped
    return 200, {"Content-Type": "application/json"}, json.dumps(answer)


api_urls.url_paths["{0}/moto-api/superwerker/backup-run$"] = backup_run
