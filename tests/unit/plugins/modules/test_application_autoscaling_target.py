"""payments.infra.application_autoscaling_target against moto in-process."""

import boto3
import pytest

from ansible_collections.payments.infra.plugins.modules import application_autoscaling_target as target_module

RESOURCE = "service/payment-cluster-dev/payment-api-dev"
BASE = {"service_namespace": "ecs", "resource_id": RESOURCE, "scalable_dimension": "ecs:service:DesiredCount"}
WRITES = {"RegisterScalableTarget", "DeregisterScalableTarget"}


@pytest.fixture
def scaling(aws):
    """The service the target scales must exist (Application Auto Scaling checks it, as moto does)."""
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="payment-cluster-dev")
    ecs.create_service(cluster="payment-cluster-dev", serviceName="payment-api-dev", desiredCount=1)
    return boto3.client("application-autoscaling", region_name="us-east-1")


def registered(client):
    return [
        (t["MinCapacity"], t["MaxCapacity"])
        for t in client.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RESOURCE])["ScalableTargets"]
    ]


def writes(api_calls):
    return [name for name, _ in api_calls if name in WRITES]


def test_register_then_no_change_then_update(run_module, scaling, api_calls):
    result = run_module(target_module, {**BASE, "min_capacity": 1, "max_capacity": 2}, diff=True)
    assert result["changed"] is True and result["diff"]["before"] == {}
    assert result["target"]["min_capacity"] == 1 and registered(scaling) == [(1, 2)]
    api_calls.clear()
    assert run_module(target_module, {**BASE, "min_capacity": 1, "max_capacity": 2})["changed"] is False
    assert writes(api_calls) == []
    result = run_module(target_module, {**BASE, "min_capacity": 2, "max_capacity": 4})
    assert result["changed"] is True and registered(scaling) == [(2, 4)]


def test_deregister_then_no_change(run_module, scaling, api_calls):
    scaling.register_scalable_target(**{"ServiceNamespace": "ecs", "ResourceId": RESOURCE,
                                        "ScalableDimension": "ecs:service:DesiredCount",
                                        "MinCapacity": 1, "MaxCapacity": 2})  # fmt: skip
    api_calls.clear()
    check = run_module(target_module, {**BASE, "state": "absent"}, check_mode=True, diff=True)
    assert check["changed"] is True and check["diff"]["after"] == {} and registered(scaling) == [(1, 2)]
    assert writes(api_calls) == []
    result = run_module(target_module, {**BASE, "state": "absent"})
    assert result["changed"] is True and result["target"] == {} and registered(scaling) == []
    api_calls.clear()
    again = run_module(target_module, {**BASE, "state": "absent"})
    assert again["changed"] is False and writes(api_calls) == []


def test_bad_capacities_fail_before_any_call(run_module, scaling, api_calls):
    api_calls.clear()
    result = run_module(target_module, {**BASE, "min_capacity": 3, "max_capacity": 2})
    assert result["failed"] is True
    assert "min_capacity=3 and max_capacity=2" in result["msg"] and api_calls == []
    result = run_module(target_module, BASE)
    assert result["failed"] is True and "min_capacity" in result["msg"]


POLICY = {
    "name": "payment-cpu-target-dev",
    "target_value": 70,
    "predefined_metric_type": "ECSServiceAverageCPUUtilization",
    "scale_in_cooldown": 300,
    "scale_out_cooldown": 60,
}
POLICY_WRITES = WRITES | {"PutScalingPolicy", "DeleteScalingPolicy"}


def policies(client):
    return {
        p["PolicyName"]: p["TargetTrackingScalingPolicyConfiguration"]
        for p in client.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RESOURCE)["ScalingPolicies"]
    }


def stock_args(**extra):
    return {
        "state": "present",
        "policy_name": POLICY["name"],
        "policy_type": "TargetTrackingScaling",
        **BASE,
        "target_tracking_scaling_policy_configuration": {
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60,
            "DisableScaleIn": False,
        },
        **extra,
    }


def test_stock_policy_module_ignores_new_capacities_and_writes_in_check_mode(run_module, scaling, api_calls):
    """community.aws.application_autoscaling_policy (10.0.0), as roles/ecs_alb called it before."""
    from ansible_collections.community.aws.plugins.modules import application_autoscaling_policy as stock

    plan = run_module(stock, stock_args(minimum_tasks=1, maximum_tasks=2), check_mode=True)
    assert plan["changed"] is True and "diff" not in plan
    assert [n for n, _ in api_calls if n in POLICY_WRITES] == ["RegisterScalableTarget", "PutScalingPolicy"]
    assert registered(scaling) == [(1, 2)] and POLICY["name"] in policies(scaling)  # the plan made them
    changed = run_module(stock, stock_args(minimum_tasks=2, maximum_tasks=4))
    assert changed["changed"] is False and registered(scaling) == [(1, 2)]  # 2-4 silently not applied


def test_policy_planned_then_put_then_unchanged_then_updated(run_module, scaling, api_calls):
    wanted = {**BASE, "min_capacity": 1, "max_capacity": 2, "target_tracking_policy": POLICY}
    plan = run_module(target_module, wanted, check_mode=True, diff=True)
    assert plan["changed"] is True and plan["diff"]["before"] == {}
    assert plan["diff"]["after"]["target_tracking_policy"]["target_value"] == 70.0
    assert writes(api_calls) == [] and registered(scaling) == [] and policies(scaling) == {}

    made = run_module(target_module, wanted, diff=True)
    assert made["changed"] is True and registered(scaling) == [(1, 2)]
    assert made["target"]["target_tracking_policy"]["policy_arn"]
    assert policies(scaling)[POLICY["name"]] == {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
        "DisableScaleIn": False,
    }

    api_calls.clear()
    again = run_module(target_module, wanted, diff=True)
    assert again["changed"] is False and again["diff"]["before"] == again["diff"]["after"]
    assert [n for n, _ in api_calls if n in POLICY_WRITES] == []

    # New bounds and a new target value: planned with a diff and no write, then applied.
    bigger = {**wanted, "min_capacity": 2, "max_capacity": 4, "target_tracking_policy": {**POLICY, "target_value": 60}}
    plan = run_module(target_module, bigger, check_mode=True, diff=True)
    assert plan["changed"] is True
    before, after = plan["diff"]["before"], plan["diff"]["after"]
    assert (before["min_capacity"], before["max_capacity"], after["min_capacity"], after["max_capacity"]) == (
        1,
        2,
        2,
        4,
    )
    assert before["target_tracking_policy"]["target_value"] == 70.0
    assert after["target_tracking_policy"]["target_value"] == 60.0
    assert [n for n, _ in api_calls if n in POLICY_WRITES] == []
    assert registered(scaling) == [(1, 2)] and policies(scaling)[POLICY["name"]]["TargetValue"] == 70.0

    applied = run_module(target_module, bigger)
    assert applied["changed"] is True
    assert registered(scaling) == [(2, 4)] and policies(scaling)[POLICY["name"]]["TargetValue"] == 60.0
    api_calls.clear()
    assert run_module(target_module, bigger)["changed"] is False
    assert [n for n, _ in api_calls if n in POLICY_WRITES] == []
