"""Organizations' DescribeEffectivePolicy for BACKUP_POLICY, which moto 5.2 lacks, taught on moto's own backend.

AWS Organizations API reference, DescribeEffectivePolicy: "Returns the contents of the effective policy for
specified policy type and account. The effective policy is the aggregation of any policies of the specified type that
the account inherits, plus any policy of that type that is directly attached to the account." TargetId is optional
("If you don't specify a target, the default is the account that you are signed in with"); the answer is
EffectivePolicy {PolicyContent, LastUpdatedTimestamp, TargetId, PolicyType}; with no policy of that type the error
is EffectivePolicyNotFoundException, and an account in no organization gets AWSOrganizationsNotInUseException.

Aggregation (Organizations user guide, "Understanding management policy inheritance"): policies are applied from the
root down through the OUs to the account, a child's `@@assign` replacing what its parents set at the same place, and
the effective policy is shown without the inheritance operators. This emulator implements `@@assign` and drops the
`@@operators_allowed_for_child_policies` controls; `@@append` and `@@remove` are refused with an error naming them
(none of our tests or documents use them), never merged by a guess.
"""
import json

from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.organizations.exceptions import AWSOrganizationsNotInUseException
from moto.organizations.models import organizations_backends
from moto.organizations.responses import OrganizationsResponse


class EffectivePolicyNotFoundException(JsonRESTError):
    def __init__(self):
        super().__init__("EffectivePolicyNotFoundException",
                         "We can't find an effective policy of the specified type for the target.")


class NotTaught(JsonRESTError):
    def __init__(self, what):
        super().__init__("NotImplemented", f"the emulator does not aggregate {what} (teach_organizations.py)")


def _organization(backend):
    """The backend that holds the caller's organization: its own, or its management account's."""
    if backend.org is not None:
        return backend
    found = organizations_backends.master_accounts.get(backend.account_id)
    if found is None:
        raise AWSOrganizationsNotInUseException
    master, partition = found
    return organizations_backends[master][partition]


def _chain(org, target_id):
    """The root, the OUs from the root down, and the account itself: where policies apply to `target_id`."""
    account = next((a for a in org.accounts if a.id == target_id), None)
    if account is None:
        raise JsonRESTError("TargetNotFoundException", "You specified a target that doesn't exist.")
    chain = [account]
    parent = account.parent_id
    while parent:
        node = next((ou for ou in org.ou if ou.id == parent), None)
        if node is None:
            break
        chain.append(node)
        parent = getattr(node, "parent_id", None)
    return list(reversed(chain))


def _merge(into, policy):
    """Applies one policy document onto the aggregate: `@@assign` replaces, nested keys recurse."""
    for key, value in policy.items():
        if key == "@@operators_allowed_for_child_policies":
            continue
        if key in ("@@append", "@@remove"):
            raise NotTaught(key)
        if isinstance(value, dict) and "@@assign" in value:
            into[key] = value["@@assign"]
        elif isinstance(value, dict):
            below = into.get(key) if isinstance(into.get(key), dict) else {}
            into[key] = _merge(dict(below), value)
        else:
            into[key] = value
    return into


def effective(account, policy_type, target=None):
    """The effective policy of `policy_type` for `target` (default: `account`) as a dict; None when none applies.
    Raises AWSOrganizationsNotInUseException when `account` is in no organization."""
    org = _organization(organizations_backends[account]["aws"])
    merged, found = {}, False
    for node in _chain(org, target or account):
        for policy in node.attached_policies:
            if policy.type == policy_type:
                found = True
                _merge(merged, json.loads(policy.content))
    return merged if found else None


def describe_effective_policy(self):
    params = json.loads(self.body or "{}")
    policy_type = params.get("PolicyType")
    target = params.get("TargetId") or self.current_account
    found = effective(self.current_account, policy_type, target)
    if found is None:
        raise EffectivePolicyNotFoundException()
    return json.dumps({"EffectivePolicy": {
        "PolicyContent": json.dumps(found),
        "LastUpdatedTimestamp": unix_time(),
        "TargetId": target,
        "PolicyType": policy_type,
    }})


OrganizationsResponse.describe_effective_policy = describe_effective_policy
