"""payments.infra.ec2_nat_gateway against moto in-process."""

import pytest

from ansible_collections.payments.infra.plugins.modules import ec2_nat_gateway

NAME = "payment-nat-dev-us-east-1a"


@pytest.fixture
def subnet(ec2_client):
    vpc = ec2_client.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    return ec2_client.create_subnet(VpcId=vpc, CidrBlock="10.10.0.0/24", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"
    ]


def live_nats(ec2):
    gws = ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["pending", "available"]}])["NatGateways"]
    return gws


def args(subnet_id, **extra):
    return dict({"name": NAME, "subnet_id": subnet_id, "tags": {"Environment": "dev"}}, **extra)


def test_create_then_rerun_is_unchanged(run_module, ec2_client, subnet):
    first = run_module(ec2_nat_gateway, args(subnet))
    assert first["changed"] is True
    gw = first["nat_gateway"]
    assert gw["state"] == "available" and gw["subnet_id"] == subnet
    assert gw["tags"] == {"Environment": "dev", "Name": NAME}
    eips = ec2_client.describe_addresses()["Addresses"]
    assert len(eips) == 1 and eips[0]["AllocationId"] == gw["allocation_id"]
    assert {t["Key"]: t["Value"] for t in eips[0]["Tags"]} == {"Environment": "dev", "Name": NAME + "-eip"}

    second = run_module(ec2_nat_gateway, args(subnet))
    assert second["changed"] is False, second
    assert second["nat_gateway"]["nat_gateway_id"] == gw["nat_gateway_id"]
    assert len(live_nats(ec2_client)) == 1
    assert len(ec2_client.describe_addresses()["Addresses"]) == 1


def test_check_mode_creates_nothing(run_module, ec2_client, subnet):
    result = run_module(ec2_nat_gateway, args(subnet), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["subnet_id"] == subnet
    assert live_nats(ec2_client) == []
    assert ec2_client.describe_addresses()["Addresses"] == []


def test_killed_after_eip_allocation_reuses_the_eip(run_module, ec2_client, subnet):
    # A run killed between AllocateAddress and CreateNatGateway leaves a tagged EIP behind.
    leftover = ec2_client.allocate_address(
        Domain="vpc",
        TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": NAME + "-eip"}]}],
    )["AllocationId"]
    result = run_module(ec2_nat_gateway, args(subnet))
    assert result["nat_gateway"]["allocation_id"] == leftover
    assert len(ec2_client.describe_addresses()["Addresses"]) == 1


def test_adopts_untagged_nat_in_subnet(run_module, ec2_client, subnet):
    eip = ec2_client.allocate_address(Domain="vpc")["AllocationId"]
    manual = ec2_client.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    result = run_module(ec2_nat_gateway, args(subnet))
    assert result["adopted"] is True and result["changed"] is True
    assert result["nat_gateway"]["nat_gateway_id"] == manual
    assert result["nat_gateway"]["tags"]["Name"] == NAME
    assert len(live_nats(ec2_client)) == 1
    # The adopted NAT's address is the one in use: no second EIP.
    assert [a["AllocationId"] for a in ec2_client.describe_addresses()["Addresses"]] == [eip]
    assert run_module(ec2_nat_gateway, args(subnet))["changed"] is False


def test_duplicates_converge_to_one(run_module, ec2_client, subnet):
    tag_spec = [{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": NAME}]}]
    for _ in range(2):
        eip = ec2_client.allocate_address(Domain="vpc")["AllocationId"]
        ec2_client.create_nat_gateway(SubnetId=subnet, AllocationId=eip, TagSpecifications=tag_spec)
    result = run_module(ec2_nat_gateway, args(subnet))
    assert len(result["duplicates_removed"]) == 1
    assert len(live_nats(ec2_client)) == 1


def test_tags_purge(run_module, ec2_client, subnet):
    run_module(ec2_nat_gateway, args(subnet, tags={"Environment": "dev", "Old": "x"}))
    result = run_module(ec2_nat_gateway, args(subnet, tags={"Environment": "dev"}), diff=True)
    assert result["changed"] is True
    assert result["nat_gateway"]["tags"] == {"Environment": "dev", "Name": NAME}
    assert "Old" in result["diff"]["before"]["tags"] and "Old" not in result["diff"]["after"]["tags"]
    kept = run_module(ec2_nat_gateway, args(subnet, tags={"New": "y"}, purge_tags=False))
    assert kept["nat_gateway"]["tags"] == {"Environment": "dev", "Name": NAME, "New": "y"}


def test_other_subnet_is_refused(run_module, ec2_client, subnet):
    run_module(ec2_nat_gateway, args(subnet))
    vpc = ec2_client.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
    other = ec2_client.create_subnet(VpcId=vpc, CidrBlock="10.10.1.0/24")["Subnet"]["SubnetId"]
    result = run_module(ec2_nat_gateway, args(other))
    assert result["failed"] is True
    assert "cannot move between subnets" in result["msg"] and other in result["msg"]
    assert len(live_nats(ec2_client)) == 1


def test_absent_releases_eip_and_is_idempotent(run_module, ec2_client, subnet):
    run_module(ec2_nat_gateway, args(subnet))
    planned = run_module(ec2_nat_gateway, {"name": NAME, "state": "absent"}, check_mode=True)
    assert planned["changed"] is True and len(live_nats(ec2_client)) == 1
    gone = run_module(ec2_nat_gateway, {"name": NAME, "state": "absent"})
    assert gone["changed"] is True
    assert live_nats(ec2_client) == []
    assert ec2_client.describe_addresses()["Addresses"] == []
    assert run_module(ec2_nat_gateway, {"name": NAME, "state": "absent"})["changed"] is False


def test_present_requires_subnet(run_module, aws):
    result = run_module(ec2_nat_gateway, {"name": NAME})
    assert result["failed"] is True and "subnet_id" in result["msg"]
