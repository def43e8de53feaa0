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
