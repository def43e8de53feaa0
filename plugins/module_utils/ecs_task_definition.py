# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS task definitions for payments.infra's ecs_task_definition: call wrappers, validation, the request, the
comparable view and the returned view.

Call wrappers follow ``ecs.py`` (retried with ``AWSRetry.jittered_backoff``, raising ``AnsibleECSError``); a family
without an ACTIVE revision is "missing" (``ClientException: Unable to describe task definition.``).

The comparison is the point of the module. ECS answers DescribeTaskDefinition with its defaults filled in
(``essential: true``, container ``cpu: 0``, ``protocol: tcp`` and, in awsvpc mode, ``hostPort`` equal to
``containerPort``, empty lists for what was not given, health check timings), so both the request and the described
revision are brought to one comparable form (``comparable_view``) with those defaults applied, empty values dropped,
and lists whose order means nothing (environment, secrets, port mappings, ...) sorted. Every field of every
container is then compared, together with the task-level cpu, memory, roles, network mode, compatibilities,
runtime platform and volumes; any difference is a new revision.
"""

import copy
import json
import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.infra.plugins.module_utils.ecs import AnsibleECSError
from ansible_collections.payments.infra.plugins.module_utils.ecs import ECSValidationError
from ansible_collections.payments.infra.plugins.module_utils.ecs import tag_list

FAMILY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
TASK_DEFINITION_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/([A-Za-z0-9_-]{1,255}):(\d+)$")
# A secret is named by the ARN of a Secrets Manager secret (optionally with :json-key:version-stage:version-id) or
# of an SSM Parameter Store parameter.
SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter/.+)$"
)
# An image in a private ECR registry (Fargate pulls it with the task execution role).
ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
NETWORK_MODES = ("awsvpc", "bridge", "host", "none")
COMPATIBILITIES = ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES")
PORT_MAX = 65535
PROTOCOLS = ("tcp", "udp")
# Task CPU units -> the task memory (MiB) Fargate accepts with them. AWS: "Troubleshoot Amazon ECS task definition
# invalid CPU or memory errors" and the API reference of TaskDefinition.memory.
FARGATE_TASK_SIZES = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
# The same table's operating systems: Windows on Fargate starts at 1 vCPU and ends at 4.
FARGATE_WINDOWS_CPU = (1024, 2048, 4096)
# Defaults ECS fills into a container definition's healthCheck (ContainerDefinition API reference). Other defaults
# applied before comparing: essential true, cpu 0, protocol tcp, hostPort = containerPort (awsvpc, host),
# versionConsistency enabled, efsVolumeConfiguration rootDirectory "/", false for every other boolean.
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}
# Container fields that are lists whose order means nothing to ECS; compared sorted.
UNORDERED_LISTS = (
    "portMappings",
    "environment",
    "secrets",
    "environmentFiles",
    "mountPoints",
    "volumesFrom",
    "ulimits",
    "dependsOn",
    "extraHosts",
    "systemControls",
    "resourceRequirements",
)
# Container fields whose values ECS takes as strings only (maps of string to string).
STRING_MAPS = ("dockerLabels",)


class ECSTaskDefinitionFamilyHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_message("Unable to describe task definition")


# ---------------------------------------------------------------------------------------------
# Calls
# ---------------------------------------------------------------------------------------------
@ECSTaskDefinitionFamilyHandler.list_error_handler("describe the latest ACTIVE revision of ECS task definition", None)
@AWSRetry.jittered_backoff()
def describe_latest_active(client, family):
    """(task definition, tags) of the latest ACTIVE revision of ``family``; None when it has none.

    DescribeTaskDefinition with a bare family answers its latest ACTIVE revision (API reference).
    """
    answer = client.describe_task_definition(taskDefinition=family, include=["TAGS"])
    return answer["taskDefinition"], answer.get("tags") or []


@ECSTaskDefinitionFamilyHandler.common_error_handler("list ECS task definitions")
@AWSRetry.jittered_backoff()
def list_revisions(client, family, status):
    """The ARNs of every revision of ``family`` in ``status`` (ACTIVE or INACTIVE), newest first."""
    paginator = client.get_paginator("list_task_definitions")
    arns = (
        paginator.paginate(familyPrefix=family, status=status, sort="DESC")
        .build_full_result()
        .get("taskDefinitionArns", [])
    )
    ours = [arn for arn in arns if revision_of(arn, family) is not None]
    return sorted(ours, key=lambda arn: revision_of(arn, family), reverse=True)


@ECSTaskDefinitionFamilyHandler.common_error_handler("list ECS task definitions")
@AWSRetry.jittered_backoff()
def newest_revision_number(client, family, status):
    """The highest revision number of ``family`` in ``status``, 0 when there is none (one call)."""
    answer = client.list_task_definitions(familyPrefix=family, status=status, sort="DESC", maxResults=1)
    numbers = [revision_of(arn, family) for arn in answer.get("taskDefinitionArns") or []]
    return max([n for n in numbers if n is not None] or [0])


@ECSTaskDefinitionFamilyHandler.common_error_handler("register a new revision of ECS task definition")
@AWSRetry.jittered_backoff()
def register_task_definition(client, request):
    return client.register_task_definition(**request)["taskDefinition"]


@ECSTaskDefinitionFamilyHandler.deletion_error_handler("deregister ECS task definition revision")
@AWSRetry.jittered_backoff()
def deregister_task_definition(client, arn):
    return client.deregister_task_definition(taskDefinition=arn)["taskDefinition"]


def revision_of(arn, family):
    """The revision number of a task definition ARN of ``family``; None for another family."""
    match = TASK_DEFINITION_ARN.match(arn or "")
    if not match or match.group(1) != family:
        return None
    return int(match.group(2))


def model_members(client, shape):
    """The member names of a shape of the ECS API model (``ContainerDefinition``, ``Volume``); no API call."""
    return set(client.meta.service_model.shape_for(shape).members)


# ---------------------------------------------------------------------------------------------
# Validation and the request
# ---------------------------------------------------------------------------------------------
def task_size(option, value):
    """cpu or memory as a string of digits (the option may be an int); ECSValidationError otherwise."""
    if value is None:
        return None
    text = to_text(value).strip()
    if not text.isdigit() or int(text) <= 0:
        unit = "CPU units (1024 = 1 vCPU)" if option == "cpu" else "MiB (1024 = 1 GB)"
        raise ECSValidationError(
            f"{option}={value!r} is not a whole number of {unit}; give the number only, for example "
            f"{'256' if option == 'cpu' else '512'} (units such as 'vCPU' or 'GB' are not accepted)"
        )
    return str(int(text))


def fargate_memories_text(units):
    """The task memory Fargate accepts with ``units`` CPU units, as text."""
    memories = FARGATE_TASK_SIZES[units]
    if len(memories) <= 3:
        return ", ".join(str(m) for m in memories)
    return f"{memories[0]} to {memories[-1]} in steps of {memories[1] - memories[0]}"


def fargate_sizes_text():
    """Every valid Fargate cpu/memory combination, as text."""
    return "; ".join(f"cpu {units}: memory {fargate_memories_text(units)}" for units in FARGATE_TASK_SIZES)


def _validate_fargate(params):
    cpu, memory = params["cpu"], params["memory"]
    if cpu is None or memory is None:
        missing = " and ".join(o for o in ("cpu", "memory") if params[o] is None)
        raise ECSValidationError(
            f"{missing} must be set: requires_compatibilities includes FARGATE, and Fargate needs the task-level "
            f"cpu and memory. Valid Fargate combinations: {fargate_sizes_text()}"
        )
    units, mib = int(cpu), int(memory)
    if units not in FARGATE_TASK_SIZES:
        raise ECSValidationError(
            f"cpu={cpu!r} is not a Fargate task CPU size; valid: {', '.join(str(c) for c in FARGATE_TASK_SIZES)} "
            f"(with memory: {fargate_sizes_text()})"
        )
    if mib not in FARGATE_TASK_SIZES[units]:
        raise ECSValidationError(
            f"memory={memory!r} is not valid with cpu={cpu!r} on Fargate; valid with cpu {units}: memory "
            f"{fargate_memories_text(units)} (MiB). All Fargate combinations: {fargate_sizes_text()}"
        )
    if params["network_mode"] != "awsvpc":
        raise ECSValidationError(
            f"network_mode={params['network_mode']!r}: Fargate tasks only run in the awsvpc network mode (set "
            "network_mode to awsvpc, or remove FARGATE from requires_compatibilities)"
        )
    os_family = (params["runtime_platform"] or {}).get("operating_system_family") or ""
    if os_family.startswith("WINDOWS") and units not in FARGATE_WINDOWS_CPU:
        raise ECSValidationError(
            f"cpu={cpu!r} with runtime_platform.operating_system_family={os_family}: Windows tasks on Fargate take "
            f"cpu {', '.join(str(c) for c in FARGATE_WINDOWS_CPU)}"
        )


def _scalar_text(where, value):
    """A string value of the API given as a YAML scalar: numbers become strings, booleans are refused."""
    if isinstance(value, bool):
        raise ECSValidationError(
            f"{where}: {value!r} is a boolean; ECS takes a string here: quote it ('true' or 'false', as the program "
            "reading it expects)"
        )
    if isinstance(value, (int, float)):
        return to_text(value)
    if not isinstance(value, str):
        raise ECSValidationError(f"{where}: {value!r} is not a string")
    return value


def _port(where, value):
    if isinstance(value, bool):
        raise ECSValidationError(f"{where}={value!r} is not a port (1 to {PORT_MAX})")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= PORT_MAX:
        raise ECSValidationError(f"{where}={value!r} is not a port (1 to {PORT_MAX})")
    return value


def _named_entries(where, entries, value_key):
    if not isinstance(entries, list):
        raise ECSValidationError(f"{where} must be a list of {{name, {value_key}}} entries")
    names = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name"):
            # The entry is not repeated: it may hold a secret.
            raise ECSValidationError(f"{where}[{number}]: every entry needs a name and a {value_key}")
        names.append(entry["name"])
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ECSValidationError(f"{where}: {duplicates[0]!r} is set more than once")
    return names


def _check_container_identity(container, index):
    """``at`` (how messages name the container), once its name and image are valid."""
    name = container.get("name")
    at = f"container_definitions[{index}]" + (f" ({name})" if name else "")
    if not isinstance(name, str) or not CONTAINER_NAME.match(name):
        raise ECSValidationError(
            f"{at}: name={name!r}; every container needs a name of 1 to 255 letters, digits, hyphens and underscores"
        )
    image = container.get("image")
    if not isinstance(image, str) or not image.strip():
        raise ECSValidationError(f"{at}: image={image!r}; every container needs an image")
    return at


def _prepare_port_mapping(where, mapping, network_mode):
    if not isinstance(mapping, dict):
        raise ECSValidationError(f"{where} must be a dict with containerPort")
    if "containerPort" in mapping:
        mapping["containerPort"] = _port(f"{where}.containerPort", mapping["containerPort"])
    elif "containerPortRange" not in mapping:
        raise ECSValidationError(f"{where}: containerPort is missing")
    if mapping.get("hostPort") is not None:
        mapping["hostPort"] = _port(f"{where}.hostPort", mapping["hostPort"])
        if network_mode == "awsvpc" and mapping["hostPort"] != mapping.get("containerPort"):
            raise ECSValidationError(
                f"{where}: hostPort={mapping['hostPort']} differs from containerPort="
                f"{mapping.get('containerPort')}; in the awsvpc network mode hostPort must equal containerPort "
                "(or be left out)"
            )
    protocol = mapping.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        raise ECSValidationError(f"{where}: protocol={protocol!r}; valid: {', '.join(PROTOCOLS)}")


def _prepare_port_mappings(container, at, network_mode):
    mappings = container.get("portMappings") or []
    if not isinstance(mappings, list):
        raise ECSValidationError(f"{at}: portMappings must be a list")
    for number, mapping in enumerate(mappings):
        _prepare_port_mapping(f"{at}: portMappings[{number}]", mapping, network_mode)


def _prepare_environment_and_secrets(container, at):
    """Environment values as strings; secrets as ARNs only (their values never in a message); no name in both."""
    environment = container.get("environment") or []
    env_names = _named_entries(f"{at}: environment", environment, "value")
    for entry in environment:
        if "value" in entry:
            entry["value"] = _scalar_text(f"{at}: environment {entry['name']}", entry["value"])
    secrets = container.get("secrets") or []
    secret_names = _named_entries(f"{at}: secrets", secrets, "valueFrom")
    for entry in secrets:
        value_from = entry.get("valueFrom")
        if not isinstance(value_from, str) or not SECRET_ARN.match(value_from):
            # The value is not repeated: a plain-text secret put here by mistake must not reach the log.
            raise ECSValidationError(
                f"{at}: secrets {entry['name']}: valueFrom is not the ARN of a Secrets Manager secret "
                "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key::]) or of an SSM parameter "
                "(arn:aws:ssm:REGION:ACCOUNT:parameter/NAME); the value given is not shown, in case it is the "
                "secret itself"
            )
    both = sorted(set(env_names) & set(secret_names))
    if both:
        raise ECSValidationError(
            f"{at}: {both[0]!r} is set both in environment and in secrets; set it in one place only (secrets, if it "
            "is a secret)"
        )


def _prepare_string_maps(container, at):
    """The log driver's options and the other string maps (STRING_MAPS) with string values."""
    log = container.get("logConfiguration")
    if log is not None:
        if not isinstance(log, dict) or not log.get("logDriver"):
            raise ECSValidationError(f"{at}: logConfiguration needs a logDriver")
        options = log.get("options") or {}
        if not isinstance(options, dict):
            raise ECSValidationError(f"{at}: logConfiguration.options must be a dict")
        for key in list(options):
            options[key] = _scalar_text(f"{at}: logConfiguration.options.{key}", options[key])
    for field in STRING_MAPS:
        values = container.get(field)
        if isinstance(values, dict):
            for key in list(values):
                values[key] = _scalar_text(f"{at}: {field}.{key}", values[key])


def prepare_container(definition, index, network_mode):
    """One container definition as RegisterTaskDefinition gets it (a copy: string values of the API given as numbers
    become strings, ports given as strings become numbers), validated."""
    if not isinstance(definition, dict):
        raise ECSValidationError(f"container_definitions[{index}] must be a dict, got {definition!r}")
    container = copy.deepcopy(definition)
    at = _check_container_identity(container, index)
    _prepare_port_mappings(container, at, network_mode)
    _prepare_environment_and_secrets(container, at)
    _prepare_string_maps(container, at)
    return container


def _camel(key):
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)


def check_known_keys(items, option, members, shape):
    """ECSValidationError for a key ECS does not know at the top of a container definition or volume (most often
    a snake_case spelling); ``members`` from ``model_members``."""
    for index, item in enumerate(items or []):
        for key in item:
            if key in members:
                continue
            hint = f"; did you mean {_camel(key)}?" if _camel(key) in members else ""
            name = item.get("name")
            raise ECSValidationError(
                f"{option}[{index}]{f' ({name})' if name else ''}: {key!r} is not a field of an ECS {shape}{hint} "
                f"(fields are in the API's camelCase, as in a JSON task definition)"
            )


def _check_unique_containers(containers):
    names = [c["name"] for c in containers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ECSValidationError(
            f"container_definitions: the container name {duplicates[0]!r} is used more than once; container names "
            "must be unique within a task definition"
        )


# What a container reads with the task execution role: (applies on Fargate only, test, message after "{at}: ").
EXECUTION_ROLE_NEEDS = (
    (
        False,
        lambda c: c.get("secrets"),
        "secrets need execution_role_arn (ECS reads the secrets with the task execution role)",
    ),
    (
        False,
        lambda c: c.get("repositoryCredentials"),
        "repositoryCredentials need execution_role_arn (ECS reads the registry credentials with the task execution "
        "role)",
    ),
    (
        True,
        lambda c: (c.get("logConfiguration") or {}).get("logDriver") == "awslogs",
        "the awslogs log driver on Fargate needs execution_role_arn (ECS writes the logs with the task execution role)",
    ),
    (
        True,
        lambda c: ECR_IMAGE.match(c["image"]),
        "the ECR image {image} on Fargate needs execution_role_arn (ECS pulls it with the task execution role)",
    ),
)


def _check_execution_role(containers, params, fargate):
    if params["execution_role_arn"]:
        return
    for container in containers:
        for fargate_only, needs, message in EXECUTION_ROLE_NEEDS:
            if (fargate or not fargate_only) and needs(container):
                raise ECSValidationError(
                    f"container_definitions ({container['name']}): " + message.format(image=container["image"])
                )


def _check_volumes(volumes, containers):
    volume_names = []
    for index, volume in enumerate(volumes):
        if not isinstance(volume, dict) or not volume.get("name"):
            raise ECSValidationError(f"volumes[{index}]: every volume needs a name")
        volume_names.append(volume["name"])
    duplicates = sorted({n for n in volume_names if volume_names.count(n) > 1})
    if duplicates:
        raise ECSValidationError(f"volumes: the volume name {duplicates[0]!r} is used more than once")
    for container in containers:
        for mount in container.get("mountPoints") or []:
            source = (mount or {}).get("sourceVolume")
            if source not in volume_names:
                raise ECSValidationError(
                    f"container_definitions ({container['name']}): mountPoints sourceVolume={source!r} is not a volume "
                    f"of the task (volumes: {', '.join(volume_names) or 'none'})"
                )


def validate_task_definition_params(params):
    """Check the options before any call; returns the prepared container definitions (RegisterTaskDefinition's
    containerDefinitions). ECSValidationError says what is wrong and what is valid."""
    family = params["family"]
    if not isinstance(family, str) or not FAMILY.match(family):
        raise ECSValidationError(
            f"family={family!r}: a task definition family is 1 to 255 letters, digits, hyphens and underscores"
        )
    if params["state"] != "present":
        return []
    params["cpu"] = task_size("cpu", params["cpu"])
    params["memory"] = task_size("memory", params["memory"])
    fargate = "FARGATE" in (params["requires_compatibilities"] or [])
    if fargate:
        _validate_fargate(params)
    definitions = params["container_definitions"] or []
    if not definitions:
        raise ECSValidationError("container_definitions must list at least one container")
    containers = [prepare_container(d, i, params["network_mode"]) for i, d in enumerate(definitions)]
    _check_unique_containers(containers)
    _check_execution_role(containers, params, fargate)
    _check_volumes(params["volumes"] or [], containers)
    return containers


def runtime_platform_request(runtime_platform):
    if not runtime_platform:
        return None
    request = {
        "cpuArchitecture": runtime_platform.get("cpu_architecture"),
        "operatingSystemFamily": runtime_platform.get("operating_system_family"),
    }
    return {k: v for k, v in request.items() if v} or None


def task_definition_request(params, containers, tags):
    """RegisterTaskDefinition's parameters."""
    request = {
        "family": params["family"],
        "containerDefinitions": containers,
        "networkMode": params["network_mode"],
        "requiresCompatibilities": list(params["requires_compatibilities"] or []),
        "cpu": params["cpu"],
        "memory": params["memory"],
        "executionRoleArn": params["execution_role_arn"],
        "taskRoleArn": params["task_role_arn"],
        "runtimePlatform": runtime_platform_request(params["runtime_platform"]),
        "volumes": copy.deepcopy(params["volumes"]) if params["volumes"] else None,
        "tags": tag_list(tags) if tags else None,
    }
    return {k: v for k, v in request.items() if v not in (None, [], {})}


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------
def _empty(value):
    return value is None or value is False or (isinstance(value, (list, dict)) and not value)


def prune(value):
    """A copy without None, False, empty lists and empty dicts (at any depth): what ECS leaves out or defaults."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if not _empty(v)}
    if isinstance(value, list):
        return [v for v in (prune(v) for v in value) if not (isinstance(v, dict) and not v) and v is not None]
    return value


def _sort_key(item):
    return json.dumps(item, sort_keys=True, default=str)


def comparable_container(container, network_mode):
    """A container definition with ECS's defaults applied, empty values dropped and unordered lists sorted."""
    container = copy.deepcopy(container)
    essential = container.pop("essential", True)
    if container.get("cpu") == 0:
        container.pop("cpu")
    if container.get("versionConsistency") == "enabled":
        container.pop("versionConsistency")  # ECS's default: image digests resolved
    for mapping in container.get("portMappings") or []:
        if isinstance(mapping, dict):
            mapping.setdefault("protocol", "tcp")
            if network_mode in ("awsvpc", "host") and mapping.get("hostPort") is None and "containerPort" in mapping:
                mapping["hostPort"] = mapping["containerPort"]
            if network_mode == "bridge" and mapping.get("hostPort") == 0:
                mapping.pop("hostPort")
    health = container.get("healthCheck")
    if isinstance(health, dict):
        for key, default in HEALTH_CHECK_DEFAULTS.items():
            if health.get(key) is None:
                health[key] = default
        if health.get("startPeriod") == 0:
            health.pop("startPeriod")
    container = prune(container)
    for field in UNORDERED_LISTS:
        if isinstance(container.get(field), list):
            container[field] = sorted(container[field], key=_sort_key)
    container["essential"] = essential is not False
    return dict(sorted(container.items()))


def comparable_volume(volume):
    volume = prune(copy.deepcopy(volume))
    efs = volume.get("efsVolumeConfiguration")
    if isinstance(efs, dict):
        efs.setdefault("rootDirectory", "/")
    return volume


def comparable_view(definition):
    """The compared settings of a task definition (DescribeTaskDefinition's shape or RegisterTaskDefinition's
    request), named like the module's options; container definitions and volumes stay in the API's camelCase."""
    if not definition:
        return {}
    network_mode = definition.get("networkMode") or "bridge"
    platform = definition.get("runtimePlatform") or {}
    return {
        "family": definition.get("family"),
        "cpu": to_text(definition["cpu"]) if definition.get("cpu") is not None else None,
        "memory": to_text(definition["memory"]) if definition.get("memory") is not None else None,
        "network_mode": network_mode,
        "requires_compatibilities": sorted(set(definition.get("requiresCompatibilities") or [])),
        "runtime_platform": {
            k: v
            for k, v in (
                ("cpu_architecture", platform.get("cpuArchitecture")),
                ("operating_system_family", platform.get("operatingSystemFamily")),
            )
            if v
        },
        "execution_role_arn": definition.get("executionRoleArn"),
        "task_role_arn": definition.get("taskRoleArn"),
        "volumes": sorted(
            (comparable_volume(v) for v in definition.get("volumes") or []), key=lambda v: v.get("name") or ""
        ),
        "container_definitions": sorted(
            (comparable_container(c, network_mode) for c in definition.get("containerDefinitions") or []),
            key=lambda c: c.get("name") or "",
        ),
    }


def differences(before, after):
    """The top-level settings (and container names) that differ between two comparable views."""
    changed = [key for key in after if before.get(key) != after.get(key) and key != "container_definitions"]
    old = {c.get("name"): c for c in before.get("container_definitions") or []}
    new = {c.get("name"): c for c in after.get("container_definitions") or []}
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changed.append(f"container {name} (added)")
        elif name not in new:
            changed.append(f"container {name} (removed)")
        elif old[name] != new[name]:
            fields = sorted(k for k in set(old[name]) | set(new[name]) if old[name].get(k) != new[name].get(k))
            changed.append(f"container {name} ({', '.join(fields)})")
    return changed


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------
def _text_time(value):
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else to_text(value)


def task_definition_view(definition, tags):
    """The ``task_definition`` return value: top-level fields in snake_case, container definitions and volumes as ECS
    gives them (camelCase; environment variable names and log option keys untouched)."""
    if not definition:
        return {}
    platform = definition.get("runtimePlatform") or {}
    family, revision = definition.get("family"), definition.get("revision")
    return {
        "arn": definition.get("taskDefinitionArn"),
        "family": family,
        "revision": revision,
        "family_revision": f"{family}:{revision}" if revision is not None else None,
        "status": definition.get("status"),
        "cpu": definition.get("cpu"),
        "memory": definition.get("memory"),
        "network_mode": definition.get("networkMode"),
        "requires_compatibilities": list(definition.get("requiresCompatibilities") or []),
        "compatibilities": list(definition.get("compatibilities") or []),
        "runtime_platform": {
            "cpu_architecture": platform.get("cpuArchitecture"),
            "operating_system_family": platform.get("operatingSystemFamily"),
        }
        if platform
        else {},
        "execution_role_arn": definition.get("executionRoleArn"),
        "task_role_arn": definition.get("taskRoleArn"),
        "volumes": copy.deepcopy(definition.get("volumes") or []),
        "container_definitions": copy.deepcopy(definition.get("containerDefinitions") or []),
        "registered_at": _text_time(definition.get("registeredAt")),
        "tags": {to_text(k): to_text(v) for k, v in (tags or {}).items()},
    }


def planned_task_definition(request, arn, revision):
    """The DescribeTaskDefinition entry RegisterTaskDefinition should produce (check mode)."""
    planned = {k: copy.deepcopy(v) for k, v in request.items() if k != "tags"}
    planned.update(taskDefinitionArn=arn, revision=revision, status="ACTIVE")
    return planned


def next_arn(latest_arn, revision):
    """The ARN of revision ``revision`` of the family of ``latest_arn`` (None without one)."""
    match = TASK_DEFINITION_ARN.match(latest_arn or "")
    if not match:
        return None
    return f"{latest_arn[: match.start(2)]}{revision}"
