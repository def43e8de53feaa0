"""The latency profile: with a scale, slow resources are pending after creation and ready after their scaled
duration; off (the default), everything is ready at once."""

import contextlib
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from emulator.client import EmulatorError
from emulator.latency import DURATIONS
from emulator.latency import LATENCY_SCALE_ENV
from emulator.testing import RunningEmulator
from emulator.testing import run_cli
from emulator.testing import running_emulator

# Scales giving every resource about 15 s of pending state: long enough to see it on a loaded machine.
SCALES = {"rds_db_instance": 0.03, "load_balancer": 0.04, "nat_gateway": 0.125, "ecs_deployment": 0.08}
# Generous: a deadline only, nothing asserts how fast the resource got ready.
DEADLINE_S = 120.0


@pytest.fixture(scope="module")
def slow_emu() -> Iterator[RunningEmulator]:
    """An emulator of its own, started with ``--latency-scale`` (tests change the scale with PUT)."""
    with running_emulator(start_args=["--latency-scale", "0.05"]) as running:
        yield running


@pytest.fixture(scope="module")
def slow_aws(slow_emu: RunningEmulator) -> Callable[..., Any]:
    def _client(service: str) -> Any:
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=slow_emu.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return _client


@contextlib.contextmanager
def latency_scale(emu: RunningEmulator, kind: str) -> Iterator[float]:
    """The scale of ``kind`` for the block (the module's starting 0.05 back after it); yields the scaled duration."""
    emu.client.set_latency(SCALES[kind])
    try:
        yield DURATIONS[kind][0] * SCALES[kind]
    finally:
        emu.client.set_latency(0.05)


def poll(read: Callable[[], Any], done: Callable[[Any], bool]) -> list[Any]:
    """Every value ``read`` gave until ``done`` (fails at the deadline)."""
    seen = [read()]
    deadline = time.monotonic() + DEADLINE_S
    while not done(seen[-1]):
        assert time.monotonic() < deadline, f"not ready within {DEADLINE_S} s; last seen: {seen[-1]!r}"
        time.sleep(0.5)
        seen.append(read())
    return seen


def network(ec2: Any, second_octet: int) -> dict[str, Any]:
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName=f"lat-{uuid.uuid4().hex[:8]}", Description="lat", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


def create_postgres(rds: Any) -> dict[str, Any]:
    return rds.create_db_instance(
        DBInstanceIdentifier=f"lat-{uuid.uuid4().hex[:10]}",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.3",
        AllocatedStorage=20,
        StorageType="gp3",
        MasterUsername="payments",
        MasterUserPassword="not-a-secret-123",
    )["DBInstance"]


def create_nat(ec2: Any, subnet: str) -> dict[str, Any]:
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]


def register_task_definition(ecs: Any, image: str) -> str:
    return ecs.register_task_definition(
        family=f"lat-{uuid.uuid4().hex[:8]}",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": image}],
    )["taskDefinition"]["taskDefinitionArn"]


def create_service(ecs: Any, net: dict[str, Any], task_definition: str) -> tuple[str, dict[str, Any]]:
    cluster = f"lat-{uuid.uuid4().hex[:8]}"
    ecs.create_cluster(clusterName=cluster)
    service = ecs.create_service(
        cluster=cluster,
        serviceName="api",
        taskDefinition=task_definition,
        desiredCount=3,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["group"]]}},
    )["service"]
    return cluster, service


def test_health_shows_the_profile_and_its_durations(slow_emu: RunningEmulator) -> None:
    profile = slow_emu.client.health()["latency"]
    assert profile["active"] is True
    assert profile["scale"] == 0.05
    assert profile["aws_durations_s"]["rds_db_instance"] == 570.0
    assert profile["durations_s"]["rds_db_instance"] == pytest.approx(28.5)
    assert profile["durations_s"]["load_balancer"] == pytest.approx(19.5)
    assert profile["durations_s"]["nat_gateway"] == pytest.approx(6.0)


def test_the_default_emulator_has_the_profile_off(emu: RunningEmulator) -> None:
    profile = emu.client.health()["latency"]
    assert profile == emu.client.latency()
    assert profile["active"] is False
    assert profile["scale"] == 0.0


@pytest.mark.parametrize("bad", [-0.1, 1.5, "fast", None, float("nan")])
def test_put_refuses_a_bad_scale_and_keeps_the_old_one(slow_emu: RunningEmulator, bad: Any) -> None:
    with pytest.raises(EmulatorError, match="scale"):
        slow_emu.client.set_latency(bad)
    assert slow_emu.client.latency()["scale"] == 0.05


@pytest.mark.parametrize("bad", ["-1", "2", "soon"])
def test_start_refuses_a_bad_scale_flag(bad: str, tmp_path: Any) -> None:
    result = run_cli("start", "--latency-scale", bad, port=4566, state_dir=tmp_path)
    assert result.returncode == 2
    assert "latency scale must be a number from 0 (off) to 1" in result.stderr
    assert repr(bad) in result.stderr


def test_start_refuses_a_bad_scale_in_the_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LATENCY_SCALE_ENV, "0,5")
    result = run_cli("start", port=4566, state_dir=tmp_path)
    assert result.returncode == 2
    assert f"{LATENCY_SCALE_ENV} must be a number from 0 (off) to 1" in result.stderr
    assert "'0,5'" in result.stderr


def test_rds_instance_is_creating_without_endpoint_then_available(
    slow_emu: RunningEmulator, slow_aws: Callable[..., Any]
) -> None:
    rds = slow_aws("rds")
    with latency_scale(slow_emu, "rds_db_instance"):
        made = create_postgres(rds)
    name = made["DBInstanceIdentifier"]
    assert made["DBInstanceStatus"] == "creating"

    def read() -> dict[str, Any]:
        return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]

    seen = poll(read, lambda instance: instance["DBInstanceStatus"] != "creating")
    assert "Endpoint" not in seen[0], seen[0].get("Endpoint")
    assert seen[0]["DBInstanceStatus"] == "creating"
    assert {s["DBInstanceStatus"] for s in seen[:-1]} == {"creating"}
    assert all("Endpoint" not in s for s in seen[:-1])
    assert seen[-1]["DBInstanceStatus"] == "available"
    assert seen[-1]["Endpoint"]["Port"] == 5432
    # botocore's waiter (what the stock modules use) ends too.
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=name, WaiterConfig={"Delay": 1})


def test_load_balancer_is_provisioning_then_active(slow_emu: RunningEmulator, slow_aws: Callable[..., Any]) -> None:
    net = network(slow_aws("ec2"), 61)
    elbv2 = slow_aws("elbv2")
    with latency_scale(slow_emu, "load_balancer"):
        made = elbv2.create_load_balancer(Name=f"lat-{uuid.uuid4().hex[:8]}", Subnets=net["subnets"])
    arn = made["LoadBalancers"][0]["LoadBalancerArn"]
    assert made["LoadBalancers"][0]["State"]["Code"] == "provisioning"

    def read() -> str:
        return elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]

    seen = poll(read, lambda code: code == "active")
    assert seen[0] == "provisioning"
    assert set(seen[:-1]) == {"provisioning"}
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[arn], WaiterConfig={"Delay": 1})


def test_nat_gateway_is_pending_then_available(slow_emu: RunningEmulator, slow_aws: Callable[..., Any]) -> None:
    ec2 = slow_aws("ec2")
    net = network(ec2, 62)
    with latency_scale(slow_emu, "nat_gateway"):
        made = create_nat(ec2, net["subnets"][0])
    assert made["State"] == "pending"
    gateway = made["NatGatewayId"]

    def read() -> str:
        return ec2.describe_nat_gateways(NatGatewayIds=[gateway])["NatGateways"][0]["State"]

    seen = poll(read, lambda state: state == "available")
    assert seen[0] == "pending"
    assert set(seen[:-1]) == {"pending"}
    # The state filter sees the same state.
    available = ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["available"]}])["NatGateways"]
    assert gateway in [g["NatGatewayId"] for g in available]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[gateway], WaiterConfig={"Delay": 1})


def test_ecs_deployment_rolls_out_then_completes(slow_emu: RunningEmulator, slow_aws: Callable[..., Any]) -> None:
    ecs = slow_aws("ecs")
    net = network(slow_aws("ec2"), 63)
    first = register_task_definition(ecs, "nginx:1")
    second = register_task_definition(ecs, "nginx:2")
    with latency_scale(slow_emu, "ecs_deployment"):
        cluster, made = create_service(ecs, net, first)
    assert made["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert made["runningCount"] == 0

    def read() -> dict[str, Any]:
        return ecs.describe_services(cluster=cluster, services=["api"])["services"][0]

    def completed(service: dict[str, Any]) -> bool:
        return service["deployments"][0]["rolloutState"] == "COMPLETED"

    seen = poll(read, completed)
    counts = [s["runningCount"] for s in seen]
    assert counts == sorted(counts), f"runningCount must only rise: {counts}"
    assert seen[0]["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert seen[0]["runningCount"] < 3
    assert seen[-1]["runningCount"] == 3
    assert len(seen[-1]["deployments"]) == 1
    assert "has reached a steady state" in seen[-1]["events"][0]["message"]
    ecs.get_waiter("services_stable").wait(cluster=cluster, services=["api"], WaiterConfig={"Delay": 1})

    # A new deployment: the old one keeps its tasks (ACTIVE) until the new one completes.
    old_id = seen[-1]["deployments"][0]["id"]
    with latency_scale(slow_emu, "ecs_deployment"):
        updated = ecs.update_service(cluster=cluster, service="api", taskDefinition=second)["service"]
    primary, *older = updated["deployments"]
    assert (primary["taskDefinition"], primary["rolloutState"], primary["runningCount"]) == (second, "IN_PROGRESS", 0)
    assert [(d["id"], d["status"], d["runningCount"]) for d in older] == [(old_id, "ACTIVE", 3)]
    seen = poll(read, lambda s: completed(s) and len(s["deployments"]) == 1)
    assert len(seen[0]["deployments"]) == 2
    assert seen[-1]["deployments"][0]["taskDefinition"] == second
    assert seen[-1]["runningCount"] == 3
    ecs.get_waiter("services_stable").wait(cluster=cluster, services=["api"], WaiterConfig={"Delay": 1})


def test_off_everything_is_ready_at_once(slow_emu: RunningEmulator, slow_aws: Callable[..., Any]) -> None:
    slow_emu.client.set_latency(0)
    try:
        assert slow_emu.client.latency()["active"] is False
        ec2, ecs = slow_aws("ec2"), slow_aws("ecs")
        net = network(ec2, 64)
        assert create_postgres(slow_aws("rds"))["DBInstanceStatus"] == "available"
        balancer = slow_aws("elbv2").create_load_balancer(Name=f"lat-{uuid.uuid4().hex[:8]}", Subnets=net["subnets"])
        arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
        described = slow_aws("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]
        assert described["State"]["Code"] == "active"
        assert create_nat(ec2, net["subnets"][0])["State"] == "available"
        _cluster, service = create_service(ecs, net, register_task_definition(ecs, "nginx:1"))
        assert service["runningCount"] == 3
        assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    finally:
        slow_emu.client.set_latency(0.05)
