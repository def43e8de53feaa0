"""ecs.*: the emulator answers ECS calls as AWS does where stock moto does not."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.fidelity import PATCHES
from emulator.fidelity import ecs as ecs_fidelity
from emulator.fidelity import patch_name
from emulator.testing import RunningEmulator

ECS_PATCHES = [
    ecs_fidelity.update_cluster_settings,
    ecs_fidelity.delete_cluster_with_services,
    ecs_fidelity.create_service_settings,
    ecs_fidelity.create_service_client_token,
    ecs_fidelity.awsvpc_without_security_groups,
    ecs_fidelity.update_service_task_definition_arn,
    ecs_fidelity.service_deployments,
    ecs_fidelity.service_load_balancer_container_ports,
    ecs_fidelity.fargate_task_definition_requirements,
    ecs_fidelity.task_definition_container_rules,
    ecs_fidelity.register_task_definition_returns_tags,
    ecs_fidelity.describe_task_definition_latest_active,
    ecs_fidelity.list_task_definitions_sorted_and_paged,
]
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/fidelity-task-execution"


@pytest.fixture(scope="module")
def network(aws: Callable[..., Any]) -> dict[str, str]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.88.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.88.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"ecs-{uuid.uuid4().hex[:8]}", Description="ecs", VpcId=vpc)["GroupId"]
    return {"subnet": subnet, "group": group}


@pytest.fixture(scope="module")
def task_definitions(aws: Callable[..., Any]) -> tuple[str, list[str]]:
    family = f"fidelity-{uuid.uuid4().hex[:8]}"
    arns = [
        aws("ecs").register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": image}],
        )["taskDefinition"]["taskDefinitionArn"]
        for image in ("nginx:1", "nginx:2")
    ]
    return family, arns


@pytest.fixture
def cluster(aws: Callable[..., Any]) -> str:
    name = f"fidelity-{uuid.uuid4().hex[:10]}"
    aws("ecs").create_cluster(
        clusterName=name,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
    )
    return name


def create_service(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definition: str, **extra: Any
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "cluster": cluster,
        "serviceName": "api",
        "taskDefinition": task_definition,
        "desiredCount": 2,
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": [network["subnet"]], "securityGroups": [network["group"]]}
        },
    }
    request.update(extra)
    request = {k: v for k, v in request.items() if v is not None}
    return aws("ecs").create_service(**request)["service"]


def describe(aws: Callable[..., Any], cluster: str, name: str = "api") -> dict[str, Any]:
    return aws("ecs").describe_services(cluster=cluster, services=[name])["services"][0]


def test_patches_are_registered(emu: RunningEmulator) -> None:
    applied = emu.client.health()["fidelity"]
    for patch in ECS_PATCHES:
        assert patch in PATCHES
        assert patch_name(patch) in applied


def test_update_cluster_settings(aws: Callable[..., Any], cluster: str) -> None:
    ecs = aws("ecs")
    answer = ecs.update_cluster_settings(cluster=cluster, settings=[{"name": "containerInsights", "value": "enhanced"}])
    assert answer["cluster"]["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    described = ecs.describe_clusters(clusters=[cluster], include=["SETTINGS"])["clusters"][0]
    assert described["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    with pytest.raises(ClientError) as error:
        ecs.update_cluster_settings(cluster=cluster, settings=[{"name": "containerInsights", "value": "maybe"}])
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"


def test_delete_cluster_with_services_is_refused(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    ecs = aws("ecs")
    create_service(aws, cluster, network, task_definitions[1][0], desiredCount=0)
    with pytest.raises(ClientError) as error:
        ecs.delete_cluster(cluster=cluster)
    assert error.value.response["Error"]["Code"] == "ClusterContainsServicesException"
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "ACTIVE"
    ecs.delete_service(cluster=cluster, service="api")
    assert ecs.delete_cluster(cluster=cluster)["cluster"]["status"] == "INACTIVE"


def test_create_service_keeps_its_settings(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    created = create_service(
        aws,
        cluster,
        network,
        task_definitions[1][0],
        healthCheckGracePeriodSeconds=45,
        deploymentConfiguration={
            "minimumHealthyPercent": 50,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        enableExecuteCommand=True,
        enableECSManagedTags=True,
    )
    for service in (created, describe(aws, cluster)):
        assert service["healthCheckGracePeriodSeconds"] == 45
        assert service["deploymentConfiguration"] == {
            "minimumHealthyPercent": 50,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        }
        assert service["enableExecuteCommand"] is True
        assert service["enableECSManagedTags"] is True
    plain = create_service(aws, cluster, network, task_definitions[1][0], serviceName="plain")
    assert plain["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}
    assert plain["enableExecuteCommand"] is False


def test_capacity_provider_strategy_is_not_a_launch_type(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    strategy = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    given = create_service(
        aws, cluster, network, task_definitions[1][0], launchType=None, capacityProviderStrategy=strategy
    )
    assert "launchType" not in given and given["capacityProviderStrategy"] == strategy
    assert "launchType" not in given["deployments"][0]
    default = create_service(aws, cluster, network, task_definitions[1][0], serviceName="default", launchType=None)
    assert "launchType" not in default
    assert default["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT"
    with pytest.raises(ClientError, match="launch type and capacity provider strategy"):
        create_service(
            aws, cluster, network, task_definitions[1][0], serviceName="both", capacityProviderStrategy=strategy
        )


def test_create_service_is_idempotent_on_client_token(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    ecs = aws("ecs")
    first = create_service(aws, cluster, network, task_definitions[1][0], clientToken="token-1")
    again = create_service(aws, cluster, network, task_definitions[1][0], clientToken="token-1")
    assert again["serviceArn"] == first["serviceArn"]
    assert again["deployments"][0]["id"] == first["deployments"][0]["id"]
    assert ecs.list_services(cluster=cluster)["serviceArns"] == [first["serviceArn"]]
    for token in ("token-2", None):
        with pytest.raises(ClientError, match="Creation of service was not idempotent"):
            create_service(aws, cluster, network, task_definitions[1][0], clientToken=token)
    # A deleted (INACTIVE) service's name can be used again.
    ecs.update_service(cluster=cluster, service="api", desiredCount=0)
    ecs.delete_service(cluster=cluster, service="api")
    assert create_service(aws, cluster, network, task_definitions[1][0], clientToken="token-3")["status"] == "ACTIVE"


def test_awsvpc_without_security_groups(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    configuration = {"awsvpcConfiguration": {"subnets": [network["subnet"]]}}
    created = create_service(aws, cluster, network, task_definitions[1][0], networkConfiguration=configuration)
    assert created["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == [network["subnet"]]


def test_load_balancer_container_port_must_be_mapped(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    family = f"lb-{uuid.uuid4().hex[:8]}"
    mapped = ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx:1", "portMappings": [{"containerPort": 8080}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    vpc = aws("ec2").describe_subnets(SubnetIds=[network["subnet"]])["Subnets"][0]["VpcId"]
    group = elbv2.create_target_group(
        Name=f"lb-{uuid.uuid4().hex[:8]}", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]

    def balancer(name: str = "app", port: int = 8080) -> list[dict[str, Any]]:
        return [{"targetGroupArn": group, "containerName": name, "containerPort": port}]

    for name, port, message in (
        ("app", 9090, "The container app did not have a container port 9090 defined."),
        ("web", 8080, "The container web does not exist in the task definition."),
    ):
        with pytest.raises(ClientError) as refused:
            create_service(aws, cluster, network, mapped, loadBalancers=balancer(name, port))
        assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
        assert refused.value.response["Error"]["Message"] == message
    assert ecs.list_services(cluster=cluster)["serviceArns"] == []

    create_service(aws, cluster, network, mapped, loadBalancers=balancer())
    # UpdateService: another port, or a task definition whose container does not map the port, changes nothing.
    with pytest.raises(ClientError, match="did not have a container port 9090 defined"):
        ecs.update_service(cluster=cluster, service="api", loadBalancers=balancer(port=9090))
    with pytest.raises(ClientError, match="did not have a container port 8080 defined"):
        ecs.update_service(cluster=cluster, service="api", taskDefinition=task_definitions[1][0])
    service = describe(aws, cluster)
    assert service["loadBalancers"] == balancer() and service["taskDefinition"] == mapped
    assert ecs.update_service(cluster=cluster, service="api", desiredCount=1)["service"]["desiredCount"] == 1


def test_update_service_reports_the_task_definition_arn(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    family, arns = task_definitions
    create_service(aws, cluster, network, arns[0])
    updated = aws("ecs").update_service(cluster=cluster, service="api", taskDefinition=f"{family}:2")["service"]
    assert updated["taskDefinition"] == arns[1]
    assert describe(aws, cluster)["taskDefinition"] == arns[1]


def test_deployments_follow_the_service(
    aws: Callable[..., Any], cluster: str, network: dict[str, str], task_definitions: tuple[str, list[str]]
) -> None:
    family, arns = task_definitions
    ecs = aws("ecs")
    created = create_service(aws, cluster, network, arns[0])
    assert created["runningCount"] == 2 and created["pendingCount"] == 0
    first = created["deployments"][0]
    assert first["rolloutState"] == "COMPLETED" and first["runningCount"] == 2

    scaled = ecs.update_service(cluster=cluster, service="api", desiredCount=3)["service"]
    assert [d["id"] for d in scaled["deployments"]] == [first["id"]]
    assert scaled["deployments"][0]["desiredCount"] == 3 and scaled["runningCount"] == 3

    moved = ecs.update_service(
        cluster=cluster,
        service="api",
        taskDefinition=f"{family}:2",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [network["subnet"]],
                "securityGroups": [network["group"]],
                "assignPublicIp": "ENABLED",
            }
        },
    )["service"]
    (deployment,) = moved["deployments"]
    assert deployment["id"] != first["id"] and deployment["status"] == "PRIMARY"
    assert deployment["taskDefinition"] == arns[1]
    assert deployment["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    assert deployment["rolloutState"] == "COMPLETED" and deployment["desiredCount"] == 3

    forced = ecs.update_service(cluster=cluster, service="api", forceNewDeployment=True)["service"]
    assert forced["deployments"][0]["id"] != deployment["id"]
    assert (
        forced["deployments"][0]["rolloutStateReason"] == f"ECS deployment {forced['deployments'][0]['id']} completed."
    )


def register(aws: Callable[..., Any], family: str, **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{"name": "app", "image": "nginx:1"}],
    }
    request.update(extra)
    request = {k: v for k, v in request.items() if v is not None}
    return aws("ecs").register_task_definition(**request)


def refused(aws: Callable[..., Any], family: str, **extra: Any) -> str:
    with pytest.raises(ClientError) as error:
        register(aws, family, **extra)
    assert error.value.response["Error"]["Code"] == "ClientException"
    return error.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [("256", "4096"), ("512", "512"), ("1024", "9216"), ("2048", "17408"), ("8192", "18432"), ("300", "512")],
)
def test_fargate_refuses_cpu_memory_pairs_it_does_not_offer(aws: Callable[..., Any], cpu: str, memory: str) -> None:
    family = f"fidelity-{uuid.uuid4().hex[:8]}"
    assert refused(aws, family, cpu=cpu, memory=memory) == (
        f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS "
        "documentation for the valid values."
    )
    assert aws("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"] == []


@pytest.mark.parametrize(("cpu", "memory"), [("256", "2048"), ("4096", "30720"), ("8192", "20480"), ("16384", "40960")])
def test_fargate_accepts_the_pairs_it_offers(aws: Callable[..., Any], cpu: str, memory: str) -> None:
    answer = register(aws, f"fidelity-{uuid.uuid4().hex[:8]}", cpu=cpu, memory=memory)["taskDefinition"]
    assert (answer["cpu"], answer["memory"]) == (cpu, memory)


def test_fargate_task_requirements(aws: Callable[..., Any]) -> None:
    family = f"fidelity-{uuid.uuid4().hex[:8]}"
    assert refused(aws, family, cpu=None) == "Fargate requires that 'cpu' be defined at the task level."
    assert refused(aws, family, memory=None) == "Fargate requires that 'memory' be defined at the task level."
    assert refused(aws, family, networkMode="bridge") == "Fargate only supports network mode \u2018awsvpc\u2019."
    awslogs = {"name": "app", "image": "nginx:1", "logConfiguration": {"logDriver": "awslogs", "options": {}}}
    assert refused(aws, family, containerDefinitions=[awslogs]) == (
        "Fargate requires task definition to have execution role ARN to support log driver awslogs."
    )
    ecr = {"name": "app", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"}
    assert refused(aws, family, containerDefinitions=[ecr]) == (
        "Fargate requires task definition to have execution role ARN to support ECR images."
    )
    assert refused(aws, family, cpu="lots") == "Invalid 'cpu' setting for task."
    # With the execution role both are fine; vCPU and GB are converted to CPU units and MiB.
    answer = register(
        aws, family, containerDefinitions=[awslogs, dict(ecr, name="ecr")], executionRoleArn=EXECUTION_ROLE
    )
    assert answer["taskDefinition"]["revision"] == 1
    converted = register(aws, family, cpu="0.5 vCPU", memory="1 GB")["taskDefinition"]
    assert (converted["cpu"], converted["memory"]) == ("512", "1024")


def test_container_rules_and_port_mapping_defaults(aws: Callable[..., Any]) -> None:
    family = f"fidelity-{uuid.uuid4().hex[:8]}"
    twice = [{"name": "app", "image": "nginx:1"}, {"name": "app", "image": "nginx:2"}]
    assert (
        refused(aws, family, containerDefinitions=twice) == "Container names must be unique within a Task Definition."
    )
    secret = {"name": "PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-abc"}
    with_secret = [{"name": "app", "image": "nginx:1", "secrets": [secret]}]
    assert refused(aws, family, containerDefinitions=with_secret) == (
        "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
    )
    private = [
        {"name": "app", "image": "nginx:1", "repositoryCredentials": {"credentialsParameter": secret["valueFrom"]}}
    ]
    assert refused(aws, family, containerDefinitions=private) == (
        "Private repository authentication requires that the task definition specify a value for executionRoleArn."
    )
    mismatched = [{"name": "app", "image": "nginx:1", "portMappings": [{"containerPort": 8080, "hostPort": 80}]}]
    assert refused(aws, family, containerDefinitions=mismatched) == (
        "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
    )
    ports = [{"containerPort": 8080}, {"containerPort": 8125, "protocol": "udp"}]
    answer = register(aws, family, containerDefinitions=[{"name": "app", "image": "nginx:1", "portMappings": ports}])
    described = aws("ecs").describe_task_definition(taskDefinition=answer["taskDefinition"]["taskDefinitionArn"])
    for definition in (answer["taskDefinition"], described["taskDefinition"]):
        assert definition["containerDefinitions"][0]["portMappings"] == [
            {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"},
            {"containerPort": 8125, "hostPort": 8125, "protocol": "udp"},
        ]


def test_register_answers_tags_and_describe_keeps_them_and_the_runtime_platform(aws: Callable[..., Any]) -> None:
    family = f"fidelity-{uuid.uuid4().hex[:8]}"
    platform = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    tags = [{"key": "Environment", "value": "dev"}]
    answer = register(aws, family, tags=tags, runtimePlatform=platform)
    assert answer["tags"] == tags
    described = aws("ecs").describe_task_definition(taskDefinition=family, include=["TAGS"])
    assert described["tags"] == tags
    assert described["taskDefinition"]["runtimePlatform"] == platform
    assert "tags" not in aws("ecs").describe_task_definition(taskDefinition=family)
    assert register(aws, f"{family}-bare")["tags"] == []


def test_family_alone_is_the_latest_active_revision(aws: Callable[..., Any]) -> None:
    ecs = aws("ecs")
    family = f"fidelity-{uuid.uuid4().hex[:8]}"
    for memory in ("512", "1024", "2048"):
        register(aws, family, memory=memory)
    ecs.deregister_task_definition(taskDefinition=f"{family}:3")
    latest = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    assert (latest["revision"], latest["status"], latest["memory"]) == (2, "ACTIVE", "1024")
    assert ecs.describe_task_definition(taskDefinition=f"{family}:3")["taskDefinition"]["status"] == "INACTIVE"
    for revision in (1, 2):
        ecs.deregister_task_definition(taskDefinition=f"{family}:{revision}")
    with pytest.raises(ClientError, match="Unable to describe task definition"):
        ecs.describe_task_definition(taskDefinition=family)
    # Revision numbers are not reused.
    assert register(aws, family)["taskDefinition"]["revision"] == 4


def test_list_task_definitions_sorted_and_paged(aws: Callable[..., Any]) -> None:
    ecs = aws("ecs")
    family = f"fidelity-{uuid.uuid4().hex[:8]}"
    arns = [register(aws, family)["taskDefinition"]["taskDefinitionArn"] for _ in range(3)]
    assert ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"] == arns
    assert ecs.list_task_definitions(familyPrefix=family, sort="DESC")["taskDefinitionArns"] == arns[::-1]
    first = ecs.list_task_definitions(familyPrefix=family, sort="DESC", maxResults=1)
    assert first["taskDefinitionArns"] == [arns[2]] and first["nextToken"]
    paged = ecs.get_paginator("list_task_definitions").paginate(
        familyPrefix=family, sort="DESC", PaginationConfig={"PageSize": 2}
    )
    pages = [page["taskDefinitionArns"] for page in paged]
    assert pages == [[arns[2], arns[1]], [arns[0]]]
    ecs.deregister_task_definition(taskDefinition=arns[1])
    assert ecs.list_task_definitions(familyPrefix=family, status="INACTIVE")["taskDefinitionArns"] == [arns[1]]
