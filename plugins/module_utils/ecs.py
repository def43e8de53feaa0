# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS call wrappers, validation, views and comparison of payments.infra's ecs_cluster and ecs_service.

Call wrappers follow ``ecr.py``: small, retried with ``AWSRetry.jittered_backoff`` and raising one exception
type (``AnsibleECSError``). Three error handlers, because "missing" means three things: a missing cluster
(``ClusterNotFoundException``), a missing service (``ServiceNotFoundException``) and a missing task definition
(``ClientException: Unable to describe task definition.``).

The rest is pure: validation of options before any call (``validate_*``), the snake_case views returned by the
modules, the comparison of a service with the options (``plan_service``: what UpdateService must change, and
what it cannot change) and the reading of a deployment's outcome (``deployment_outcome``).
"""

import re
import time

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.payments.infra.plugins.module_utils.common import client_token

# Seconds between two DescribeServices calls while waiting (tests set it to 0).
WAIT_DELAY = 10
# CreateService's clientToken: "Up to 36 ASCII characters" (ECS API reference).
CLIENT_TOKEN_MAX = 36
EVENTS_REPORTED = 5
CONTAINER_INSIGHTS = "containerInsights"
WEIGHT_MAX = 1000
BASE_MAX = 100000
GRACE_MAX = 2147483647
LIVE_SERVICE_STATUSES = ("ACTIVE", "DRAINING")
SERVICE_LINKED_ROLE = "/aws-service-role/ecs.amazonaws.com/"
TASK_DEFINITION_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/([A-Za-z0-9_-]{1,255}):(\d+)$")
TASK_DEFINITION_REF = re.compile(r"^([A-Za-z0-9_-]{1,255}):(\d+)$")
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "minimumHealthyPercent": 100,
    "maximumPercent": 200,
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
}
ROLLBACK_WORDS = ("rolling back", "rolled back", "rollback", "circuit breaker")


class AnsibleECSError(AnsibleAWSError):
    pass


class ECSValidationError(ValueError):
    """Options ECS would refuse (or that cannot mean what was written)."""


class ECSDeploymentError(Exception):
    """A deployment that failed, was rolled back, or did not finish in time."""

    def __init__(self, message, service=None, timed_out=False):
        super().__init__(message)
        self.message = message
        self.service = service
        self.timed_out = timed_out


class ECSClusterErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ClusterNotFoundException")


class ECSServiceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ServiceNotFoundException")


class ECSTaskDefinitionErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_message("Unable to describe task definition")


def error_message(error):
    response = getattr(getattr(error, "exception", None), "response", None) or {}
    return response.get("Error", {}).get("Message") or ""


def service_client_token(cluster, name):
    """The CreateService clientToken of a service: deterministic, and within ECS's 36 characters."""
    return client_token(cluster, name)[:CLIENT_TOKEN_MAX]


def tag_list(tags):
    tags = {to_text(k): to_text(v) for k, v in (tags or {}).items()}
    return ansible_dict_to_boto3_tag_list(tags, tag_name_key_name="key", tag_value_key_name="value")


def tags_dict(tags):
    return boto3_tag_list_to_ansible_dict(tags or [], tag_name_key_name="key", tag_value_key_name="value")


# ---------------------------------------------------------------------------------------------
# Clusters
# ---------------------------------------------------------------------------------------------
@ECSClusterErrorHandler.list_error_handler("describe ECS cluster", None)
@AWSRetry.jittered_backoff()
def describe_cluster(client, name):
    """The DescribeClusters entry of cluster ``name`` (with settings and tags), None when it does not exist.

    A deleted cluster is returned with status INACTIVE while ECS still reports it.
    """
    answer = client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])
    clusters = answer.get("clusters") or []
    return clusters[0] if clusters else None


@ECSClusterErrorHandler.common_error_handler("create ECS cluster")
@AWSRetry.jittered_backoff()
def create_cluster(client, **params):
    return client.create_cluster(**params)["cluster"]


@ECSClusterErrorHandler.common_error_handler("update ECS cluster settings")
@AWSRetry.jittered_backoff()
def update_cluster_settings(client, name, settings):
    return client.update_cluster_settings(cluster=name, settings=settings)["cluster"]


@ECSClusterErrorHandler.common_error_handler("put ECS cluster capacity providers")
@AWSRetry.jittered_backoff()
def put_cluster_capacity_providers(client, name, providers, strategy):
    return client.put_cluster_capacity_providers(
        cluster=name, capacityProviders=providers, defaultCapacityProviderStrategy=strategy
    )["cluster"]


@ECSClusterErrorHandler.deletion_error_handler("delete ECS cluster")
@AWSRetry.jittered_backoff()
def delete_cluster(client, name):
    """DeleteCluster; False when it was already gone. ClusterContains*Exception is raised."""
    return client.delete_cluster(cluster=name)["cluster"]


@ECSClusterErrorHandler.list_error_handler("list ECS services", [])
@AWSRetry.jittered_backoff()
def list_service_arns(client, cluster):
    paginator = client.get_paginator("list_services")
    return paginator.paginate(cluster=cluster).build_full_result().get("serviceArns", [])


@ECSClusterErrorHandler.list_error_handler("describe ECS services", [])
@AWSRetry.jittered_backoff()
def describe_services(client, cluster, names):
    """DescribeServices for any number of services (ECS takes 10 a call); the services found."""
    found = []
    names = list(names)
    for start in range(0, len(names), 10):
        found += client.describe_services(cluster=cluster, services=names[start : start + 10]).get("services") or []
    return found


def live_services(client, cluster):
    """The services of a cluster that still exist (ACTIVE or DRAINING), sorted by name."""
    services = describe_services(client, cluster, list_service_arns(client, cluster))
    return sorted(
        (s for s in services if s.get("status") in LIVE_SERVICE_STATUSES), key=lambda s: s.get("serviceName") or ""
    )


@ECSClusterErrorHandler.common_error_handler("tag ECS resource")
@AWSRetry.jittered_backoff()
def tag_resource(client, arn, tags):
    if not tags:
        return False
    client.tag_resource(resourceArn=arn, tags=tag_list(tags))
    return True


@ECSClusterErrorHandler.common_error_handler("untag ECS resource")
@AWSRetry.jittered_backoff()
def untag_resource(client, arn, keys):
    if not keys:
        return False
    client.untag_resource(resourceArn=arn, tagKeys=list(keys))
    return True


# ---------------------------------------------------------------------------------------------
# Services and task definitions
# ---------------------------------------------------------------------------------------------
@ECSClusterErrorHandler.common_error_handler("describe ECS service")
@AWSRetry.jittered_backoff()
def describe_service(client, cluster, name):
    """The DescribeServices entry (with tags) of service ``name``, None when ECS reports it MISSING.

    An INACTIVE (deleted) service is returned as it is. A missing cluster raises (ClusterNotFoundException).
    """
    answer = client.describe_services(cluster=cluster, services=[name], include=["TAGS"])
    services = answer.get("services") or []
    return services[0] if services else None


@ECSServiceErrorHandler.common_error_handler("create ECS service")
@AWSRetry.jittered_backoff()
def create_service(client, **params):
    return client.create_service(**params)["service"]


@ECSServiceErrorHandler.common_error_handler("update ECS service")
@AWSRetry.jittered_backoff()
def update_service(client, **params):
    return client.update_service(**params)["service"]


@ECSServiceErrorHandler.deletion_error_handler("delete ECS service")
@AWSRetry.jittered_backoff()
def delete_service(client, cluster, name):
    """DeleteService (force=false: the service must be scaled to 0); False when it was already gone."""
    return client.delete_service(cluster=cluster, service=name, force=False)["service"]


@ECSTaskDefinitionErrorHandler.list_error_handler("describe ECS task definition", None)
@AWSRetry.jittered_backoff()
def describe_task_definition(client, reference):
    """The task definition ``family:revision`` or ARN, None when ECS does not know it."""
    return client.describe_task_definition(taskDefinition=reference)["taskDefinition"]


# ---------------------------------------------------------------------------------------------
# Capacity provider strategies (shared by clusters and services)
# ---------------------------------------------------------------------------------------------
def strategy_request(items):
    """[{capacity_provider, weight, base}] -> ECS's CapacityProviderStrategyItem list."""
    return [
        {"capacityProvider": item["capacity_provider"], "weight": item["weight"], "base": item["base"]}
        for item in items or []
    ]


def strategy_view(items):
    return [
        {
            "capacity_provider": item.get("capacityProvider"),
            "weight": int(item.get("weight") or 0),
            "base": int(item.get("base") or 0),
        }
        for item in items or []
    ]


def comparable_strategy(items):
    """A strategy as a set (order does not matter to ECS); absent weight and base are ECS's default 0."""
    return {(i["capacity_provider"], i["weight"], i["base"]) for i in strategy_view(items)}


def validate_strategy(items, option, providers=None, providers_option=None):
    """ECS's rules for a capacity provider strategy (API reference, CapacityProviderStrategyItem)."""
    if not items:
        return
    names = [item["capacity_provider"] for item in items]
    for item in items:
        at = f"{option} entry {item['capacity_provider']!r}"
        if not item["capacity_provider"]:
            raise ECSValidationError(f"{option}: capacity_provider must not be empty")
        if not 0 <= item["weight"] <= WEIGHT_MAX:
            raise ECSValidationError(f"{at}: weight={item['weight']} is outside 0 to {WEIGHT_MAX}")
        if not 0 <= item["base"] <= BASE_MAX:
            raise ECSValidationError(f"{at}: base={item['base']} is outside 0 to {BASE_MAX}")
        if providers is not None and item["capacity_provider"] not in providers:
            raise ECSValidationError(
                f"{at}: the provider is not in {providers_option} ({', '.join(providers) or 'empty'}); ECS only "
                f"uses a cluster's own capacity providers in its default strategy: add it to {providers_option}"
            )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ECSValidationError(f"{option}: capacity provider {duplicates[0]!r} appears more than once")
    if all(item["weight"] == 0 for item in items):
        raise ECSValidationError(
            f"{option}: every weight is 0; at least one capacity provider needs a weight above 0 or no task is placed"
        )
    with_base = [item["capacity_provider"] for item in items if item["base"] > 0]
    if len(with_base) > 1:
        raise ECSValidationError(
            f"{option}: base is set on {', '.join(with_base)}; ECS allows a base on only one capacity provider of a "
            "strategy"
        )


# ---------------------------------------------------------------------------------------------
# Clusters: validation, view
# ---------------------------------------------------------------------------------------------
def validate_cluster_params(params):
    if not params["name"] or not re.match(r"^[A-Za-z0-9_-]{1,255}$", params["name"]):
        raise ECSValidationError(
            f"name={params['name']!r}: an ECS cluster name is 1 to 255 letters, digits, hyphens and underscores"
        )
    if params["state"] != "present":
        return
    providers = params["capacity_providers"]
    duplicates = sorted({p for p in providers if providers.count(p) > 1})
    if duplicates:
        raise ECSValidationError(f"capacity_providers: {duplicates[0]!r} appears more than once")
    validate_strategy(
        params["default_capacity_provider_strategy"],
        "default_capacity_provider_strategy",
        providers=providers,
        providers_option="capacity_providers",
    )


def container_insights_of(cluster):
    for setting in (cluster or {}).get("settings") or []:
        if setting.get("name") == CONTAINER_INSIGHTS:
            return setting.get("value")
    return "disabled"


def cluster_view(cluster, tags):
    """The snake_case ``cluster`` return value of a DescribeClusters entry."""
    if not cluster:
        return {}
    return {
        "cluster_name": cluster.get("clusterName"),
        "cluster_arn": cluster.get("clusterArn"),
        "status": cluster.get("status"),
        "container_insights": container_insights_of(cluster),
        "settings": [{"name": s.get("name"), "value": s.get("value")} for s in cluster.get("settings") or []],
        "capacity_providers": list(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": strategy_view(cluster.get("defaultCapacityProviderStrategy")),
        "active_services_count": cluster.get("activeServicesCount"),
        "running_tasks_count": cluster.get("runningTasksCount"),
        "pending_tasks_count": cluster.get("pendingTasksCount"),
        "registered_container_instances_count": cluster.get("registeredContainerInstancesCount"),
        "tags": {to_text(k): to_text(v) for k, v in (tags or {}).items()},
    }


def cluster_settings_view(cluster, tags):
    """The compared settings of a cluster, named like ecs_cluster's options (the diff)."""
    return {
        "container_insights": container_insights_of(cluster),
        "capacity_providers": sorted((cluster or {}).get("capacityProviders") or []),
        "default_capacity_provider_strategy": sorted(
            strategy_view((cluster or {}).get("defaultCapacityProviderStrategy")), key=lambda i: i["capacity_provider"]
        ),
        "tags": dict(tags or {}),
    }


# ---------------------------------------------------------------------------------------------
# Services: validation
# ---------------------------------------------------------------------------------------------
def task_definition_key(reference):
    """``family:revision`` of a task definition ARN or ``family:revision`` reference, None if neither."""
    for pattern in (TASK_DEFINITION_ARN, TASK_DEFINITION_REF):
        match = pattern.match(reference or "")
        if match:
            return f"{match.group(1)}:{int(match.group(2))}"
    return None


def _validate_service_identity(params):
    name, cluster = params["name"], params["cluster"]
    if not re.match(r"^[A-Za-z0-9_-]{1,255}$", name or ""):
        raise ECSValidationError(
            f"name={name!r}: an ECS service name is 1 to 255 letters, digits, hyphens and underscores"
        )
    if not cluster:
        raise ECSValidationError("cluster must not be empty")
    if params["wait_timeout"] <= 0:
        raise ECSValidationError(f"wait_timeout={params['wait_timeout']} must be a positive number of seconds")


def _validate_service_task(params):
    """The task definition (a pinned revision), the desired count and the health check grace period."""
    if task_definition_key(params["task_definition"]) is None:
        raise ECSValidationError(
            f"task_definition={params['task_definition']!r} is neither family:revision (for example payment-api:42) "
            "nor a task definition ARN; a family without a revision is refused because its latest revision changes "
            "under the service without this module noticing"
        )
    if params["desired_count"] is not None and params["desired_count"] < 0:
        raise ECSValidationError(f"desired_count={params['desired_count']} must be 0 or more")
    grace = params["health_check_grace_period_seconds"]
    if grace is not None and not 0 <= grace <= GRACE_MAX:
        raise ECSValidationError(f"health_check_grace_period_seconds={grace} is outside 0 to {GRACE_MAX}")


def _validate_service_network(network):
    if not network["subnets"]:
        raise ECSValidationError("network_configuration.subnets must name at least one subnet (awsvpc tasks)")
    for option in ("subnets", "security_groups"):
        values = network[option] or []
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ECSValidationError(f"network_configuration.{option}: {duplicates[0]!r} appears more than once")
    if len(network["subnets"]) > 16:
        raise ECSValidationError("network_configuration.subnets: ECS accepts at most 16 subnets")
    if len(network["security_groups"] or []) > 5:
        raise ECSValidationError("network_configuration.security_groups: ECS accepts at most 5 security groups")


def _validate_service_deployment(deployment):
    low, high = deployment["minimum_healthy_percent"], deployment["maximum_percent"]
    if not 0 <= low <= 100:
        raise ECSValidationError(
            f"deployment_configuration.minimum_healthy_percent={low} is outside 0 to 100 (a share of desired_count)"
        )
    if high <= low:
        raise ECSValidationError(
            f"deployment_configuration.maximum_percent={high} is not above minimum_healthy_percent={low}: a rolling "
            "deployment could then neither start a new task nor stop an old one"
        )
    breaker = deployment["deployment_circuit_breaker"]
    if breaker["rollback"] and not breaker["enable"]:
        raise ECSValidationError(
            "deployment_configuration.deployment_circuit_breaker: rollback=true needs enable=true (only an enabled "
            "circuit breaker fails a deployment, and so rolls it back)"
        )


def _validate_service_load_balancers(balancers):
    seen = set()
    for lb in balancers:
        key = (lb["target_group_arn"], lb["container_name"], lb["container_port"])
        if key in seen:
            raise ECSValidationError(f"load_balancers: {lb['target_group_arn']} is listed twice for the same container")
        seen.add(key)
        if not 0 < lb["container_port"] < 65536:
            raise ECSValidationError(f"load_balancers: container_port={lb['container_port']} is not a port")
        if ":targetgroup/" not in lb["target_group_arn"]:
            raise ECSValidationError(
                f"load_balancers: target_group_arn={lb['target_group_arn']!r} is not an ELBv2 target group ARN"
            )
    if len(balancers) > 5:
        raise ECSValidationError("load_balancers: ECS attaches at most 5 target groups to a service")


def validate_service_params(params):
    """Check the ecs_service options before any call; ECSValidationError says what is wrong and what to do."""
    _validate_service_identity(params)
    if params["state"] != "present":
        return
    _validate_service_task(params)
    _validate_service_network(params["network_configuration"])
    _validate_service_deployment(params["deployment_configuration"])
    validate_strategy(params["capacity_provider_strategy"], "capacity_provider_strategy")
    _validate_service_load_balancers(params["load_balancers"] or [])


def task_definition_problem(task_definition, params):
    """Why a task definition cannot run this service (or None): deregistered, not awsvpc, not Fargate, or
    without the container and port a load balancer names."""
    reference = params["task_definition"]
    if task_definition.get("status") == "INACTIVE":
        return (
            f"task definition {reference} is deregistered (INACTIVE); ECS starts no new deployment with it: register "
            "a new revision and name it in task_definition"
        )
    if task_definition.get("networkMode") != "awsvpc":
        return (
            f"task definition {reference} has network mode {task_definition.get('networkMode') or 'bridge'}; "
            "Fargate services need awsvpc: register a revision with networkMode awsvpc"
        )
    fargate = params["launch_type"] == "FARGATE" or any(
        item["capacity_provider"] in ("FARGATE", "FARGATE_SPOT") for item in params["capacity_provider_strategy"] or []
    )
    if fargate and "FARGATE" not in (task_definition.get("requiresCompatibilities") or []):
        return (
            f"task definition {reference} is not Fargate-compatible (requiresCompatibilities "
            f"{task_definition.get('requiresCompatibilities') or []}): register a revision with "
            "requiresCompatibilities [FARGATE]"
        )
    containers = {c.get("name"): c for c in task_definition.get("containerDefinitions") or []}
    for lb in params["load_balancers"] or []:
        container = containers.get(lb["container_name"])
        if container is None:
            return (
                f"load_balancers: task definition {reference} has no container {lb['container_name']!r} "
                f"(containers: {', '.join(sorted(containers))})"
            )
        ports = {m.get("containerPort") for m in container.get("portMappings") or []}
        if lb["container_port"] not in ports:
            return (
                f"load_balancers: container {lb['container_name']!r} of task definition {reference} does not map "
                f"port {lb['container_port']} (mapped: {', '.join(str(p) for p in sorted(ports)) or 'none'})"
            )
    return None


# ---------------------------------------------------------------------------------------------
# Services: requests and views
# ---------------------------------------------------------------------------------------------
def network_request(params, current=None):
    """The awsvpc NetworkConfiguration of the options; security groups not given are the service's own."""
    network = params["network_configuration"]
    groups = network["security_groups"]
    if groups is None:
        groups = list(((current or {}).get("awsvpcConfiguration") or {}).get("securityGroups") or [])
    awsvpc = {
        "subnets": list(network["subnets"]),
        "assignPublicIp": "ENABLED" if network["assign_public_ip"] else "DISABLED",
    }
    if groups:
        awsvpc["securityGroups"] = list(groups)
    return {"awsvpcConfiguration": awsvpc}


def deployment_request(params):
    deployment = params["deployment_configuration"]
    breaker = deployment["deployment_circuit_breaker"]
    return {
        "minimumHealthyPercent": deployment["minimum_healthy_percent"],
        "maximumPercent": deployment["maximum_percent"],
        "deploymentCircuitBreaker": {"enable": breaker["enable"], "rollback": breaker["rollback"]},
    }


def load_balancers_request(balancers):
    return [
        {
            "targetGroupArn": lb["target_group_arn"],
            "containerName": lb["container_name"],
            "containerPort": lb["container_port"],
        }
        for lb in balancers or []
    ]


def create_service_request(params, task_definition_arn):
    params_tags = {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}
    request = {
        "cluster": params["cluster"],
        "serviceName": params["name"],
        "taskDefinition": task_definition_arn,
        "desiredCount": 1 if params["desired_count"] is None else params["desired_count"],
        "platformVersion": params["platform_version"],
        "networkConfiguration": network_request(params),
        "deploymentConfiguration": deployment_request(params),
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "enableExecuteCommand": params["enable_execute_command"],
        "enableECSManagedTags": params["enable_ecs_managed_tags"],
        "propagateTags": params["propagate_tags"],
        "clientToken": service_client_token(params["cluster"], params["name"]),
    }
    if params["capacity_provider_strategy"]:
        request["capacityProviderStrategy"] = strategy_request(params["capacity_provider_strategy"])
    else:
        request["launchType"] = params["launch_type"] or "FARGATE"
    if params["load_balancers"]:
        request["loadBalancers"] = load_balancers_request(params["load_balancers"])
    if params["health_check_grace_period_seconds"] is not None:
        request["healthCheckGracePeriodSeconds"] = params["health_check_grace_period_seconds"]
    if params_tags:
        request["tags"] = tag_list(params_tags)
    return request


def _network_view(configuration):
    awsvpc = (configuration or {}).get("awsvpcConfiguration") or {}
    return {
        "subnets": sorted(awsvpc.get("subnets") or []),
        "security_groups": sorted(awsvpc.get("securityGroups") or []),
        "assign_public_ip": awsvpc.get("assignPublicIp", "DISABLED") == "ENABLED",
    }


def _deployment_configuration_view(configuration):
    configuration = configuration or {}
    breaker = dict(DEFAULT_DEPLOYMENT_CONFIGURATION["deploymentCircuitBreaker"])
    breaker.update(configuration.get("deploymentCircuitBreaker") or {})
    return {
        "minimum_healthy_percent": configuration.get(
            "minimumHealthyPercent", DEFAULT_DEPLOYMENT_CONFIGURATION["minimumHealthyPercent"]
        ),
        "maximum_percent": configuration.get("maximumPercent", DEFAULT_DEPLOYMENT_CONFIGURATION["maximumPercent"]),
        "deployment_circuit_breaker": {"enable": bool(breaker["enable"]), "rollback": bool(breaker["rollback"])},
    }


def _load_balancers_view(balancers):
    view = [
        {
            "target_group_arn": lb.get("targetGroupArn"),
            "container_name": lb.get("containerName"),
            "container_port": lb.get("containerPort"),
        }
        for lb in balancers or []
    ]
    return sorted(
        view, key=lambda lb: (lb["target_group_arn"] or "", lb["container_name"] or "", lb["container_port"] or 0)
    )


def deployment_view(deployment):
    """The snake_case view of one deployment of DescribeServices."""
    if not deployment:
        return {}
    return {
        "id": deployment.get("id"),
        "status": deployment.get("status"),
        "rollout_state": deployment.get("rolloutState"),
        "rollout_state_reason": deployment.get("rolloutStateReason"),
        "task_definition": deployment.get("taskDefinition"),
        "desired_count": deployment.get("desiredCount"),
        "running_count": deployment.get("runningCount"),
        "pending_count": deployment.get("pendingCount"),
        "failed_tasks": deployment.get("failedTasks"),
        "created_at": _text_time(deployment.get("createdAt")),
        "updated_at": _text_time(deployment.get("updatedAt")),
    }


def _text_time(value):
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else to_text(value)


def primary_deployment(service):
    for deployment in (service or {}).get("deployments") or []:
        if deployment.get("status") == "PRIMARY":
            return deployment
    return None


def service_view(service, tags):
    """The snake_case ``service`` return value of a DescribeServices entry."""
    if not service:
        return {}
    return {
        "service_name": service.get("serviceName"),
        "service_arn": service.get("serviceArn"),
        "cluster_arn": service.get("clusterArn"),
        "status": service.get("status"),
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount"),
        "running_count": service.get("runningCount"),
        "pending_count": service.get("pendingCount"),
        "launch_type": service.get("launchType"),
        "capacity_provider_strategy": strategy_view(service.get("capacityProviderStrategy")),
        "platform_version": service.get("platformVersion"),
        "network_configuration": _network_view(service.get("networkConfiguration")),
        "load_balancers": _load_balancers_view(service.get("loadBalancers")),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds"),
        "deployment_configuration": _deployment_configuration_view(service.get("deploymentConfiguration")),
        "enable_execute_command": bool(service.get("enableExecuteCommand", False)),
        "propagate_tags": service.get("propagateTags") or "NONE",
        "enable_ecs_managed_tags": bool(service.get("enableECSManagedTags", False)),
        "scheduling_strategy": service.get("schedulingStrategy"),
        "deployment_controller": ((service.get("deploymentController") or {}).get("type")),
        "role_arn": service.get("roleArn"),
        "created_at": _text_time(service.get("createdAt")),
        "deployments": [deployment_view(d) for d in service.get("deployments") or []],
        "tags": {to_text(k): to_text(v) for k, v in (tags or {}).items()},
    }


def service_settings_view(service, tags):
    """The compared settings of a service, named like ecs_service's options (the diff)."""
    view = service_view(service, tags)
    return {
        key: view[key]
        for key in (
            "task_definition",
            "desired_count",
            "launch_type",
            "capacity_provider_strategy",
            "platform_version",
            "network_configuration",
            "load_balancers",
            "health_check_grace_period_seconds",
            "deployment_configuration",
            "enable_execute_command",
            "propagate_tags",
            "enable_ecs_managed_tags",
            "tags",
        )
    }


def planned_service(params, task_definition_arn):
    """The DescribeServices entry CreateService should produce (for check mode)."""
    request = create_service_request(params, task_definition_arn)
    planned = {
        "serviceName": params["name"],
        "serviceArn": None,
        "clusterArn": None,
        "status": "ACTIVE",
        "runningCount": 0,
        "pendingCount": 0,
        "deployments": [],
        "roleArn": None,
    }
    planned.update({k: v for k, v in request.items() if k not in ("cluster", "clientToken", "tags", "serviceName")})
    return planned


# ---------------------------------------------------------------------------------------------
# Services: comparison
# ---------------------------------------------------------------------------------------------
class ServicePlan:
    """What UpdateService must change (``request``, ``changes``: option -> (before, after)) and what it cannot
    (``immutable``: one sentence per difference)."""

    def __init__(self):
        self.request = {}
        self.changes = {}
        self.immutable = []


def _immutable_differences(params, service):
    problems = []
    strategy = service.get("capacityProviderStrategy") or []
    launch_type = service.get("launchType")
    wanted_strategy = params["capacity_provider_strategy"]
    if wanted_strategy and launch_type:
        problems.append(
            f"it runs with launch type {launch_type} and capacity_provider_strategy is set (UpdateService cannot "
            "switch a service from a launch type to a capacity provider strategy): remove capacity_provider_strategy "
            "to keep the launch type"
        )
    elif not wanted_strategy and strategy:
        providers = ", ".join(
            f"{i['capacity_provider']} (weight {i['weight']}, base {i['base']})" for i in strategy_view(strategy)
        )
        problems.append(
            f"it runs on the capacity provider strategy {providers}, not launch_type="
            f"{params['launch_type'] or 'FARGATE'} (UpdateService cannot switch a capacity provider strategy to a "
            "launch type): set capacity_provider_strategy to that strategy to keep it"
        )
    elif not wanted_strategy and launch_type and launch_type != (params["launch_type"] or "FARGATE"):
        problems.append(
            f"it runs with launch type {launch_type}, not {params['launch_type'] or 'FARGATE'}, and ECS cannot "
            "change a service's launch type"
        )
    if (service.get("schedulingStrategy") or "REPLICA") != "REPLICA":
        problems.append(
            f"its scheduling strategy is {service.get('schedulingStrategy')}, not REPLICA, and ECS cannot change it"
        )
    controller = (service.get("deploymentController") or {}).get("type") or "ECS"
    if controller != "ECS":
        problems.append(
            f"it uses the {controller} deployment controller; this module manages rolling-update (ECS) services only, "
            "and ECS cannot change a service's deployment controller in place"
        )
    registries = service.get("serviceRegistries") or []
    if registries:
        arns = ", ".join(r.get("registryArn") or "?" for r in registries)
        problems.append(
            f"it has service registries ({arns}), which this module does not manage and would not keep on a service it "
            "creates"
        )
    role = service.get("roleArn")
    if role and SERVICE_LINKED_ROLE not in role:
        problems.append(
            f"it uses the IAM role {role} for its load balancers; awsvpc services use ECS's service-linked role "
            "and ECS cannot change a service's role"
        )
    return problems


def immutable_message(cluster, name, problems):
    return (
        f"ECS service {name!r} in cluster {cluster!r} already exists and differs in what UpdateService cannot change: "
        + "; ".join(problems)
        + ". Nothing was changed. Either adjust the options to match the service, or delete it (state=absent) and "
        "run again to create it anew (its tasks stop in between), or create the service under another name."
    )


# Each comparison below: (option, before, after, UpdateService request) when the option differs, else None.
def _task_definition_change(params, service, view, task_definition_arn):
    if task_definition_key(service.get("taskDefinition")) != task_definition_key(task_definition_arn):
        return (
            "task_definition",
            service.get("taskDefinition"),
            task_definition_arn,
            {"taskDefinition": task_definition_arn},
        )
    return None


def _desired_count_change(params, service, view, task_definition_arn):
    wanted = params["desired_count"]
    if wanted is not None and service.get("desiredCount") != wanted:
        return ("desired_count", service.get("desiredCount"), wanted, {"desiredCount": wanted})
    return None


def _network_change(params, service, view, task_definition_arn):
    # Security groups not given are the service's own (network_request), so they compare equal.
    request = network_request(params, service.get("networkConfiguration"))
    wanted = _network_view(request)
    if view["network_configuration"] != wanted:
        return ("network_configuration", view["network_configuration"], wanted, {"networkConfiguration": request})
    return None


def _grace_change(params, service, view, task_definition_arn):
    grace = params["health_check_grace_period_seconds"]
    current = service.get("healthCheckGracePeriodSeconds") or 0
    if grace is not None and current != grace:
        return ("health_check_grace_period_seconds", current, grace, {"healthCheckGracePeriodSeconds": grace})
    return None


def _deployment_change(params, service, view, task_definition_arn):
    wanted = _deployment_configuration_view(deployment_request(params))
    if view["deployment_configuration"] != wanted:
        request = {"deploymentConfiguration": deployment_request(params)}
        return ("deployment_configuration", view["deployment_configuration"], wanted, request)
    return None


def _load_balancers_change(params, service, view, task_definition_arn):
    if params["load_balancers"] is None:
        return None
    wanted = _load_balancers_view(load_balancers_request(params["load_balancers"]))
    if view["load_balancers"] != wanted:
        request = {"loadBalancers": load_balancers_request(params["load_balancers"])}
        return ("load_balancers", view["load_balancers"], wanted, request)
    return None


def _strategy_change(params, service, view, task_definition_arn):
    if not (params["capacity_provider_strategy"] and service.get("capacityProviderStrategy")):
        return None
    request = strategy_request(params["capacity_provider_strategy"])
    if comparable_strategy(service.get("capacityProviderStrategy")) != comparable_strategy(request):
        return (
            "capacity_provider_strategy",
            view["capacity_provider_strategy"],
            strategy_view(request),
            {"capacityProviderStrategy": request},
        )
    return None


SERVICE_COMPARISONS = (
    _task_definition_change,
    _desired_count_change,
    _network_change,
    _grace_change,
    _deployment_change,
    _load_balancers_change,
    _strategy_change,
)
# Options compared as they are: (option, UpdateService field).
SIMPLE_SERVICE_OPTIONS = (
    ("platform_version", "platformVersion"),
    ("enable_execute_command", "enableExecuteCommand"),
    ("propagate_tags", "propagateTags"),
    ("enable_ecs_managed_tags", "enableECSManagedTags"),
)


def plan_service(params, service, task_definition_arn):
    """Compare a service with the options; the ServicePlan that converges it."""
    plan = ServicePlan()
    plan.immutable = _immutable_differences(params, service)
    view = service_view(service, None)
    differences = [compare(params, service, view, task_definition_arn) for compare in SERVICE_COMPARISONS]
    differences += [
        (option, view[option], params[option], {field: params[option]})
        for option, field in SIMPLE_SERVICE_OPTIONS
        if view[option] != params[option]
    ]
    for option, before, after, request in filter(None, differences):
        plan.changes[option] = (before, after)
        plan.request.update(request)
    return plan


# ---------------------------------------------------------------------------------------------
# Deployments
# ---------------------------------------------------------------------------------------------
def _events_since(service, since):
    events = [e for e in service.get("events") or [] if since is None or _after(e.get("createdAt"), since)]
    return sorted(events, key=lambda e: _text_time(e.get("createdAt")) or "", reverse=True)


def _after(when, since):
    try:
        return when is not None and when >= since
    except TypeError:
        return True


def recent_events(service, since=None, limit=EVENTS_REPORTED):
    """The newest service events (since a time), as "<time> <message>" lines."""
    return [f"{_text_time(e.get('createdAt'))} {e.get('message')}" for e in _events_since(service, since)[:limit]]


def deployment_failure(service, deployment_id):
    """Why the deployment ``deployment_id`` (None: the primary one) failed or was rolled back; None if it did not."""
    deployments = service.get("deployments") or []
    primary = primary_deployment(service)
    ours = next((d for d in deployments if d.get("id") == deployment_id), None) if deployment_id else primary
    since = (ours or primary or {}).get("createdAt")
    rollback_events = [
        e
        for e in _events_since(service, since)
        if any(word in (e.get("message") or "").lower() for word in ROLLBACK_WORDS)
    ]
    for deployment in (ours, primary):
        if deployment is not None and deployment.get("rolloutState") == "FAILED":
            return (
                f"deployment {deployment.get('id')} failed (rolloutState FAILED): "
                f"{deployment.get('rolloutStateReason') or 'no reason given'}"
            )
    if deployment_id and (primary is None or primary.get("id") != deployment_id):
        reason = (ours or {}).get("rolloutStateReason")
        now = ""
        if primary:
            now = f"; the primary deployment is now {primary.get('id')} of {primary.get('taskDefinition')}"
        return (
            f"deployment {deployment_id} is no longer the service's primary deployment"
            + (f" ({reason})" if reason else "")
            + now
            + (" (the deployment circuit breaker rolled it back)" if rollback_events else "")
        )
    # Without a deployment of this run to follow, rollback events are history (a rollback a past run
    # already reported), not a failure of this run.
    if rollback_events and deployment_id:
        return f"ECS reported a rollback: {rollback_events[0].get('message')}"
    return None


def deployment_progress(service):
    """None when the primary deployment has completed, else what it still waits for."""
    deployments = service.get("deployments") or []
    primary = primary_deployment(service)
    if primary is None:
        return "the service has no primary deployment yet"
    state = primary.get("rolloutState")
    if state not in (None, "COMPLETED"):
        return f"deployment {primary.get('id')} is {state}: {primary.get('rolloutStateReason') or ''}".strip()
    if len(deployments) > 1:
        return f"{len(deployments) - 1} older deployment(s) still draining"
    if service.get("runningCount") != service.get("desiredCount"):
        return f"{service.get('runningCount')} of {service.get('desiredCount')} tasks running"
    return None


def wait_for_deployment(client, cluster, name, deployment_id, timeout):
    """Wait until the deployment completed (rolloutState COMPLETED, no other deployment, runningCount ==
    desiredCount); the service then. ECSDeploymentError when it failed, was rolled back, or took too long."""
    deadline = time.monotonic() + timeout
    while True:
        service = describe_service(client, cluster, name)
        if deployment_id is None and service is not None:
            # Nothing deployed by this run: follow a deployment still in progress (e.g. one a killed run
            # started), so that its rollback is reported; a completed one is simply the steady state.
            primary = primary_deployment(service) or {}
            if primary.get("rolloutState") == "IN_PROGRESS":
                deployment_id = primary.get("id")
        if service is None or service.get("status") != "ACTIVE":
            raise ECSDeploymentError(
                f"ECS service {name!r} in cluster {cluster!r} disappeared while waiting for its deployment "
                "(deleted by someone else?)",
                service=service,
            )
        failure = deployment_failure(service, deployment_id)
        if failure:
            events = recent_events(service, None)
            raise ECSDeploymentError(
                f"ECS service {name!r} in cluster {cluster!r}: {failure}."
                + (" Last service events: " + " | ".join(events) if events else " ECS reported no service events."),
                service=service,
            )
        reason = deployment_progress(service)
        if reason is None:
            return service
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            events = recent_events(service, None)
            raise ECSDeploymentError(
                f"ECS service {name!r} in cluster {cluster!r}: the deployment did not complete within wait_timeout="
                f"{timeout} seconds ({reason}); it goes on: run again to wait for it (nothing is deployed twice), or "
                "raise wait_timeout." + (" Last service events: " + " | ".join(events) if events else ""),
                service=service,
                timed_out=True,
            )
        time.sleep(min(WAIT_DELAY, remaining))


def wait_until_deleted(client, cluster, name, timeout):
    """Wait until a deleted service is INACTIVE (its tasks stopped) or no longer reported."""
    deadline = time.monotonic() + timeout
    while True:
        service = describe_service(client, cluster, name)
        if service is None or service.get("status") == "INACTIVE":
            return service
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ECSDeploymentError(
                f"ECS service {name!r} in cluster {cluster!r} was still {service.get('status')} (stopping "
                f"{service.get('runningCount')} task(s)) after wait_timeout={timeout} seconds; the deletion goes "
                "on: run again to wait for it, or raise wait_timeout.",
                service=service,
                timed_out=True,
            )
        time.sleep(min(WAIT_DELAY, remaining))
