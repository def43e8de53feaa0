"""payments.infra.ecs_cluster against moto in-process (with the emulator's fidelity patches)."""

import boto3
import pytest

from ansible_collections.payments.infra.plugins.modules import ecs_cluster

NAME = "payments-dev"
REGION = "us-east-1"
WRITE_OPS = {
    "CreateCluster",
    "DeleteCluster",
    "UpdateClusterSettings",
    "UpdateCluster",
    "PutClusterCapacityProviders",
    "TagResource",
    "UntagResource",
}


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


@pytest.fixture
def ecs(aws):
    return boto3.client("ecs", region_name=REGION)


def args(**extra):
    base = {"name": NAME, "tags": {"Environment": "dev"}}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def live(ecs_client, name=NAME):
    found = ecs_client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])["clusters"]
    return found[0] if found else None


def insights(cluster):
    return {s["name"]: s["value"] for s in cluster.get("settings") or []}.get("containerInsights")


def tags_of(cluster):
    return {t["key"]: t["value"] for t in cluster.get("tags") or []}


def test_create_then_rerun_unchanged(ecs, run_module, api_calls):
    result = run_module(ecs_cluster, args(), diff=True)
    assert result["changed"] and result["created"], result
    cluster = live(ecs)
    assert cluster["status"] == "ACTIVE"
    assert insights(cluster) == "enabled"
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert tags_of(cluster) == {"Environment": "dev"}
    view = result["cluster"]
    assert view["cluster_arn"] == cluster["clusterArn"]
    assert view["container_insights"] == "enabled"
    assert view["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]
    assert view["default_capacity_provider_strategy"] == [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]
    assert view["tags"] == {"Environment": "dev"}
    assert result["diff"]["before"] == {}
    assert writes(api_calls) == ["CreateCluster"]

    api_calls.clear()
    again = run_module(ecs_cluster, args(), diff=True)
    assert not again["changed"], again
    assert again["diff"]["before"] == again["diff"]["after"]
    assert writes(api_calls) == []


def test_converges_insights_providers_and_tags(ecs, run_module, api_calls):
    run_module(ecs_cluster, args())
    api_calls.clear()
    result = run_module(
        ecs_cluster,
        args(
            container_insights="enhanced",
            capacity_providers=["FARGATE_SPOT", "FARGATE"],
            default_capacity_provider_strategy=[
                {"capacity_provider": "FARGATE", "weight": 1, "base": 2},
                {"capacity_provider": "FARGATE_SPOT", "weight": 3},
            ],
            tags={"Environment": "prod", "Team": "payments"},
        ),
        diff=True,
    )
    assert result["changed"], result
    assert sorted(writes(api_calls)) == ["PutClusterCapacityProviders", "TagResource", "UpdateClusterSettings"]
    cluster = live(ecs)
    assert insights(cluster) == "enhanced"
    assert {
        (i["capacityProvider"], i["weight"], i.get("base", 0)) for i in cluster["defaultCapacityProviderStrategy"]
    } == {
        ("FARGATE", 1, 2),
        ("FARGATE_SPOT", 3, 0),
    }
    assert tags_of(cluster) == {"Environment": "prod", "Team": "payments"}
    assert result["diff"]["before"]["container_insights"] == "enabled"
    assert result["diff"]["after"]["container_insights"] == "enhanced"
    assert result["cluster"]["container_insights"] == "enhanced"

    # Order of providers and strategy entries does not matter; purge_tags removes Team.
    api_calls.clear()
    result = run_module(
        ecs_cluster,
        args(
            container_insights="enhanced",
            default_capacity_provider_strategy=[
                {"capacity_provider": "FARGATE_SPOT", "weight": 3},
                {"capacity_provider": "FARGATE", "weight": 1, "base": 2},
            ],
            tags={"Environment": "prod"},
        ),
    )
    assert result["changed"]
    assert writes(api_calls) == ["UntagResource"]
    assert tags_of(live(ecs)) == {"Environment": "prod"}


def test_check_mode_writes_nothing(ecs, run_module, api_calls):
    result = run_module(ecs_cluster, args(), check_mode=True, diff=True)
    assert result["changed"] and result["created"]
    assert result["cluster"]["cluster_arn"] is None
    assert live(ecs) is None
    run_module(ecs_cluster, args())
    api_calls.clear()
    result = run_module(ecs_cluster, args(container_insights="disabled", tags={}), check_mode=True, diff=True)
    assert result["changed"]
    assert result["diff"]["after"]["container_insights"] == "disabled"
    assert result["diff"]["after"]["tags"] == {}
    assert writes(api_calls) == []
    assert insights(live(ecs)) == "enabled"


def test_invalid_strategy_refused_before_any_call(aws, run_module, api_calls):
    result = run_module(
        ecs_cluster,
        args(
            capacity_providers=["FARGATE"], default_capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT"}]
        ),
    )
    assert result["failed"]
    assert "FARGATE_SPOT" in result["msg"] and "capacity_providers" in result["msg"]
    result = run_module(
        ecs_cluster, args(default_capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 0}])
    )
    assert result["failed"] and "weight above 0" in result["msg"]
    assert api_calls == []


def test_absent_refuses_with_services_then_deletes_and_recreates(ecs, run_module, api_calls):
    run_module(ecs_cluster, args())
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ecs.register_task_definition(
        family="app",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx"}],
    )
    ecs.create_service(
        cluster=NAME,
        serviceName="payment-api",
        taskDefinition="app:1",
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}},
    )
    api_calls.clear()
    refused = run_module(ecs_cluster, args(state="absent"))
    assert refused["failed"]
    assert "payment-api (ACTIVE)" in refused["msg"]
    assert writes(api_calls) == []
    assert live(ecs)["status"] == "ACTIVE"

    ecs.delete_service(cluster=NAME, service="payment-api")
    check = run_module(ecs_cluster, args(state="absent"), check_mode=True)
    assert check["changed"] and live(ecs)["status"] == "ACTIVE"
    deleted = run_module(ecs_cluster, args(state="absent"), diff=True)
    assert deleted["changed"] and deleted["diff"]["after"] == {}
    assert live(ecs)["status"] == "INACTIVE"
    assert not run_module(ecs_cluster, args(state="absent"))["changed"]

    # An INACTIVE cluster is created again.
    again = run_module(ecs_cluster, args())
    assert again["changed"] and again["created"]
    assert live(ecs)["status"] == "ACTIVE"
