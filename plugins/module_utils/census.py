# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A census of the AWS resources of the types payments.infra makes, in one region.

Read-only. What each resource type is (service, listing call, result key, where its id, name, ARN
and tags are, what AWS-made items to skip) is one row of the table ``KINDS`` (``vpc``, ``subnet``,
... ``iam_role``), read by one generic lister, ``list_kind``; ``LISTERS[type]`` is that lister for
one type with the service it calls: ``lister(client, region)`` returns every resource of that type
the caller can see, as records::

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
# Listers: one table, KINDS, of what each type is; one generic lister reads it
# ---------------------------------------------------------------------------------------------
class TagCall:
    """Tags read one resource at a time: ``operation(param=<item's tag_of>)``, the tags under ``answer_key``.

    A resource gone meanwhile (``GONE_CODES`` or ``missing``) is left out, or with ``gone_is_untagged``
    kept without tags (S3 answers ``NoSuchTagSet`` for a bucket that has none).
    """

    def __init__(self, operation, param, answer_key, tag_of=None, missing=(), gone_is_untagged=False):
        self.operation = operation
        self.param = param
        self.answer_key = answer_key
        self.tag_of = tag_of
        self.missing = missing
        self.gone_is_untagged = gone_is_untagged

    def __call__(self, client, item, rid, arn):
        value = self.tag_of(item) if self.tag_of else arn
        answer = call_or_gone(client, self.operation, missing=self.missing, **{self.param: value})
        if answer is None and not self.gone_is_untagged:
            return None
        return tag_dict((answer or {}).get(self.answer_key))


class Kind:
    """What the census lists of one resource type, read by ``list_kind``.

    - ``items(client)``: the raw items; or ``(operation, result_key, params)`` through a paginator;
    - ``keep(item)``: False skips an item AWS made that can never be ours;
    - ``rid``, ``arn``: the item's key (or a function of the item) holding its id and ARN;
    - ``name``: a key, or ``name(item, tags)``; None: the ``Name`` tag;
    - ``tags``: the key of the item's own tags (or a function of the item), or a ``TagCall``;
    - ``tags_of(client, arns)``: the tags of all the items at once instead (``{arn: tags}``; an item
      missing from it is gone);
    - ``region(item, region)``; ``attributes(item)``.
    """

    def __init__(
        self,
        service,
        listing,
        rid,
        tags,
        name=None,
        arn=None,
        keep=None,
        attributes=None,
        region=None,
        tags_of=None,
    ):
        self.service = service
        self.listing = listing
        self.rid = rid
        self.tags = tags
        self.name = name
        self.arn = arn
        self.keep = keep
        self.attributes = attributes
        self.region = region
        self.tags_of = tags_of

    def items(self, client):
        if callable(self.listing):
            return self.listing(client)
        operation, result_key, params = (tuple(self.listing) + ({},))[:3]
        return paginate(client, operation, result_key, **params)


def _value(how, item, default=None):
    if how is None:
        return default
    return how(item) if callable(how) else item.get(how)


def _name(kind, item, tags):
    if kind.name is None:
        return tags.get("Name")
    if callable(kind.name):
        return kind.name(item, tags)
    return item.get(kind.name)


def _tags(kind, client, item, rid, arn, bulk):
    if bulk is not None:
        return bulk.get(arn)
    if isinstance(kind.tags, TagCall):
        return kind.tags(client, item, rid, arn)
    return tag_dict(_value(kind.tags, item))


def list_kind(kind, type_name, client, region):
    """Every resource of one type the caller can see, as census records (the generic lister)."""
    items = [item for item in kind.items(client) if not kind.keep or kind.keep(item)]
    bulk = kind.tags_of(client, [_value(kind.arn, item) for item in items]) if kind.tags_of else None
    found = []
    for item in items:
        rid = _value(kind.rid, item) if callable(kind.rid) else item[kind.rid]
        arn = _value(kind.arn, item)
        tags = _tags(kind, client, item, rid, arn, bulk)
        if tags is None:  # gone between the listing and its tags
            continue
        found.append(
            record(
                type_name,
                rid,
                _name(kind, item, tags),
                tags,
                kind.region(item, region) if kind.region else region,
                arn=arn,
                attributes=kind.attributes(item) if kind.attributes else None,
            )
        )
    return found


class Lister:
    def __init__(self, type_name, service, func):
        self.type = type_name
        self.service = service
        self.func = func

    def __call__(self, client, region):
        return self.func(client, region)


# Special listings: APIs without a (usable) paginator, or nested ones.
def _addresses(client):
    """DescribeAddresses has no paginator: one call returns every address."""
    return call(client, "describe_addresses").get("Addresses") or []


def _ec2_tags(item):
    return item.get("Tags") or item.get("TagSet")


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


def _ecs_clusters(client):
    clusters = []
    for batch in chunks(paginate(client, "list_clusters", "clusterArns"), 100):
        answer = call(client, "describe_clusters", clusters=batch, include=["TAGS"])
        clusters += [c for c in answer.get("clusters") or [] if c.get("status") != "INACTIVE"]
    return clusters


def _ecs_services(client):
    services = []
    for cluster in _ecs_clusters(client):
        arns = paginate(client, "list_services", "serviceArns", cluster=cluster["clusterArn"])
        for batch in chunks(arns, 10):
            answer = call_or_gone(
                client, "describe_services", cluster=cluster["clusterArn"], services=batch, include=["TAGS"]
            )
            services += (answer or {}).get("services") or []
    return services


def _alarms(client):
    """Metric and composite alarms: DescribeAlarms' paginator result keys are two lists, so pages by hand."""
    answer = call(client, "describe_alarms", AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    alarms = list(answer.get("MetricAlarms") or []) + list(answer.get("CompositeAlarms") or [])
    while answer.get("NextToken"):
        answer = call(
            client, "describe_alarms", AlarmTypes=["MetricAlarm", "CompositeAlarm"], NextToken=answer["NextToken"]
        )
        alarms += list(answer.get("MetricAlarms") or []) + list(answer.get("CompositeAlarms") or [])
    return alarms


def _buckets(client):
    """Every bucket of the account (the list is global), with its region where ListBuckets says it."""
    return call(client, "list_buckets").get("Buckets") or []


def _log_group_arn(group):
    return group.get("logGroupArn") or group.get("arn", "").removesuffix(":*")


def bucket_region(client, name):
    """The region of a bucket (GetBucketLocation answers None for us-east-1); None when it is gone."""
    answer = call_or_gone(client, "get_bucket_location", Bucket=name)
    if answer is None:
        return None
    return answer.get("LocationConstraint") or "us-east-1"


def _ec2_kind(operation, result_key, id_key, **extra):
    return Kind("ec2", (operation, result_key), id_key, _ec2_tags, **extra)


def _elbv2_kind(operation, result_key, prefix):
    arn = f"{prefix}Arn"
    return Kind("elbv2", (operation, result_key), arn, None, name=f"{prefix}Name", arn=arn, tags_of=_elbv2_tags)


def _named_kind(service, listing, name_key, arn, tags, **extra):
    """A type whose name is its id."""
    return Kind(service, listing, name_key, tags, name=name_key, arn=arn, **extra)


def _rds_group_kind(operation, result_key, prefix, keep):
    name, arn = f"{prefix}Name", f"{prefix}Arn"
    return Kind(
        "rds",
        (operation, result_key),
        name,
        TagCall("list_tags_for_resource", "ResourceName", "TagList"),
        name=name,
        arn=arn,
        keep=lambda group: keep(group[name]),
    )


# Type name -> Kind, in the census's order (TYPES). Special cases are said where they are.
KINDS = {
    "vpc": _ec2_kind("describe_vpcs", "Vpcs", "VpcId", attributes=lambda v: {"cidr_block": v.get("CidrBlock")}),
    "subnet": _ec2_kind("describe_subnets", "Subnets", "SubnetId", arn="SubnetArn"),
    "internet_gateway": _ec2_kind("describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
    "nat_gateway": _ec2_kind(
        "describe_nat_gateways",
        "NatGateways",
        "NatGatewayId",
        keep=lambda n: n.get("State") not in ("deleted", "failed"),
    ),
    "elastic_ip": Kind("ec2", _addresses, lambda a: a.get("AllocationId") or a.get("PublicIp"), "Tags"),
    "route_table": _ec2_kind("describe_route_tables", "RouteTables", "RouteTableId"),
    "security_group": _ec2_kind(
        "describe_security_groups",
        "SecurityGroups",
        "GroupId",
        name="GroupName",
        keep=lambda g: g.get("GroupName") != "default",
        arn="SecurityGroupArn",
    ),
    "flow_log": _ec2_kind("describe_flow_logs", "FlowLogs", "FlowLogId"),
    "load_balancer": _elbv2_kind("describe_load_balancers", "LoadBalancers", "LoadBalancer"),
    "target_group": _elbv2_kind("describe_target_groups", "TargetGroups", "TargetGroup"),
    "db_instance": Kind(
        "rds",
        ("describe_db_instances", "DBInstances"),
        "DBInstanceIdentifier",
        "TagList",
        name="DBInstanceIdentifier",
        arn="DBInstanceArn",
        attributes=lambda d: {"engine": d.get("Engine"), "engine_version": d.get("EngineVersion")},
    ),
    # RDS's own default.* parameter groups and default subnet group cannot be tagged as ours.
    "db_parameter_group": _rds_group_kind(
        "describe_db_parameter_groups",
        "DBParameterGroups",
        "DBParameterGroup",
        keep=lambda name: not name.startswith("default."),
    ),
    "db_subnet_group": _rds_group_kind(
        "describe_db_subnet_groups", "DBSubnetGroups", "DBSubnetGroup", keep=lambda name: name != "default"
    ),
    "secret": Kind("secretsmanager", ("list_secrets", "SecretList"), "ARN", "Tags", name="Name", arn="ARN"),
    "ecs_cluster": Kind("ecs", _ecs_clusters, "clusterArn", "tags", name="clusterName", arn="clusterArn"),
    "ecs_service": Kind(
        "ecs",
        _ecs_services,
        "serviceArn",
        "tags",
        name="serviceName",
        arn="serviceArn",
        keep=lambda s: s.get("status") != "INACTIVE",
    ),
    "acm_certificate": Kind(
        "acm",
        ("list_certificates", "CertificateSummaryList", {"Includes": {"keyTypes": ACM_KEY_TYPES}}),
        "CertificateArn",
        TagCall("list_tags_for_certificate", "CertificateArn", "Tags"),
        name=lambda summary, tags: tags.get("Name") or summary.get("DomainName"),  # the domain without a Name
        arn="CertificateArn",
    ),
    "s3_bucket": Kind(
        "s3",
        _buckets,
        "Name",
        TagCall(
            "get_bucket_tagging",
            "Bucket",
            "TagSet",
            tag_of=lambda b: b["Name"],
            missing=["NoSuchTagSet"],
            gone_is_untagged=True,
        ),
        name="Name",
        arn=lambda b: f"arn:aws:s3:::{b['Name']}",
        region=lambda b, region: b.get("BucketRegion"),  # the census locates the others
    ),
    "ecr_repository": _named_kind(
        "ecr",
        ("describe_repositories", "repositories"),
        "repositoryName",
        "repositoryArn",
        TagCall("list_tags_for_resource", "resourceArn", "tags"),
    ),
    "log_group": _named_kind(
        "logs",
        ("describe_log_groups", "logGroups"),
        "logGroupName",
        _log_group_arn,
        TagCall("list_tags_for_resource", "resourceArn", "tags"),
    ),
    "alarm": _named_kind(
        "cloudwatch", _alarms, "AlarmName", "AlarmArn", TagCall("list_tags_for_resource", "ResourceARN", "Tags")
    ),
    "sns_topic": Kind(
        "sns",
        ("list_topics", "Topics"),
        "TopicArn",
        TagCall("list_tags_for_resource", "ResourceArn", "Tags"),
        name=lambda topic, tags: topic["TopicArn"].rsplit(":", 1)[-1],
        arn="TopicArn",
    ),
    # IAM is global: every role of the account, region None; ListRoles does not return tags on AWS.
    "iam_role": Kind(
        "iam",
        ("list_roles", "Roles"),
        "RoleName",
        TagCall("list_role_tags", "RoleName", "Tags", tag_of=lambda role: role["RoleName"]),
        name="RoleName",
        arn="Arn",
        keep=lambda role: not role.get("Path", "/").startswith("/aws-service-role/"),  # service-linked: AWS's own
        region=lambda role, region: GLOBAL,
    ),
}


def _lister_of(type_name, kind):
    return Lister(type_name, kind.service, lambda client, region: list_kind(kind, type_name, client, region))


LISTERS = {type_name: _lister_of(type_name, kind) for type_name, kind in KINDS.items()}


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
