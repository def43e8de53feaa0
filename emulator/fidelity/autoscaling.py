"""Application Auto Scaling fidelity patches."""

from __future__ import annotations

import functools
from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend


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
