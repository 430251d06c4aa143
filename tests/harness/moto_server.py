"""Starts moto's server (the local AWS emulator) with one gap filled and one cost removed.

moto 5.2.x implements Organizations policies, but refuses CreatePolicy for Type=BACKUP_POLICY only because it has
no ARN format for that type (NotImplementedError in FakePolicy.__init__). This launcher gives BACKUP_POLICY the ARN
format AWS uses (arn:<partition>:organizations::<management>:policy/<org>/backup_policy/<id>); create, describe,
update, list, attach, detach and delete then run moto's own code, exactly as for TAG_POLICY.

The cost: moto finds the tags of one EC2 resource (`TaggedEC2Resource.get_tags`) by running its `DescribeTags` filter
over every tag of the region, so describing N volumes costs O(N x all tags): 4,000 volumes take 5.6 s, 5,000 about 9 s
(moto 5.2.5, profiled: 61% of the time in `describe_tags`). AWS has no such cost, and it made the emulator, not the
tools, the subject of the benchmarks. This launcher looks the resource's tags up by id instead; the answer is the same
list of the same dicts in the same order (`tests/harness/test_moto_server.py` compares both). Nothing else is changed.
The CloudFormation resource types and StackSets calls moto lacks are taught in teach_cloudformation.py, the AWS
Backup calls in teach_backup.py and teach_backup_points.py (tonight's backup, on demand, in teach_backup_run.py),
Organizations' effective policy in teach_organizations.py, AWS's page sizes in teach_paging.py, S3's TLS-only bucket policies in teach_s3.py (imported here, so the server has
them).
Usage: python moto_server.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.organizations import models
from moto.server import main

import teach_backup  # noqa: F401  (backup selections, UpdateBackupPlan)
import teach_backup_points  # noqa: F401  (region settings, recovery points, protected resources)
import teach_backup_run  # noqa: F401  (tonight's backup: POST /moto-api/superwerker/backup-run)
import teach_cloudformation  # noqa: F401  (registers the taught types and calls)
import teach_cloudformation_alerts  # noqa: F401  (SNS topic policy and subscription, CloudWatch alarms)
import teach_organizations  # noqa: F401  (DescribeEffectivePolicy)
import teach_paging  # noqa: F401  (AWS's page sizes: DescribeVolumes, GetResources, EFS DescribeFileSystems)
import teach_s3  # noqa: F401  (TLS-only bucket policies, as AWS evaluates them for SDK requests)

BACKUP_POLICY_ARN_FORMAT = "arn:{0}:organizations::{1}:policy/{2}/backup_policy/{3}"
_original_init = models.FakePolicy.__init__


def _init(self, organization, **kwargs):
    if kwargs.get("Type") != "BACKUP_POLICY":
        _original_init(self, organization, **kwargs)
        return
    _original_init(self, organization, **dict(kwargs, Type="TAG_POLICY"))
    self.type = "BACKUP_POLICY"
    self._arn_format = BACKUP_POLICY_ARN_FORMAT


models.FakePolicy.__init__ = _init


def _tags_by_id(self):
    """The same rows `describe_tags(filters={"resource-id": [self.id]})` returns, found by id, not by a scan."""
    if not self.id:
        return []
    tags = self.ec2_backend.tags.get(self.id)
    if not tags:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    return [
        {"resource_id": self.id, "key": key, "value": value, "resource_type": resource_type}
        for key, value in tags.items()
    ]


_scanning_get_tags = TaggedEC2Resource.get_tags
TaggedEC2Resource.get_tags = _tags_by_id

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
