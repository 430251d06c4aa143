"""What the emulator launcher teaches moto's CloudFormation, on moto's own backends.

moto's CloudFormation creates only the resource types it implements and skips the others with a warning, and the
stack still completes: a template that relies on a skipped type "deploys" without it. The types our templates use and
moto skips are taught here, each backed by the service backend moto already has, so the resource really exists
afterwards and the tests read it back through the service's own API:

- AWS::Backup::BackupVault -> moto's Backup backend (CreateBackupVault); Ref is the vault name, GetAtt BackupVaultArn
  and BackupVaultName (CloudFormation resource reference, AWS::Backup::BackupVault, return values).
- AWS::Lambda::EventInvokeConfig -> moto's Lambda backend (PutFunctionEventInvokeConfig).
- AWS::SQS::QueuePolicy -> moto's SQS backend (SetQueueAttributes Policy on every queue URL in Queues).
- AWS::Events::EventBusPolicy -> moto's EventBridge backend (PutPermission with a policy holding the resource's
  Statement under its StatementId; CloudFormation resource reference, AWS::Events::EventBusPolicy).
- AWS::S3::BucketPolicy -> moto's S3 backend (PutBucketPolicy with the PolicyDocument). moto stores it and reads
  neither its conditions nor its principals other than "*" ("Basic policy enforcement", its put_bucket_policy): the
  tests read the policy back; they do not rely on moto enforcing it.

And two StackSets calls moto lacks (CloudFormation API reference, DescribeOrganizationsAccess and
ActivateOrganizationsAccess): trusted access with AWS Organizations, per calling account, off until activated. As
AWS documents ("activate trusted access ... before you can create service-managed stack sets", StackSets user guide,
stacksets-orgs-activate-trusted-access), CreateStackSet with PermissionModel SERVICE_MANAGED is refused while it is
off.

Four template-reading fixes, to what the CloudFormation user guide defines:
- `!Ref AWS::NoValue` as an element of a list removes the element (pseudo parameters reference, AWS::NoValue: "removes
  the corresponding resource property when specified as a return value in the Fn::If intrinsic function"); moto left a
  null in the list.
- `Ref` of an AWS::Events::EventBus is the bus's name (CloudFormation resource reference, AWS::Events::EventBus,
  return values); moto's EventBus model has no physical resource id, so its Ref gave the model object itself.
- the short form `!Condition Name` inside a condition is `{"Condition": "Name"}` (intrinsic function reference,
  Condition functions); moto read it as `{"Fn::Condition": ...}`, which no condition handles, so every condition
  built with it was false.
- DescribeStacks answers a CommaDelimitedList parameter's value as the comma-separated string it was given; moto
  answered Python's repr of the split list ("['a', 'b']").

Types our templates use that stay untaught are listed, with the reason, in tests/infra/test_deploy.py.
"""
import json
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.backup.models import backup_backends
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation import utils as cfn_utils
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult, EmptyResult
from moto.events.models import EventBus, events_backends
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends
from moto.utilities.utils import get_partition


class BackupVaultResource(CloudFormationModel):
    # moto files every model under the service named by its module (InstanceTrackerMeta).
    __module__ = "moto.backup.taught"

    def __init__(self, vault: Any):
        self.vault = vault

    @property
    def physical_resource_id(self) -> str:
        return self.vault.backup_vault_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "BackupVaultName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Backup::BackupVault"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("BackupVaultArn", "BackupVaultName")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "BackupVaultArn":
            return self.vault.backup_vault_arn
        return self.vault.backup_vault_name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        name = props.get("BackupVaultName", resource_name)
        backend = backup_backends[account_id][region_name]
        vault = backend.create_backup_vault(
            backup_vault_name=name,
            backup_vault_tags=props.get("BackupVaultTags") or {},
            encryption_key_arn=props.get("EncryptionKeyArn"),
            creator_request_id=None,
        )
        return cls(vault)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        backup_backends[account_id][region_name].vaults.pop(resource_name, None)


class EventInvokeConfigResource(CloudFormationModel):
    __module__ = "moto.awslambda.taught"

    def __init__(self, function_name: str):
        self.function_name = function_name

    @property
    def physical_resource_id(self) -> str:
        return f"{self.function_name}/$LATEST"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        config = {k: props[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
                  if k in props}
        lambda_backends[account_id][region_name].put_function_event_invoke_config(props["FunctionName"], config)
        return cls(props["FunctionName"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


class QueuePolicyResource(CloudFormationModel):
    __module__ = "moto.sqs.taught"

    def __init__(self, queues: list):
        self.queues = queues

    @property
    def physical_resource_id(self) -> str:
        return ",".join(self.queues)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = sqs_backends[account_id][region_name]
        document = props["PolicyDocument"]
        for url in props["Queues"]:
            backend.set_queue_attributes(url.rstrip("/").rsplit("/", 1)[-1], {"Policy": json.dumps(document)})
        return cls(list(props["Queues"]))

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


class EventBusPolicyResource(CloudFormationModel):
    __module__ = "moto.events.taught"

    def __init__(self, bus: str, statement_id: str):
        self.bus, self.statement_id = bus, statement_id

    @property
    def physical_resource_id(self) -> str:
        return f"{self.bus}|{self.statement_id}"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Events::EventBusPolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        bus = props.get("EventBusName") or "default"
        statement = dict(props["Statement"], Sid=props["StatementId"])
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        events_backends[account_id][region_name].put_permission(bus, None, None, None, None, policy)
        return cls(bus, props["StatementId"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


class BucketPolicyResource(CloudFormationModel):
    __module__ = "moto.s3.taught"

    def __init__(self, bucket: str):
        self.bucket = bucket

    @property
    def physical_resource_id(self) -> str:
        return self.bucket

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_policy(props["Bucket"], json.dumps(props["PolicyDocument"]).encode())
        return cls(props["Bucket"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


TAUGHT_TYPES = [BackupVaultResource, EventInvokeConfigResource, QueuePolicyResource, EventBusPolicyResource,
                BucketPolicyResource]

def _access_holder(account_id):
    """Where the calling account's trusted-access status lives: an attribute of its CloudFormation backend, so that
    moto's reset clears it with everything else."""
    return cloudformation_backends[account_id]["us-east-1"]


def access_status(account_id):
    """ENABLED | DISABLED (DescribeOrganizationsAccess's Status enum also has DISABLED_PERMANENTLY)."""
    return getattr(_access_holder(account_id), "stacksets_organizations_access", "DISABLED")


def _describe_organizations_access(self):
    return ActionResult({"Status": access_status(self.current_account)})


def _activate_organizations_access(self):
    _access_holder(self.current_account).stacksets_organizations_access = "ENABLED"
    return EmptyResult()


_create_stack_set = CloudFormationResponse.create_stack_set


def _create_stack_set_with_trusted_access(self):
    if self._get_param("PermissionModel") == "SERVICE_MANAGED" and access_status(self.current_account) != "ENABLED":
        raise ValidationError(
            message="You must enable organizations access to operate a service managed stack set"
        )
    return _create_stack_set(self)


CloudFormationResponse.describe_organizations_access = _describe_organizations_access
CloudFormationResponse.activate_organizations_access = _activate_organizations_access
CloudFormationResponse.create_stack_set = _create_stack_set_with_trusted_access


_yaml_tag_constructor = cfn_utils.yaml_tag_constructor


def yaml_tag_constructor(loader, tag, node):
    if tag == "!Condition":
        return {"Condition": loader.construct_scalar(node)}
    return _yaml_tag_constructor(loader, tag, node)


for _module in (cfn_utils, cfn_models, cfn_responses):
    _module.yaml_tag_constructor = yaml_tag_constructor


def _parameter_list(self):
    listed = []
    for key, value in self.resource_map.resolved_parameters.items():
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if key in self.resource_map.no_echo_parameter_keys:
            value = "****"
        listed.append({"ParameterKey": key, "ParameterValue": value})
    return listed


cfn_models.Stack.parameter_list = property(_parameter_list)

EventBus.physical_resource_id = property(lambda self: self.name)

_clean_json = cfn_parsing.clean_json


def _clean_json_without_novalue_elements(resource_json, resources_map):
    if isinstance(resource_json, list):
        cleaned = [_clean_json_without_novalue_elements(v, resources_map) for v in resource_json]
        # Only what a function resolved to nothing goes: a literal null in a template stays.
        return [c for c, raw in zip(cleaned, resource_json) if not (c is None and isinstance(raw, dict))]
    return _clean_json(resource_json, resources_map)


cfn_parsing.clean_json = _clean_json_without_novalue_elements
