"""payments.infra.resource_census (and module_utils/census.py) against moto in-process."""

import json
import os
import re
from pathlib import Path

import boto3
import pytest

from ansible_collections.payments.infra.plugins.module_utils import census as census_utils
from ansible_collections.payments.infra.plugins.modules import resource_census

REGION = "us-east-1"
OURS = {"Project": "payment-api", "Environment": "dev", "ManagedBy": "payments.infra"}
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
READ_PREFIXES = ("Describe", "List", "Get")


def client(service):
    return boto3.client(service, region_name=REGION)


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def ec2_spec(resource_type, name, tags):
    """TagSpecifications of an EC2 resource: its Name tag is its name."""
    return [{"ResourceType": resource_type, "Tags": tag_list({"Name": name, **tags})}]


class World:
    """Creates one resource of a type with a name and tags; returns its census id."""

    def __init__(self):
        self.ec2 = client("ec2")
        self._vpc = None
        self._subnets = None
        self._n = 0

    def vpc_id(self):
        if self._vpc is None:
            self._vpc = self.ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        return self._vpc

    def subnet_ids(self):
        if self._subnets is None:
            self._subnets = [
                self.ec2.create_subnet(
                    VpcId=self.vpc_id(), CidrBlock=f"10.99.{i}.0/24", AvailabilityZone=f"{REGION}{z}"
                )["Subnet"]["SubnetId"]
                for i, z in enumerate("ab")
            ]
        return self._subnets

    def next_cidr(self):
        self._n += 1
        return f"10.{self._n}.0.0/16"

    def make(self, resource_type, name, tags):
        return getattr(self, f"make_{resource_type}")(name, tags)

    # EC2: the name is the Name tag (security groups: the group name)
    def make_vpc(self, name, tags):
        return self.ec2.create_vpc(CidrBlock=self.next_cidr(), TagSpecifications=ec2_spec("vpc", name, tags))["Vpc"][
            "VpcId"
        ]

    def make_subnet(self, name, tags):
        self._n += 1
        return self.ec2.create_subnet(
            VpcId=self.vpc_id(),
            CidrBlock=f"10.99.{100 + self._n}.0/24",
            TagSpecifications=ec2_spec("subnet", name, tags),
        )["Subnet"]["SubnetId"]

    def make_internet_gateway(self, name, tags):
        return self.ec2.create_internet_gateway(TagSpecifications=ec2_spec("internet-gateway", name, tags))[
            "InternetGateway"
        ]["InternetGatewayId"]

    def make_nat_gateway(self, name, tags):
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        return self.ec2.create_nat_gateway(
            SubnetId=self.subnet_ids()[0], AllocationId=allocation, TagSpecifications=ec2_spec("natgateway", name, tags)
        )["NatGateway"]["NatGatewayId"]

    def make_elastic_ip(self, name, tags):
        return self.ec2.allocate_address(Domain="vpc", TagSpecifications=ec2_spec("elastic-ip", name, tags))[
            "AllocationId"
        ]

    def make_route_table(self, name, tags):
        return self.ec2.create_route_table(VpcId=self.vpc_id(), TagSpecifications=ec2_spec("route-table", name, tags))[
            "RouteTable"
        ]["RouteTableId"]

    def make_security_group(self, name, tags):
        return self.ec2.create_security_group(
            GroupName=name,
            Description="census test",
            VpcId=self.vpc_id(),
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tag_list(tags)}] if tags else [],
        )["GroupId"]

    def make_flow_log(self, name, tags):
        vpc = self.make_vpc(f"vpc-of-{name}", {})
        if not self._n or "flow-log-bucket" not in [b["Name"] for b in client("s3").list_buckets()["Buckets"]]:
            client("s3").create_bucket(Bucket="flow-log-bucket")
        return self.ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination="arn:aws:s3:::flow-log-bucket",
            TagSpecifications=ec2_spec("vpc-flow-log", name, tags),
        )["FlowLogIds"][0]

    # Named resources
    def make_load_balancer(self, name, tags):
        extra = {"Tags": tag_list(tags)} if tags else {}
        balancer = client("elbv2").create_load_balancer(Name=name, Subnets=self.subnet_ids(), **extra)
        return balancer["LoadBalancers"][0]["LoadBalancerArn"]

    def make_target_group(self, name, tags):
        group = client("elbv2").create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=8080,
            VpcId=self.vpc_id(),
            TargetType="ip",
            **({"Tags": tag_list(tags)} if tags else {}),
        )
        return group["TargetGroups"][0]["TargetGroupArn"]

    def make_db_instance(self, name, tags):
        client("rds").create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            EngineVersion="15.14",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="payments",
            MasterUserPassword="not-a-real-password-1",
            Tags=tag_list(tags),
        )
        return name

    def make_db_parameter_group(self, name, tags):
        client("rds").create_db_parameter_group(
            DBParameterGroupName=name,
            DBParameterGroupFamily="postgres15",
            Description="census test",
            Tags=tag_list(tags),
        )
        return name

    def make_db_subnet_group(self, name, tags):
        client("rds").create_db_subnet_group(
            DBSubnetGroupName=name,
            DBSubnetGroupDescription="census test",
            SubnetIds=self.subnet_ids(),
            Tags=tag_list(tags),
        )
        return name

    def make_secret(self, name, tags):
        return client("secretsmanager").create_secret(Name=name, SecretString="x", Tags=tag_list(tags))["ARN"]

    def make_ecs_cluster(self, name, tags):
        return client("ecs").create_cluster(clusterName=name, tags=[{"key": k, "value": v} for k, v in tags.items()])[
            "cluster"
        ]["clusterArn"]

    def make_ecs_service(self, name, tags):
        ecs = client("ecs")
        ecs.create_cluster(clusterName=f"cluster-of-{name}")
        ecs.register_task_definition(
            family="census", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
        )
        extra = {"tags": [{"key": k, "value": v} for k, v in tags.items()]} if tags else {}
        return ecs.create_service(
            cluster=f"cluster-of-{name}", serviceName=name, taskDefinition="census", desiredCount=0, **extra
        )["service"]["serviceArn"]

    def make_acm_certificate(self, name, tags):
        # Without a Name tag the domain name is the name.
        request = {"DomainName": f"{name}.example.com"}
        if tags:
            request["Tags"] = tag_list({"Name": name, **tags})
        return client("acm").request_certificate(**request)["CertificateArn"]

    def make_s3_bucket(self, name, tags):
        s3 = client("s3")
        s3.create_bucket(Bucket=name)
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})
        return name

    def make_ecr_repository(self, name, tags):
        client("ecr").create_repository(repositoryName=name, **({"tags": tag_list(tags)} if tags else {}))
        return name

    def make_log_group(self, name, tags):
        client("logs").create_log_group(logGroupName=name, **({"tags": tags} if tags else {}))
        return name

    def make_alarm(self, name, tags):
        client("cloudwatch").put_metric_alarm(
            AlarmName=name,
            MetricName="CPUUtilization",
            Namespace="AWS/ECS",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=90.0,
            ComparisonOperator="GreaterThanThreshold",
            **({"Tags": tag_list(tags)} if tags else {}),
        )
        return name

    def make_sns_topic(self, name, tags):
        return client("sns").create_topic(Name=name, **({"Tags": tag_list(tags)} if tags else {}))["TopicArn"]

    def make_iam_role(self, name, tags):
        client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=tag_list(tags))
        return name


def names_for(resource_type):
    """(found by name, found by tag, not ours) names of one type; valid for every type's naming rules."""
    stem = resource_type.replace("_", "-")
    if resource_type == "log_group":
        return f"/payment/dev/{stem}", f"/other/dev/{stem}-tagged", f"/other/dev/{stem}"
    return f"payment-{stem}-dev2", f"other-{stem}-tagged", f"other-{stem}"


@pytest.fixture
def world(aws):
    return World()


@pytest.mark.parametrize("resource_type", census_utils.TYPES)
def test_each_type_found_by_name_and_by_tag(world, run_module, resource_type):
    by_name, by_tag, other = names_for(resource_type)
    name_id = world.make(resource_type, by_name, {})
    tag_id = world.make(resource_type, by_tag, OURS)
    world.make(resource_type, other, {})

    result = run_module(resource_census, {"name_prefix": "payment", "types": [resource_type]})

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    found = {r["id"]: r for r in result["resources"]}
    assert set(found) == {name_id, tag_id}, [r["name"] for r in result["resources"]]
    assert {r["type"] for r in result["resources"]} == {resource_type}

    untagged = found[name_id]
    # An ACM certificate without a Name tag is named by its domain.
    assert untagged["name"] == (f"{by_name}.example.com" if resource_type == "acm_certificate" else by_name)
    assert untagged["managed"] is False
    assert untagged["matched_by"] == ["name"]
    assert untagged["environment"] is None
    assert untagged["environment_from"] is None

    tagged = found[tag_id]
    assert tagged["name"] == by_tag
    assert tagged["managed"] is True
    assert tagged["matched_by"] == ["tag"]
    assert tagged["environment"] == "dev"
    assert tagged["environment_from"] == "tag"
    for key, value in OURS.items():
        assert tagged["tags"][key] == value
    expected_region = None if resource_type == "iam_role" else REGION
    assert tagged["region"] == expected_region
    assert result["counts"] == {resource_type: 2}
    assert result["by_environment"] == {"dev": 1, "none": 1}
    assert result["findings"] == []


def test_adoption_attributes(world, run_module):
    world.make("vpc", "payment-vpc-dev", OURS)
    world.make("db_instance", "payment-db-dev", OURS)
    world.make("security_group", "payment-app-sg-dev", OURS)

    result = run_module(resource_census, {"name_prefix": "payment", "types": ["vpc", "db_instance", "security_group"]})

    by_type = {r["type"]: r for r in result["resources"]}
    assert by_type["vpc"]["attributes"] == {"cidr_block": "10.1.0.0/16"}
    assert by_type["db_instance"]["attributes"]["engine"] == "postgres"
    assert by_type["db_instance"]["attributes"]["engine_version"].startswith("15")
    assert by_type["db_instance"]["arn"].endswith(":db:payment-db-dev")
    assert by_type["security_group"]["attributes"] == {}
    # Sorted in the order of the types
    assert [r["type"] for r in result["resources"]] == ["vpc", "security_group", "db_instance"]


def test_both_name_and_tag_and_the_default_security_group_and_other_tag_values(world, run_module):
    both = world.make("vpc", "payment-vpc-dev", OURS)
    other_manager = world.make("vpc", "legacy-vpc", {"ManagedBy": "terraform", "Environment": "dev"})

    result = run_module(resource_census, {"name_prefix": "payment", "types": ["vpc", "security_group"]})

    ids = {r["id"]: r for r in result["resources"]}
    assert ids[both]["matched_by"] == ["name", "tag"]
    assert other_manager not in ids  # neither our name nor our tag value
    assert all(r["name"] != "default" for r in result["resources"])


def test_tag_only_census_and_a_custom_tag(world, run_module):
    named = world.make("sns_topic", "payment-alarms-dev", {})
    custom = world.make("sns_topic", "team-topic", {"Owner": "payments-team"})

    by_default_tag = run_module(resource_census, {"types": ["sns_topic"]})
    assert by_default_tag["resources"] == []  # no prefix: found by tag only

    by_custom_tag = run_module(
        resource_census, {"types": ["sns_topic"], "tag_key": "Owner", "tag_value": "payments-team"}
    )
    assert [r["id"] for r in by_custom_tag["resources"]] == [custom]
    assert by_custom_tag["resources"][0]["managed"] is True
    assert named not in [r["id"] for r in by_custom_tag["resources"]]


def test_types_filter_and_all_types(world, run_module):
    world.make("vpc", "payment-vpc-dev", OURS)
    world.make("s3_bucket", "payment-logs-dev-123456789012", OURS)
    world.make("log_group", "/payment/dev/app", OURS)
    world.make("iam_role", "payment-task-dev", OURS)

    some = run_module(resource_census, {"name_prefix": "payment", "types": ["s3_bucket", "vpc"]})
    assert [r["type"] for r in some["resources"]] == ["vpc", "s3_bucket"]
    assert some["counts"] == {"vpc": 1, "s3_bucket": 1}

    every = run_module(resource_census, {"name_prefix": "payment"})
    assert every["counts"] == {"vpc": 1, "s3_bucket": 1, "log_group": 1, "iam_role": 1}

    bad = run_module(resource_census, {"types": ["vpc", "lambda_function"]})
    assert bad["failed"]
    assert "lambda_function" in bad["msg"]


def test_findings_of_an_audit(world, run_module):
    world.make("vpc", "payment-vpc-dev", OURS)  # desired: no finding
    qa = world.make("vpc", "payment-vpc-qa", {**OURS, "Environment": "qa"})
    stray = world.make("security_group", "payment-vpc-dev2", {})
    both = world.make("log_group", "/payment/qa/stray", {"Environment": "qa"})
    shared = world.make(
        "ecr_repository", "payment-api", {"Project": "payment-api", "Shared": "true", "ManagedBy": "payments.infra"}
    )

    result = run_module(
        resource_census,
        {
            "name_prefix": "payment",
            "types": ["vpc", "security_group", "ecr_repository", "log_group"],
            "desired_environments": ["dev", "staging", "prod"],
        },
    )

    kinds = sorted((f["id"], f["finding"]) for f in result["findings"])
    assert kinds == sorted(
        [
            (qa, "environment_not_desired"),
            (stray, "unmanaged_lookalike"),
            (both, "environment_not_desired"),
            (both, "unmanaged_lookalike"),
        ]
    )
    assert shared not in [f["id"] for f in result["findings"]]  # shared: no Environment tag, ours
    qa_finding = next(f for f in result["findings"] if f["id"] == qa)
    assert qa_finding["environment"] == "qa"
    assert qa_finding["name"] == "payment-vpc-qa"
    assert "not one of dev, prod, staging" in qa_finding["reason"]
    assert result["by_environment"] == {"dev": 1, "none": 2, "qa": 2}

    only_dev = run_module(
        resource_census, {"name_prefix": "payment", "types": ["vpc"], "desired_environments": ["dev"]}
    )
    assert [f["id"] for f in only_dev["findings"]] == [qa]


def test_read_only_in_check_mode_too(world, run_module, api_calls):
    world.make("vpc", "payment-vpc-dev", OURS)
    world.make("s3_bucket", "payment-logs-dev-123456789012", {})
    del api_calls[:]

    result = run_module(resource_census, {"name_prefix": "payment"}, check_mode=True)

    assert result["changed"] is False
    assert {r["type"] for r in result["resources"]} == {"vpc", "s3_bucket"}
    assert api_calls
    assert [op for op, _ in api_calls if not op.startswith(READ_PREFIXES)] == []


def test_empty_prefix_refused(world, run_module, api_calls):
    result = run_module(resource_census, {"name_prefix": " "})
    assert result["failed"]
    assert "name_prefix" in result["msg"]
    assert api_calls == []


def test_resource_gone_between_list_and_tags_is_left_out(world, monkeypatch):
    world.make("sns_topic", "payment-alarms-dev", OURS)
    sns = client("sns")
    original = census_utils.call

    def vanishing(c, operation, **params):
        if operation == "list_tags_for_resource":
            sns.delete_topic(TopicArn=params["ResourceArn"])
        return original(c, operation, **params)

    monkeypatch.setattr(census_utils, "call", vanishing)
    assert census_utils.census(client, REGION, types=["sns_topic"], name_prefix="payment") == []


def test_an_aws_error_names_the_type(world, monkeypatch):
    import botocore.exceptions

    def denied(*_args, **_kwargs):
        raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListRoles")

    monkeypatch.setattr(census_utils, "paginate", denied)
    with pytest.raises(census_utils.AnsibleCensusError, match="iam_role"):
        census_utils.census(client, REGION, types=["iam_role"], name_prefix="payment")


# ---------------------------------------------------------------------------------------------
# The whole census of a populated account, against a recorded answer: what the preflight, the
# audit and the teardown checks read must not change when the listers are rewritten.
# ---------------------------------------------------------------------------------------------
GOLDEN = Path(__file__).parent / "data" / "census_golden.json"
# Ids, ARNs' random parts and addresses that moto draws at random: numbered in order of appearance.
RANDOM = re.compile(
    r"\b(?:vpc|subnet|igw|nat|eipalloc|eipassoc|rtb|rtbassoc|sg|fl|acl|eni)-[0-9a-f]{8,17}\b"
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|(?<=/)[0-9a-f]{16}\b"
    r"|(?<=secret:)[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}\b"
    r"|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"
)


def populate_account(world):
    """Every type found by name, by tag and not ours, plus the special cases the listers skip or name."""
    for resource_type in census_utils.TYPES:
        by_name, by_tag, other = names_for(resource_type)
        world.make(resource_type, by_name, {})
        world.make(resource_type, by_tag, OURS)
        world.make(resource_type, other, {})
    world.make("vpc", "payment-vpc-dev", OURS)  # name and tag
    world.make("vpc", "payment-vpc-qa", {**OURS, "Environment": "qa"})  # not desired
    world.make("log_group", "/payment/qa/stray", {"Environment": "qa"})  # both findings
    world.make("acm_certificate", "payment-untagged-cert", {})  # named by its domain
    gone = world.make("nat_gateway", "payment-nat-gone", OURS)
    world.ec2.delete_nat_gateway(NatGatewayId=gone)  # deleted: skipped
    client("ecs").create_cluster(clusterName="payment-inactive-cluster")
    client("ecs").delete_cluster(cluster="payment-inactive-cluster")  # inactive: skipped
    client("iam").create_role(
        RoleName="payment-service-linked", Path="/aws-service-role/x/", AssumeRolePolicyDocument=TRUST
    )  # AWS's own: skipped


def normalized(value):
    text = json.dumps(value, indent=1, sort_keys=True, default=str)
    numbers = {}
    return json.loads(RANDOM.sub(lambda m: numbers.setdefault(m.group(0), f"<random-{len(numbers)}>"), text))


def listing_order(resource):
    """An order of an unfiltered listing that does not depend on moto's random ids (the census sorts its own)."""
    return (resource["name"] or "", json.dumps(resource["tags"], sort_keys=True), json.dumps(resource["attributes"]))


def whole_census(run_module, api_calls):
    del api_calls[:]
    audit = run_module(resource_census, {"name_prefix": "payment", "desired_environments": ["dev", "staging", "prod"]})
    operations = sorted({op for op, _ in api_calls})
    tag_only = census_utils.census(client, REGION, tag_key="Environment", tag_value="qa")
    unfiltered = {
        t: sorted(census_utils.list_type(client(census_utils.LISTERS[t].service), t, REGION), key=listing_order)
        for t in census_utils.TYPES
    }
    return normalized(
        {
            "audit": {k: audit[k] for k in ("resources", "findings", "counts", "by_environment", "changed")},
            "operations": operations,
            "tag_only": tag_only,
            "unfiltered": unfiltered,
        }
    )


def test_the_whole_census_of_an_account_is_the_recorded_one(world, run_module, api_calls):
    """PAYMENTS_CENSUS_GOLDEN=write records the answer (only when the census is meant to change)."""
    populate_account(world)
    answer = whole_census(run_module, api_calls)
    if os.environ.get("PAYMENTS_CENSUS_GOLDEN") == "write":
        GOLDEN.write_text(json.dumps(answer, indent=1, sort_keys=True) + "\n")
    assert answer["audit"]["resources"], "the account was populated"
    assert answer == json.loads(GOLDEN.read_text())
