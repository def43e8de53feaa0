# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connectivity invariants of an environment, checked by the posture role (playbooks/verify.yml)."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

ANYWHERE = "0.0.0.0/0"


def _row(rule, resource, ok, found, expected):
    return {"rule": rule, "resource": resource, "ok": bool(ok), "found": str(found), "expected": expected}


def _tags(resource):
    tags = resource.get("tags") or {}
    if isinstance(tags, list):  # boto3's [{Key, Value}]
        tags = {t.get("Key"): t.get("Value") for t in tags}
    return tags


def _default_route(table):
    for route in table.get("routes") or []:
        if route.get("destination_cidr_block") == ANYWHERE and route.get("state", "active") == "active":
            return route.get("gateway_id") or route.get("nat_gateway_id") or route.get("network_interface_id") or "?"
    return None


def _ingress_from(group, port, source_group_id=None, cidr=ANYWHERE):
    """True when ``group`` lets ``port`` in from ``source_group_id`` (or, when None, from ``cidr``)."""
    for perm in group.get("ip_permissions") or []:
        low, high = perm.get("from_port"), perm.get("to_port")
        if perm.get("ip_protocol") not in ("tcp", "-1") or low is None or not low <= port <= high:
            continue
        if source_group_id is None:
            if any(r.get("cidr_ip") == cidr for r in perm.get("ip_ranges") or []):
                return True
        elif any(p.get("group_id") == source_group_id for p in perm.get("user_id_group_pairs") or []):
            return True
    return False


def routing_checks(subnets, route_tables, nat_gateways, internet_gateways, private_egress=True):
    """Every subnet of the environment associated with a route table of its tier and that tier's default route.

    subnets / route_tables / nat_gateways / internet_gateways: what the amazon.aws *_info modules return for the
    VPC (snake_case). Public subnets route 0.0.0.0/0 to an internet gateway attached to the VPC, private ones to
    an available NAT gateway (none with ``private_egress`` false: no default route), database ones nowhere.
    """
    if not isinstance(subnets, list) or not isinstance(route_tables, list):
        raise AnsibleFilterError("routing_checks: subnets and route_tables must be the lists the *_info modules return")
    table_of = {}
    for table in route_tables:
        for assoc in table.get("associations") or []:
            if assoc.get("subnet_id") and assoc.get("association_state", {}).get("state", "associated") == "associated":
                table_of[assoc["subnet_id"]] = table
    attached = {g["internet_gateway_id"] for g in internet_gateways or [] if g.get("attachments")}
    available_nats = {n["nat_gateway_id"] for n in nat_gateways or [] if n.get("state") == "available"}
    rows = []
    tiers = {"public", "private", "database"}
    for subnet in sorted(subnets, key=lambda s: _tags(s).get("Name", s.get("id", ""))):
        tier = _tags(subnet).get("Tier")
        if tier not in tiers:
            continue
        sid = subnet.get("id") or subnet.get("subnet_id")
        where = f"subnet {_tags(subnet).get('Name', sid)} ({tier})"
        table = table_of.get(sid)
        if table is None:
            rows.append(
                _row(
                    "subnet-routing",
                    where,
                    False,
                    "no route table of its own (the VPC's main table)",
                    f"associated with a {tier} route table",
                )
            )
            continue
        table_name = _tags(table).get("Name", table.get("id") or table.get("route_table_id"))
        target = _default_route(table)
        if tier == "public":
            ok, expected = target in attached, "0.0.0.0/0 to an internet gateway attached to the VPC"
        elif tier == "private" and private_egress:
            ok, expected = target in available_nats, "0.0.0.0/0 to an available NAT gateway"
        else:
            ok, expected = target is None, "no route out of the VPC"
        rows.append(_row("subnet-routing", where, ok, f"{table_name}: 0.0.0.0/0 -> {target or 'none'}", expected))
    if not rows:
        rows.append(_row("subnet-routing", "VPC", False, "no subnet tagged with a Tier", "public, private, database"))
    return rows


def security_group_chain_checks(
    groups, names, app_port, db_port, service_group_ids, db_group_ids, ingress_cidrs=(ANYWHERE,)
):
    """The chain internet -> load balancer (443) -> tasks (app port) -> database (db port), group by group.

    groups: the security groups of the VPC (amazon.aws.ec2_security_group_info); names: {alb, app, db} group names;
    service_group_ids / db_group_ids: the groups the ECS service and the DB instance actually use; ingress_cidrs:
    where clients reach the load balancer from (the internet by default).
    """
    by_name = {g.get("group_name"): g for g in groups or []}
    missing = [names[k] for k in ("alb", "app", "db") if names[k] not in by_name]
    if missing:
        return [_row("security-group-chain", "security groups", False, f"missing: {missing}", "alb, app and db groups")]
    alb, app, db = (by_name[names[k]] for k in ("alb", "app", "db"))
    return [
        _row(
            "security-group-chain",
            f"sg {names['alb']}",
            all(_ingress_from(alb, 443, cidr=cidr) for cidr in ingress_cidrs),
            "443 open to " + (", ".join(c for c in ingress_cidrs if _ingress_from(alb, 443, cidr=c)) or "none of them"),
            f"443 from {', '.join(ingress_cidrs)}",
        ),
        _row(
            "security-group-chain",
            f"sg {names['app']}",
            _ingress_from(app, int(app_port), alb["group_id"]),
            f"{app_port} from {names['alb']}: {_ingress_from(app, int(app_port), alb['group_id'])}",
            f"{app_port} from the load balancer's group",
        ),
        _row(
            "security-group-chain",
            f"sg {names['db']}",
            _ingress_from(db, int(db_port), app["group_id"]),
            f"{db_port} from {names['app']}: {_ingress_from(db, int(db_port), app['group_id'])}",
            f"{db_port} from the tasks' group",
        ),
        _row(
            "security-group-chain",
            "ECS service",
            app["group_id"] in (service_group_ids or []),
            f"groups {service_group_ids}",
            f"uses {names['app']} ({app['group_id']})",
        ),
        _row(
            "security-group-chain",
            "DB instance",
            db["group_id"] in (db_group_ids or []),
            f"groups {db_group_ids}",
            f"uses {names['db']} ({db['group_id']})",
        ),
    ]


def _in_any(address, cidrs):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in cidr for cidr in cidrs)


def service_targets_checks(services, target_groups, subnets, container_port, name="service"):
    """The service's tasks registered in its target group: as many healthy targets as it runs, in its private subnets.

    services: the live ECS service (community.aws.ecs_service_info ``services``, INACTIVE ones left out; camelCase);
    target_groups: its target groups with their targets (community.aws.elb_target_group_info with
    collect_targets_health); subnets: the subnets of the VPC (amazon.aws.ec2_vpc_subnet_info); container_port: the
    port the tasks listen on; name: ``<cluster>/<service>``, to name the service when it is missing. One row per
    target group of the service: healthy targets as many as the service's running count (at least 1), every target
    in one of the service's subnets tagged Tier private, on ``container_port``.
    """
    where = f"ecs service {name}"
    live = [s for s in services or [] if s.get("status") != "INACTIVE"]
    if not live:
        expected = f"the service, its tasks healthy targets of its target group on port {container_port}"
        return [_row("service-targets", where, False, "no such service", expected)]
    service = live[0]
    arns = [lb["targetGroupArn"] for lb in service.get("loadBalancers") or [] if lb.get("targetGroupArn")]
    if not arns:
        expected = f"a target group in its loadBalancers, its tasks healthy targets of it on port {container_port}"
        return [_row("service-targets", where, False, "no target group in its loadBalancers", expected)]
    running = int(service.get("runningCount") or 0)
    own = set(((service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}).get("subnets") or [])
    private = [
        s for s in subnets or [] if (s.get("id") or s.get("subnet_id")) in own and _tags(s).get("Tier") == "private"
    ]
    cidrs = [ipaddress.ip_network(s["cidr_block"]) for s in private if s.get("cidr_block")]
    subnet_names = sorted(_tags(s).get("Name", s.get("id") or s.get("subnet_id")) for s in private)
    by_arn = {g.get("target_group_arn"): g for g in target_groups or []}
    expected = (
        f"{max(running, 1)} healthy target(s) (the service's running count, at least 1), each in a private subnet of "
        f"the service {subnet_names} on port {container_port}"
    )
    rows = []
    for arn in arns:
        group = by_arn.get(arn)
        if group is None:
            rows.append(_row("service-targets", f"target group {arn}", False, "no such target group", expected))
            continue
        resource = f"target group {group.get('target_group_name', arn)} ({where})"
        described, healthy, misplaced = [], 0, []
        for description in group.get("targets_health_description") or []:
            target = description.get("target") or {}
            health = description.get("target_health") or {}
            state = health.get("state", "unknown")
            text = f"{target.get('id')}:{target.get('port')} {state}"
            if health.get("reason"):
                text += f" ({health['reason']})"
            described.append(text)
            healthy += state == "healthy"
            if not _in_any(target.get("id"), cidrs) or target.get("port") != int(container_port):
                misplaced.append(f"{target.get('id')}:{target.get('port')}")
        ok = running >= 1 and healthy == running and not misplaced
        found = f"{healthy} healthy of {len(described)} target(s) {described}; the service runs {running} task(s)"
        if misplaced:
            found += f"; outside its private subnets or not on port {container_port}: {misplaced}"
        rows.append(_row("service-targets", resource, ok, found, expected))
    return rows


class FilterModule:
    def filters(self):
        return {
            "routing_checks": routing_checks,
            "security_group_chain_checks": security_group_chain_checks,
            "service_targets_checks": service_targets_checks,
        }
