"""The emulator launcher's EC2 tag lookup by id answers exactly what moto's own scan answers.

Run by `make test` (in-process moto, no server): the same resources, tagged in every way the tests and the benchmark
tag them, looked up both ways.
"""
import os
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.ec2.models.core import TaggedEC2Resource  # noqa: E402

import moto_server  # noqa: E402  (applies the launcher's changes)


class TagLookupById(unittest.TestCase):
    def test_launcher_replaced_the_scan(self):
        self.assertIs(TaggedEC2Resource.get_tags, moto_server._tags_by_id)
        self.assertIsNot(moto_server._scanning_get_tags, moto_server._tags_by_id)

    @mock_aws
    def test_same_rows_as_the_scan_for_every_resource(self):
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        specs = [
            [],
            [{"Key": "superwerker:backup", "Value": "daily"}],
            [{"Key": "superwerker:backup", "Value": "none"}, {"Key": "team", "Value": "a"}],
            [{"Key": "bench-id", "Value": "7"}, {"Key": "x*y?", "Value": ""}],
        ]
        ids = []
        for tags in specs * 3:
            kwargs = {"AvailabilityZone": "eu-west-1a", "Size": 1}
            if tags:
                kwargs["TagSpecifications"] = [{"ResourceType": "volume", "Tags": tags}]
            ids.append(ec2.create_volume(**kwargs)["VolumeId"])
        ec2.create_tags(Resources=ids[:2], Tags=[{"Key": "later", "Value": "1"}])
        ec2.delete_tags(Resources=[ids[1]], Tags=[{"Key": "superwerker:backup"}])
        ami = ec2.describe_images()["Images"][0]["ImageId"]
        ec2.run_instances(
            ImageId=ami,
            MinCount=2,
            MaxCount=2,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "role", "Value": "web"}]}],
        )

        from moto.ec2.models import ec2_backends

        backend = ec2_backends["123456789012"]["eu-west-1"]
        resources = list(backend.volumes.values()) + [i for r in backend.reservations.values() for i in r.instances]
        self.assertGreaterEqual(len(resources), 14)
        tagged = 0
        for resource in resources:
            by_scan = moto_server._scanning_get_tags(resource)
            by_id = resource.get_tags()
            self.assertEqual(by_id, by_scan, resource.id)
            tagged += bool(by_id)
        self.assertGreaterEqual(tagged, 10)

        # And what a client sees through the API is built from it.
        seen = {v["VolumeId"]: v.get("Tags", []) for v in ec2.describe_volumes()["Volumes"]}
        self.assertEqual(seen[ids[1]], [{"Key": "later", "Value": "1"}])
        self.assertIn({"Key": "superwerker:backup", "Value": "none"}, seen[ids[2]])


if __name__ == "__main__":
    unittest.main()
