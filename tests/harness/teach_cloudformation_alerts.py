"""The alert resources of infra/template.yaml that moto 5.2's CloudFormation lacks, taught on moto's own backends:

- AWS::SNS::TopicPolicy -> SetTopicAttributes Policy on every topic in Topics (Ref is an id; no attributes).
- AWS::SNS::Subscription -> Subscribe (TopicArn, Protocol, Endpoint); Ref is the subscription ARN.
- AWS::CloudWatch::Alarm -> PutMetricAlarm with the template's properties (CloudFormation resource reference,
  AWS::CloudWatch::Alarm); Ref is the alarm name. moto stores the alarm; it never evaluates it nor runs its actions,
  so the alarms' behaviour is checked from the template (tests/infra/test_alerts.py), their existence after a deploy
  here.
"""
import json
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.sns.models import sns_backends


class _Taught:
    """What the three have in common (a mixin: moto finds resource types among CloudFormationModel's direct
    subclasses only)."""

    def __init__(self, physical_id: str):
        self.physical_id = physical_id

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    CFN_TYPE = ""

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.CFN_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                        region_name):
        cls.delete_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


class TopicPolicyResource(_Taught, CloudFormationModel):
    __module__ = "moto.sns.taught"
    CFN_TYPE = "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        for arn in props["Topics"]:
            backend.set_topic_attribute(arn, "policy", json.dumps(props["PolicyDocument"]))
        return cls(",".join(props["Topics"]))


class SubscriptionResource(_Taught, CloudFormationModel):
    __module__ = "moto.sns.taught"
    CFN_TYPE = "AWS::SNS::Subscription"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        sub = sns_backends[account_id][region_name].subscribe(props["TopicArn"], props["Endpoint"], props["Protocol"])
        return cls(sub.arn)


class AlarmResource(_Taught, CloudFormationModel):
    __module__ = "moto.cloudwatch.taught"
    CFN_TYPE = "AWS::CloudWatch::Alarm"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p: dict[str, Any] = cloudformation_json["Properties"]
        name = p.get("AlarmName") or resource_name
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name, namespace=p.get("Namespace"), metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"], evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p.get("Period", 60)), threshold=float(p.get("Threshold", 0)), statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"), dimensions=[{"Name": d["Name"], "Value": d["Value"]}
                                                                for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []), ok_actions=p.get("OKActions", []),
            treat_missing_data=p.get("TreatMissingData"))
        return cls(name)
