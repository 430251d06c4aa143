"""The launcher's page sizes (teach_paging.py) are AWS's, for every listing the sweep and the audit use.

Run by `make test` (in-process moto, no server). Each page size asserted here is the API reference's (botocore's
service models, quoted in teach_paging.py), not what moto happens to do.
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

import moto_server  # noqa: E402, F401  (applies the launcher's changes, teach_paging among them)

REGION = "eu-west-1"


def pages(call, items, token_in, token_out, **kwargs):
    """Every page's size, following the token."""
    sizes, token = [], None
    while True:
        answer = call(**kwargs, **({token_in: token} if token else {}))
        sizes.append(len(answer[items]))
        token = answer.get(token_out)
        if not token:
            return sizes


class PagesAsAwsDocuments(unittest.TestCase):
    @mock_aws
    def test_describe_volumes_pages_by_max_results_and_covers_every_volume_once(self):
        ec2 = boto3.client("ec2", region_name=REGION)
        ids = {ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"] for _ in range(12)}
        self.assertEqual(pages(ec2.describe_volumes, "Volumes", "NextToken", "NextToken", MaxResults=5), [5, 5, 2])
        seen, token = [], None
        while True:
            answer = ec2.describe_volumes(MaxResults=5, **({"NextToken": token} if token else {}))
            seen += [v["VolumeId"] for v in answer["Volumes"]]
            token = answer.get("NextToken")
            if not token:
                break
        self.assertEqual(sorted(seen), sorted(ids))
        # A filter applies before paging; an unpaginated request still answers everything.
        self.assertEqual(len(ec2.describe_volumes()["Volumes"]), 12)
        one = sorted(ids)[0]
        self.assertEqual(
            pages(ec2.describe_volumes, "Volumes", "NextToken", "NextToken", MaxResults=5,
                  Filters=[{"Name": "volume-id", "Values": [one]}]),
            [1],
        )

    @mock_aws
    def test_get_resources_pages_by_resources_only_unless_tags_per_page_is_given(self):
        ddb = boto3.client("dynamodb", region_name=REGION)
        tagging = boto3.client("resourcegroupstaggingapi", region_name=REGION)
        for i in range(230):
            ddb.create_table(
                TableName=f"t{i:03}",
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
                Tags=[{"Key": f"k{j}", "Value": "v"} for j in range(10 if i < 22 else 1)],
            )
        by_resources = pages(tagging.get_resources, "ResourceTagMappingList", "PaginationToken", "PaginationToken",
                             ResourceTypeFilters=["dynamodb:table"], ResourcesPerPage=100)
        self.assertEqual(by_resources, [100, 100, 30])
        # The reference's example: resources of 10 tags each, TagsPerPage 100: 10 to a page.
        first = tagging.get_resources(ResourceTypeFilters=["dynamodb:table"], ResourcesPerPage=100, TagsPerPage=100)
        self.assertEqual(len(first["ResourceTagMappingList"]), 10)

    @mock_aws
    def test_efs_pages_by_100_without_max_items(self):
        efs = boto3.client("efs", region_name=REGION)
        for i in range(130):
            efs.create_file_system(CreationToken=f"fs-{i}")
        self.assertEqual(pages(efs.describe_file_systems, "FileSystems", "Marker", "NextMarker"), [100, 30])
        self.assertEqual(pages(efs.describe_file_systems, "FileSystems", "Marker", "NextMarker", MaxItems=50),
                         [50, 50, 30])

    @mock_aws
    def test_the_listings_moto_already_pages_as_aws_does(self):
        ddb = boto3.client("dynamodb", region_name=REGION)
        rds = boto3.client("rds", region_name=REGION)
        for i in range(130):
            ddb.create_table(
                TableName=f"t{i:03}",
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
            rds.create_db_instance(DBInstanceIdentifier=f"db{i}", DBInstanceClass="db.t3.micro", Engine="postgres",
                                   MasterUsername="u", MasterUserPassword="password1", AllocatedStorage=20)
        self.assertEqual(
            pages(ddb.list_tables, "TableNames", "ExclusiveStartTableName", "LastEvaluatedTableName"), [100, 30]
        )
        self.assertEqual(
            pages(rds.describe_db_instances, "DBInstances", "Marker", "Marker", MaxRecords=100), [100, 30]
        )

    @mock_aws
    def test_db_clusters_page_by_max_records(self):
        rds = boto3.client("rds", region_name=REGION)
        for i in range(130):
            rds.create_db_cluster(DBClusterIdentifier=f"c{i:03}", Engine="aurora-postgresql", MasterUsername="u",
                                  MasterUserPassword="password1")
        self.assertEqual(pages(rds.describe_db_clusters, "DBClusters", "Marker", "Marker", MaxRecords=100), [100, 30])
        self.assertEqual(pages(rds.describe_db_clusters, "DBClusters", "Marker", "Marker", MaxRecords=20)[:2], [20, 20])
        seen = [c["DBClusterIdentifier"] for page in rds.get_paginator("describe_db_clusters").paginate()
                for c in page["DBClusters"]]
        self.assertEqual(sorted(seen), [f"c{i:03}" for i in range(130)], "every cluster once")
        one = rds.describe_db_clusters(DBClusterIdentifier="c007")["DBClusters"]
        self.assertEqual([c["DBClusterIdentifier"] for c in one], ["c007"])


if __name__ == "__main__":
    unittest.main()
