"""Page sizes as AWS documents them, for the listings the sweep and the audit use, where moto (5.2.5) differs.

Without this, neither a memory bound per page nor a count of calls "at AWS page sizes" means anything here
(issue: scale). Each rule below cites the API reference text in botocore's service models; the listings not named
here already page as AWS documents (DynamoDB `ListTables` 100 by default, RDS `DescribeDBInstances` `MaxRecords` 20
to 100, default 100), which `test_teach_paging.py` checks too.

- EC2 `DescribeVolumes`: moto ignores `MaxResults` and answers every volume at once. AWS: "The maximum number of
  items to return for this request. To get the next page of items, make another request with the token returned in
  the output." Taught: a page of at most `MaxResults` volumes, in volume-id order, and a `NextToken` (the last id
  answered) while more are left. A request without `MaxResults` still gets every volume (an unpaginated request).
- Tagging API `GetResources`: moto stops every page at 100 tags even when `TagsPerPage` is not given, and one short of
  the limit ("current + next >= limit"), so 100 tables with a tag each come as 99 per page. AWS: `ResourcesPerPage`
  "a minimum of 1 and a maximum value of 100"; `TagsPerPage` "restricts the number of tags" only when specified
  ("If the specified TagsPerPage would cause such a break"), and its example fits 10 resources of 10 tags in a page of
  100. Taught: no tag limit unless `TagsPerPage` is given; with it, a page holds up to that many tags.
- EFS `DescribeFileSystems`: moto pages by 10 when `MaxItems` is not given. AWS: "This number is automatically set to
  100. The response is paginated at 100 per page if you have more than 100 file systems."
- RDS `DescribeDBClusters`: moto ignores `MaxRecords` and `Marker` and answers every cluster at once (and computes each
  cluster's members over every DB instance, so 5,000 clusters beside 10,000 instances took over a minute per call).
  AWS: `MaxRecords` "The maximum number of records to include in the response. If more records exist than the
  specified MaxRecords value, a pagination token called a marker is included in the response ... Default: 100.
  Constraints: Minimum 20, maximum 100." Taught: a page of at most `MaxRecords` (default 100) clusters in identifier
  order, and a `Marker` (the last identifier answered) while more are left.
"""
import sys

from moto.core.responses import ActionResult
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.efs.responses import EFSResponse
from moto.rds.responses import RDSResponse
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

EFS_DEFAULT_MAX_ITEMS = 100
RDS_DEFAULT_MAX_RECORDS = 100
_describe_volumes = ElasticBlockStore.describe_volumes
_describe_file_systems = EFSResponse.describe_file_systems


def describe_volumes(self):
    max_results = self._get_int_param("MaxResults")
    token = self._get_param("NextToken")
    if max_results is None and token is None:
        return _describe_volumes(self)
    volumes = self.ec2_backend.describe_volumes(
        volume_ids=self._get_param("VolumeIds", []), filters=self._filters_from_querystring()
    )
    volumes = sorted(volumes, key=lambda v: v.id)
    if token:
        volumes = [v for v in volumes if v.id > token]
    page = volumes if max_results is None else volumes[:max_results]
    result = {"Volumes": page}
    if len(page) < len(volumes):
        result["NextToken"] = page[-1].id
    return ActionResult(result)


def get_resources(self):
    resources_per_page = self._get_int_param("ResourcesPerPage", 50)
    tags_per_page = self._get_int_param("TagsPerPage")
    if tags_per_page is not None and tags_per_page not in range(100, 501):
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "TagsPerPage must be between 100 and 500")
    if resources_per_page not in range(1, 101):
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
    token, found = self.backend.get_resources(
        pagination_token=self._get_param("PaginationToken"),
        tag_filters=self._get_param("TagFilters", []),
        resources_per_page=resources_per_page,
        # moto ends a page when "tags so far + the next resource's >= limit": one more admits exactly the limit.
        tags_per_page=sys.maxsize if tags_per_page is None else tags_per_page + 1,
        resource_type_filters=self._get_param("ResourceTypeFilters", []),
        resource_arn_list=self._get_param("ResourceARNList", []),
    )
    mappings = [
        {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]} for r in found
    ]
    return ActionResult({"ResourceTagMappingList": mappings, "PaginationToken": token})


def describe_file_systems(self):
    if self._get_param("MaxItems") is None:
        self.querystring["MaxItems"] = [str(EFS_DEFAULT_MAX_ITEMS)]
    return _describe_file_systems(self)


def describe_db_clusters(self):
    filters = {f["Name"]: f["Values"] for f in self.params.get("Filters", [])}
    clusters = self.backend.describe_db_clusters(
        db_cluster_identifier=self.params.get("DBClusterIdentifier"), filters=filters
    )
    clusters = sorted(clusters, key=lambda c: c.db_cluster_identifier)
    marker = self.params.get("Marker")
    if marker:
        clusters = [c for c in clusters if c.db_cluster_identifier > marker]
    page = clusters[: int(self.params.get("MaxRecords") or RDS_DEFAULT_MAX_RECORDS)]
    result = {"DBClusters": page}
    if len(page) < len(clusters):
        result["Marker"] = page[-1].db_cluster_identifier
    return ActionResult(result)


ElasticBlockStore.describe_volumes = describe_volumes
RDSResponse.describe_db_clusters = describe_db_clusters
ResourceGroupsTaggingAPIResponse.get_resources = get_resources
EFSResponse.describe_file_systems = describe_file_systems
