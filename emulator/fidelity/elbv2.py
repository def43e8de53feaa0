"""ELBv2 fidelity patches: Application Load Balancer and target group attributes, listeners, deletion protection,
the targets ECS registers for its services."""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import json
import re
import zlib
from typing import Any

from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import Service
from moto.ecs.models import ecs_backends
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend
from moto.elbv2.models import FakeAction
from moto.elbv2.models import FakeHealthStatus
from moto.elbv2.models import FakeListener
from moto.elbv2.models import FakeLoadBalancer
from moto.elbv2.models import FakeTargetGroup
from moto.elbv2.responses import ELBV2Response
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from emulator import latency
from emulator.fidelity._limits import as_int
from emulator.fidelity._limits import check_before
from emulator.fidelity._limits import length_problem
from emulator.fidelity._limits import range_problem
from emulator.fidelity.ecs import LIVE_SERVICE_STATUSES
from emulator.fidelity.s3 import REQUEST_CONTEXT
from emulator.fidelity.s3 import _as_list
from emulator.fidelity.s3 import _conditions_hold

# DescribeLoadBalancerAttributes of a new Application Load Balancer: every attribute an ALB supports with its
# default, as the ELBv2 API reference (LoadBalancerAttribute) documents them. ipv6.deny_all_igw_traffic depends
# on the scheme (see alb_default_attributes).
ALB_DEFAULT_ATTRIBUTES = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "deletion_protection.enabled": "false",
    "health_check_logs.s3.enabled": "false",
    "health_check_logs.s3.bucket": "",
    "health_check_logs.s3.prefix": "",
    "idle_timeout.timeout_seconds": "60",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.x_amzn_tls_kx.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}
# Attribute keys AWS documents that moto's ModifyLoadBalancerAttributes does not know.
_MISSING_VALID_KEYS = {
    "health_check_logs.s3.bucket",
    "health_check_logs.s3.prefix",
    "routing.http.x_amzn_tls_kx.enabled",
}


def alb_default_attributes(scheme: str) -> dict[str, str]:
    """The attributes AWS reports for a new Application Load Balancer with this scheme."""
    attributes = dict(ALB_DEFAULT_ATTRIBUTES)
    attributes["ipv6.deny_all_igw_traffic"] = "true" if scheme == "internal" else "false"
    return dict(sorted(attributes.items()))


def application_load_balancer_attributes() -> None:
    """DescribeLoadBalancerAttributes (and ModifyLoadBalancerAttributes' answer) of an Application Load Balancer
    list every ALB attribute with its documented default until changed: ``idle_timeout.timeout_seconds`` 60,
    ``routing.http2.enabled`` true, ``routing.http.desync_mitigation_mode`` defensive,
    ``routing.http.drop_invalid_header_fields.enabled`` false, ``routing.http.xff_header_processing.mode`` append,
    ``client_keep_alive.seconds`` 3600, ``access_logs.s3.enabled`` false, ``load_balancing.cross_zone.enabled`` true
    (always, for ALBs), ``ipv6.deny_all_igw_traffic`` false (true when internal), ... (ELBv2 API reference,
    LoadBalancerAttribute).

    moto answers five attributes (no ``idle_timeout.timeout_seconds``, ``access_logs.s3.enabled`` or any
    ``routing.*`` one) and cross-zone false, so amazon.aws.elb_application_lb fails with
    ``KeyError: 'idle_timeout_timeout_seconds'`` (or ``routing_http2_enabled``, ...) as soon as a task sets one of
    them. Network and Gateway Load Balancers keep moto's attributes. The documented keys moto does not accept
    (``health_check_logs.s3.bucket``/``prefix``, ``routing.http.x_amzn_tls_kx.enabled``) become modifiable.
    """
    original_init = FakeLoadBalancer.__init__

    @functools.wraps(original_init)
    def __init__(self: FakeLoadBalancer, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.type == "application":
            self.attrs = alb_default_attributes(self.scheme)

    FakeLoadBalancer.__init__ = __init__  # type: ignore[method-assign]
    FakeLoadBalancer.VALID_ATTRS = FakeLoadBalancer.VALID_ATTRS | _MISSING_VALID_KEYS


class OperationNotPermittedError(ELBClientError):
    def __init__(self, message: str) -> None:
        super().__init__("OperationNotPermitted", message)


def deletion_protection_enforced() -> None:
    """DeleteLoadBalancer refuses a load balancer whose ``deletion_protection.enabled`` attribute is ``true`` with
    ``OperationNotPermitted`` ("Load balancer '<arn>' cannot be deleted because deletion protection is enabled") and
    leaves it in place; deletion protection has to be switched off first.

    moto stores the attribute but deletes the load balancer anyway, so a teardown that forgets to lift protection
    passes on the emulator and fails against AWS.
    """
    original = ELBv2Backend.delete_load_balancer

    @functools.wraps(original)
    def delete_load_balancer(self: ELBv2Backend, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        if balancer is not None and str(balancer.attrs.get("deletion_protection.enabled")).lower() == "true":
            raise OperationNotPermittedError(
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
            )
        original(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer  # type: ignore[method-assign]


# ---- Target group attributes -----------------------------------------------------------------------------------------

# DescribeTargetGroupAttributes of a new HTTP/HTTPS target group of an Application Load Balancer (targets: instances or
# IP addresses), with the defaults the ELBv2 API reference (TargetGroupAttribute) documents.
ALB_TARGET_GROUP_DEFAULT_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "slow_start.duration_seconds": "0",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "stickiness.enabled": "false",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.type": "lb_cookie",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}


def target_group_default_attributes() -> None:
    """DescribeTargetGroupAttributes of an HTTP/HTTPS target group whose targets are instances or IP addresses lists
    every attribute such a target group supports with its documented default until changed:
    ``stickiness.lb_cookie.duration_seconds`` and ``stickiness.app_cookie.duration_seconds`` 86400,
    ``stickiness.app_cookie.cookie_name`` empty, ``load_balancing.algorithm.anomaly_mitigation`` off, the
    ``target_group_health.*`` thresholds (count 1, percentage off), ``deregistration_delay.timeout_seconds`` 300, ...
    (ELBv2 API reference, TargetGroupAttribute). ``waf.fail_open.enabled`` is a load balancer attribute, not one of a
    target group.

    moto lists six of them plus ``waf.fail_open.enabled``, so community.aws.elb_target_group fails with
    ``KeyError: 'stickiness_lb_cookie_duration_seconds'`` when a task sets ``stickiness_lb_cookie_duration`` (and
    ``stickiness_app_cookie_duration`` alike). Other target groups (TCP/UDP/TLS, GENEVE, Lambda) keep moto's list.
    """
    original_init = FakeTargetGroup.__init__

    @functools.wraps(original_init)
    def __init__(self: FakeTargetGroup, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.protocol in ("HTTP", "HTTPS") and self.target_type in ("instance", "ip"):
            self.attributes = dict(ALB_TARGET_GROUP_DEFAULT_ATTRIBUTES)

    FakeTargetGroup.__init__ = __init__  # type: ignore[method-assign]


# ---- Listeners -------------------------------------------------------------------------------------------------------

TLS_PROTOCOLS = ("HTTPS", "TLS")
# moto's CreateListener default for HTTPS/TLS listeners created without SslPolicy, kept for HTTP -> HTTPS changes.
MOTO_DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"
# What AWS stores for the URI components a redirect action leaves out (RedirectActionConfig: "Any components that
# you do not modify retain their original values").
REDIRECT_DEFAULTS = {
    "Protocol": "#{protocol}",
    "Port": "#{port}",
    "Host": "#{host}",
    "Path": "/#{path}",
    "Query": "#{query}",
}


def _drop_tls_settings(listener: FakeListener) -> None:
    listener.ssl_policy = None  # type: ignore[assignment]
    listener.certificate = None
    listener.certificates = []


def listener_ssl_policy_only_for_tls() -> None:
    """Only HTTPS and TLS listeners have an ``SslPolicy`` (and certificates): DescribeListeners answers none for an
    HTTP, TCP or UDP listener, and ModifyListener changing HTTPS to HTTP (TLS to TCP) "removes the security policy
    and default certificate properties" (ELBv2 API reference, ModifyListener, Listener.SslPolicy).

    moto gives every listener created without ``SslPolicy`` the policy ``ELBSecurityPolicy-2016-08``, HTTP ones
    included, and kept the policy and certificates of a listener changed to HTTP. A listener changed from HTTP to
    HTTPS without an ``SslPolicy`` gets moto's creation default rather than none.
    """
    original_init = FakeListener.__init__
    original_modify = ELBv2Backend.modify_listener

    @functools.wraps(original_init)
    def __init__(self: FakeListener, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.protocol not in TLS_PROTOCOLS:
            _drop_tls_settings(self)

    @functools.wraps(original_modify)
    def modify_listener(self: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeListener:
        listener = original_modify(self, *args, **kwargs)
        if listener.protocol not in TLS_PROTOCOLS:
            _drop_tls_settings(listener)
        elif not listener.ssl_policy:
            listener.ssl_policy = MOTO_DEFAULT_SSL_POLICY
        return listener

    FakeListener.__init__ = __init__  # type: ignore[method-assign]
    ELBv2Backend.modify_listener = modify_listener  # type: ignore[method-assign]


def action_defaults() -> None:
    """Listener and rule actions read back the way ELBv2 stores them: a ``redirect`` action's ``RedirectConfig`` has
    every URI component, the ones the request left out filled with ``#{protocol}``, ``#{port}``, ``#{host}``,
    ``/#{path}`` and ``#{query}`` ("Any components that you do not modify retain their original values",
    RedirectActionConfig; the same defaults terraform's aws_lb_listener declares); a ``forward`` action given only a
    ``TargetGroupArn`` also carries the equivalent ``ForwardConfig`` (that target group with weight 1, stickiness
    disabled), which amazon.aws's ``_prune_ForwardConfig`` exists to discount.

    moto returns the action exactly as sent, so a client that compares a partial ``RedirectConfig`` (say Protocol,
    Port and StatusCode only) with DescribeListeners looks idempotent on the emulator and changes the listener on
    every run against AWS.
    """
    original_init = FakeAction.__init__

    @functools.wraps(original_init)
    def __init__(self: FakeAction, data: dict[str, Any]) -> None:
        if data.get("Type") == "redirect" and isinstance(data.get("RedirectConfig"), dict):
            data["RedirectConfig"] = {**REDIRECT_DEFAULTS, **data["RedirectConfig"]}
        elif data.get("Type") == "forward" and data.get("TargetGroupArn") and "ForwardConfig" not in data:
            data["ForwardConfig"] = {"TargetGroups": [{"TargetGroupArn": data["TargetGroupArn"], "Weight": 1}]}
        original_init(self, data)

    FakeAction.__init__ = __init__  # type: ignore[method-assign]


# ---- Targets of ECS services -----------------------------------------------------------------------------------------

# TargetHealth of a target whose health check finds nothing listening (TargetHealth, API reference: "The load balancer
# received an error while establishing a connection to the target").
FAILED_HEALTH_CHECKS = ("Target.FailedHealthChecks", "Health checks failed")


def _running_tasks(service: Service) -> list[tuple[str | None, list[str]]]:
    """(task definition, awsvpc subnets) of each running task of ``service``: the running tasks of each deployment,
    then the service's own revision for any running task no deployment accounts for (``MOTO_ECS_SERVICE_RUNNING``)."""
    awsvpc = (service.network_configuration or {}).get("awsvpcConfiguration") or {}
    tasks: list[tuple[str | None, list[str]]] = []
    for deployment in service.deployments or []:
        network = (deployment.get("networkConfiguration") or {}).get("awsvpcConfiguration") or awsvpc
        task = (deployment.get("taskDefinition") or service.task_definition, list(network.get("subnets") or []))
        tasks += [task] * int(deployment.get("runningCount") or 0)
    running = int(service.running_count or 0)
    return (tasks + [(service.task_definition, list(awsvpc.get("subnets") or []))] * running)[:running]


def _task_ip(cidr: str, seed: str, index: int) -> str:
    """The ``index``-th task address of a service (``seed``) in subnet ``cidr``, skipping the first four and the last
    address as AWS does; deterministic."""
    network = ipaddress.ip_network(cidr, strict=False)
    usable = network.num_addresses - 5
    start = zlib.crc32(seed.encode()) % usable
    return str(network.network_address + 4 + (start + index) % usable)


def _container_ports(service: Service, task_definition: str | None, container_name: str | None) -> set[int]:
    """The container ports the container ``container_name`` of ``task_definition`` maps (where it listens)."""
    try:
        definition = service._backend.describe_task_definition(task_definition) if task_definition else None
    except TaskDefinitionNotFoundException:
        definition = None
    for container in definition.container_definitions if definition else []:
        if container.get("name") == container_name:
            return {int(m["containerPort"]) for m in container.get("portMappings") or [] if m.get("containerPort")}
    return set()


def _ecs_targets(backend: ELBv2Backend, group: FakeTargetGroup) -> list[FakeHealthStatus]:
    """The targets ECS registers in ``group`` (type ip) for the live services whose ``loadBalancers`` use it."""
    if group.target_type != "ip":
        return []
    ecs = ecs_backends[backend.account_id][backend.region_name]
    targets = []
    for service in sorted(ecs.services.values(), key=lambda s: (s.cluster_arn, s.name)):
        if service.status not in LIVE_SERVICE_STATUSES:
            continue
        seed = f"{service.cluster_arn}/{service.name}"
        for entry in service.load_balancers or []:
            if entry.get("targetGroupArn") != group.arn or entry.get("containerPort") is None:
                continue
            port = int(entry["containerPort"])
            checked = port if group.health_check_port in (None, "traffic-port") else int(group.health_check_port)
            for index, (task_definition, subnet_ids) in enumerate(_running_tasks(service)):
                cidrs = []
                for subnet_id in subnet_ids:
                    try:
                        cidrs.append(backend.ec2_backend.get_subnet(subnet_id).cidr_block)
                    except InvalidSubnetIdError:
                        continue
                if not cidrs:
                    continue
                address = _task_ip(cidrs[index % len(cidrs)], seed, index // len(cidrs))
                if checked in _container_ports(service, task_definition, entry.get("containerName")):
                    targets.append(FakeHealthStatus(address, port, str(checked), "healthy"))
                else:
                    targets.append(FakeHealthStatus(address, port, str(checked), "unhealthy", *FAILED_HEALTH_CHECKS))
    return targets


def ecs_service_targets() -> None:
    """DescribeTargetHealth of an ``ip`` target group that an ECS service's ``loadBalancers`` use lists that
    service's running tasks, as ECS registers them (awsvpc: each task's own private IP): one target per running task
    (``runningCount``, each task of the deployment it belongs to), its ``Id`` a private address of one of the
    service's awsvpc subnets (tasks spread over the subnets in turn; deterministic: derived from the subnet's CIDR, the
    service's cluster and name and the task's index), ``Port`` the ``containerPort`` of the ``loadBalancers`` entry,
    ``HealthCheckPort`` the port the health check goes to (that port, for ``traffic-port``). A target is ``healthy``
    when the task's container (``containerName``) maps the health-check port in its ``portMappings``; otherwise
    nothing listens there and it is ``unhealthy`` with ``Target.FailedHealthChecks`` ("Health checks failed"). Targets
    registered with RegisterTargets follow, as moto answers them; ``Targets`` in the request picks targets out.
    A target group no live service uses keeps moto's answer.

    moto's ECS registers nothing, so the target group of a running service looked empty: nothing could prove that
    the service's tasks are behind its load balancer.
    """
    original = ELBv2Backend.describe_target_health

    @functools.wraps(original)
    def describe_target_health(
        self: ELBv2Backend, target_group_arn: str, targets: list[dict[str, Any]]
    ) -> list[FakeHealthStatus]:
        group = self.target_groups.get(target_group_arn)
        tasks = _ecs_targets(self, group) if group is not None else []
        if not tasks:
            return original(self, target_group_arn, targets)
        if not targets:
            return tasks + original(self, target_group_arn, targets)
        answer = []
        for target in targets:
            port = target.get("Port")
            match = next(
                (t for t in tasks if t.instance_id == target.get("Id") and (port is None or int(port) == t.port)), None
            )
            answer.append(match or original(self, target_group_arn, [target])[0])
        return answer

    ELBv2Backend.describe_target_health = describe_target_health  # type: ignore[method-assign]


# ---- Limits ---------------------------------------------------------------------------------------------------------
_LB_NAME_MAX = 32
_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9-]+$")
IDLE_TIMEOUT_RANGE = (1, 4000)
DEREGISTRATION_DELAY_RANGE = (0, 3600)
# CreateTargetGroup / ModifyTargetGroup members with their ranges (ELBv2 API reference and its model).
TARGET_GROUP_RANGES = {
    "Port": ("port", 1, 65535),
    "HealthCheckIntervalSeconds": ("healthCheckIntervalSeconds", 5, 300),
    "HealthCheckTimeoutSeconds": ("healthCheckTimeoutSeconds", 2, 120),
    "HealthyThresholdCount": ("healthyThresholdCount", 2, 10),
    "UnhealthyThresholdCount": ("unhealthyThresholdCount", 2, 10),
}
HEALTH_CHECK_PATH_MAX = 1024
# Matcher.HttpCode: the codes a health check may expect, by target group protocol (ELBv2 API reference, Matcher).
MATCHER_RANGES = {"HTTP": (200, 499), "HTTPS": (200, 499), "GENEVE": (200, 399)}
MATCHER_DEFAULT_RANGE = (200, 599)  # TCP, TLS, UDP, TCP_UDP, ...
_MATCHER_PART = re.compile(r"^(\d+)(?:-(\d+))?$")


class ELBValidationError(ELBClientError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


def _load_balancer_name_problem(name: str) -> str | None:
    if len(name) > _LB_NAME_MAX:
        return f"The load balancer name '{name}' cannot be longer than '{_LB_NAME_MAX}' characters"
    if not _NAME_CHARACTERS.match(name):
        return (
            f"The load balancer name '{name}' can only contain characters that are alphanumeric characters or "
            "hyphens(-)"
        )
    if name.startswith("-") or name.endswith("-"):
        return f"The load balancer name '{name}' cannot begin or end with a hyphen(-)"
    if name.startswith("internal-"):
        return f"The load balancer name '{name}' cannot begin with 'internal-'"
    return None


def load_balancer_name_rules() -> None:
    """CreateLoadBalancer refuses a name AWS refuses (ValidationError, HTTP 400). ELBv2 API reference,
    CreateLoadBalancer ``Name``: "This name must be unique per region per account, can have a maximum of 32
    characters, must contain only alphanumeric characters or hyphens, must not begin or end with a hyphen, and must
    not begin with "internal-"." (AWS: ``The load balancer name '...' cannot be longer than '32' characters``.)

    moto accepted any name (33 characters, ``internal-x``, ``a_b``, the empty name).
    """

    def check(response: ELBV2Response) -> None:
        problem = _load_balancer_name_problem(str(response._get_param("Name") or ""))
        if problem:
            raise ELBValidationError(problem)

    check_before(ELBV2Response, "create_load_balancer", check)


def _attribute_values(response: ELBV2Response) -> dict[str, Any]:
    return {attr.get("Key"): attr.get("Value") for attr in response._get_param("Attributes", []) or []}


def _attribute_range_problem(attributes: dict[str, Any], key: str, low: int, high: int) -> str | None:
    if key not in attributes:
        return None
    number = as_int(attributes[key])
    if number is None or not low <= number <= high:
        return f"'{key}' value '{attributes[key]}' must be between '{low}-{high}' inclusive"
    return None


def load_balancer_idle_timeout_range() -> None:
    """ModifyLoadBalancerAttributes refuses ``idle_timeout.timeout_seconds`` outside 1-4000 (ValidationError
    ``'idle_timeout.timeout_seconds' value '4001' must be between '1-4000' inclusive``). ELBv2 API reference,
    LoadBalancerAttribute: "idle_timeout.timeout_seconds - The idle timeout value, in seconds. The valid range is
    1-4000 seconds. The default is 60 seconds."

    moto stored any value (0, 4001, ``x``).
    """

    def check(response: ELBV2Response) -> None:
        problem = _attribute_range_problem(
            _attribute_values(response), "idle_timeout.timeout_seconds", *IDLE_TIMEOUT_RANGE
        )
        if problem:
            raise ELBValidationError(problem)

    check_before(ELBV2Response, "modify_load_balancer_attributes", check)


def _matcher_problem(codes: str, protocol: str | None) -> str | None:
    low, high = MATCHER_RANGES.get((protocol or "").upper(), MATCHER_DEFAULT_RANGE)
    for part in codes.split(","):
        found = _MATCHER_PART.match(part.strip())
        if found is None:
            return None  # not a list of codes or ranges at all: moto's own InvalidParameterValue answers it
        first, last = int(found.group(1)), int(found.group(2) or found.group(1))
        if not low <= first <= last <= high:
            return f"Health check matcher HTTP code '{codes}' must be within '{low}-{high}' inclusive"
    return None


def _health_check_problem(params: dict[str, Any], protocol: str | None, members: tuple[str, ...]) -> str | None:
    for name in members:
        member, low, high = TARGET_GROUP_RANGES[name]
        problem = range_problem(params.get(name), member, low, high)
        if problem:
            return problem
    path = params.get("HealthCheckPath")
    if path is not None:
        problem = length_problem(path, "healthCheckPath", 1, HEALTH_CHECK_PATH_MAX)
        if problem:
            return problem
        if not str(path).startswith("/"):
            return f"Health check path '{path}' must begin with a '/' character"
    codes = params.get("HttpCode")
    if codes:
        return _matcher_problem(str(codes), protocol)
    return None


def _timeout_problem(interval: int | None, timeout: int | None, protocol: str | None) -> str | None:
    if interval is None or timeout is None:
        return None
    if (protocol or "").upper() in ("HTTP", "HTTPS") and timeout >= interval:
        return f"Health check timeout '{timeout}' must be smaller than the interval '{interval}'"
    if timeout > interval:
        return f"Health check timeout '{timeout}' must be smaller than or equal to the interval '{interval}'"
    return None


def target_group_health_check_limits() -> None:
    """CreateTargetGroup and ModifyTargetGroup refuse what AWS refuses (ValidationError, HTTP 400), as the ELBv2 API
    reference gives the limits: ``Port`` 1-65535; ``HealthCheckIntervalSeconds`` "The range is 5-300";
    ``HealthCheckTimeoutSeconds`` "The range is 2-120 seconds"; ``HealthyThresholdCount`` and
    ``UnhealthyThresholdCount`` "The range is 2-10"; ``HealthCheckPath`` 1-1024 characters, a path ("The ping path.
    The default is /."); ``Matcher.HttpCode`` "For target groups with a protocol of HTTP or HTTPS, the range is
    200-499" (200-599 for TCP, TLS, UDP, TCP_UDP; 200-399 for GENEVE), as "200", "200,202" or "200-299". Out of range
    values get AWS's model message (``1 validation error detected: Value '4' at 'healthCheckIntervalSeconds' failed
    to satisfy constraint: Member must have value greater than or equal to 5``). ModifyTargetGroup also keeps the
    timeout below the interval (``Health check timeout '10' must be smaller than the interval '10'`` for HTTP/HTTPS),
    the rule moto checks on create only, with the target group's current value for the one not given.

    moto stored any interval, timeout, threshold, path, code range and port above 65535.
    """

    def check_create(response: ELBV2Response) -> None:
        params = dict(response._get_params())
        params["HttpCode"] = (params.get("Matcher") or {}).get("HttpCode")
        problem = _health_check_problem(params, params.get("Protocol"), tuple(TARGET_GROUP_RANGES))
        if problem:
            raise ELBValidationError(problem)

    def check_modify(response: ELBV2Response) -> None:
        params = dict(response._get_params())
        params["HttpCode"] = response._get_param("Matcher.HttpCode")
        group = response.elbv2_backend.target_groups.get(response._get_param("TargetGroupArn"))
        protocol = group.protocol if group is not None else None
        members = tuple(name for name in TARGET_GROUP_RANGES if name != "Port")
        problem = _health_check_problem(params, protocol, members)
        if problem is None and group is not None:
            interval = as_int(params.get("HealthCheckIntervalSeconds"))
            timeout = as_int(params.get("HealthCheckTimeoutSeconds"))
            if interval is not None or timeout is not None:
                problem = _timeout_problem(
                    interval if interval is not None else as_int(group.health_check_interval_seconds),
                    timeout if timeout is not None else as_int(group.health_check_timeout_seconds),
                    group.protocol,
                )
        if problem:
            raise ELBValidationError(problem)

    check_before(ELBV2Response, "create_target_group", check_create)
    check_before(ELBV2Response, "modify_target_group", check_modify)


def deregistration_delay_range() -> None:
    """ModifyTargetGroupAttributes accepts ``deregistration_delay.timeout_seconds`` from 0 to 3600 inclusive and
    refuses anything else (ValidationError ``'deregistration_delay.timeout_seconds' value '3601' must be between
    '0-3600' inclusive``). ELBv2 API reference, TargetGroupAttribute: "The range is 0-3600 seconds."

    moto refused 3600 itself (it tested ``range(0, 3600)``), the largest value AWS allows.
    """
    original = ELBv2Backend.modify_target_group_attributes
    key = "deregistration_delay.timeout_seconds"

    @functools.wraps(original)
    def modify_target_group_attributes(self: ELBv2Backend, target_group_arn: str, attributes: dict[str, Any]) -> None:
        problem = _attribute_range_problem(attributes, key, *DEREGISTRATION_DELAY_RANGE)
        if problem:
            raise ELBValidationError(problem)
        if key in attributes and as_int(attributes[key]) == DEREGISTRATION_DELAY_RANGE[1]:
            # moto's own check stops one short of the limit: let it check a value it accepts, then store the real one
            original(self, target_group_arn, {**attributes, key: "0"})
            self.target_groups[target_group_arn].attributes[key] = attributes[key]
            return
        original(self, target_group_arn, attributes)

    ELBv2Backend.modify_target_group_attributes = modify_target_group_attributes  # type: ignore[method-assign]


def load_balancer_latency() -> None:
    """With the latency profile on (:mod:`emulator.latency`), a new load balancer's ``State.Code`` is
    ``provisioning`` for its scaled creation time, then ``active``, as AWS answers DescribeLoadBalancers.

    moto turns a load balancer ``active`` the first time it is described. Off (the default): unchanged.
    """
    original_create = ELBv2Backend.create_load_balancer
    original_activate = FakeLoadBalancer.activate

    @functools.wraps(original_create)
    def create_load_balancer(self: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeLoadBalancer:
        balancer = original_create(self, *args, **kwargs)
        latency.mark(balancer, "load_balancer")
        return balancer

    @functools.wraps(original_activate)
    def activate(self: FakeLoadBalancer) -> None:
        if not latency.pending(self):
            original_activate(self)

    ELBv2Backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]
    FakeLoadBalancer.activate = activate  # type: ignore[method-assign]


# ---- Access logs -----------------------------------------------------------------------------------------------------

# Elastic Load Balancing's log-delivery account of each Region available before August 2022 (ALB User Guide, "Enable
# access logs for your Application Load Balancer", step 2); the other Regions deliver as the service principal
# ELB_LOG_DELIVERY_SERVICE. The collection's bucket policy (plugins/filter/s3.py) grants the same principals: a unit
# test keeps the two tables equal.
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
ACCESS_LOG_TEST_FILE = "ELBAccessLogTestFile"


def _delivers(statement: dict[str, Any], region: str) -> bool:
    """Whether a policy statement names the log-delivery principal AWS uses in ``region``."""
    principal = statement.get("Principal") or {}
    if not isinstance(principal, dict):
        return principal == "*"
    account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    if account is not None:
        partition = "aws-us-gov" if region.startswith("us-gov-") else "aws"
        return any(p in (account, f"arn:{partition}:iam::{account}:root") for p in _as_list(principal.get("AWS")))
    return ELB_LOG_DELIVERY_SERVICE in _as_list(principal.get("Service"))


def _allows_delivery(policy: dict[str, Any], region: str, object_arn: str) -> bool:
    """IAM's verdict for the log-delivery principal's s3:PutObject of ``object_arn``: an applicable Deny wins, else
    an Allow is needed (the request context of a delivery: over TLS)."""
    allowed = False
    for statement in _as_list(policy.get("Statement")):
        if not _delivers(statement, region) or not _conditions_hold(statement.get("Condition"), REQUEST_CONTEXT):
            continue
        actions = _as_list(statement.get("Action"))
        if not any(fnmatch.fnmatchcase("s3:PutObject", a) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(object_arn, r) for r in _as_list(statement.get("Resource"))):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def access_log_bucket_validation() -> None:
    """ModifyLoadBalancerAttributes that leaves ``access_logs.s3.enabled`` true checks the bucket as ELB does: a
    bucket that does not exist is refused (InvalidConfigurationRequest "The specified bucket does not exist"), and
    so is a bucket whose policy does not let the Region's log-delivery principal (the Region's ELB account, or
    ``logdelivery.elasticloadbalancing.amazonaws.com`` in the Regions available since August 2022) put objects
    under ``<prefix>/AWSLogs/<account id>/`` (InvalidConfigurationRequest "Access Denied for bucket: <bucket>.
    Please check S3bucket permission"). Accepted, ELB writes its test object ``ELBAccessLogTestFile`` there, so
    the bucket is no longer empty (ALB User Guide, enable access logs).

    moto stored any bucket name, existing or not, with any policy or none: a load balancer whose access logs AWS
    refuses converged on the emulator.
    """

    def check(response: ELBV2Response) -> None:
        requested = _attribute_values(response)
        if not any(key.startswith("access_logs.s3.") for key in requested):
            return
        balancer = response.elbv2_backend.load_balancers.get(response._get_param("LoadBalancerArn"))
        if balancer is None:
            return  # moto's own LoadBalancerNotFound answers it
        attributes = {**balancer.attrs, **requested}
        if str(attributes.get("access_logs.s3.enabled", "false")).lower() != "true":
            return
        name = attributes.get("access_logs.s3.bucket") or ""
        account = response.current_account
        s3 = s3_backends[account][get_partition(response.region)]
        bucket = s3.buckets.get(name)
        if bucket is None:
            raise ELBClientError("InvalidConfigurationRequest", "The specified bucket does not exist")
        prefix = attributes.get("access_logs.s3.prefix") or ""
        key = "/".join(part for part in (prefix, "AWSLogs", account, ACCESS_LOG_TEST_FILE) if part)
        policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
        if not policy or not _allows_delivery(json.loads(policy), response.region, f"arn:aws:s3:::{name}/{key}"):
            raise ELBClientError(
                "InvalidConfigurationRequest", f"Access Denied for bucket: {name}. Please check S3bucket permission"
            )
        s3.put_object(name, key, b"Enable AccessLog for ELB: test file")

    check_before(ELBV2Response, "modify_load_balancer_attributes", check)
