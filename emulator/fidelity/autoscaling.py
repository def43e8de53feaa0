"""Application Auto Scaling fidelity patches: deregistration, capacity and target tracking limits."""

from __future__ import annotations

import functools
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

from emulator.fidelity._limits import as_int
from emulator.fidelity._limits import check_before


def deregister_deletes_policies() -> None:
    """DeregisterScalableTarget deletes the target's scaling policies (and their alarms) and scheduled actions.

    AWS: "Deregistering a scalable target deletes the scaling policies and the scheduled actions that are
    associated with it." moto deletes the target only, so a service whose auto scaling was switched off kept
    a policy no target owns.
    """
    original = ApplicationAutoscalingBackend.deregister_scalable_target

    @functools.wraps(original)
    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        original(self, namespace, r_id, dimension)
        for key, policy in list(self.policies.items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (
                namespace,
                r_id,
                dimension,
            ):
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]
        self.scheduled_actions = [
            a for a in self.scheduled_actions if (a.resource_id, a.scalable_dimension) != (r_id, dimension)
        ]

    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]


# ---- Limits ---------------------------------------------------------------------------------------------------------
# TargetTrackingScalingPolicyConfiguration.TargetValue: "Values must be in the range of -2^360 to 2^360."
TARGET_VALUE_LIMIT = 2.0**360


def _capacity_problem(backend: Any, params: dict[str, Any]) -> str | None:
    minimum, maximum = as_int(params.get("MinCapacity")), as_int(params.get("MaxCapacity"))
    for name, value in (("MinCapacity", minimum), ("MaxCapacity", maximum)):
        if value is not None and value < 0:
            return f"{name} must be greater than or equal to 0, got {value}"
    if minimum is None or maximum is None:
        current = backend.targets.get(params.get("ScalableDimension"), {}).get(params.get("ResourceId"))
        if current is not None:
            minimum = current.min_capacity if minimum is None else minimum
            maximum = current.max_capacity if maximum is None else maximum
    if minimum is not None and maximum is not None and minimum > maximum:
        return "Minimum capacity cannot be greater than maximum capacity"
    return None


def scalable_target_capacity_limits() -> None:
    """RegisterScalableTarget refuses a negative MinCapacity or MaxCapacity and a MinCapacity above MaxCapacity
    (ValidationException, HTTP 400); an update giving one of them is compared with the target's other one.
    Application Auto Scaling API reference, RegisterScalableTarget: "For the following resources, the minimum value
    allowed is 0. ... ECS services ..."; MaxCapacity is "The maximum value that you plan to scale out to".

    moto registered -1 and a minimum above the maximum.
    """

    def check(response: ApplicationAutoScalingResponse) -> None:
        params = {
            key: response._get_param(key) for key in ("MinCapacity", "MaxCapacity", "ScalableDimension", "ResourceId")
        }
        problem = _capacity_problem(response.applicationautoscaling_backend, params)
        if problem:
            raise AWSValidationException(problem)

    check_before(ApplicationAutoScalingResponse, "register_scalable_target", check)


def _target_tracking_problem(configuration: dict[str, Any]) -> str | None:
    for name in ("ScaleInCooldown", "ScaleOutCooldown"):
        value = configuration.get(name)
        if isinstance(value, int) and value < 0:
            return f"{name} must be greater than or equal to 0, got {value}"
    target = configuration.get("TargetValue")
    if isinstance(target, (int, float)) and not -TARGET_VALUE_LIMIT <= target <= TARGET_VALUE_LIMIT:
        return f"TargetValue {target} is out of range: it must be from -2^360 to 2^360"
    return None


def target_tracking_limits() -> None:
    """PutScalingPolicy of a TargetTrackingScaling policy refuses a negative ScaleInCooldown or ScaleOutCooldown and
    a TargetValue outside -2^360 to 2^360 (ValidationException, HTTP 400). Application Auto Scaling API reference,
    TargetTrackingScalingPolicyConfiguration: TargetValue "accepts numbers of type Double, it won't accept values
    that are either too small or too large. Values must be in the range of -2^360 to 2^360."; the cooldowns are
    amounts of time in seconds.

    moto stored any cooldown and target value.
    """

    def check(response: ApplicationAutoScalingResponse) -> None:
        configuration = response._get_param("TargetTrackingScalingPolicyConfiguration")
        if isinstance(configuration, dict):
            problem = _target_tracking_problem(configuration)
            if problem:
                raise AWSValidationException(problem)

    check_before(ApplicationAutoScalingResponse, "put_scaling_policy", check)
