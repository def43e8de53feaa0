"""Application Auto Scaling fidelity: deregistering a target deletes its policies and scheduled actions."""

from collections.abc import Callable
from typing import Any

Aws = Callable[..., Any]


def test_deregistering_a_target_deletes_its_policies_and_scheduled_actions(aws: Aws) -> None:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="cluster")
    family = ecs.register_task_definition(
        family="matrix-app",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    for service in ("svc-a", "svc-b"):
        ecs.create_service(cluster="cluster", serviceName=service, taskDefinition=family, desiredCount=1)
    scaling = aws("application-autoscaling")
    target = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount"}
    for service in ("svc-a", "svc-b"):
        resource = {**target, "ResourceId": f"service/cluster/{service}"}
        scaling.register_scalable_target(**resource, MinCapacity=1, MaxCapacity=2)
        scaling.put_scaling_policy(
            **resource,
            PolicyName=f"{service}-cpu",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            },
        )
        scaling.put_scheduled_action(**resource, ScheduledActionName=f"{service}-night", Schedule="cron(0 0 * * ? *)")
    scaling.deregister_scalable_target(**target, ResourceId="service/cluster/svc-a")
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["svc-b-cpu"]
    actions = scaling.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]
    assert [a["ScheduledActionName"] for a in actions] == ["svc-b-night"]
