"""payments.infra.ecs_service against moto in-process (with the emulator's fidelity patches)."""

import copy
import datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from ansible_collections.payments.infra.plugins.module_utils import ecs as ecs_utils
from ansible_collections.payments.infra.plugins.modules import ecs_service

CLUSTER = "payments-dev"
NAME = "payment-api"
REGION = "us-east-1"
WRITE_OPS = {"CreateService", "UpdateService", "DeleteService", "TagResource", "UntagResource"}


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


def call(calls, operation):
    return next(params for name, params in calls if name == operation)


@pytest.fixture
def env(aws, monkeypatch):
    """A VPC with two subnets and two security groups, a cluster, task definitions app:1 and app:2 and an
    ip target group."""
    monkeypatch.setattr(ecs_utils, "WAIT_DELAY", 0)
    ec2 = boto3.client("ec2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    elbv2 = boto3.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    groups = [
        ec2.create_security_group(GroupName=f"app-{i}", Description="app", VpcId=vpc)["GroupId"] for i in range(2)
    ]
    ecs.create_cluster(
        clusterName=CLUSTER,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    )
    arns = []
    for image in ("nginx:1", "nginx:2"):
        arns.append(
            ecs.register_task_definition(
                family="app",
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="256",
                memory="512",
                containerDefinitions=[{"name": "app", "image": image, "portMappings": [{"containerPort": 8080}]}],
            )["taskDefinition"]["taskDefinitionArn"]
        )
    target_group = elbv2.create_target_group(
        Name="payment-api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    return {"ecs": ecs, "subnets": subnets, "groups": groups, "task_definitions": arns, "target_group": target_group}


def args(env, **extra):
    base = {
        "name": NAME,
        "cluster": CLUSTER,
        "task_definition": "app:1",
        "desired_count": 2,
        "network_configuration": {"subnets": [env["subnets"][0]], "security_groups": [env["groups"][0]]},
        "load_balancers": [{"target_group_arn": env["target_group"], "container_name": "app", "container_port": 8080}],
        "health_check_grace_period_seconds": 60,
        "tags": {"Environment": "dev"},
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def live(env):
    found = env["ecs"].describe_services(cluster=CLUSTER, services=[NAME], include=["TAGS"])["services"]
    return found[0] if found else None


def awsvpc(service):
    return service["networkConfiguration"]["awsvpcConfiguration"]


def test_create_then_rerun_unchanged(env, run_module, api_calls):
    result = run_module(ecs_service, args(env), diff=True)
    assert result["changed"] and result["created"], result
    request = call(api_calls, "CreateService")
    assert request["clientToken"] == ecs_utils.service_client_token(CLUSTER, NAME)
    assert len(request["clientToken"]) <= 36
    assert request["launchType"] == "FARGATE" and request["platformVersion"] == "LATEST"

    service = live(env)
    assert service["taskDefinition"] == env["task_definitions"][0]
    assert service["desiredCount"] == 2
    assert service["healthCheckGracePeriodSeconds"] == 60  # dropped by stock moto (fidelity patch)
    assert service["deploymentConfiguration"] == {
        "minimumHealthyPercent": 100,
        "maximumPercent": 200,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    }
    assert awsvpc(service) == {
        "subnets": [env["subnets"][0]],
        "securityGroups": [env["groups"][0]],
        "assignPublicIp": "DISABLED",
    }
    assert service["loadBalancers"][0]["targetGroupArn"] == env["target_group"]
    assert service["propagateTags"] == "SERVICE" and service["enableECSManagedTags"] is True
    assert service["enableExecuteCommand"] is False
    assert {t["key"]: t["value"] for t in service["tags"]} == {"Environment": "dev"}

    view = result["service"]
    assert view["service_arn"] == service["serviceArn"]
    assert view["network_configuration"]["assign_public_ip"] is False
    assert view["deployment_configuration"]["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert result["deployment"]["status"] == "PRIMARY"
    assert result["deployment"]["task_definition"] == env["task_definitions"][0]
    assert result["diff"]["before"] == {}

    api_calls.clear()
    again = run_module(ecs_service, args(env), diff=True)
    assert not again["changed"], again["diff"]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert writes(api_calls) == []


def test_network_configuration_changes_are_applied(env, run_module, api_calls):
    run_module(ecs_service, args(env))
    api_calls.clear()
    both = {"subnets": list(env["subnets"]), "security_groups": [env["groups"][1]]}
    result = run_module(ecs_service, args(env, network_configuration=both), diff=True)
    assert result["changed"], result
    assert writes(api_calls) == ["UpdateService"]
    assert set(call(api_calls, "UpdateService")) == {"cluster", "service", "networkConfiguration"}
    assert sorted(awsvpc(live(env))["subnets"]) == sorted(env["subnets"])
    assert awsvpc(live(env))["securityGroups"] == [env["groups"][1]]
    assert result["diff"]["before"]["network_configuration"]["security_groups"] == [env["groups"][0]]
    assert result["diff"]["after"]["network_configuration"]["security_groups"] == [env["groups"][1]]
    assert result["deployment"]["id"] == live(env)["deployments"][0]["id"]

    # Subnets are a set: another order is no change.
    api_calls.clear()
    reordered = {"subnets": list(reversed(env["subnets"])), "security_groups": [env["groups"][1]]}
    assert not run_module(ecs_service, args(env, network_configuration=reordered))["changed"]
    assert writes(api_calls) == []

    result = run_module(ecs_service, args(env, network_configuration=dict(reordered, assign_public_ip=True)))
    assert result["changed"]
    assert awsvpc(live(env))["assignPublicIp"] == "ENABLED"
    assert result["service"]["network_configuration"]["assign_public_ip"] is True


def test_count_grace_period_and_deployment_configuration(env, run_module, api_calls):
    run_module(ecs_service, args(env))
    api_calls.clear()
    result = run_module(
        ecs_service,
        args(
            env,
            desired_count=3,
            health_check_grace_period_seconds=30,
            deployment_configuration={
                "minimum_healthy_percent": 50,
                "deployment_circuit_breaker": {"rollback": False},
            },
            enable_execute_command=True,
        ),
    )
    assert result["changed"]
    request = call(api_calls, "UpdateService")
    assert request["desiredCount"] == 3 and request["healthCheckGracePeriodSeconds"] == 30
    assert request["enableExecuteCommand"] is True
    service = live(env)
    assert service["desiredCount"] == 3
    assert service["healthCheckGracePeriodSeconds"] == 30
    assert service["deploymentConfiguration"] == {
        "minimumHealthyPercent": 50,
        "maximumPercent": 200,
        "deploymentCircuitBreaker": {"enable": True, "rollback": False},
    }
    assert result["deployment"]["desired_count"] == 3

    # load_balancers is the complete list: [] detaches the target group.
    api_calls.clear()
    detached = args(
        env,
        desired_count=3,
        load_balancers=[],
        health_check_grace_period_seconds=30,
        deployment_configuration={"minimum_healthy_percent": 50, "deployment_circuit_breaker": {"rollback": False}},
        enable_execute_command=True,
    )
    result = run_module(ecs_service, detached)
    assert result["changed"] and call(api_calls, "UpdateService")["loadBalancers"] == []
    assert live(env)["loadBalancers"] == [] and result["service"]["load_balancers"] == []

    # Without desired_count the count is left to auto scaling.
    api_calls.clear()
    env["ecs"].update_service(cluster=CLUSTER, service=NAME, desiredCount=5)
    same = args(
        env,
        desired_count=None,
        load_balancers=[],
        health_check_grace_period_seconds=30,
        deployment_configuration={"minimum_healthy_percent": 50, "deployment_circuit_breaker": {"rollback": False}},
        enable_execute_command=True,
    )
    assert not run_module(ecs_service, same)["changed"]


def test_task_definition_change_starts_a_deployment(env, run_module, api_calls):
    first = run_module(ecs_service, args(env))
    api_calls.clear()
    result = run_module(ecs_service, args(env, task_definition="app:2", wait=True))
    assert result["changed"]
    assert call(api_calls, "UpdateService")["taskDefinition"] == env["task_definitions"][1]
    assert live(env)["taskDefinition"] == env["task_definitions"][1]
    assert result["deployment"]["task_definition"] == env["task_definitions"][1]
    assert result["deployment"]["rollout_state"] == "COMPLETED"
    assert result["deployment"]["id"] != first["deployment"]["id"]
    # The same revision named by ARN is no change.
    assert not run_module(ecs_service, args(env, task_definition=env["task_definitions"][1]))["changed"]


def test_immutable_difference_refused_without_writes(env, run_module, api_calls):
    strategy = [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    created = run_module(ecs_service, args(env, capacity_provider_strategy=strategy))
    assert created["created"] and created["service"]["launch_type"] is None
    assert live(env)["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT"
    api_calls.clear()
    result = run_module(ecs_service, args(env, task_definition="app:2", desired_count=4))
    assert result["failed"]
    assert "capacity provider strategy" in result["msg"] and "FARGATE_SPOT" in result["msg"]
    assert "Nothing was changed" in result["msg"]
    assert writes(api_calls) == []
    assert live(env)["taskDefinition"] == env["task_definitions"][0]


def test_client_token_makes_create_idempotent(env, run_module, api_calls):
    result = run_module(ecs_service, args(env))
    request = copy.deepcopy(call(api_calls, "CreateService"))
    # The answer was lost and the create is sent again with the same token: the same service, no second one.
    again = env["ecs"].create_service(**request)["service"]
    assert again["serviceArn"] == result["service"]["service_arn"]
    assert again["deployments"][0]["id"] == result["deployment"]["id"]
    assert env["ecs"].list_services(cluster=CLUSTER)["serviceArns"] == [again["serviceArn"]]
    # Another token for an existing service is refused, as AWS does.
    with pytest.raises(ClientError, match="not idempotent"):
        env["ecs"].create_service(**dict(request, clientToken="someone-else"))


def test_service_created_meanwhile_is_adopted(env, run_module, api_calls, monkeypatch):
    env["ecs"].create_service(
        cluster=CLUSTER,
        serviceName=NAME,
        taskDefinition="app:1",
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [env["subnets"][0]]}},
        clientToken="another-run",
    )
    api_calls.clear()
    original = ecs_service.describe_service
    seen = []

    def first_missing(*a, **kw):
        seen.append(a)
        return None if len(seen) == 1 else original(*a, **kw)

    monkeypatch.setattr(ecs_service, "describe_service", first_missing)
    result = run_module(ecs_service, args(env))
    assert result["adopted"] and not result["created"] and result["changed"], result
    assert writes(api_calls) == ["CreateService", "UpdateService", "TagResource"]
    service = live(env)
    assert service["desiredCount"] == 2 and awsvpc(service)["securityGroups"] == [env["groups"][0]]


def _rolled_back(service):
    failed = copy.deepcopy(service)
    now = datetime.datetime.now(datetime.UTC)
    deployment = failed["deployments"][0]
    deployment.update(
        rolloutState="FAILED",
        rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
        createdAt=now - datetime.timedelta(minutes=5),
    )
    failed["events"] = [
        {"id": "2", "createdAt": now, "message": f"(service {NAME}) rolling back to deployment ecs-svc/1."},
        {"id": "1", "createdAt": now - datetime.timedelta(minutes=1), "message": "(service x) deployment failed"},
    ]
    return failed


def test_wait_fails_when_the_circuit_breaker_rolls_back(env, run_module, api_calls, monkeypatch):
    run_module(ecs_service, args(env))
    original = ecs_utils.describe_service
    monkeypatch.setattr(ecs_utils, "describe_service", lambda *a, **kw: _rolled_back(original(*a, **kw)))
    result = run_module(ecs_service, args(env, task_definition="app:2", wait=True))
    assert result["failed"] and result["changed"]
    assert "rolloutState FAILED" in result["msg"]
    assert "tasks failed to start" in result["msg"]
    assert "rolling back to deployment ecs-svc/1" in result["msg"]
    assert result["deployment"]["rollout_state"] == "FAILED"


def test_wait_for_a_new_service(env, run_module):
    result = run_module(ecs_service, args(env, wait=True))
    assert result["changed"] and result["deployment"]["rollout_state"] == "COMPLETED"
    assert result["service"]["running_count"] == 2


def test_check_mode_writes_nothing(env, run_module, api_calls):
    result = run_module(ecs_service, args(env), check_mode=True, diff=True)
    assert result["changed"] and result["created"]
    assert result["service"]["service_arn"] is None
    assert result["diff"]["after"]["task_definition"] == env["task_definitions"][0]
    assert writes(api_calls) == []
    assert live(env) is None

    run_module(ecs_service, args(env))
    api_calls.clear()
    changed = args(env, task_definition="app:2", desired_count=5, tags={}, force_new_deployment=True)
    result = run_module(ecs_service, changed, check_mode=True, diff=True)
    assert result["changed"]
    assert result["diff"]["after"]["desired_count"] == 5
    assert result["service"]["task_definition"] == env["task_definitions"][1]
    assert writes(api_calls) == []
    assert live(env)["desiredCount"] == 2

    api_calls.clear()
    assert run_module(ecs_service, args(env, state="absent"), check_mode=True)["changed"]
    assert writes(api_calls) == []


def test_absent_scales_to_zero_then_deletes(env, run_module, api_calls):
    run_module(ecs_service, args(env))
    api_calls.clear()
    result = run_module(ecs_service, args(env, state="absent", wait=True), diff=True)
    assert result["changed"] and result["diff"]["after"] == {}
    assert writes(api_calls) == ["UpdateService", "DeleteService"]
    assert call(api_calls, "UpdateService")["desiredCount"] == 0
    assert call(api_calls, "DeleteService")["force"] is False
    assert live(env)["status"] == "INACTIVE"
    api_calls.clear()
    assert not run_module(ecs_service, args(env, state="absent"))["changed"]
    assert writes(api_calls) == []
    # An INACTIVE service counts as missing: created again.
    assert run_module(ecs_service, args(env))["created"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"task_definition": "app"}, "without a revision"),
        ({"task_definition": "app:9"}, "does not exist"),
        ({"cluster": "nowhere"}, "cluster does not exist"),
        (
            {
                "load_balancers": [
                    {
                        "target_group_arn": "arn:aws:elasticloadbalancing:x:targetgroup/t",
                        "container_name": "app",
                        "container_port": 80,
                    }
                ]
            },
            "does not map port 80",
        ),
        ({"deployment_configuration": {"minimum_healthy_percent": 100, "maximum_percent": 100}}, "maximum_percent"),
    ],
    ids=["family-only", "missing-revision", "missing-cluster", "unmapped-port", "percentages"],
)
def test_refused_before_any_write(env, run_module, api_calls, extra, expected):
    result = run_module(ecs_service, args(env, **extra))
    assert result["failed"] and expected in result["msg"], result["msg"]
    assert writes(api_calls) == []
