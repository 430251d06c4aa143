"""`make deploy-organization`: the per-account template as a service-managed StackSet with automatic deployment to
the chosen OUs and regions (accounts that join those OUs later get it too), plus the management account's own stack.

Service-managed StackSets never deploy to the management account, hence its own stack (stacks.py). A delegated
StackSets administrator calls with CallAs=DELEGATED_ADMIN (CloudFormation API reference, CreateStackSet, CallAs); it
cannot deploy the management account's stack, which the management account then deploys with `make deploy`.

Central alerts (ALERTS=central, the default; README, Alerts): the management account's home-region stack receives the
organization's alerts (AlertOrganizationId); every other stack, members' and the management account's other regions',
forwards to its bus and sends its digest to its topic. Both names are fixed by the template (<NamePrefix>-alerts), so
their ARNs are known before the stack exists; the home stack is deployed first all the same, so that nothing is
forwarded to a bus not there yet.
"""
import time

from botocore.exceptions import ClientError

from common import DeployError, account_id, client, error_code, load_manifest, say
from stacks import (CAPABILITIES, central_names, check_artifacts, deploy_stack, reports_bucket_name, stack_parameters,
                    template_url)

PREFERENCES = {"RegionConcurrencyType": "PARALLEL", "FailureTolerancePercentage": 10, "MaxConcurrentPercentage": 25}
DONE = ("SUCCEEDED", "FAILED", "STOPPED")


def ensure_trusted_access(cfn, call_as):
    """Trusted access between StackSets and Organizations must be on before a service-managed StackSet exists
    (CloudFormation API reference, ActivateOrganizationsAccess / DescribeOrganizationsAccess)."""
    status = cfn.describe_organizations_access(CallAs=call_as)["Status"]
    if status == "ENABLED":
        return "on"
    if call_as != "SELF":
        raise DeployError("trusted access for StackSets is off: the management account must activate it "
                          "(CloudFormation console, StackSets, or `aws cloudformation activate-organizations-access`)")
    cfn.activate_organizations_access()
    return "activated"


def accounts_in(org, parent):
    """Active accounts below `parent` (an OU or root id), at any depth: StackSets deploy to nested OUs too."""
    found = set()
    for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
        found |= {a["Id"] for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"}
    for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
        for ou in page["OrganizationalUnits"]:
            found |= accounts_in(org, ou["Id"])
    return found


def wait_operation(cfn, name, operation_id, call_as):
    while True:
        op = cfn.describe_stack_set_operation(StackSetName=name, OperationId=operation_id, CallAs=call_as)
        status = op["StackSetOperation"]["Status"]
        if status in DONE:
            break
        time.sleep(5)
    if status != "SUCCEEDED":
        results = cfn.list_stack_set_operation_results(StackSetName=name, OperationId=operation_id, CallAs=call_as)
        lines = [f"  {r['Account']} {r['Region']}: {r.get('Status')} {r.get('StatusReason', '')}"
                 for r in results.get("Summaries", []) if r.get("Status") != "SUCCEEDED"]
        raise DeployError(f"StackSet {name} operation {operation_id} {status}\n" + "\n".join(lines))


def ensure_stack_set(cfn, name, url, body, params, call_as):
    listed = [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(params.items())]
    try:
        current = cfn.describe_stack_set(StackSetName=name, CallAs=call_as)["StackSet"]
    except ClientError as e:
        if error_code(e) != "StackSetNotFoundException":
            raise
        current = None
    if current is None:
        cfn.create_stack_set(
            StackSetName=name,
            Description="superwerker-backup per-account stack (tagger, sweep, vault, backup service role)",
            TemplateURL=url,
            Parameters=listed,
            Capabilities=CAPABILITIES,
            PermissionModel="SERVICE_MANAGED",
            AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
            ManagedExecution={"Active": True},
            CallAs=call_as,
        )
        return "created"
    values = {p["ParameterKey"]: p.get("ParameterValue") for p in current.get("Parameters", [])}
    if (current.get("TemplateBody") or "").strip() == body.strip() and all(values.get(k) == v for k, v in params.items()):
        return "up to date"
    op = cfn.update_stack_set(
        StackSetName=name, TemplateURL=url, Parameters=listed, Capabilities=CAPABILITIES,
        OperationPreferences=PREFERENCES, CallAs=call_as,
    )
    wait_operation(cfn, name, op["OperationId"], call_as)
    return "updated"


def ensure_instances(cfn, org, name, ou_ids, regions, call_as):
    """Stack instances for every account of the OUs in every region; only the missing regions are requested."""
    expected = set()
    for ou in ou_ids:
        expected |= accounts_in(org, ou)
    existing = set()
    for page in cfn.get_paginator("list_stack_instances").paginate(StackSetName=name, CallAs=call_as):
        existing |= {(s["Account"], s["Region"]) for s in page["Summaries"]}
    missing = [r for r in regions if any((a, r) not in existing for a in expected)]
    if not missing:
        return f"{len(expected)} accounts x {len(regions)} regions, all present"
    op = cfn.create_stack_instances(
        StackSetName=name, DeploymentTargets={"OrganizationalUnitIds": ou_ids}, Regions=missing,
        OperationPreferences=PREFERENCES, CallAs=call_as,
    )
    wait_operation(cfn, name, op["OperationId"], call_as)
    return f"{len(expected)} accounts x {len(regions)} regions; created in {', '.join(missing)}"


def central_alerts(org, home, options):
    """(receiving, forwarding): the parameters of the stack that receives the organization's alerts, and of every
    other stack."""
    organization = org.describe_organization()["Organization"]
    bus, topic = central_names(options, home, organization["MasterAccountId"])
    return {"AlertOrganizationId": organization["Id"]}, {"CentralAlertBusArn": bus, "AlertTopicArn": topic}


def per_account_alerts(options):
    """(receiving, forwarding) for ALERTS=account: the central parameters given as empty, so that a deployment that had
    central alerts really changes back (an omitted parameter would leave the stacks as they are)."""
    own = {"CentralAlertBusArn": "", "AlertOrganizationId": "", "AlertTopicArn": options.get("AlertTopicArn") or ""}
    return own, own


def tell_alert_change(cfn, name, call_as, forwarding):
    """Says so when this run changes the StackSet's alerts between per-account and central."""
    try:
        current = cfn.describe_stack_set(StackSetName=name, CallAs=call_as)["StackSet"]
    except ClientError:
        return
    before = {p["ParameterKey"]: p.get("ParameterValue") for p in current.get("Parameters", [])}.get(
        "CentralAlertBusArn") or ""
    after = forwarding.get("CentralAlertBusArn", "")
    if before == after:
        return
    if after:
        say(f"alerts change to central ({after}): each member stack's own topic, and every subscription to it, is "
            "deleted; subscribe to the central topic instead (README, Alerts)")
    else:
        say("alerts change to per account: each member stack creates its own topic again, without subscriptions")


def management_deploy_command(regions, alert_organization_id, report_organization_id):
    """What a delegated administrator's deploy tells the management account to run for its own stacks (its home
    region, the first, keeps the reports bucket and, with central alerts, receives them); tests/infra runs it."""
    alerts = f"--alert-organization-id {alert_organization_id} " if alert_organization_id else ""
    return (f"make deploy REGIONS={','.join(regions)} "
            f"DEPLOY_ARGS='{alerts}--report-organization-id {report_organization_id}'")


def deploy_organization(dist, prefix, regions, ou_ids, stack_set_name, stack_name, call_as, options, bootstrap,
                        alerts="central"):
    manifest = load_manifest(dist)
    home = regions[0]
    for region in regions:
        check_artifacts(prefix, region, manifest)
    cfn = client("cloudformation", home)
    org = client("organizations", home)
    say(f"trusted access for StackSets: {ensure_trusted_access(cfn, call_as)}")
    central = alerts == "central"
    receiving, forwarding = central_alerts(org, home, options) if central else per_account_alerts(options)
    if central:
        say(f"alerts: central, to {forwarding['CentralAlertBusArn']} and {forwarding['AlertTopicArn']}")
    # The reports bucket (README, Organization), whatever the alerts: the home stack creates it, every sweep writes.
    organization = org.describe_organization()["Organization"]
    bucket = reports_bucket_name(options, organization["MasterAccountId"], home)
    owner = organization["MasterAccountId"]
    receiving = dict(receiving, ReportOrganizationId=organization["Id"], ReportsBucket=bucket, ReportsBucketOwner=owner)
    forwarding = dict(forwarding, ReportOrganizationId="", ReportsBucket=bucket, ReportsBucketOwner=owner)
    say(f"reports: s3://{bucket} in {home} (superwerker-backup audit --organization --from-reports)")
    tell_alert_change(cfn, stack_set_name, call_as, forwarding)
    own = {region: stack_parameters(manifest, prefix, home, dict(options, DeployBootstrap=bootstrap,
                                                                 **(receiving if region == home else forwarding)))
           for region in regions}
    if call_as == "SELF":
        say(f"{home}: management account stack {stack_name} "
            f"{deploy_stack(dist, manifest, prefix, home, stack_name, own[home])} (it keeps the reports bucket"
            f"{' and receives the alerts' if central else ''})")
    # The read-only role `audit --organization` enters (README, Organization): trusting the management account, and
    # the delegated administrator this runs as.
    trusted = {organization["MasterAccountId"]}
    if call_as != "SELF":
        trusted.add(account_id())
    params = stack_parameters(manifest, prefix, home, dict(options, DeployBootstrap="false",
                                                           AuditFromAccounts=",".join(sorted(trusted)), **forwarding))
    body = (dist / manifest["templates"]["template.yaml"]["file"]).read_text()
    url = template_url(prefix, home, manifest)
    say(f"StackSet {stack_set_name}: {ensure_stack_set(cfn, stack_set_name, url, body, params, call_as)}")
    say(f"StackSet {stack_set_name} instances: {ensure_instances(cfn, org, stack_set_name, ou_ids, regions, call_as)}")
    if call_as != "SELF":
        command = management_deploy_command(regions, receiving["AlertOrganizationId"] if central else None,
                                            organization["Id"])
        say("the management account's own stacks: deploy them with management-account credentials: "
            f"`{command}` (the home region {home} first: it keeps the reports "
            "bucket and receives the alerts, the other regions forward to it); until then the members' forwarded "
            "alerts wait in their dead-letter queues and their sweeps fail to write their summaries")
        return
    for region in regions:
        say(f"{region}: management account stack {stack_name} "
            f"{deploy_stack(dist, manifest, prefix, region, stack_name, own[region])}")
