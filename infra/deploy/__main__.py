"""superwerker-backup's deploy tool: package, publish, deploy (one account), deploy-organization (StackSet).

Run by the Makefile (`make package | publish | deploy | deploy-organization`, README, Deploy) with the project venv's
python. Credentials, region and endpoint come from the standard AWS chain (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, ...), so the same commands run against AWS and against the local emulator.
"""
import argparse
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from common import DeployError, default_bucket_prefix, fail, regions_or_default

ROOT = Path(__file__).resolve().parents[2]


def options(args):
    """Template parameters set from the command line (None: the template's default)."""
    return {
        "NamePrefix": args.name_prefix,
        "BackupScope": args.backup_scope,
        "BackupRegions": args.backup_regions,
        "BackupVaultName": args.vault_name,
        "CreateBackupVault": args.create_backup_vault,
        "CreateBackupServiceRole": args.create_backup_service_role,
        "TaggerReservedConcurrency": args.tagger_reserved_concurrency,
        "AlertEmail": args.alert_email,
        "AlertTopicArn": args.alert_topic_arn,
        "AlertOrganizationId": getattr(args, "alert_organization_id", None),
        "CentralAlertBusArn": getattr(args, "central_alert_bus_arn", None),
        "ReportOrganizationId": getattr(args, "report_organization_id", None),
    }


def parser():
    p = argparse.ArgumentParser(prog="deploy", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    pk = sub.add_parser("package", help="zips and templates into DIST (no AWS call)")
    pk.add_argument("--dist", default=str(ROOT / "dist"))
    for name in ("publish", "deploy", "deploy-organization"):
        c = sub.add_parser(name)
        c.add_argument("--dist", default=str(ROOT / "dist"))
        c.add_argument("--regions", default="", help="r1,r2 (default: the region of the AWS standard chain)")
        c.add_argument("--bucket-prefix", default="", help="artifact buckets <prefix>-<region> (default: per account)")
        if name == "publish":
            c.add_argument("--mark-region", action="store_true",
                           help="tests only: add region.txt to each region's zips so the code's origin shows")
            continue
        c.add_argument("--stack-name", default="superwerker-backup")
        c.add_argument("--bootstrap", choices=["true", "false"], default="false")
        c.add_argument("--name-prefix")
        c.add_argument("--backup-scope", choices=["organization", "account"])
        c.add_argument("--backup-regions", help="regions of the backup plan (default: --regions)")
        c.add_argument("--vault-name")
        c.add_argument("--create-backup-vault", choices=["true", "false"])
        c.add_argument("--create-backup-service-role", choices=["true", "false"])
        c.add_argument("--tagger-reserved-concurrency")
        c.add_argument("--alert-email", help="subscribed to the stack's alert topic (README, Alerts)")
        c.add_argument("--alert-topic-arn", help="an existing SNS topic for the alerts instead of the stack's own")
        if name == "deploy":
            c.add_argument("--alert-organization-id",
                           help="management account, home region: receive this organization's alerts (README, Alerts)")
            c.add_argument("--central-alert-bus-arn",
                           help="forward this account's alerts to the organization's central bus (README, Alerts)")
            c.add_argument("--report-organization-id",
                           help="management account: keep this organization's reports bucket in the home region, "
                                "and write this account's summaries to it (README, Organization)")
        if name == "deploy-organization":
            c.add_argument("--alerts", choices=["central", "account"], default="central",
                           help="central: every account's alerts to the management account's topic (README, Alerts)")
            c.add_argument("--ou-ids", required=True, help="ou-xxxx-yyyyyyyy,... (or the root r-xxxx)")
            c.add_argument("--stack-set-name", default="superwerker-backup")
            c.add_argument("--call-as", choices=["SELF", "DELEGATED_ADMIN"], default="SELF")
    return p


def run(args):
    if args.command == "package":
        from package import package
        package(ROOT, Path(args.dist))
        return 0
    regions = regions_or_default(args.regions)
    prefix = args.bucket_prefix or default_bucket_prefix()
    if args.command == "publish":
        from publish import publish
        publish(Path(args.dist), prefix, regions, mark_region=args.mark_region)
        return 0
    opts = options(args)
    opts["BackupRegions"] = opts["BackupRegions"] or ",".join(regions)
    if args.command == "deploy":
        from stacks import deploy
        opts["DeployBootstrap"] = args.bootstrap
        deploy(Path(args.dist), prefix, regions, args.stack_name, opts)
        return 0
    from stackset import deploy_organization
    ous = [o.strip() for o in args.ou_ids.split(",") if o.strip()]
    if not ous:
        raise DeployError("--ou-ids: name at least one OU (or the root)")
    deploy_organization(Path(args.dist), prefix, regions, ous, args.stack_set_name, args.stack_name, args.call_as,
                        opts, args.bootstrap, args.alerts)
    return 0


def main(argv):
    args = parser().parse_args(argv)
    try:
        return run(args)
    except DeployError as e:
        return fail(str(e))
    except (ClientError, BotoCoreError) as e:
        return fail(f"AWS said: {e}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
