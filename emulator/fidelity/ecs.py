"""ECS fidelity patches."""

from __future__ import annotations

import copy
import functools
import math
import os
import re
import threading
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import EcsClientException
from moto.ecs.exceptions import ECSException
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.models import Service
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random

from emulator import latency
from emulator.fidelity._limits import check_before

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


# Sources of the texts below: real CreateService / UpdateService errors quoted in public issues (pulumi/pulumi-awsx
# #1172 "InvalidParameterException: The container app did not have a container port 80 defined", aws/amazon-ecs-agent
# #1276 "InvalidParameterException: The container Frontend does not exist in the task definition.") and write-ups of
# an UpdateService to a task definition without the port ("The ECS service cannot be updated ...: The container ...
# did not have a container port 443 defined.").
def _check_load_balancer_containers(definition: Any, load_balancers: list[dict[str, Any]] | None) -> None:
    """InvalidParameterException unless every ``loadBalancers`` entry names a container of ``definition`` that maps
    its ``containerPort``."""
    containers = {c.get("name"): c for c in definition.container_definitions or []}
    for entry in load_balancers or []:
        name, port = entry.get("containerName"), entry.get("containerPort")
        if name is None:
            continue
        container = containers.get(name)
        if container is None:
            raise InvalidParameterException(f"The container {name} does not exist in the task definition.")
        mapped = {int(m["containerPort"]) for m in container.get("portMappings") or [] if m.get("containerPort")}
        if port is not None and int(port) not in mapped:
            raise InvalidParameterException(f"The container {name} did not have a container port {port} defined.")


def service_load_balancer_container_ports() -> None:
    """CreateService, and UpdateService given ``loadBalancers`` or a task definition, check every ``loadBalancers``
    entry against the task definition the service is to run (the one given, else its current one) before changing
    anything: the container named by ``containerName`` must exist (``InvalidParameterException: The container <name>
    does not exist in the task definition.``) and map ``containerPort`` in its ``portMappings``
    (``InvalidParameterException: The container <name> did not have a container port <port> defined.``).

    moto accepts any name and port, so a service whose target group sends traffic to a port no container listens on
    is created on the emulator and refused by AWS.
    """
    original_create = EC2ContainerServiceBackend.create_service
    original_update = EC2ContainerServiceBackend.update_service

    @functools.wraps(original_create)
    def create_service(
        self: EC2ContainerServiceBackend,
        cluster_str: str,
        service_name: str,
        desired_count: int,
        task_definition_str: str | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if task_definition_str and load_balancers:
            _check_load_balancer_containers(self.describe_task_definition(task_definition_str), load_balancers)
        return original_create(
            self, cluster_str, service_name, desired_count, task_definition_str, load_balancers, *args, **kwargs
        )

    @functools.wraps(original_update)
    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        given_definition = service_properties.get("task_definition")
        given_balancers = service_properties.get("load_balancers")
        if given_definition or given_balancers:
            service = self._get_service(
                service_properties.get("cluster", "default"), str(service_properties.get("service")).split("/")[-1]
            )
            definition = given_definition or service.task_definition
            balancers = service.load_balancers if given_balancers is None else given_balancers
            if definition and balancers:
                _check_load_balancer_containers(self.describe_task_definition(definition), balancers)
        return original_update(self, service_properties)

    EC2ContainerServiceBackend.create_service = create_service  # type: ignore[method-assign]
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


def _remember_completed(service: Service) -> None:
    """Keep the service's PRIMARY deployment, when COMPLETED, as the target of a circuit-breaker rollback, with what a
    deployment record does not show of the service revision (load balancers, service registries)."""
    primary = service.deployments[0] if service.deployments else None
    if primary is not None and primary.get("status") == "PRIMARY" and primary.get("rolloutState") == "COMPLETED":
        setattr(
            service,
            _COMPLETED_ATTR,
            {
                "deployment": copy.deepcopy(primary),
                "load_balancers": copy.deepcopy(service.load_balancers),
                "service_registries": copy.deepcopy(service.service_registries),
            },
        )


def service_deployments() -> None:
    """A service's deployments follow its changes, and its tasks start at once (moto has no latency):

    - CreateService: ``runningCount`` equals ``desiredCount`` and the PRIMARY deployment is ``COMPLETED``;
    - UpdateService that changes the task definition, network configuration, platform version, load balancers,
      service registries or capacity provider strategy, or sets ``forceNewDeployment``, starts a new PRIMARY
      deployment (new id, the new task definition and network configuration), which replaces the old one at once;
    - a changed ``desiredCount`` is the PRIMARY deployment's desired count too.

    Tasks of an image set with ``PUT /_payments/ecs/failing-images`` never start: see :func:`failing_images`.

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
        setattr(self, _CREATED_ATTR, True)
        if _steady() and self.deployments:
            self.running_count, self.pending_count = self.desired_count, 0
            deployment = self.deployments[0]
            deployment.update(runningCount=self.desired_count, pendingCount=0)
            _rollout(deployment)
            _remember_completed(self)

    @functools.wraps(original_update)
    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        service = self._get_service(
            service_properties.get("cluster", "default"), str(service_properties.get("service")).split("/")[-1]
        )
        service.__dict__.pop(_ANSWER_ATTR, None)
        before = {field: copy.deepcopy(getattr(service, field, None)) for field in _DEPLOYMENT_FIELDS}
        # A copy: moto renews the id of deployments[0] in place for forceNewDeployment.
        previous = copy.deepcopy(service.deployments)
        force = bool(service_properties.get("force_new_deployment"))
        desired = service_properties.get("desired_count")
        result = original_update(self, service_properties)
        if service.deployment_controller.get("type", "ECS") != "ECS":
            return result
        if _steady():
            service.running_count, service.pending_count = service.desired_count, 0
        changed = any(getattr(service, field, None) != before[field] for field in _DEPLOYMENT_FIELDS)
        if force or changed or not service.deployments:
            deployment = _new_deployment(service)
            if _steady() and service.desired_count > 0 and _failing_images_of(self, deployment["taskDefinition"]):
                setattr(service, _ANSWER_ATTR, _fail_deployment(service, deployment, previous))
            else:
                service.deployments = [deployment]
                setattr(service, _FAILING_ATTR, None)
        elif desired is not None:
            primary = service.deployments[0]
            if getattr(service, _FAILING_ATTR, None) == primary.get("id"):
                # Its tasks still cannot start: only the number it is asked for changes.
                primary.update(desiredCount=service.desired_count, updatedAt=utcnow())
                _count_tasks(service)
            else:
                primary.update(
                    desiredCount=service.desired_count,
                    runningCount=service.running_count,
                    pendingCount=service.pending_count,
                    updatedAt=utcnow(),
                )
                _rollout(primary)
        _remember_completed(service)
        return result

    Service.__init__ = __init__  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Failing images: a test control (GET|PUT|DELETE /_payments/ecs/failing-images)
# ---------------------------------------------------------------------------------------------
# The emulator runs no containers, so it cannot see an image crash at start; tests name such images instead.
# AWS's texts and behaviour below come from AWS documentation and from real ECS output quoted in public issues and
# write-ups (found with the search tool; nothing here is copied code):
# - rolloutStateReason "ECS deployment circuit breaker: tasks failed to start.": aws/containers-roadmap issue #1488
#   ("ECS Circuit Breaker doesn't rollback"); the README of the @wanews/pulumi-wait-for-ecs-deploy package shows
#   DescribeServices during a rollback (failed deployment ACTIVE/FAILED, the rollback PRIMARY) and after it (only the
#   deployment rolled back to, PRIMARY, "ECS deployment ecs-svc/<its old id> completed.").
# - service events, from a real `aws ecs describe-services` event list in a public write-up, newest first:
#   "(service S) has reached a steady state.", "(service S) (deployment ecs-svc/<old>) deployment completed.", task
#   start/stop events, "(service S) rolling back to deployment ecs-svc/<old>.", "(service S) (deployment
#   ecs-svc/<new>) deployment failed: tasks failed to start." (the last two 1 ms apart; the deployment that completes
#   has the id rolled back to). The ECS CLI v2 sample app README shows the same "deployment failed" event through
#   copilot; aws-actions/amazon-ecs-deploy-task-definition PR #860 detects a rollback by the deployment being gone.
# - "(service S) is unable to consistently start tasks successfully. For more information, see the Troubleshooting
#   section of the Amazon ECS Developer Guide.": a real event quoted in a New Relic infrastructure agent write-up;
#   SERVICE_TASK_START_IMPAIRED in the developer guide ("Amazon ECS service action events").
# - failure threshold: "a minimum threshold of 3 and a maximum threshold of 200 ... 0.5 * desired task count" (API
#   reference, ServiceDeploymentCircuitBreaker); "The rollback method requires a previous deployment in COMPLETED
#   state" (developer guide, "Amazon ECS deployment failure detection"); without the breaker ECS keeps launching
#   failing tasks indefinitely; "A maximum of 100 of the latest events are displayed" (API reference, Service.events).
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
TASK_START_IMPAIRED = (
    "is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of "
    "the Amazon ECS Developer Guide."
)
CIRCUIT_BREAKER_THRESHOLD = (3, 200)
MAX_SERVICE_EVENTS = 100  # DescribeServices shows the 100 most recent events
_CREATED_ATTR = "_fidelity_created"  # set by Service.__init__, taken by the CreateService answer
_ANSWER_ATTR = "_fidelity_answer"  # the service as the UpdateService that started a failing deployment answers it
_FAILING_ATTR = "_fidelity_failing_deployment"  # id of the PRIMARY deployment whose tasks cannot start
_COMPLETED_ATTR = "_fidelity_last_completed"  # the rollback target: last COMPLETED deployment and its revision
_REVISION_FIELDS = (*_DEPLOYMENT_FIELDS, "launch_type")
_failing: tuple[str, ...] = ()


class FailingImagesError(ValueError):
    """The failing-images setting is not valid; the message says what is wrong."""


def parse_failing_images(data: Any) -> tuple[str, ...]:
    """The images of the JSON body of ``PUT /_payments/ecs/failing-images`` (``{"images": [...]}``), duplicates
    dropped; FailingImagesError naming what is wrong."""
    if not isinstance(data, dict):
        raise FailingImagesError(f'the body must be a JSON object {{"images": ["<image>", ...]}}, got {data!r}')
    unknown = sorted(set(data) - {"images"})
    if unknown:
        raise FailingImagesError(f"unknown field(s) {', '.join(map(repr, unknown))}; known: images")
    if "images" not in data:
        raise FailingImagesError('"images" is missing: the list of images whose tasks fail to start ([] for none)')
    images = data["images"]
    if not isinstance(images, list):
        raise FailingImagesError(f"images must be a list of image names, got {images!r}")
    for index, image in enumerate(images):
        if not isinstance(image, str) or not image.strip():
            raise FailingImagesError(
                f"images[{index}] must be a non-empty string (an image as task definitions name it), got {image!r}"
            )
    return tuple(dict.fromkeys(images))


def get_failing_images() -> list[str]:
    """The images whose tasks fail to start."""
    return list(_failing)


def set_failing_images(images: list[str] | tuple[str, ...]) -> list[str]:
    """Tasks of these images (exact strings, as task definitions name them) fail to start from now on; replaces the
    list. Deployments already made are not changed."""
    global _failing  # noqa: PLW0603 - one process-wide setting, like the fault settings
    _failing = parse_failing_images({"images": list(images)})
    return get_failing_images()


def clear_failing_images() -> list[str]:
    """Every image starts again (new deployments complete); what ``reset`` does too."""
    global _failing  # noqa: PLW0603
    _failing = ()
    return []


def _failing_images_of(backend: EC2ContainerServiceBackend, task_definition: str | None) -> list[str]:
    """The failing images that the essential containers of ``task_definition`` run ([] when its tasks start)."""
    failing = _failing
    if not failing or not task_definition:
        return []
    try:
        definition = backend.describe_task_definition(task_definition)
    except TaskDefinitionNotFoundException:
        return []
    return [
        str(container.get("image"))
        for container in definition.container_definitions
        if container.get("essential", True) is not False and container.get("image") in failing
    ]


def _add_event(service: Service, message: str, when: Any) -> None:
    """A service event, newest first as DescribeServices lists them."""
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": when, "message": message})
    del service.events[MAX_SERVICE_EVENTS:]


def _count_tasks(service: Service) -> None:
    service.running_count = sum(d.get("runningCount") or 0 for d in service.deployments)
    service.pending_count = 0


def _trip(service: Service, deployment: dict[str, Any]) -> None:
    """The circuit breaker fails ``deployment``: its failed tasks reached the threshold."""
    low, high = CIRCUIT_BREAKER_THRESHOLD
    deployment.update(
        pendingCount=0,
        failedTasks=min(high, max(low, math.ceil(service.desired_count / 2))),
        rolloutState="FAILED",
        rolloutStateReason=CIRCUIT_BREAKER_REASON,
        updatedAt=utcnow(),
    )
    _add_event(
        service,
        f"(service {service.name}) (deployment {deployment['id']}) deployment failed: tasks failed to start.",
        deployment["updatedAt"],
    )


def _fail_deployment(service: Service, deployment: dict[str, Any], previous: list[dict[str, Any]]) -> dict[str, Any]:
    """``deployment`` (new, PRIMARY) runs tasks that fail to start; ``previous`` are the deployments it replaces.

    Sets the service as it ends up and returns what the call that started the deployment answers: the deployment
    started (IN_PROGRESS, no task running yet) next to the older ones (ACTIVE, their tasks still running).
    """
    deployment.update(
        runningCount=0,
        pendingCount=0,
        failedTasks=0,
        rolloutState="IN_PROGRESS",
        rolloutStateReason=f"ECS deployment {deployment['id']} in progress.",
    )
    older = [dict(d, status="ACTIVE") for d in copy.deepcopy(previous) if d.get("runningCount")]
    answer: dict[str, Any] = {
        field: copy.deepcopy(getattr(service, field, None)) for field in _REVISION_FIELDS if hasattr(service, field)
    }
    answer.update(
        deployments=copy.deepcopy([deployment, *older]),
        running_count=sum(d["runningCount"] for d in older),
        pending_count=0,
        events=list(service.events),
    )
    configuration = getattr(service, "deployment_configuration", None) or {}
    # The older tasks keep running, except those ECS may stop down to minimumHealthyPercent of the desired count
    # (rounded up) to make room for the new ones, which never come.
    minimum = configuration.get("minimumHealthyPercent")
    keep = math.ceil(service.desired_count * int(100 if minimum is None else minimum) / 100)
    for old in older:
        old["runningCount"] = min(old["runningCount"], keep)
        old.update(desiredCount=old["runningCount"], pendingCount=0, updatedAt=utcnow())
        keep -= old["runningCount"]
    older = [old for old in older if old["runningCount"]]

    breaker = configuration.get("deploymentCircuitBreaker") or {}
    target = getattr(service, _COMPLETED_ATTR, None)
    if target is not None and target["deployment"]["id"] == deployment["id"]:
        target = None
    if not breaker.get("enable"):
        # Without the circuit breaker ECS goes on trying (and backs off): the deployment never ends.
        deployment.update(failedTasks=service.desired_count, updatedAt=utcnow())
        _add_event(service, f"(service {service.name}) {TASK_START_IMPAIRED}", deployment["updatedAt"])
        service.deployments = [deployment, *older]
        setattr(service, _FAILING_ATTR, deployment["id"])
    elif breaker.get("rollback") and target is not None:
        _trip(service, deployment)
        service.deployments = _roll_back(service, target, older)
    else:
        _trip(service, deployment)
        service.deployments = [deployment, *older]
        setattr(service, _FAILING_ATTR, deployment["id"])
    _count_tasks(service)
    return answer


def _roll_back(service: Service, target: dict[str, Any], older: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The circuit breaker rolls the service back to its last COMPLETED deployment: that deployment (same id, its task
    definition, network configuration and the rest of its revision) is PRIMARY again, with its tasks still running,
    and starts the missing ones; it completes, and the failed deployment and any other older one are drained and gone,
    as DescribeServices shows once a rollback has completed. The deployments."""
    revived = copy.deepcopy(target["deployment"])
    now = utcnow()
    _add_event(service, f"(service {service.name}) rolling back to deployment {revived['id']}.", now)
    same = next((old for old in older if old["id"] == revived["id"]), None)
    older = [old for old in older if old is not same]
    revived.update(
        status="PRIMARY",
        desiredCount=service.desired_count,
        runningCount=same["runningCount"] if same else 0,
        pendingCount=0,
        failedTasks=0,
        createdAt=now,
        updatedAt=now,
    )
    service.task_definition = revived.get("taskDefinition")
    service.network_configuration = copy.deepcopy(revived.get("networkConfiguration")) or {}
    service.platform_version = revived.get("platformVersion")
    service.launch_type = revived.get("launchType")
    if revived.get("capacityProviderStrategy") or hasattr(service, "capacity_provider_strategy"):
        service.capacity_provider_strategy = copy.deepcopy(revived.get("capacityProviderStrategy"))
    service.load_balancers = copy.deepcopy(target["load_balancers"])
    service.service_registries = copy.deepcopy(target["service_registries"])
    if revived["runningCount"] < service.desired_count and _failing_images_of(
        service._backend, revived.get("taskDefinition")
    ):
        # The tasks it must start fail to start now too: the rollback fails as well (no rollback of a rollback).
        _trip(service, revived)
        setattr(service, _FAILING_ATTR, revived["id"])
        return [revived, *older]
    revived["runningCount"] = service.desired_count
    _rollout(revived)
    _add_event(service, f"(service {service.name}) (deployment {revived['id']}) deployment completed.", now)
    _add_event(service, f"(service {service.name}) has reached a steady state.", now)
    setattr(service, _FAILING_ATTR, None)
    return [revived]


def _answer_view(service: Service, answer: dict[str, Any]) -> Service:
    """A copy of ``service`` with the attributes of ``answer``, to serialize; the stored service is unchanged."""
    view = object.__new__(type(service))
    view.__dict__.update(service.__dict__)
    view.__dict__.update(answer)
    return view


def failing_images() -> None:
    """Tasks of an image set with ``PUT /_payments/ecs/failing-images`` (an essential container's exact ``image``)
    never start, so a deployment of such a task definition (CreateService, or an UpdateService that starts a new
    deployment; ``desiredCount`` above 0) fails as AWS reports a deployment whose tasks crash at start:

    - the call answers the deployment as started: PRIMARY, ``IN_PROGRESS``, no task running, the older deployments
      ACTIVE with their tasks;
    - then (at once, no latency) with the circuit breaker on, the deployment is ``FAILED`` ("ECS deployment circuit
      breaker: tasks failed to start.", ``failedTasks`` the breaker's threshold: half the desired count, 3 to 200),
      with the event "(service S) (deployment ecs-svc/N) deployment failed: tasks failed to start.";
    - with ``rollback`` and a deployment that COMPLETED before: "(service S) rolling back to deployment
      ecs-svc/M.", that deployment is PRIMARY again (same id, its task definition, network configuration, platform
      version, launch type or strategy, load balancers, service registries) and completes ("... deployment
      completed.", "... has reached a steady state."); the service's task definition is the old one; the failed
      deployment is gone from ``deployments``, as once a rollback has completed on AWS;
    - without rollback, or with nothing to roll back to (the first deployment): the deployment stays PRIMARY and
      FAILED with 0 tasks; the older deployment stays ACTIVE with its tasks (down to ``minimumHealthyPercent`` of the
      desired count), so ``runningCount`` is 0 for a new service, or with ``minimumHealthyPercent`` 0;
    - without the circuit breaker ECS keeps trying: the deployment stays ``IN_PROGRESS`` for ever (``failedTasks``
      the desired count) with "(service S) is unable to consistently start tasks successfully. ...".

    A later deployment of images that start completes as usual. Off when ``MOTO_ECS_SERVICE_RUNNING`` is set.
    """
    original_create = EC2ContainerServiceResponse.create_service
    original_update = EC2ContainerServiceResponse.update_service

    @functools.wraps(original_create)
    def create_service(self: EC2ContainerServiceResponse) -> Any:
        result = original_create(self)
        service = result.result.get("service") if isinstance(result, ActionResult) else None
        # Only a service this call made (a repeated client token answers the existing one as it is).
        if not isinstance(service, Service) or not service.__dict__.pop(_CREATED_ATTR, False):
            return result
        if (
            _steady()
            and service.deployments
            and service.deployment_controller.get("type", "ECS") == "ECS"
            and service.desired_count > 0
            and _failing_images_of(self.ecs_backend, service.deployments[0].get("taskDefinition"))
        ):
            service.__dict__.pop(_COMPLETED_ATTR, None)
            answer = _fail_deployment(service, service.deployments[0], previous=[])
            return ActionResult({"service": _answer_view(service, answer)})
        _remember_completed(service)  # as the settings of CreateService left it
        return result

    @functools.wraps(original_update)
    def update_service(self: EC2ContainerServiceResponse) -> Any:
        result = original_update(self)
        service = result.result.get("service") if isinstance(result, ActionResult) else None
        answer = service.__dict__.pop(_ANSWER_ATTR, None) if isinstance(service, Service) else None
        return ActionResult({"service": _answer_view(service, answer)}) if answer else result

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]
    EC2ContainerServiceResponse.update_service = update_service  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Latency profile (emulator.latency): a deployment takes time to reach its steady state
# ---------------------------------------------------------------------------------------------
_LATENCY_ATTR = "_latency_deployment"  # (deployment id, (start, end)) of the deployment still rolling out


def deployment_latency() -> None:
    """With the latency profile on (:mod:`emulator.latency`), a deployment that starts tasks (CreateService, or an
    UpdateService that starts a new deployment, ``desiredCount`` above 0) is ``IN_PROGRESS`` for its scaled duration:
    its ``runningCount`` rises from 0 to the desired count in proportion to the time gone by, the older deployments
    stay ACTIVE with their tasks; then it is ``COMPLETED``, the only deployment, with the events "(deployment ...)
    deployment completed." and "has reached a steady state.", as DescribeServices shows a rolling update on AWS.
    A desired count changed meanwhile is the deployment's new target. Only then is it the circuit breaker's rollback
    target. Deployments of failing images (:func:`failing_images`) fail as without the profile.

    Builds on :func:`service_deployments` (which completes every deployment at once); off (the default), or with
    ``MOTO_ECS_SERVICE_RUNNING`` set: unchanged.
    """
    original_init = Service.__init__
    original_update = EC2ContainerServiceBackend.update_service
    original_describe = EC2ContainerServiceBackend.describe_services

    @functools.wraps(original_init)
    def __init__(self: Service, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if _steady() and self.deployments and _ecs_controller(self) and self.desired_count > 0:
            span = latency.window("ecs_deployment")
            if span is not None:
                self.__dict__.pop(_COMPLETED_ATTR, None)
                setattr(self, _LATENCY_ATTR, (self.deployments[0]["id"], span))
                _advance_deployment(self)

    @functools.wraps(original_update)
    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        service = self._get_service(
            service_properties.get("cluster", "default"), str(service_properties.get("service")).split("/")[-1]
        )
        _advance_deployment(service)
        previous = copy.deepcopy(service.deployments)
        before = previous[0]["id"] if previous else None
        target = getattr(service, _COMPLETED_ATTR, None)
        result = original_update(self, service_properties)
        primary = service.deployments[0] if service.deployments else None
        if not _steady() or not _ecs_controller(service) or primary is None or _ANSWER_ATTR in service.__dict__:
            service.__dict__.pop(_LATENCY_ATTR, None)  # a failing deployment: failing_images decides
            return result
        if primary["id"] != before and service.desired_count > 0:
            span = latency.window("ecs_deployment")
            if span is not None:
                older = [dict(d, status="ACTIVE") for d in previous if d.get("runningCount")]
                service.deployments = [primary, *older]
                setattr(service, _LATENCY_ATTR, (primary["id"], span))
        if getattr(service, _LATENCY_ATTR, None) is not None:
            # Still rolling out: not a rollback target yet (service_deployments took it for COMPLETED).
            setattr(service, _COMPLETED_ATTR, target)
        _advance_deployment(service)
        return result

    @functools.wraps(original_describe)
    def describe_services(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
        services, failures = original_describe(self, *args, **kwargs)
        for service in services:
            _advance_deployment(service)
        return services, failures

    Service.__init__ = __init__  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.describe_services = describe_services  # type: ignore[method-assign]


def _ecs_controller(service: Service) -> bool:
    return (getattr(service, "deployment_controller", None) or {}).get("type", "ECS") == "ECS"


def _advance_deployment(service: Service) -> None:
    """The rolling-out deployment's tasks as the clock has them: the share of its duration gone by is running."""
    rolling = getattr(service, _LATENCY_ATTR, None)
    primary = service.deployments[0] if service.deployments else None
    if rolling is None:
        return
    deployment_id, span = rolling
    if primary is None or primary.get("id") != deployment_id or getattr(service, _FAILING_ATTR, None) == deployment_id:
        service.__dict__.pop(_LATENCY_ATTR, None)
        return
    desired = service.desired_count
    share = latency.progress(span)
    running = desired if share >= 1 else min(desired, math.floor(desired * share))
    if (primary.get("runningCount"), primary.get("desiredCount")) != (running, desired):
        primary.update(runningCount=running, desiredCount=desired, pendingCount=desired - running, updatedAt=utcnow())
    _rollout(primary)
    if running >= desired:
        service.deployments = [primary]
        service.__dict__.pop(_LATENCY_ATTR, None)
        now = utcnow()
        _add_event(service, f"(service {service.name}) (deployment {deployment_id}) deployment completed.", now)
        _add_event(service, f"(service {service.name}) has reached a steady state.", now)
        _remember_completed(service)
    service.running_count = sum(d.get("runningCount") or 0 for d in service.deployments)
    service.pending_count = primary.get("pendingCount") or 0


# ---------------------------------------------------------------------------------------------
# Task definitions
# ---------------------------------------------------------------------------------------------
# Task CPU units -> the task memory (MiB) Fargate accepts with them (AWS developer guide, "Troubleshoot Amazon ECS task
# definition invalid CPU or memory errors"; API reference, TaskDefinition.memory).
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
_TASK_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
_LIST_TASK_DEFINITIONS_MAX = 100


def _task_size(value: Any, unit: str) -> int | None:
    """A task cpu ("256", "0.25 vCPU") or memory ("512", "0.5 GB") as CPU units or MiB; None when it is neither."""
    match = _TASK_SIZE.match(str(value))
    if not match:
        return None
    number, given_unit = float(match.group(1)), match.group(2).lower()
    if given_unit == unit:
        number *= 1024
    elif given_unit or not number.is_integer():
        return None
    return int(number) if number.is_integer() and number > 0 else None


def fargate_task_definition_requirements() -> None:
    """RegisterTaskDefinition converts a task ``cpu`` given in vCPU (``"0.25 vCPU"``) to CPU units and a ``memory``
    given in GB (``"0.5 GB"``) to MiB, refuses a ``cpu`` that is neither (``Invalid 'cpu' setting for task.``) and,
    with ``FARGATE`` in ``requiresCompatibilities``, answers ``ClientException`` for:

    - no task-level cpu or memory: ``Fargate requires that 'cpu' be defined at the task level.`` (``'memory'``);
    - a network mode other than awsvpc: ``Fargate only supports network mode \u2018awsvpc\u2019.`` (typographic
      quotes);
    - a cpu/memory pair Fargate does not offer: ``No Fargate configuration exists for given values: 256 CPU, 4096
      memory. See the Amazon ECS documentation for the valid values.``;
    - no ``executionRoleArn`` with a container logging to ``awslogs`` (``Fargate requires task definition to have
      execution role ARN to support log driver awslogs.``) or pulling an ECR image (``... to support ECR images.``).

    moto registers all of these (and turns a bridge network mode into awsvpc), so a task definition that AWS refuses
    looks fine until the first deployment to real AWS.
    """
    original = EC2ContainerServiceBackend.register_task_definition

    @functools.wraps(original)
    def register_task_definition(
        self: EC2ContainerServiceBackend, family: str, container_definitions: list[dict[str, Any]], **kwargs: Any
    ) -> Any:
        cpu, memory = kwargs.get("cpu"), kwargs.get("memory")
        units = _task_size(cpu, "vcpu") if cpu is not None else None
        mib = _task_size(memory, "gb") if memory is not None else None
        if cpu is not None and units is None:
            raise EcsClientException("Invalid 'cpu' setting for task.")
        if units is not None:
            kwargs["cpu"] = str(units)
        if mib is not None:
            kwargs["memory"] = str(mib)
        if "FARGATE" in (kwargs.get("requires_compatibilities") or []):
            for name, value in (("cpu", cpu), ("memory", memory)):
                if value is None:
                    raise EcsClientException(f"Fargate requires that '{name}' be defined at the task level.")
            if kwargs.get("network_mode") not in (None, "awsvpc"):
                raise EcsClientException("Fargate only supports network mode \u2018awsvpc\u2019.")
            if units not in FARGATE_TASK_SIZES or mib not in FARGATE_TASK_SIZES[units]:
                raise EcsClientException(
                    f"No Fargate configuration exists for given values: {units if units else cpu} CPU, "
                    f"{mib if mib else memory} memory. See the Amazon ECS documentation for the valid values."
                )
            if not kwargs.get("execution_role_arn"):
                for container in container_definitions:
                    if (container.get("logConfiguration") or {}).get("logDriver") == "awslogs":
                        raise EcsClientException(
                            "Fargate requires task definition to have execution role ARN to support log driver awslogs."
                        )
                    if _ECR_IMAGE.match(str(container.get("image") or "")):
                        raise EcsClientException(
                            "Fargate requires task definition to have execution role ARN to support ECR images."
                        )
        return original(self, family, container_definitions, **kwargs)

    EC2ContainerServiceBackend.register_task_definition = register_task_definition  # type: ignore[method-assign]


def task_definition_container_rules() -> None:
    """RegisterTaskDefinition applies AWS's container rules and defaults:

    - container names must be unique (``ClientException: Container names must be unique within a Task Definition.``);
    - container secrets need ``executionRoleArn`` (``When you are specifying container secrets, you must also specify
      a value for 'executionRoleArn'.``), and so do private registry credentials (``Private repository
      authentication requires that the task definition specify a value for executionRoleArn.``);
    - in the awsvpc network mode a port mapping's ``hostPort`` must equal its ``containerPort`` (``When
      networkMode=awsvpc, the host ports and container ports in port mappings must match.``); left out (awsvpc or
      host mode), it is filled in with the ``containerPort``;
    - a port mapping's ``protocol`` defaults to ``tcp``.

    moto registers duplicate names, secrets without a role and any host port, and stores port mappings as given, so a
    task definition described back from moto lacks the ``hostPort``/``protocol`` AWS reports.
    """
    original = EC2ContainerServiceBackend.register_task_definition

    @functools.wraps(original)
    def register_task_definition(
        self: EC2ContainerServiceBackend, family: str, container_definitions: list[dict[str, Any]], **kwargs: Any
    ) -> Any:
        containers = copy.deepcopy(container_definitions or [])
        names = [c.get("name") for c in containers]
        if len(set(names)) != len(names):
            raise EcsClientException("Container names must be unique within a Task Definition.")
        if not kwargs.get("execution_role_arn"):
            if any(c.get("secrets") or (c.get("logConfiguration") or {}).get("secretOptions") for c in containers):
                raise EcsClientException(
                    "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
                )
            if any(c.get("repositoryCredentials") for c in containers):
                raise EcsClientException(
                    "Private repository authentication requires that the task definition specify a value for "
                    "executionRoleArn."
                )
        compatibilities = kwargs.get("requires_compatibilities") or []
        network_mode = kwargs.get("network_mode") or ("awsvpc" if "FARGATE" in compatibilities else "bridge")
        for container in containers:
            for mapping in container.get("portMappings") or []:
                mapping.setdefault("protocol", "tcp")
                port = mapping.get("containerPort")
                if port is None:
                    continue
                if network_mode == "awsvpc" and mapping.get("hostPort") not in (None, port):
                    raise EcsClientException(
                        "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
                    )
                if network_mode in ("awsvpc", "host") and mapping.get("hostPort") is None:
                    mapping["hostPort"] = port
        return original(self, family, containers, **kwargs)

    EC2ContainerServiceBackend.register_task_definition = register_task_definition  # type: ignore[method-assign]


def register_task_definition_returns_tags() -> None:
    """RegisterTaskDefinition answers the new revision's ``tags`` next to ``taskDefinition``.

    moto answers only ``taskDefinition``.
    """
    original = EC2ContainerServiceResponse.register_task_definition

    @functools.wraps(original)
    def register_task_definition(self: EC2ContainerServiceResponse) -> Any:
        result = original(self)
        if isinstance(result, ActionResult):
            task_definition = result.result.get("taskDefinition")
            result.result["tags"] = list(getattr(task_definition, "tags", None) or [])
        return result

    EC2ContainerServiceResponse.register_task_definition = register_task_definition  # type: ignore[method-assign]


def describe_task_definition_latest_active() -> None:
    """A task definition named by its family alone (DescribeTaskDefinition, and every call taking a task definition)
    is the family's latest ACTIVE revision (API reference: "The family for the latest ACTIVE revision"); a family
    without an ACTIVE revision is not found (``ClientException: Unable to describe task definition.``).

    moto takes the highest revision whatever its status, so a deregistered (INACTIVE) revision is answered as the
    family's current one.
    """
    original = EC2ContainerServiceBackend.describe_task_definition

    @functools.wraps(original)
    def describe_task_definition(self: EC2ContainerServiceBackend, task_definition_str: str) -> Any:
        name = task_definition_str.rsplit("/", maxsplit=1)[-1]
        if ":" in name:
            return original(self, task_definition_str)
        active = [r for r, d in (self.task_definitions.get(name) or {}).items() if d.status == "ACTIVE"]
        if not active:
            raise TaskDefinitionNotFoundException()
        return self.task_definitions[name][max(active)]

    EC2ContainerServiceBackend.describe_task_definition = describe_task_definition  # type: ignore[method-assign]


def list_task_definitions_sorted_and_paged() -> None:
    """ListTaskDefinitions lists by family, then revision, in the order ``sort`` asks (ASC, the default, or DESC,
    newest first), at most ``maxResults`` (1 to 100, default 100) at a time with a ``nextToken`` for the rest.

    moto ignores ``sort``, ``maxResults`` and ``nextToken``: it answers every ARN in registration order, so "the newest
    revision first" is the oldest.
    """

    def handler(self: EC2ContainerServiceResponse) -> ActionResult:
        status = self._get_param("status", "ACTIVE")
        arns = self.ecs_backend.list_task_definitions(self._get_param("familyPrefix"), status)

        def key(arn: str) -> tuple[str, int]:
            family, _, revision = arn.rpartition("/")[2].rpartition(":")
            return family, int(revision)

        ordered = sorted(arns, key=key, reverse=self._get_param("sort", "ASC") == "DESC")
        limit = self._get_param("maxResults") or _LIST_TASK_DEFINITIONS_MAX
        if not 1 <= int(limit) <= _LIST_TASK_DEFINITIONS_MAX:
            raise InvalidParameterException("maxResults must be between 1 and 100.")
        token = self._get_param("nextToken")
        start = int(token) if token and str(token).isdigit() else 0
        page = ordered[start : start + int(limit)]
        answer: dict[str, Any] = {"taskDefinitionArns": page}
        if start + int(limit) < len(ordered):
            answer["nextToken"] = str(start + int(limit))
        return ActionResult(answer)

    EC2ContainerServiceResponse.list_task_definitions = handler  # type: ignore[method-assign]


# ---- Limits ---------------------------------------------------------------------------------------------------------
HEALTH_CHECK_GRACE_PERIOD_MAX = 2_147_483_647


def _service_limits_problem(params: dict[str, Any]) -> str | None:
    desired = params.get("desiredCount")
    if isinstance(desired, int) and desired < 0:
        return f"Invalid desiredCount: {desired}. The desired count must be 0 or greater."
    grace = params.get("healthCheckGracePeriodSeconds")
    if isinstance(grace, int) and not 0 <= grace <= HEALTH_CHECK_GRACE_PERIOD_MAX:
        return (
            f"Invalid healthCheckGracePeriodSeconds: {grace}. It must be from 0 to {HEALTH_CHECK_GRACE_PERIOD_MAX} "
            "seconds."
        )
    return None


def service_count_and_grace_period_limits() -> None:
    """CreateService and UpdateService refuse a negative ``desiredCount`` and a ``healthCheckGracePeriodSeconds``
    outside 0 to 2,147,483,647 (InvalidParameterException, HTTP 400). ECS API reference: desiredCount is "The
    number of instantiations of the specified task definition to place and keep running in your service" (a count:
    0 stops every task); UpdateService healthCheckGracePeriodSeconds: "you can specify a health check grace period of
    up to 2,147,483,647 seconds (about 69 years)", 0 when not given.

    moto stored a service with ``desiredCount`` -1 and a negative grace period. (The deployment configuration's
    ``minimumHealthyPercent``/``maximumPercent`` have no range in the API reference: not checked.)
    """

    def check(response: EC2ContainerServiceResponse) -> None:
        problem = _service_limits_problem(
            {key: response._get_param(key) for key in ("desiredCount", "healthCheckGracePeriodSeconds")}
        )
        if problem:
            raise InvalidParameterException(problem)

    check_before(EC2ContainerServiceResponse, "create_service", check)
    check_before(EC2ContainerServiceResponse, "update_service", check)
