"""ECS fidelity patches."""

from __future__ import annotations

import copy
import functools
import os
import threading
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.models import Service
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random

CONTAINER_INSIGHTS_VALUES = ("enabled", "disabled", "enhanced")
# Service statuses AWS counts as existing (a service is DRAINING between DeleteService and INACTIVE).
LIVE_SERVICE_STATUSES = ("ACTIVE", "DRAINING")
# moto's own knob for the running count of new services (its docs: MOTO_ECS_SERVICE_RUNNING); when it is set, the
# steady state below stays off and moto's numbers are kept.
RUNNING_KNOB = "MOTO_ECS_SERVICE_RUNNING"
# UpdateService parameters (snake_case, as moto's backend receives them) whose change starts a new deployment.
_DEPLOYMENT_FIELDS = (
    "task_definition",
    "network_configuration",
    "platform_version",
    "load_balancers",
    "service_registries",
    "capacity_provider_strategy",
)
_DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
_TOKEN_ATTR = "_fidelity_client_token"  # noqa: S105 (an attribute name)
_lock = threading.Lock()


class ClusterContainsServicesException(ECSException):
    def __init__(self) -> None:
        super().__init__("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")


def update_cluster_settings() -> None:
    """UpdateClusterSettings changes a cluster's settings (``containerInsights``: ``enabled``, ``disabled`` or
    ``enhanced``), keeping the settings it does not name, and returns the cluster.

    moto does not implement the action (``NotImplementedError``; UpdateCluster with ``settings`` works). An unknown
    setting name or value is refused with ``InvalidParameterException`` (the wording is the emulator's own).
    """

    def handler(self: EC2ContainerServiceResponse) -> ActionResult:
        cluster = self.ecs_backend._get_cluster(self._get_param("cluster"))
        settings = self._get_param("settings") or []
        for setting in settings:
            if setting.get("name") != "containerInsights":
                raise InvalidParameterException(
                    f"Invalid cluster setting name {setting.get('name')!r}; valid names: containerInsights"
                )
            if setting.get("value") not in CONTAINER_INSIGHTS_VALUES:
                raise InvalidParameterException(
                    f"Invalid value {setting.get('value')!r} for cluster setting containerInsights; valid values: "
                    + ", ".join(CONTAINER_INSIGHTS_VALUES)
                )
        merged = {s["name"]: s["value"] for s in cluster.settings or []}
        merged.update({s["name"]: s["value"] for s in settings})
        cluster.settings = [{"name": name, "value": value} for name, value in merged.items()]
        return ActionResult({"cluster": cluster})

    EC2ContainerServiceResponse.update_cluster_settings = handler  # type: ignore[attr-defined]


def delete_cluster_with_services() -> None:
    """DeleteCluster refuses a cluster that still has ACTIVE or DRAINING services with
    ``ClusterContainsServicesException`` ("The Cluster cannot be deleted while Services are active.").

    moto marks the cluster INACTIVE whatever runs in it, so a deletion that AWS refuses looks successful.
    """
    original = EC2ContainerServiceBackend.delete_cluster

    @functools.wraps(original)
    def delete_cluster(self: EC2ContainerServiceBackend, cluster_str: str) -> Any:
        cluster = self._get_cluster(cluster_str)
        if any(
            service.cluster_name == cluster.name and service.status in LIVE_SERVICE_STATUSES
            for service in self.services.values()
        ):
            raise ClusterContainsServicesException()
        return original(self, cluster_str)

    EC2ContainerServiceBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]


def _deployment_configuration(given: dict[str, Any] | None) -> dict[str, Any]:
    configuration = copy.deepcopy(_DEFAULT_DEPLOYMENT_CONFIGURATION)
    for key, value in (given or {}).items():
        if key == "deploymentCircuitBreaker":
            configuration[key] = dict(configuration[key], **(value or {}))
        else:
            configuration[key] = value
    return configuration


def create_service_settings() -> None:
    """A service created by CreateService reports what it was created with: ``healthCheckGracePeriodSeconds``,
    ``deploymentConfiguration`` (with AWS's defaults for what was not given: ``maximumPercent`` 200,
    ``minimumHealthyPercent`` 100, circuit breaker off), ``enableExecuteCommand`` and ``enableECSManagedTags``
    (false unless given), and ``capacityProviderStrategy``: a service created with a strategy, or with neither a
    strategy nor a launch type in a cluster that has a default strategy, runs on that strategy and has no
    ``launchType`` (its deployment too).

    moto drops all of these on create (UpdateService stores them), and reports ``launchType: EC2`` for a service
    created with a capacity provider strategy: a module comparing them sees a difference on every run.
    """
    original = EC2ContainerServiceResponse.create_service

    @functools.wraps(original)
    def create_service(self: EC2ContainerServiceResponse) -> Any:
        strategy = self._get_param("capacityProviderStrategy")
        launch_type = self._get_param("launchType")
        if strategy and launch_type:
            raise InvalidParameterException(
                "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try "
                "again."
            )
        if not strategy and not launch_type:
            cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
            strategy = copy.deepcopy(cluster.default_capacity_provider_strategy) or None
        result = original(self)
        service = result.result["service"] if isinstance(result, ActionResult) else None
        if not isinstance(service, Service):
            return result
        grace = self._get_param("healthCheckGracePeriodSeconds")
        if grace is not None:
            service.health_check_grace_period_seconds = grace
        service.deployment_configuration = _deployment_configuration(self._get_param("deploymentConfiguration"))
        service.enable_execute_command = bool(self._get_param("enableExecuteCommand", False))
        service.enable_ecs_managed_tags = bool(self._get_param("enableECSManagedTags", False))
        if strategy:
            service.launch_type = None
            service.capacity_provider_strategy = strategy
            for deployment in service.deployments:
                deployment.pop("launchType", None)
                deployment["capacityProviderStrategy"] = copy.deepcopy(strategy)
        return result

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]


def create_service_client_token() -> None:
    """CreateService is idempotent on ``clientToken``: repeating the call with the token that created a service
    (still ACTIVE or DRAINING) returns that service and creates nothing; CreateService for the name of such a
    service with another token, or none, fails with ``InvalidParameterException: Creation of service was not
    idempotent.``

    moto ignores the token and replaces the existing service with a new one (new deployment, tags and settings of
    the second call), so a retried or repeated create silently resets a running service instead of being refused
    or answered with the first result.
    """
    original = EC2ContainerServiceResponse.create_service

    @functools.wraps(original)
    def create_service(self: EC2ContainerServiceResponse) -> Any:
        backend = self.ecs_backend
        token = self._get_param("clientToken")
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        key = f"{cluster.name}:{self._get_param('serviceName')}"
        with _lock:
            existing = backend.services.get(key)
            if existing is not None and existing.status in LIVE_SERVICE_STATUSES:
                if token and getattr(existing, _TOKEN_ATTR, None) == token:
                    return ActionResult({"service": existing})
                raise InvalidParameterException("Creation of service was not idempotent.")
            result = original(self)
            service = backend.services.get(key)
            if service is not None:
                setattr(service, _TOKEN_ATTR, token)
            return result

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]


def awsvpc_without_security_groups() -> None:
    """CreateService accepts an awsvpc network configuration without ``securityGroups`` (AWS then gives the tasks
    the VPC's default security group) and reports the configuration as it was given.

    moto answers HTTP 500 (``KeyError: 'securityGroups'`` in its network validation).
    """
    original = Service._validate_network

    @functools.wraps(original)
    def _validate_network(self: Service, nc: dict[str, Any]) -> dict[str, Any]:
        awsvpc = nc.get("awsvpcConfiguration") or {}
        if "securityGroups" not in awsvpc:
            original(self, {"awsvpcConfiguration": dict(awsvpc, securityGroups=[])})
            return nc
        return original(self, nc)

    Service._validate_network = _validate_network  # type: ignore[method-assign]


def update_service_task_definition_arn() -> None:
    """After UpdateService, ``taskDefinition`` is the full ARN of the task definition, whether the request named
    it by ARN, ``family:revision`` or family (its latest ACTIVE revision).

    moto stores the string as sent (``app:2``), so the service's task definition stops looking like the ARN
    that CreateService and AWS report.
    """
    original = EC2ContainerServiceBackend.update_service

    @functools.wraps(original)
    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        given = service_properties.get("task_definition")
        if given:
            service_properties["task_definition"] = self.describe_task_definition(given).arn
        return original(self, service_properties)

    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]


def _steady() -> bool:
    return RUNNING_KNOB not in os.environ


def _rollout(deployment: dict[str, Any]) -> None:
    done = deployment["runningCount"] >= deployment["desiredCount"]
    deployment["rolloutState"] = "COMPLETED" if done else "IN_PROGRESS"
    deployment["rolloutStateReason"] = (
        f"ECS deployment {deployment['id']} completed." if done else f"ECS deployment {deployment['id']} in progress."
    )


def _new_deployment(service: Service) -> dict[str, Any]:
    now = utcnow()
    deployment: dict[str, Any] = {
        "id": f"ecs-svc/{mock_random.randint(0, 32**12)}",
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.pending_count,
        "runningCount": service.running_count,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "platformVersion": service.platform_version,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": copy.deepcopy(service.network_configuration) or None,
    }
    strategy = getattr(service, "capacity_provider_strategy", None)
    if service.launch_type:
        deployment["launchType"] = service.launch_type
    elif strategy:
        deployment["capacityProviderStrategy"] = copy.deepcopy(strategy)
    _rollout(deployment)
    return deployment


def service_deployments() -> None:
    """A service's deployments follow its changes, and its tasks start at once (moto has no latency):

    - CreateService: ``runningCount`` equals ``desiredCount`` and the PRIMARY deployment is ``COMPLETED``;
    - UpdateService that changes the task definition, network configuration, platform version, load balancers,
      service registries or capacity provider strategy, or sets ``forceNewDeployment``, starts a new PRIMARY
      deployment (new id, the new task definition and network configuration), which replaces the old one at once;
    - a changed ``desiredCount`` is the PRIMARY deployment's desired count too.

    moto leaves a new service at ``runningCount`` 0 with its deployment ``IN_PROGRESS`` for ever (unless
    ``MOTO_ECS_SERVICE_RUNNING`` is set), keeps the first deployment through every UpdateService (old task definition,
    old desired count, old network configuration), so waiting for a deployment never ends and the deployment reported
    is not the one just made. With ``MOTO_ECS_SERVICE_RUNNING`` set, moto's running counts are kept.
    """
    original_init = Service.__init__
    original_update = EC2ContainerServiceBackend.update_service

    @functools.wraps(original_init)
    def __init__(self: Service, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if _steady() and self.deployments:
            self.running_count, self.pending_count = self.desired_count, 0
            deployment = self.deployments[0]
            deployment.update(runningCount=self.desired_count, pendingCount=0)
            _rollout(deployment)

    @functools.wraps(original_update)
    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        service = self._get_service(
            service_properties.get("cluster", "default"), str(service_properties.get("service")).split("/")[-1]
        )
        before = {field: copy.deepcopy(getattr(service, field, None)) for field in _DEPLOYMENT_FIELDS}
        force = bool(service_properties.get("force_new_deployment"))
        desired = service_properties.get("desired_count")
        result = original_update(self, service_properties)
        if service.deployment_controller.get("type", "ECS") != "ECS":
            return result
        if _steady():
            service.running_count, service.pending_count = service.desired_count, 0
        changed = any(getattr(service, field, None) != before[field] for field in _DEPLOYMENT_FIELDS)
        if force or changed or not service.deployments:
            service.deployments = [_new_deployment(service)]
        elif desired is not None:
            primary = service.deployments[0]
            primary.update(
                desiredCount=service.desired_count,
                runningCount=service.running_count,
                pendingCount=service.pending_count,
                updatedAt=utcnow(),
            )
            _rollout(primary)
        return result

    Service.__init__ = __init__  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]
