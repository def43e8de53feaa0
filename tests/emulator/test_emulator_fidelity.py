"""Each fidelity patch: the emulator answers as AWS does where stock moto does not."""

import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.fidelity import PATCHES
from emulator.fidelity import patch_name
from emulator.testing import RunningEmulator
from emulator.testing import running_emulator


@pytest.fixture
def nat_gateway(aws: Callable[..., Any]) -> dict[str, Any]:
    """A tagged public NAT gateway in 10.77.3.0/24, as returned by CreateNatGateway."""
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.77.3.0/24")["Subnet"]["SubnetId"]
    allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
    name = f"nat-{uuid.uuid4().hex[:8]}"
    return ec2.create_nat_gateway(
        SubnetId=subnet_id,
        AllocationId=allocation_id,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": name}]}],
    )["NatGateway"]


def create_postgres(aws: Callable[..., Any], allocated_storage: int, **extra: Any) -> dict[str, Any]:
    """CreateDBInstance for a gp3 PostgreSQL instance; returns the response's DBInstance."""
    return aws("rds").create_db_instance(
        DBInstanceIdentifier=f"pg-{uuid.uuid4().hex[:10]}",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.3",
        AllocatedStorage=allocated_storage,
        StorageType="gp3",
        MasterUsername="payments",
        MasterUserPassword="not-a-secret-123",
        **extra,
    )["DBInstance"]


def performance(instance: dict[str, Any]) -> tuple[Any, Any]:
    return instance.get("Iops"), instance.get("StorageThroughput")


def test_health_lists_the_applied_patches(emu: RunningEmulator) -> None:
    assert emu.client.health()["fidelity"] == [patch_name(patch) for patch in PATCHES]
    assert all(patch.__doc__ for patch in PATCHES)


def test_describe_tags_filters_by_aws_resource_type_natgateway(
    aws: Callable[..., Any], nat_gateway: dict[str, Any]
) -> None:
    nat_id = nat_gateway["NatGatewayId"]

    tags = aws("ec2").describe_tags(
        Filters=[{"Name": "resource-type", "Values": ["natgateway"]}, {"Name": "resource-id", "Values": [nat_id]}]
    )["Tags"]

    assert tags == [
        {"Key": "Name", "ResourceId": nat_id, "ResourceType": "natgateway", "Value": nat_gateway["Tags"][0]["Value"]}
    ]


def _tags_of_a_tagged_elastic_ip(ec2: Any) -> list[dict[str, Any]]:
    """Allocate an Elastic IP, tag it, and ask DescribeTags for the tags of resource type elastic-ip of it."""
    allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_tags(Resources=[allocation_id], Tags=[{"Key": "role", "Value": "egress"}])
    return ec2.describe_tags(
        Filters=[
            {"Name": "resource-type", "Values": ["elastic-ip"]},
            {"Name": "resource-id", "Values": [allocation_id]},
        ]
    )["Tags"]


def test_describe_tags_elastic_ip_resource_type(aws: Callable[..., Any]) -> None:
    tags = _tags_of_a_tagged_elastic_ip(aws("ec2"))

    assert [(tag["ResourceType"], tag["Key"]) for tag in tags] == [("elastic-ip", "role")]


def test_nat_gateway_private_ip_is_inside_its_subnet(aws: Callable[..., Any], nat_gateway: dict[str, Any]) -> None:
    subnet = ipaddress.ip_network("10.77.3.0/24")
    [address] = nat_gateway["NatGatewayAddresses"]
    described = aws("ec2").describe_nat_gateways(NatGatewayIds=[nat_gateway["NatGatewayId"]])["NatGateways"][0]
    eni = aws("ec2").describe_network_interfaces(NetworkInterfaceIds=[address["NetworkInterfaceId"]])[
        "NetworkInterfaces"
    ][0]

    private_ip = ipaddress.ip_address(address["PrivateIp"])
    assert private_ip in subnet
    assert private_ip not in {*list(subnet)[:4], subnet.broadcast_address}  # AWS-reserved addresses
    assert described["NatGatewayAddresses"][0]["PrivateIp"] == address["PrivateIp"]
    assert eni["PrivateIpAddress"] == address["PrivateIp"]


def test_nat_gateways_in_one_subnet_get_distinct_addresses(aws: Callable[..., Any]) -> None:
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.78.0.0/28")["Subnet"]["SubnetId"]

    addresses = [
        ec2.create_nat_gateway(SubnetId=subnet_id, ConnectivityType="private")["NatGateway"]["NatGatewayAddresses"][0][
            "PrivateIp"
        ]
        for _ in range(3)
    ]

    assert len(set(addresses)) == 3
    assert all(ipaddress.ip_address(ip) in ipaddress.ip_network("10.78.0.0/28") for ip in addresses)


def test_gp3_instance_reports_baseline_performance(aws: Callable[..., Any]) -> None:
    small = create_postgres(aws, 20)
    large = create_postgres(aws, 500)
    described = aws("rds").describe_db_instances(DBInstanceIdentifier=small["DBInstanceIdentifier"])["DBInstances"][0]

    assert performance(small) == (3000, 125)
    assert performance(described) == (3000, 125)
    assert performance(large) == (12000, 500)


def test_gp3_explicit_performance_is_kept(aws: Callable[..., Any]) -> None:
    instance = create_postgres(aws, 500, Iops=16000, StorageThroughput=1000)

    assert performance(instance) == (16000, 1000)


def test_gp3_baseline_follows_storage_growth(aws: Callable[..., Any]) -> None:
    rds = aws("rds")
    identifier = create_postgres(aws, 100)["DBInstanceIdentifier"]

    modified = rds.modify_db_instance(DBInstanceIdentifier=identifier, AllocatedStorage=400, ApplyImmediately=True)

    assert performance(modified["DBInstance"]) == (12000, 500)
    described = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    assert performance(described) == (12000, 500)


def test_nat_gateway_tag_filters_select_by_tag(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    made = {}
    for name in ("fidelity-nat-a", "fidelity-nat-b"):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        made[name] = ec2.create_nat_gateway(
            SubnetId=subnet,
            AllocationId=eip,
            TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": name}]}],
        )["NatGateway"]["NatGatewayId"]
    found = ec2.describe_nat_gateways(Filters=[{"Name": "tag:Name", "Values": ["fidelity-nat-a"]}])["NatGateways"]
    assert [gw["NatGatewayId"] for gw in found] == [made["fidelity-nat-a"]]
    keyed = ec2.describe_nat_gateways(
        Filters=[{"Name": "tag-key", "Values": ["Name"]}, {"Name": "subnet-id", "Values": [subnet]}]
    )["NatGateways"]
    assert {gw["NatGatewayId"] for gw in keyed} == set(made.values())
    assert ec2.describe_nat_gateways(Filters=[{"Name": "tag:Name", "Values": ["nobody"]}])["NatGateways"] == []


def test_create_nat_gateway_is_idempotent_on_client_token(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.78.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, ClientToken="fidelity-token-1")["NatGateway"]
    again = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, ClientToken="fidelity-token-1")["NatGateway"]
    assert again["NatGatewayId"] == first["NatGatewayId"]
    in_subnet = ec2.describe_nat_gateways(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NatGateways"]
    assert len(in_subnet) == 1
    other_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    with pytest.raises(ClientError) as mismatch:
        ec2.create_nat_gateway(SubnetId=subnet, AllocationId=other_eip, ClientToken="fidelity-token-1")
    assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatch"


def test_create_flow_logs_is_idempotent_on_client_token(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.79.0.0/16")["Vpc"]["VpcId"]
    request = {
        "ResourceIds": [vpc],
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": "arn:aws:s3:::fidelity-flow-logs",
        "ClientToken": "fidelity-flow-token",
    }
    aws("s3").create_bucket(Bucket="fidelity-flow-logs")
    first = ec2.create_flow_logs(**request)
    again = ec2.create_flow_logs(**request)
    assert again["FlowLogIds"] == first["FlowLogIds"]
    assert len(ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]) == 1


def test_flow_log_reports_log_group_name_and_arn_either_way(aws):
    ec2, logs = aws("ec2"), aws("logs")
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    logs.create_log_group(logGroupName="fidelity-flow-group")
    arn = logs.describe_log_groups(logGroupNamePrefix="fidelity-flow-group")["logGroups"][0]["arn"]
    role = "arn:aws:iam::123456789012:role/flow"
    ec2.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestination=arn, DeliverLogsPermissionArn=role
    )
    (made,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    assert made["LogGroupName"] == "fidelity-flow-group"
    assert made["LogDestination"] == arn.removesuffix(":*")
    assert made["DeliverLogsStatus"] == "SUCCESS"
    # The same log group by name is the same destination: a duplicate, refused.
    with pytest.raises(ClientError) as duplicate:
        ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogGroupName="fidelity-flow-group",
            DeliverLogsPermissionArn=role,
        )
    assert duplicate.value.response["Error"]["Code"] == "FlowLogAlreadyExists"


def _put_alarm(cloudwatch: Any, name: str, threshold: float, **extra: Any) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ECS",
        MetricName="CPUUtilization",
        Statistic="Average",
        ComparisonOperator="GreaterThanThreshold",
        Threshold=threshold,
        Period=300,
        EvaluationPeriods=2,
        **extra,
    )


def _alarm_tags(cloudwatch: Any, name: str) -> dict[str, str]:
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}


def test_put_metric_alarm_tags_a_new_alarm_only(aws: Callable[..., Any]) -> None:
    cloudwatch = aws("cloudwatch")
    name = f"fidelity-alarm-{uuid.uuid4().hex[:8]}"
    _put_alarm(cloudwatch, name, 80, Tags=[{"Key": "Environment", "Value": "dev"}])
    assert _alarm_tags(cloudwatch, name) == {"Environment": "dev"}
    # An update's Tags are ignored; the update itself is made.
    _put_alarm(cloudwatch, name, 70, Tags=[{"Key": "Owner", "Value": "x"}, {"Key": "Environment", "Value": "prod"}])
    assert _alarm_tags(cloudwatch, name) == {"Environment": "dev"}
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["Threshold"] == 70.0


def test_delete_alarms_deletes_their_tags(aws: Callable[..., Any]) -> None:
    cloudwatch = aws("cloudwatch")
    name = f"fidelity-alarm-{uuid.uuid4().hex[:8]}"
    _put_alarm(cloudwatch, name, 80, Tags=[{"Key": "Environment", "Value": "dev"}])
    cloudwatch.delete_alarms(AlarmNames=[name, f"{name}-never-made"])
    _put_alarm(cloudwatch, name, 80)
    assert _alarm_tags(cloudwatch, name) == {}


def test_a_plain_emulator_is_moto_as_it_is_with_the_call_recorder() -> None:
    """`start --plain` (what `make bench` runs the stock build on): no patch applied, every call still recorded."""
    with running_emulator(start_args=["--plain"]) as plain:
        ec2 = boto3.client(
            "ec2",
            region_name="us-east-1",
            endpoint_url=plain.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        tags = _tags_of_a_tagged_elastic_ip(ec2)

        assert plain.client.health()["fidelity"] == []
        # moto's own answer, which the patch of test_describe_tags_elastic_ip_resource_type corrects
        assert tags == []
        assert [call["operation"] for call in plain.client.calls()] == ["AllocateAddress", "CreateTags", "DescribeTags"]
