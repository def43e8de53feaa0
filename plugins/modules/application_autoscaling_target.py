#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: application_autoscaling_target
short_description: Register, update or deregister an Application Auto Scaling scalable target
version_added: 0.1.0
description:
  - Manages one scalable target of Application Auto Scaling (for example the desired count of an ECS
    service), identified by O(service_namespace), O(resource_id) and O(scalable_dimension).
  - O(state=present) registers it with O(min_capacity) and O(max_capacity), or updates a registered one
    whose capacities differ (C(RegisterScalableTarget) does both). O(state=absent) deregisters it, which
    also deletes its scaling policies and scheduled actions; a target that is not registered is no change.
  - C(community.aws.application_autoscaling_policy) registers the target together with a policy but never
    deregisters it, so a teardown left it behind; this module closes that gap.
  - With O(target_tracking_policy), it also puts a target tracking scaling policy on the target (created, or
    updated when it differs), after the target is registered.
  - C(community.aws.application_autoscaling_policy) (community.aws 10.0.0) leaves a registered target's
    capacities alone unless C(override_task_capacity=true) (a changed minimum or maximum is silently not
    applied) and registers the target and puts the policy even in check mode; this module compares both
    and writes nothing in check mode.
  - Check mode and diff are supported.
author:
  - payments.infra maintainers
options:
  service_namespace:
    description: The namespace of the AWS service, for example V(ecs).
    type: str
    required: true
  resource_id:
    description: The resource, for example V(service/<cluster>/<service>) for an ECS service.
    type: str
    required: true
  scalable_dimension:
    description: The scalable dimension, for example V(ecs:service:DesiredCount).
    type: str
    required: true
  state:
    description: V(present) registers or updates the target; V(absent) deregisters it.
    type: str
    choices: [present, absent]
    default: present
  min_capacity:
    description: The minimum capacity. Required with O(state=present).
    type: int
  max_capacity:
    description: The maximum capacity, at least O(min_capacity). Required with O(state=present).
    type: int
  target_tracking_policy:
    description:
      - A target tracking scaling policy of the target, on a predefined metric (only with O(state=present)).
      - Other policies of the target are left alone. O(state=absent) deletes every policy with the target.
    type: dict
    suboptions:
      name:
        description: The name of the policy.
        type: str
        required: true
      target_value:
        description: The value of the metric the policy keeps the target at (for example 70 percent CPU).
        type: float
        required: true
      predefined_metric_type:
        description: The predefined metric, for example V(ECSServiceAverageCPUUtilization).
        type: str
        required: true
      scale_in_cooldown:
        description: Seconds after a scale-in activity before another may start.
        type: int
      scale_out_cooldown:
        description: Seconds after a scale-out activity before another may start.
        type: int
      disable_scale_in:
        description: Whether the policy never scales in.
        type: bool
        default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Deregister the ECS service's scalable target (its policies go with it)
  payments.infra.application_autoscaling_target:
    service_namespace: ecs
    resource_id: service/payment-cluster-dev/payment-api-dev
    scalable_dimension: ecs:service:DesiredCount
    state: absent

- name: Scale the service between 2 and 4 tasks, keeping its average CPU at 70 percent
  payments.infra.application_autoscaling_target:
    service_namespace: ecs
    resource_id: service/payment-cluster-staging/payment-api-staging
    scalable_dimension: ecs:service:DesiredCount
    min_capacity: 2
    max_capacity: 4
    target_tracking_policy:
      name: payment-cpu-target-staging
      target_value: 70
      predefined_metric_type: ECSServiceAverageCPUUtilization
      scale_in_cooldown: 300
      scale_out_cooldown: 60
"""

RETURN = r"""
target:
  description: The scalable target after the call (in check mode, as it would be); empty when absent.
  returned: always
  type: dict
  contains:
    service_namespace:
      description: The namespace.
      type: str
      sample: ecs
    resource_id:
      description: The resource.
      type: str
      sample: service/payment-cluster-dev/payment-api-dev
    scalable_dimension:
      description: The dimension.
      type: str
      sample: ecs:service:DesiredCount
    min_capacity:
      description: The minimum capacity.
      type: int
      sample: 1
    max_capacity:
      description: The maximum capacity.
      type: int
      sample: 2
    target_tracking_policy:
      description: The target tracking policy, with its ARN (null in check mode before it exists).
      returned: when O(target_tracking_policy) is given
      type: dict
      sample: {"name": "payment-cpu-target-dev", "target_value": 70.0,
               "predefined_metric_type": "ECSServiceAverageCPUUtilization", "scale_in_cooldown": 300,
               "scale_out_cooldown": 60, "disable_scale_in": false, "policy_arn": null}
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.infra.plugins.module_utils.common import make_diff

KEYS = ("service_namespace", "resource_id", "scalable_dimension")


def _target(found):
    return {
        "service_namespace": found["ServiceNamespace"],
        "resource_id": found["ResourceId"],
        "scalable_dimension": found["ScalableDimension"],
        "min_capacity": found["MinCapacity"],
        "max_capacity": found["MaxCapacity"],
    }


@AWSRetry.jittered_backoff()
def describe_target(client, namespace, resource_id, dimension):
    found = client.describe_scalable_targets(
        ServiceNamespace=namespace, ResourceIds=[resource_id], ScalableDimension=dimension
    )["ScalableTargets"]
    return _target(found[0]) if found else {}


@AWSRetry.jittered_backoff()
def register_target(client, namespace, resource_id, dimension, min_capacity, max_capacity):
    client.register_scalable_target(
        ServiceNamespace=namespace,
        ResourceId=resource_id,
        ScalableDimension=dimension,
        MinCapacity=min_capacity,
        MaxCapacity=max_capacity,
    )


@AWSRetry.jittered_backoff()
def describe_policy(client, namespace, resource_id, dimension, name):
    found = client.describe_scaling_policies(
        ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension, PolicyNames=[name]
    )["ScalingPolicies"]
    return found[0] if found else None


@AWSRetry.jittered_backoff()
def put_target_tracking_policy(client, namespace, resource_id, dimension, name, configuration):
    return client.put_scaling_policy(
        PolicyName=name,
        ServiceNamespace=namespace,
        ResourceId=resource_id,
        ScalableDimension=dimension,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=configuration,
    ).get("PolicyARN")


def policy_configuration(policy):
    """The TargetTrackingScalingPolicyConfiguration of the ``target_tracking_policy`` option."""
    configuration = {
        "TargetValue": float(policy["target_value"]),
        "PredefinedMetricSpecification": {"PredefinedMetricType": policy["predefined_metric_type"]},
        "DisableScaleIn": bool(policy["disable_scale_in"]),
    }
    if policy["scale_in_cooldown"] is not None:
        configuration["ScaleInCooldown"] = policy["scale_in_cooldown"]
    if policy["scale_out_cooldown"] is not None:
        configuration["ScaleOutCooldown"] = policy["scale_out_cooldown"]
    return configuration


def policy_view(found, wanted):
    """The snake_case view of a DescribeScalingPolicies entry: only what the option sets, for the diff."""
    if not found:
        return {}
    configuration = found.get("TargetTrackingScalingPolicyConfiguration") or {}
    metric = configuration.get("PredefinedMetricSpecification") or {}
    view = {
        "name": found["PolicyName"],
        "policy_type": found.get("PolicyType"),
        "target_value": configuration.get("TargetValue"),
        "predefined_metric_type": metric.get("PredefinedMetricType"),
        "disable_scale_in": bool(configuration.get("DisableScaleIn", False)),
    }
    for key, field in (("scale_in_cooldown", "ScaleInCooldown"), ("scale_out_cooldown", "ScaleOutCooldown")):
        if wanted.get(key) is not None or field in configuration:
            view[key] = configuration.get(field)
    view["policy_arn"] = found.get("PolicyARN")
    return view


def wanted_policy_view(policy, arn):
    view = {
        "name": policy["name"],
        "policy_type": "TargetTrackingScaling",
        "target_value": float(policy["target_value"]),
        "predefined_metric_type": policy["predefined_metric_type"],
        "disable_scale_in": bool(policy["disable_scale_in"]),
    }
    for key in ("scale_in_cooldown", "scale_out_cooldown"):
        if policy[key] is not None:
            view[key] = policy[key]
    view["policy_arn"] = arn
    return view


@AWSRetry.jittered_backoff()
def deregister_target(client, namespace, resource_id, dimension):
    try:
        client.deregister_scalable_target(
            ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension
        )
    except is_boto3_error_code("ObjectNotFoundException"):
        return False  # deregistered meanwhile
    return True


def argument_spec():
    return dict(
        service_namespace=dict(type="str", required=True),
        resource_id=dict(type="str", required=True),
        scalable_dimension=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        min_capacity=dict(type="int"),
        max_capacity=dict(type="int"),
        target_tracking_policy=dict(
            type="dict",
            options=dict(
                name=dict(type="str", required=True),
                target_value=dict(type="float", required=True),
                predefined_metric_type=dict(type="str", required=True),
                scale_in_cooldown=dict(type="int"),
                scale_out_cooldown=dict(type="int"),
                disable_scale_in=dict(type="bool", default=False),
            ),
        ),
    )


def ensure_absent(client, module, before):
    """(changed, before, after) of deregistering the target."""
    changed = bool(before)
    if changed and not module.check_mode:
        changed = deregister_target(client, *(module.params[k] for k in KEYS))
    return changed, before, {}


def ensure_target(client, module, before):
    """(changed, after) of registering the target with its capacities."""
    params = module.params
    after = dict(
        {key: params[key] for key in KEYS},
        min_capacity=params["min_capacity"],
        max_capacity=params["max_capacity"],
    )
    changed = before != after
    if changed and not module.check_mode:
        register_target(client, *(params[k] for k in KEYS), params["min_capacity"], params["max_capacity"])
    return changed, after


def ensure_policy(client, module, before, after):
    """(changed, before, after) of the target tracking policy, added to the target's views."""
    params = module.params
    policy = params["target_tracking_policy"]
    keys = [params[k] for k in KEYS]
    found = describe_policy(client, *keys, policy["name"]) if before else None
    live = policy_view(found, policy)
    wanted = wanted_policy_view(policy, live.get("policy_arn"))
    before = dict(before, target_tracking_policy=live) if before else {}
    after = dict(after, target_tracking_policy=wanted)
    changed = live != wanted
    if changed and not module.check_mode:
        wanted["policy_arn"] = put_target_tracking_policy(client, *keys, policy["name"], policy_configuration(policy))
    return changed, before, after


def ensure_present(client, module, before):
    changed, after = ensure_target(client, module, before)
    if module.params["target_tracking_policy"]:
        policy_changed, before, after = ensure_policy(client, module, before, after)
        changed = changed or policy_changed
    return changed, before, after


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("state", "present", ["min_capacity", "max_capacity"])],
    )
    params = module.params
    if params["state"] == "present" and not 0 <= params["min_capacity"] <= params["max_capacity"]:
        module.fail_json(
            msg=(
                f"min_capacity={params['min_capacity']} and max_capacity={params['max_capacity']}: "
                "the minimum must be 0 or more and at most the maximum."
            )
        )
    namespace, resource_id, dimension = (params[k] for k in KEYS)
    client = module.client("application-autoscaling")
    try:
        before = describe_target(client, namespace, resource_id, dimension)
        ensure = ensure_absent if params["state"] == "absent" else ensure_present
        changed, before, after = ensure(client, module, before)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not manage the scalable target {namespace} {resource_id} {dimension}")
    result = {"changed": changed, "target": after}
    if module._diff:
        result["diff"] = make_diff(before, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
