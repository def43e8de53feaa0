"""ELBv2 fidelity patches: Application Load Balancer and target group attributes, listeners, deletion protection."""

from __future__ import annotations

import functools
from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend
from moto.elbv2.models import FakeAction
from moto.elbv2.models import FakeListener
from moto.elbv2.models import FakeLoadBalancer
from moto.elbv2.models import FakeTargetGroup

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
