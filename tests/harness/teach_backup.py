"""AWS Backup calls moto 5.2 lacks, taught on moto's own Backup backend and kept to the AWS Backup API reference.

- CreateBackupSelection (PUT /backup/plans/{backupPlanId}/selections/): BackupSelection as given; answers SelectionId,
  BackupPlanId, CreationDate. Refused with ResourceNotFoundException for an unknown plan; AWS generates the id.
- ListBackupSelections (GET .../selections/): BackupSelectionsList of {SelectionId, SelectionName, BackupPlanId,
  CreationDate, CreatorRequestId, IamRoleArn}, paged by maxResults/nextToken.
- GetBackupSelection (GET .../selections/{selectionId}): BackupSelection, SelectionId, BackupPlanId, CreationDate,
  CreatorRequestId.
- DeleteBackupSelection (DELETE .../selections/{selectionId}).
- UpdateBackupPlan (POST /backup/plans/{backupPlanId}): replaces the plan's rules; answers BackupPlanId,
  BackupPlanArn, CreationDate, VersionId (a new one).
moto routes these paths already (its /backup/plans/... pattern); the response class gains the methods.
"""
import json
from urllib.parse import unquote

from moto.backup.exceptions import ResourceNotFoundException
from moto.backup.responses import BackupResponse
from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random


def _selections(backend):
    """Selections by plan id, held on moto's backend so that moto's reset clears them."""
    if not hasattr(backend, "taught_selections"):
        backend.taught_selections = {}
    return backend.taught_selections


def selections_of(backend, plan_id):
    """The plan's selections, as CreateBackupSelection stored them."""
    return list(_selections(backend).get(plan_id, []))


def _plan(backend, plan_id):
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(msg=f"Failed reading Backup plan with provided version (id {plan_id})")
    return plan


def _path_ids(path):
    """(plan id, selection id or None) from /backup/plans/{plan}/selections/[{selection}]."""
    parts = [unquote(p) for p in path.split("?")[0].strip("/").split("/")]
    plan_id = parts[2]
    selection_id = parts[4] if len(parts) > 4 and parts[4] else None
    return plan_id, selection_id


def create_backup_selection(self):
    plan_id, _ = _path_ids(self.path)
    backend = self.backup_backend
    _plan(backend, plan_id)
    params = json.loads(self.body or "{}")
    selection = {
        "SelectionId": str(mock_random.uuid4()),
        "BackupPlanId": plan_id,
        "BackupSelection": params["BackupSelection"],
        "CreationDate": unix_time(),
        "CreatorRequestId": params.get("CreatorRequestId"),
    }
    _selections(backend).setdefault(plan_id, []).append(selection)
    return json.dumps({k: selection[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})


def page_of(response, items):
    """(this page of `items`, the next token or None), paged by the request's maxResults/nextToken."""
    params = response._get_params()
    start = int(params.get("nextToken") or 0)
    size = int(params.get("maxResults") or 1000)
    return items[start:start + size], (str(start + size) if start + size < len(items) else None)


def answer(key, page, token):
    """A list answer: `key` holding the page, NextToken when there is more."""
    out = {key: page}
    if token:
        out["NextToken"] = token
    return json.dumps(out)


def list_backup_selections(self):
    plan_id, _ = _path_ids(self.path)
    backend = self.backup_backend
    _plan(backend, plan_id)
    page, token = page_of(self, _selections(backend).get(plan_id, []))
    return answer("BackupSelectionsList", [
        {
            "SelectionId": s["SelectionId"],
            "SelectionName": s["BackupSelection"].get("SelectionName"),
            "BackupPlanId": plan_id,
            "CreationDate": s["CreationDate"],
            "CreatorRequestId": s["CreatorRequestId"],
            "IamRoleArn": s["BackupSelection"].get("IamRoleArn"),
        }
        for s in page
    ], token)


def _find(backend, plan_id, selection_id):
    for s in _selections(backend).get(plan_id, []):
        if s["SelectionId"] == selection_id:
            return s
    raise ResourceNotFoundException(msg=f"Cannot find Backup selection {selection_id} in plan {plan_id}")


def get_backup_selection(self):
    plan_id, selection_id = _path_ids(self.path)
    s = _find(self.backup_backend, plan_id, selection_id)
    return json.dumps(
        {k: s[k] for k in ("BackupSelection", "SelectionId", "BackupPlanId", "CreationDate", "CreatorRequestId")}
    )


def delete_backup_selection(self):
    plan_id, selection_id = _path_ids(self.path)
    backend = self.backup_backend
    s = _find(backend, plan_id, selection_id)
    _selections(backend)[plan_id].remove(s)
    return "{}"


def update_backup_plan(self):
    plan_id = unquote(self.path.split("?")[0].rstrip("/").split("/")[-1])
    plan = _plan(self.backup_backend, plan_id)
    body = json.loads(self.body or "{}")
    fresh = type(plan)(backup_plan=body["BackupPlan"], creator_request_id=plan.creator_request_id,
                       backend=self.backup_backend)
    plan.backup_plan = fresh.backup_plan
    plan.version_id = fresh.version_id
    return json.dumps({"BackupPlanId": plan.backup_plan_id, "BackupPlanArn": plan.backup_plan_arn,
                       "CreationDate": plan.creation_date, "VersionId": plan.version_id})


for _name, _fn in list(globals().items()):
    if _name in ("create_backup_selection", "list_backup_selections", "get_backup_selection",
                 "delete_backup_selection", "update_backup_plan"):
        setattr(BackupResponse, _name, _fn)
