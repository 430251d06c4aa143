"""`make deploy`: the per-account stack (infra/template.yaml) in every listed region of this account.

The first region is the home region: its stack creates the account's global resources (the AWS Backup service role)
and, with BOOTSTRAP=true, runs the bootstrap. A stack whose template and parameters are unchanged is not touched.
"""
import time

from botocore.exceptions import ClientError, WaiterError

from common import DeployError, account_id, bucket_name, client, error_code, load_manifest, partition, say

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
# CreateStack and UpdateStack take at most 51,200 bytes as TemplateBody; larger templates go by TemplateURL.
MAX_TEMPLATE_BODY = 51_200
WAIT = {"Delay": 5, "MaxAttempts": 360}


def template_url(prefix, region, manifest):
    entry = manifest["templates"]["template.yaml"]
    return f"https://{bucket_name(prefix, region)}.s3.{region}.amazonaws.com/{entry['key']}"


def stack_parameters(manifest, prefix, home_region, options):
    """The template's parameters for one stack; `options` holds the deploy settings (all strings)."""
    artifacts = manifest["artifacts"]
    params = {
        "ArtifactBucketPrefix": prefix,
        "TaggerCodeKey": artifacts["backup-tagger"]["key"],
        "BackfillCodeKey": artifacts["backup-backfill"]["key"],
        "BootstrapCodeKey": artifacts["backup-bootstrap"]["key"],
        "AlertsCodeKey": artifacts["backup-alerts"]["key"],
        "HomeRegion": home_region,
    }
    params.update({k: v for k, v in options.items() if v is not None})
    return params


def central_names(options, home, management):
    """The central alert bus's and topic's ARNs: their names are fixed by the template (<NamePrefix>-alerts) in the
    management account's home region, so they are known before the stack exists."""
    name = options.get("NamePrefix") or "superwerker-backup"
    bus = f"arn:{partition(home)}:events:{home}:{management}:event-bus/{name}-alerts"
    topic = options.get("AlertTopicArn") or f"arn:{partition(home)}:sns:{home}:{management}:{name}-alerts"
    return bus, topic


def regional_alerts(options, home, region, management):
    """`options` for `region`'s stack of the account that receives the organization's alerts (AlertOrganizationId):
    the home region receives them, every other region forwards to it like a member (README, Alerts)."""
    if not options.get("AlertOrganizationId") or region == home:
        return options
    bus, topic = central_names(options, home, management)
    return dict(options, AlertOrganizationId="", CentralAlertBusArn=bus, AlertTopicArn=topic)


def reports_bucket_name(options, management, home):
    """The organization's reports bucket, as crates/domain/src/names.rs names it (the CLI's default for
    `audit --organization --from-reports`): the prefix in lower case, cut to keep the name within S3's 63 characters."""
    tail = f"-reports-{management}-{home}"
    prefix = (options.get("NamePrefix") or "superwerker-backup").lower()[: max(0, 63 - len(tail))]
    return prefix.rstrip("-") + tail


def regional_reports(options, home, region, management):
    """`options` for `region`'s stack of the management account that keeps the organization's reports
    (ReportOrganizationId): the home region creates the bucket, every region's sweep writes to it (README,
    Organization)."""
    if not options.get("ReportOrganizationId"):
        return options
    bucket = reports_bucket_name(options, management, home)
    return dict(options, ReportsBucket=bucket, ReportsBucketOwner=management,
                ReportOrganizationId=options["ReportOrganizationId"] if region == home else "")


def as_list(params):
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(params.items())]


def check_artifacts(prefix, region, manifest):
    s3 = client("s3", region)
    bucket = bucket_name(prefix, region)
    for entry in list(manifest["artifacts"].values()) + list(manifest["templates"].values()):
        try:
            s3.head_object(Bucket=bucket, Key=entry["key"])
        except ClientError as e:
            raise DeployError(
                f"s3://{bucket}/{entry['key']} is missing ({error_code(e)}): run `make publish` for {region} first"
            ) from e


def current_stack(cfn, name):
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as e:
        if "does not exist" in str(e):
            return None
        raise


def unchanged(cfn, stack, body, params):
    """Whether the deployed stack has exactly this template and these parameter values."""
    deployed = cfn.get_template(StackName=stack["StackName"])["TemplateBody"]
    if not isinstance(deployed, str) or deployed.strip() != body.strip():
        return False
    values = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    return all(values.get(k) == v for k, v in params.items())


def source(manifest, dist, prefix, region):
    body = (dist / manifest["templates"]["template.yaml"]["file"]).read_text()
    if len(body.encode()) <= MAX_TEMPLATE_BODY:
        return body, {"TemplateBody": body}
    return body, {"TemplateURL": template_url(prefix, region, manifest)}


def wait(cfn, name, waiter):
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=WAIT)
    except WaiterError as e:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"][:20]
        reasons = [f"  {ev['LogicalResourceId']}: {ev.get('ResourceStatus')} {ev.get('ResourceStatusReason', '')}"
                   for ev in events if "FAILED" in ev.get("ResourceStatus", "")]
        raise DeployError(f"stack {name}: {e}\n" + "\n".join(reasons)) from e


def deploy_stack(dist, manifest, prefix, region, name, params):
    """Creates or updates one stack; returns created | updated | up to date."""
    cfn = client("cloudformation", region)
    body, template = source(manifest, dist, prefix, region)
    stack = current_stack(cfn, name)
    if stack and stack["StackStatus"] == "ROLLBACK_COMPLETE":
        say(f"{region}: stack {name} is ROLLBACK_COMPLETE (its first creation failed); deleting it to create it again")
        cfn.delete_stack(StackName=name)
        wait(cfn, name, "stack_delete_complete")
        stack = None
    if stack is None:
        cfn.create_stack(StackName=name, Parameters=as_list(params), Capabilities=CAPABILITIES, **template)
        wait(cfn, name, "stack_create_complete")
        return "created"
    if unchanged(cfn, stack, body, params):
        return "up to date"
    try:
        cfn.update_stack(StackName=name, Parameters=as_list(params), Capabilities=CAPABILITIES, **template)
    except ClientError as e:
        if "No updates are to be performed" in str(e):
            return "up to date"
        raise
    wait(cfn, name, "stack_update_complete")
    return "updated"


def deploy(dist, prefix, regions, name, options):
    manifest = load_manifest(dist)
    started = time.monotonic()
    for region in regions:
        check_artifacts(prefix, region, manifest)
    central = options.get("AlertOrganizationId") or options.get("ReportOrganizationId")
    management = account_id() if central else None
    home = regions[0]
    for region in regions:
        regional = regional_reports(regional_alerts(options, home, region, management), home, region, management)
        params = stack_parameters(manifest, prefix, home, regional)
        outcome = deploy_stack(dist, manifest, prefix, region, name, params)
        say(f"{region}: stack {name} {outcome}")
    say(f"deployed {name} to {', '.join(regions)} in {time.monotonic() - started:.1f} s")
