"""EC2 fidelity patches."""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import flow_logs as flow_logs_models
from moto.ec2.models import nat_gateways
from moto.ec2.models.subnets import SubnetBackend
from moto.ec2.models.vpcs import VPCBackend
from moto.ec2.responses.flow_logs import FlowLogs
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.responses.security_groups import SecurityGroups
from moto.ec2.responses.subnets import Subnets
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE
from moto.ec2.utils import tag_filter_matches

from emulator import latency
from emulator.fidelity._limits import as_int
from emulator.fidelity._limits import check_before

# Resource-id prefix -> the resource type AWS reports in DescribeTags, where moto's name differs.
AWS_TAG_RESOURCE_TYPES = {
    "nat": "natgateway",
    "eipalloc": "elastic-ip",
    "h": "dedicated-host",
    "sir": "spot-instances-request",
    "fl": "vpc-flow-log",
}

_nat_private_ip = threading.local()


def describe_tags_resource_types() -> None:
    """DescribeTags uses AWS's resource-type names: ``natgateway``, ``elastic-ip``, ``dedicated-host``,
    ``spot-instances-request`` and ``vpc-flow-log``, both in the ``resource-type`` filter and in the
    ``ResourceType`` of each returned tag.

    moto derives the type from the id prefix via ``EC2_PREFIX_TO_RESOURCE`` and names these ``nat-gateway``,
    ``vpc-elastic-ip``, ``dedicated_host``, ``spot-instance-request`` and ``flow-logs``, so e.g. amazon.aws's
    ec2_vpc_nat_gateway (which filters by ``resource-type=natgateway``) never sees existing tags and re-tags on
    every run. ``moto.ec2.models.tags`` imports the dict by name, so it is updated in place.
    """
    EC2_PREFIX_TO_RESOURCE.update(AWS_TAG_RESOURCE_TYPES)


def _allocated_nat_private_ip(cidr: str | None = None, ipv6: bool = False) -> str:
    """Stand-in for ``random_private_ip`` inside ``NatGateway.__init__``: the address allocated for it."""
    return _nat_private_ip.address


def nat_gateway_private_ip_in_subnet() -> None:
    """A NAT gateway's private IP is a free address of its own subnet (AWS skips the subnet's first four and
    last addresses), the same one on its network interface and in ``NatGatewayAddresses[].PrivateIp``.

    moto calls ``random_private_ip()`` without a CIDR and hands out a random ``10.x.y.z``, usually outside the
    subnet and even the VPC. Here the address comes from the subnet's own allocator (the one EC2 instances use,
    so the two never collide); ``NatGateway.__init__`` is wrapped to allocate it and a thread-local hands it to
    the constructor's ``random_private_ip()`` call (the server is threaded).
    """
    original_init = nat_gateways.NatGateway.__init__

    @functools.wraps(original_init)
    def __init__(self: nat_gateways.NatGateway, backend: Any, subnet_id: str, *args: Any, **kwargs: Any) -> None:
        subnet = backend.get_subnet(subnet_id)
        _nat_private_ip.address = subnet.get_available_subnet_ip(self)
        try:
            original_init(self, backend, subnet_id, *args, **kwargs)
        except Exception:
            subnet.del_subnet_ip(_nat_private_ip.address)
            raise
        finally:
            del _nat_private_ip.address

    nat_gateways.NatGateway.__init__ = __init__  # type: ignore[method-assign]
    nat_gateways.random_private_ip = _allocated_nat_private_ip


_TAG_FILTER_PREFIXES = ("tag:", "tag-key", "tag-value")


def nat_gateway_tag_filters() -> None:
    """DescribeNatGateways honours the ``tag:<key>``, ``tag-key`` and ``tag-value`` filters, as AWS does.

    moto applies only ``nat-gateway-id``, ``vpc-id``, ``subnet-id`` and ``state`` and silently ignores every
    other filter, so a lookup by ``tag:Name`` returns every NAT gateway of the region: a client that finds its
    gateway by name (ours, and the ``tag:`` lookups of amazon.aws) sees strangers as its own.
    """
    backend_cls = nat_gateways.NatGatewayBackend
    original = backend_cls.describe_nat_gateways

    @functools.wraps(original)
    def describe_nat_gateways(self: Any, filters: Any, nat_gateway_ids: Any) -> Any:
        filters = dict(filters or {})
        tag_filters = {k: v for k, v in filters.items() if k.startswith(_TAG_FILTER_PREFIXES)}
        for key in tag_filters:
            filters.pop(key)
        found = original(self, filters or None, nat_gateway_ids)
        for name, values in tag_filters.items():
            found = [gw for gw in found if tag_filter_matches(gw, name, values)]
        return found

    backend_cls.describe_nat_gateways = describe_nat_gateways  # type: ignore[method-assign]


class IdempotentParameterMismatch(EC2ClientError):
    code = "IdempotentParameterMismatch"


_IGNORED_FOR_IDEMPOTENCY = {"Action", "Version", "ClientToken"}


def _idempotent(response_cls: Any, action: str) -> None:
    """Wrap ``response_cls.<action>`` so a repeated ClientToken returns the first call's result.

    Tokens are remembered on the region's EC2 backend, so a moto reset forgets them with everything else.
    """
    original = getattr(response_cls, action)
    lock = threading.Lock()

    @functools.wraps(original)
    def handler(self: Any) -> Any:
        token = self._get_param("ClientToken")
        if not token:
            return original(self)
        request = sorted((k, tuple(v)) for k, v in self.querystring.items() if k not in _IGNORED_FOR_IDEMPOTENCY)
        with lock:
            seen = self.ec2_backend.__dict__.setdefault("_payments_client_tokens", {})
            if (action, token) in seen:
                first_request, first_result = seen[(action, token)]
                if first_request != request:
                    raise IdempotentParameterMismatch(
                        f"Client token {token} was already used with different parameters."
                    )
                return first_result
            result = original(self)
            seen[(action, token)] = (request, result)
            return result

    setattr(response_cls, action, handler)


def client_token_idempotency() -> None:
    """CreateNatGateway and CreateFlowLogs are idempotent on ClientToken: repeating a call with the same token
    and the same parameters returns the resource the first call made instead of making another, and the same
    token with other parameters fails with ``IdempotentParameterMismatch``.

    moto ignores ClientToken, so a client that retries a create after a lost answer (or a run killed after the
    call reached AWS) gets a second NAT gateway or flow log from moto, and none from AWS.
    """
    _idempotent(NatGateways, "create_nat_gateway")
    _idempotent(FlowLogs, "create_flow_logs")


def _log_group_name_from_arn(arn: str) -> str:
    # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
    name = arn.split(":log-group:", 1)[1]
    return name[:-2] if name.endswith(":*") else name


def flow_log_destination_both_ways() -> None:
    """A CloudWatch Logs flow log reports both ``LogGroupName`` and ``LogDestination`` (the log group's ARN),
    whichever of the two the create call named, and the log group is checked (and duplicates detected) by
    that one log group either way.

    moto keeps only what was sent: a flow log created with ``LogDestination`` has no ``LogGroupName``, reports
    delivery ``FAILED`` ("Access error") because it looks the log group up by the missing name, and the same
    log group given once by name and once by ARN counts as two destinations.
    """
    backend_cls = flow_logs_models.FlowLogsBackend
    original = backend_cls.create_flow_logs

    @functools.wraps(original)
    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        destination_type = kwargs.get("log_destination_type") or "cloud-watch-logs"
        if destination_type == "cloud-watch-logs":
            destination, name = kwargs.get("log_destination"), kwargs.get("log_group_name")
            if destination and ":log-group:" in destination:
                kwargs["log_destination"] = destination.removesuffix(":*")
                kwargs["log_group_name"] = name or _log_group_name_from_arn(destination)
            elif name and not destination:
                kwargs["log_destination"] = (
                    f"arn:{self.partition}:logs:{self.region_name}:{self.account_id}:log-group:{name}"
                )
        return original(self, *args, **kwargs)

    backend_cls.create_flow_logs = create_flow_logs  # type: ignore[method-assign]


# ---- Limits ---------------------------------------------------------------------------------------------------------
SECURITY_GROUP_NAME_MAX = 255
_SECURITY_GROUP_NAME_CHARACTERS = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$")
PORT_RANGE = (0, 65535)
_PORT_PROTOCOLS = ("tcp", "udp", "6", "17")


def _security_group_name_problem(name: str) -> str | None:
    if not name:
        return "The request must contain the parameter groupName"
    if len(name) > SECURITY_GROUP_NAME_MAX:
        return f"Value ({name}) for parameter groupName is invalid. Length exceeds maximum of {SECURITY_GROUP_NAME_MAX}"
    if name.lower().startswith("sg-"):
        return f"Value ({name}) for parameter groupName is invalid. Group names may not be in the format sg-*."
    if not _SECURITY_GROUP_NAME_CHARACTERS.match(name):
        return f"Value ({name}) for parameter groupName is invalid. Character sets beyond ASCII are not supported."
    return None


def security_group_name_rules() -> None:
    """CreateSecurityGroup refuses a GroupName AWS refuses (InvalidParameterValue, HTTP 400; an empty name:
    MissingParameter). EC2 API reference, CreateSecurityGroup GroupName: "Constraints: Up to 255 characters in length.
    Can't start with sg-. Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*".

    moto created groups with a 256-character name, the empty name and ``sg-...`` names.
    """

    def check(response: SecurityGroups) -> None:
        name = str(response._get_param("GroupName") or "")
        problem = _security_group_name_problem(name)
        if problem:
            raise EC2ClientError("MissingParameter" if not name else "InvalidParameterValue", problem)

    check_before(SecurityGroups, "create_security_group", check)


def _port_range_problem(permission: dict[str, Any]) -> str | None:
    if str(permission.get("IpProtocol", "")).lower() not in _PORT_PROTOCOLS:
        return None
    low, high = PORT_RANGE
    from_port, to_port = as_int(permission.get("FromPort")), as_int(permission.get("ToPort"))
    if from_port is None or to_port is None:
        return None
    if not low <= from_port <= high or not low <= to_port <= high or from_port > to_port:
        return (
            f"Invalid TCP/UDP port range {from_port}-{to_port}: FromPort and ToPort must be from {low} to {high}, "
            "FromPort not above ToPort"
        )
    return None


def security_group_rule_port_ranges() -> None:
    """AuthorizeSecurityGroupIngress and AuthorizeSecurityGroupEgress refuse a TCP or UDP rule whose ports are not
    a range of ports 0-65535 (InvalidParameterValue, HTTP 400). EC2 API reference, IpPermission FromPort: "If the
    protocol is TCP or UDP, this is the start of the port range"; ToPort "the end of the port range" (TCP and UDP
    ports are 0-65535; -1 is for ICMP types only).

    moto stored tcp -1..80, 80..65536 and the reversed range 80..70. (A malformed CidrIp, e.g. ``10.0.0.1/33``, moto
    already refuses.)
    """

    def check(response: SecurityGroups) -> None:
        params = response._get_params()
        permissions = list(params.get("IpPermissions") or [])
        if "IpPermissions" not in params:
            permissions.append(params)
        for permission in permissions:
            problem = _port_range_problem(permission)
            if problem:
                raise EC2ClientError("InvalidParameterValue", problem)

    check_before(SecurityGroups, "authorize_security_group_ingress", check)
    check_before(SecurityGroups, "authorize_security_group_egress", check)


SUBNET_PREFIX_RANGE = (16, 28)


def subnet_prefix_range() -> None:
    """CreateSubnet refuses an IPv4 block whose prefix is not /16 to /28 (``InvalidSubnet.Range: The CIDR
    '10.0.0.0/29' is invalid.``, HTTP 400). VPC User Guide, subnet sizing: "The allowed block size is between a /28
    netmask and /16 netmask." (the same range as a VPC's, which moto checks for CreateVpc).

    moto refused a block larger than /16 only: it created /29 to /32 subnets.
    """

    def check(response: Subnets) -> None:
        cidr = response._get_param("CidrBlock")
        try:
            network = ipaddress.IPv4Network(str(cidr), strict=False) if cidr else None
        except ValueError:
            return  # not a block at all: moto's own InvalidParameterValue
        low, high = SUBNET_PREFIX_RANGE
        if network is not None and not low <= network.prefixlen <= high:
            raise EC2ClientError("InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")

    check_before(Subnets, "create_subnet", check)


def _canonical_cidr(cidr: Any) -> Any:
    if not isinstance(cidr, str) or "/" not in cidr:
        return cidr
    try:
        return str(ipaddress.IPv4Network(cidr, strict=False))
    except ValueError:
        return cidr  # not an IPv4 block: moto's own checks answer it


def cidr_blocks_canonical() -> None:
    """CreateVpc and CreateSubnet store an IPv4 block with host bits set in its canonical form. EC2 API reference,
    CreateVpc/CreateSubnet CidrBlock: "We modify the specified CIDR block to its canonical form; for example, if you
    specify 100.68.0.18/18, we modify it to 100.68.0.0/18."

    moto kept ``100.68.0.18/18`` as given, so a client comparing the block it asked for with the one AWS reports saw
    no difference on moto and a change on AWS.
    """
    original_vpc = VPCBackend.create_vpc
    original_subnet = SubnetBackend.create_subnet

    @functools.wraps(original_vpc)
    def create_vpc(self: VPCBackend, cidr_block: str, *args: Any, **kwargs: Any) -> Any:
        return original_vpc(self, _canonical_cidr(cidr_block), *args, **kwargs)

    @functools.wraps(original_subnet)
    def create_subnet(self: SubnetBackend, vpc_id: str, cidr_block: str, *args: Any, **kwargs: Any) -> Any:
        return original_subnet(self, vpc_id, _canonical_cidr(cidr_block), *args, **kwargs)

    VPCBackend.create_vpc = create_vpc  # type: ignore[method-assign]
    SubnetBackend.create_subnet = create_subnet  # type: ignore[method-assign]


def nat_gateway_latency() -> None:
    """With the latency profile on (:mod:`emulator.latency`), a new NAT gateway is ``pending`` for its scaled creation
    time, then ``available``, as AWS answers CreateNatGateway and DescribeNatGateways (the ``state`` filter sees the
    same state).

    moto makes every NAT gateway ``available`` at once. Off (the default): unchanged.
    """
    original_init = nat_gateways.NatGateway.__init__
    original_describe = nat_gateways.NatGatewayBackend.describe_nat_gateways

    @functools.wraps(original_init)
    def __init__(self: nat_gateways.NatGateway, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if latency.mark(self, "nat_gateway"):
            self.state = "pending"

    @functools.wraps(original_describe)
    def describe_nat_gateways(self: nat_gateways.NatGatewayBackend, *args: Any, **kwargs: Any) -> Any:
        for gateway in list(self.nat_gateways.values()):
            if gateway.state == "pending" and not latency.pending(gateway):
                gateway.state = "available"
        return original_describe(self, *args, **kwargs)

    nat_gateways.NatGateway.__init__ = __init__  # type: ignore[method-assign]
    nat_gateways.NatGatewayBackend.describe_nat_gateways = describe_nat_gateways  # type: ignore[method-assign]
