# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A census of the AWS resources of the types payments.infra makes, in one region.

Read-only. Each resource type has one lister, registered in ``LISTERS`` under its type name
(``vpc``, ``subnet``, ... ``iam_role``) with the service it calls: ``lister(client, region)``
returns every resource of that type the caller can see, as records::

    {"type", "id", "name", "arn", "region", "tags": {...}, "attributes": {...}}

``census(client_for, region, types, name_prefix, tag_key, tag_value)`` runs the listers asked for
and keeps the resources whose name starts with ``name_prefix`` OR that carry the tag
``tag_key=tag_value``, adding ``environment`` (the Environment tag or None), ``managed`` (carries
the tag) and ``matched_by`` (``name`` and/or ``tag``). ``findings(resources, desired, name_prefix)``
turns a census into audit findings. Any other module (or a preflight check) can import
``LISTERS`` / ``census`` and reuse a listing.

The name of a resource: its name where the API has one (security group name, load balancer name,
DB identifier, bucket name, log group name, ...), else its ``Name`` tag (VPCs, subnets, gateways,
Elastic IPs, route tables, flow logs; also ACM certificates, whose domain name is used without
one), else None. A leading ``/`` (log groups) is ignored when comparing it to the prefix, so
``/payment/dev/app`` matches the prefix ``payment``.

Every call is retried with ``AWSRetry.jittered_backoff``; lists use botocore's paginators. A
resource that disappears between being listed and its tags being read (``NotFound`` codes) is
left out. Any other AWS error raises ``AnsibleCensusError`` naming the type being listed.
AWS-made resources that can never be ours are skipped to save calls: RDS ``default.*`` parameter
groups and the ``default`` DB subnet group, security groups named ``default``, deleted (and
failed) NAT gateways, inactive ECS clusters and services.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

try:
    import botocore
except ImportError:  # the module reports a missing botocore
    pass


class AnsibleCensusError(AnsibleAWSError):
    pass


# Error codes meaning "this resource is gone" on the per-resource calls (tags, location).
GONE_CODES = [
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NoSuchEntity",
    "NoSuchBucket",
    "RepositoryNotFoundException",
    "DBParameterGroupNotFound",
    "DBSubnetGroupNotFoundFault",
    "LoadBalancerNotFound",
    "TargetGroupNotFound",
    "NotFound",
    "NotFoundException",
    "ClusterNotFoundException",
]

ACM_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
GLOBAL = None  # the region of a global resource (IAM roles)


# ---------------------------------------------------------------------------------------------
# Retried calls
# ---------------------------------------------------------------------------------------------
@AWSRetry.jittered_backoff()
def paginate(client, operation, result_key, **params):
    """Every item of ``result_key`` over all pages of ``operation``."""
    return client.get_paginator(operation).paginate(**params).build_full_result().get(result_key) or []


@AWSRetry.jittered_backoff()
def call(client, operation, **params):
    return getattr(client, operation)(**params)


def call_or_gone(client, operation, missing=(), **params):
    """``call``, or None when AWS answers that the resource is gone (or one of ``missing`` codes)."""
    try:
        return call(client, operation, **params)
    except is_boto3_error_code(GONE_CODES + list(missing)):
        return None


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def tag_dict(tags):
    """Tags as a dict, from a boto3 tag list (Key/Value, key/value, TagKey/TagValue) or a dict."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return dict(tags)
    first = tags[0]
    if "TagKey" in first:
        return {t["TagKey"]: t.get("TagValue", "") for t in tags}
    if "key" in first:
        return {t["key"]: t.get("value", "") for t in tags}
    return boto3_tag_list_to_ansible_dict(tags)


def record(rtype, rid, name, tags, region, arn=None, attributes=None):
    return {
        "type": rtype,
        "id": rid,
        "name": name,
        "arn": arn,
        "region": region,
        "tags": tags,
        "attributes": attributes or {},
    }


# ---------------------------------------------------------------------------------------------
# Listers: one per type, registered in LISTERS
# ---------------------------------------------------------------------------------------------
class Lister:
    def __init__(self, type_name, service, func):
        self.type = type_name
        self.service = service
        self.func = func

    def __call__(self, client, region):
        return self.func(client, region)


LISTERS = {}


def lister(type_name, service):
    """Register ``func(client, region) -> [record, ...]`` as the lister of ``type_name``."""

    def register(func):
        LISTERS[type_name] = Lister(type_name, service, func)
        return func

    return register


def _ec2(client, region, rtype, operation, result_key, id_key, name_of=None, keep=None, attributes=None, arn_key=None):
    found = []
    for item in paginate(client, operation, result_key):
        if keep and not keep(item):
            continue
        tags = tag_dict(item.get("Tags") or item.get("TagSet"))
        name = name_of(item, tags) if name_of else tags.get("Name")
        found.append(
            record(
                rtype,
                item[id_key],
                name,
                tags,
                region,
                arn=item.get(arn_key) if arn_key else None,
                attributes=attributes(item) if attributes else None,
            )
        )
    return found


@lister("vpc", "ec2")
def list_vpcs(client, region):
    return _ec2(
        client,
        region,
        "vpc",
        "describe_vpcs",
        "Vpcs",
        "VpcId",
        attributes=lambda v: {"cidr_block": v.get("CidrBlock")},
    )


@lister("subnet", "ec2")
def list_subnets(client, region):
    return _ec2(client, region, "subnet", "describe_subnets", "Subnets", "SubnetId", arn_key="SubnetArn")


@lister("internet_gateway", "ec2")
def list_internet_gateways(client, region):
    return _ec2(
        client, region, "internet_gateway", "describe_internet_gateways", "InternetGateways", "InternetGatewayId"
    )


@lister("nat_gateway", "ec2")
def list_nat_gateways(client, region):
    return _ec2(
        client,
        region,
        "nat_gateway",
        "describe_nat_gateways",
        "NatGateways",
        "NatGatewayId",
        keep=lambda n: n.get("State") not in ("deleted", "failed"),
    )


@lister("elastic_ip", "ec2")
def list_elastic_ips(client, region):
    # DescribeAddresses has no paginator: one call returns every address.
    found = []
    for address in call(client, "describe_addresses").get("Addresses") or []:
        tags = tag_dict(address.get("Tags"))
        rid = address.get("AllocationId") or address.get("PublicIp")
        found.append(record("elastic_ip", rid, tags.get("Name"), tags, region))
    return found


@lister("route_table", "ec2")
def list_route_tables(client, region):
    return _ec2(client, region, "route_table", "describe_route_tables", "RouteTables", "RouteTableId")


@lister("security_group", "ec2")
def list_security_groups(client, region):
    return _ec2(
        client,
        region,
        "security_group",
        "describe_security_groups",
        "SecurityGroups",
        "GroupId",
        name_of=lambda g, tags: g.get("GroupName"),
        keep=lambda g: g.get("GroupName") != "default",
        arn_key="SecurityGroupArn",
    )


@lister("flow_log", "ec2")
def list_flow_logs(client, region):
    return _ec2(client, region, "flow_log", "describe_flow_logs", "FlowLogs", "FlowLogId")


def _elbv2(client, region, kind, operation, key, prefix):
    """Load balancers or target groups (``<prefix>Arn``, ``<prefix>Name``) with their tags."""
    items = paginate(client, operation, key)
    tags = _elbv2_tags(client, [i[f"{prefix}Arn"] for i in items])
    return [
        record(kind, i[f"{prefix}Arn"], i[f"{prefix}Name"], tags[i[f"{prefix}Arn"]], region, arn=i[f"{prefix}Arn"])
        for i in items
        if i[f"{prefix}Arn"] in tags
    ]


@lister("load_balancer", "elbv2")
def list_load_balancers(client, region):
    return _elbv2(client, region, "load_balancer", "describe_load_balancers", "LoadBalancers", "LoadBalancer")


@lister("target_group", "elbv2")
def list_target_groups(client, region):
    return _elbv2(client, region, "target_group", "describe_target_groups", "TargetGroups", "TargetGroup")


def _elbv2_tags(client, arns):
    """{arn: tags} of the load balancers / target groups still there (DescribeTags takes 20 ARNs)."""
    tags = {}
    for batch in chunks(arns, 20):
        answer = call_or_gone(client, "describe_tags", ResourceArns=batch)
        if answer is None:  # one of them is gone: ask one by one
            for arn in batch:
                single = call_or_gone(client, "describe_tags", ResourceArns=[arn])
                for description in (single or {}).get("TagDescriptions") or []:
                    tags[description["ResourceArn"]] = tag_dict(description.get("Tags"))
            continue
        for description in answer.get("TagDescriptions") or []:
            tags[description["ResourceArn"]] = tag_dict(description.get("Tags"))
    return tags


@lister("db_instance", "rds")
def list_db_instances(client, region):
    return [
        record(
            "db_instance",
            d["DBInstanceIdentifier"],
            d["DBInstanceIdentifier"],
            tag_dict(d.get("TagList")),
            region,
            arn=d.get("DBInstanceArn"),
            attributes={"engine": d.get("Engine"), "engine_version": d.get("EngineVersion")},
        )
        for d in paginate(client, "describe_db_instances", "DBInstances")
    ]


def _rds_tags(client, arn):
    answer = call_or_gone(client, "list_tags_for_resource", ResourceName=arn)
    return None if answer is None else tag_dict(answer.get("TagList"))


@lister("db_parameter_group", "rds")
def list_db_parameter_groups(client, region):
    found = []
    for group in paginate(client, "describe_db_parameter_groups", "DBParameterGroups"):
        name = group["DBParameterGroupName"]
        if name.startswith("default."):  # RDS's own, cannot be tagged as ours
            continue
        tags = _rds_tags(client, group["DBParameterGroupArn"])
        if tags is not None:
            found.append(record("db_parameter_group", name, name, tags, region, arn=group["DBParameterGroupArn"]))
    return found


@lister("db_subnet_group", "rds")
def list_db_subnet_groups(client, region):
    found = []
    for group in paginate(client, "describe_db_subnet_groups", "DBSubnetGroups"):
        name = group["DBSubnetGroupName"]
        if name == "default":
            continue
        tags = _rds_tags(client, group["DBSubnetGroupArn"])
        if tags is not None:
            found.append(record("db_subnet_group", name, name, tags, region, arn=group["DBSubnetGroupArn"]))
    return found


@lister("secret", "secretsmanager")
def list_secrets(client, region):
    return [
        record("secret", s["ARN"], s.get("Name"), tag_dict(s.get("Tags")), region, arn=s["ARN"])
        for s in paginate(client, "list_secrets", "SecretList")
    ]


@lister("ecs_cluster", "ecs")
def list_ecs_clusters(client, region):
    return [
        record("ecs_cluster", c["clusterArn"], c["clusterName"], tag_dict(c.get("tags")), region, arn=c["clusterArn"])
        for c in _ecs_clusters(client)
    ]


def _ecs_clusters(client):
    clusters = []
    for batch in chunks(paginate(client, "list_clusters", "clusterArns"), 100):
        answer = call(client, "describe_clusters", clusters=batch, include=["TAGS"])
        clusters += [c for c in answer.get("clusters") or [] if c.get("status") != "INACTIVE"]
    return clusters


@lister("ecs_service", "ecs")
def list_ecs_services(client, region):
    found = []
    for cluster in _ecs_clusters(client):
        arns = paginate(client, "list_services", "serviceArns", cluster=cluster["clusterArn"])
        for batch in chunks(arns, 10):
            answer = call_or_gone(
                client, "describe_services", cluster=cluster["clusterArn"], services=batch, include=["TAGS"]
            )
            for service in (answer or {}).get("services") or []:
                if service.get("status") == "INACTIVE":
                    continue
                found.append(
                    record(
                        "ecs_service",
                        service["serviceArn"],
                        service["serviceName"],
                        tag_dict(service.get("tags")),
                        region,
                        arn=service["serviceArn"],
                    )
                )
    return found


@lister("acm_certificate", "acm")
def list_acm_certificates(client, region):
    found = []
    summaries = paginate(client, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": ACM_KEY_TYPES})
    for summary in summaries:
        arn = summary["CertificateArn"]
        answer = call_or_gone(client, "list_tags_for_certificate", CertificateArn=arn)
        if answer is None:
            continue
        tags = tag_dict(answer.get("Tags"))
        found.append(
            record("acm_certificate", arn, tags.get("Name") or summary.get("DomainName"), tags, region, arn=arn)
        )
    return found


@lister("s3_bucket", "s3")
def list_s3_buckets(client, region):
    """Every bucket of the account (the list is global), with its region where ListBuckets says it."""
    found = []
    for bucket in call(client, "list_buckets").get("Buckets") or []:
        name = bucket["Name"]
        answer = call_or_gone(client, "get_bucket_tagging", missing=["NoSuchTagSet"], Bucket=name)
        tags = tag_dict((answer or {}).get("TagSet"))
        found.append(record("s3_bucket", name, name, tags, bucket.get("BucketRegion"), arn=f"arn:aws:s3:::{name}"))
    return found


def bucket_region(client, name):
    """The region of a bucket (GetBucketLocation answers None for us-east-1); None when it is gone."""
    answer = call_or_gone(client, "get_bucket_location", Bucket=name)
    if answer is None:
        return None
    return answer.get("LocationConstraint") or "us-east-1"


@lister("ecr_repository", "ecr")
def list_ecr_repositories(client, region):
    found = []
    for repository in paginate(client, "describe_repositories", "repositories"):
        arn = repository["repositoryArn"]
        answer = call_or_gone(client, "list_tags_for_resource", resourceArn=arn)
        if answer is not None:
            name = repository["repositoryName"]
            found.append(record("ecr_repository", name, name, tag_dict(answer.get("tags")), region, arn=arn))
    return found


@lister("log_group", "logs")
def list_log_groups(client, region):
    found = []
    for group in paginate(client, "describe_log_groups", "logGroups"):
        name = group["logGroupName"]
        arn = group.get("logGroupArn") or group.get("arn", "").removesuffix(":*")
        answer = call_or_gone(client, "list_tags_for_resource", resourceArn=arn)
        if answer is not None:
            found.append(record("log_group", name, name, tag_dict(answer.get("tags")), region, arn=arn))
    return found


@lister("alarm", "cloudwatch")
def list_alarms(client, region):
    found = []
    answer = call(client, "describe_alarms", AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    # DescribeAlarms' paginator result keys are two lists: walk the pages by hand.
    alarms = list(answer.get("MetricAlarms") or []) + list(answer.get("CompositeAlarms") or [])
    while answer.get("NextToken"):
        answer = call(
            client, "describe_alarms", AlarmTypes=["MetricAlarm", "CompositeAlarm"], NextToken=answer["NextToken"]
        )
        alarms += list(answer.get("MetricAlarms") or []) + list(answer.get("CompositeAlarms") or [])
    for alarm in alarms:
        tags = call_or_gone(client, "list_tags_for_resource", ResourceARN=alarm["AlarmArn"])
        if tags is not None:
            found.append(
                record(
                    "alarm",
                    alarm["AlarmName"],
                    alarm["AlarmName"],
                    tag_dict(tags.get("Tags")),
                    region,
                    arn=alarm["AlarmArn"],
                )
            )
    return found


@lister("sns_topic", "sns")
def list_sns_topics(client, region):
    found = []
    for topic in paginate(client, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        answer = call_or_gone(client, "list_tags_for_resource", ResourceArn=arn)
        if answer is not None:
            found.append(
                record("sns_topic", arn, arn.rsplit(":", 1)[-1], tag_dict(answer.get("Tags")), region, arn=arn)
            )
    return found


@lister("iam_role", "iam")
def list_iam_roles(client, region):
    """IAM is global: every role of the account, region None. ListRoles does not return tags on AWS."""
    found = []
    for role in paginate(client, "list_roles", "Roles"):
        if role.get("Path", "/").startswith("/aws-service-role/"):  # service-linked: AWS's own
            continue
        name = role["RoleName"]
        answer = call_or_gone(client, "list_role_tags", RoleName=name)
        if answer is not None:
            found.append(record("iam_role", name, name, tag_dict(answer.get("Tags")), GLOBAL, arn=role.get("Arn")))
    return found


TYPES = list(LISTERS)
GLOBAL_TYPES = ["s3_bucket", "iam_role"]  # listed account-wide whatever the region


# ---------------------------------------------------------------------------------------------
# The census and the audit findings
# ---------------------------------------------------------------------------------------------
def name_matches(name, name_prefix):
    """Whether ``name`` starts with ``name_prefix`` (a leading ``/`` of the name ignored)."""
    if not name_prefix or not name:
        return False
    return name.lstrip("/").startswith(name_prefix)


def classify(resource, name_prefix, tag_key, tag_value, environment_tag="Environment"):
    """The resource with ``environment`` (its Environment tag), ``environment_from``, ``managed`` and ``matched_by``."""
    tags = resource["tags"]
    managed = tags.get(tag_key) == tag_value
    matched_by = []
    if name_matches(resource["name"], name_prefix):
        matched_by.append("name")
    if managed:
        matched_by.append("tag")
    environment = tags.get(environment_tag)
    source = "tag" if environment is not None else None
    return dict(
        resource,
        environment=environment,
        environment_from=source,
        managed=managed,
        matched_by=matched_by,
    )


def list_type(client, type_name, region):
    """Every resource of one type (unfiltered); raises AnsibleCensusError naming the type."""
    listing = LISTERS[type_name]
    try:
        return listing(client, region)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise AnsibleCensusError(
            message=f"Failed to list {type_name} resources ({listing.service})", exception=e
        ) from e


def census(
    client_for,
    region,
    types=None,
    name_prefix=None,
    tag_key="ManagedBy",
    tag_value="payments.infra",
):
    """The resources of ``types`` (default all) named with ``name_prefix`` or tagged ``tag_key=tag_value``.

    ``client_for(service)`` returns a boto3 client of the region (e.g. ``module.client``). Sorted by
    type (in ``TYPES`` order), then name, then id. S3 buckets matched whose region ListBuckets did
    not give are located with GetBucketLocation.
    """
    clients = {}
    kept = []
    for type_name in types or TYPES:
        service = LISTERS[type_name].service
        if service not in clients:
            clients[service] = client_for(service)
        for listed in list_type(clients[service], type_name, region):
            resource = classify(listed, name_prefix, tag_key, tag_value)
            if not resource["matched_by"]:
                continue
            if type_name == "s3_bucket" and not resource["region"]:
                try:
                    resource["region"] = bucket_region(clients[service], resource["name"])
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    raise AnsibleCensusError(message=f"Failed to locate bucket {resource['name']}", exception=e) from e
            kept.append(resource)
    order = {t: i for i, t in enumerate(TYPES)}
    kept.sort(key=lambda r: (order[r["type"]], r["name"] or "", r["id"]))
    return kept


FINDING_UNDESIRED = "environment_not_desired"
FINDING_UNMANAGED = "unmanaged_lookalike"


def findings(resources, desired_environments, name_prefix, tag_key="ManagedBy", tag_value="payments.infra"):
    """Audit findings of a census, one per (resource, kind):

    - ``environment_not_desired``: tagged Environment=X with X not in ``desired_environments``;
    - ``unmanaged_lookalike``: named with ``name_prefix`` but without the ``tag_key=tag_value`` tag.
    """
    desired = set(desired_environments)
    found = []
    for resource in resources:
        kinds = []
        if resource["environment"] is not None and resource["environment"] not in desired:
            kinds.append(
                (
                    FINDING_UNDESIRED,
                    f"tagged Environment={resource['environment']}, not one of {', '.join(sorted(desired)) or 'none'}",
                )
            )
        if not resource["managed"] and name_matches(resource["name"], name_prefix):
            kinds.append(
                (
                    FINDING_UNMANAGED,
                    f"named like ours ({name_prefix}...) but not tagged {tag_key}={tag_value}",
                )
            )
        for kind, reason in kinds:
            found.append(
                {
                    "finding": kind,
                    "reason": reason,
                    "type": resource["type"],
                    "id": resource["id"],
                    "name": resource["name"],
                    "arn": resource["arn"],
                    "region": resource["region"],
                    "environment": resource["environment"],
                    "environment_from": resource.get("environment_from"),
                    "managed": resource["managed"],
                    "tags": resource["tags"],
                }
            )
    return found


def count_by_environment(resources):
    """{environment: number of resources}; resources without an Environment tag under ``none``."""
    counts = {}
    for resource in resources:
        key = resource["environment"] if resource["environment"] is not None else "none"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def count_by_type(resources):
    counts = {}
    for resource in resources:
        counts[resource["type"]] = counts.get(resource["type"], 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------
# Which tier (role) makes each resource: the run summary counts what a run created and destroyed per tier.
# ---------------------------------------------------------------------------------------------
TIER_OF_TYPE = {
    "vpc": "network",
    "subnet": "network",
    "internet_gateway": "network",
    "nat_gateway": "network",
    "elastic_ip": "network",
    "route_table": "network",
    "security_group": "network",
    "flow_log": "network",
    "ecr_repository": "ecr",
    "s3_bucket": "s3",
    "db_instance": "rds",
    "db_parameter_group": "rds",
    "db_subnet_group": "rds",
    "secret": "rds",
    "load_balancer": "ecs_alb",
    "target_group": "ecs_alb",
    "acm_certificate": "ecs_alb",
    "ecs_cluster": "ecs_alb",
    "ecs_service": "ecs_alb",
    "alarm": "observability",
    "sns_topic": "observability",
}
# Types two tiers make, told apart by name: the flow logs' log group and role are the network's.
SHARED_TYPES = {"log_group": ("flow", "network", "ecs_alb"), "iam_role": ("flow", "network", "ecs_alb")}


def tier_of(resource):
    """The tier (role) that makes ``resource`` (a census record)."""
    kind = resource.get("type")
    if kind in SHARED_TYPES:
        marker, marked, other = SHARED_TYPES[kind]
        return marked if marker in (resource.get("name") or "").lower() else other
    return TIER_OF_TYPE.get(kind, "other")


def tier_changes(before, after, environment, shared_names=()):
    """{tier: {"created": n, "destroyed": n}} between two censuses of the same types, for one environment.

    A resource counts when its environment (tag or name) is ``environment``, or its name is one of
    ``shared_names`` (made once for every environment, such as the ECR repository). Identity is type and id.
    """

    def mine(resources):
        return {
            (r.get("type"), r.get("id")): r
            for r in resources or []
            if r.get("environment") == environment or r.get("name") in shared_names
        }

    old, new = mine(before), mine(after)
    found = {}
    appeared, went = new.keys() - old.keys(), old.keys() - new.keys()
    for keys, resources, what in ((appeared, new, "created"), (went, old, "destroyed")):
        for key in keys:
            counts = found.setdefault(tier_of(resources[key]), {"created": 0, "destroyed": 0})
            counts[what] += 1
    return found
