# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address planning and day-2 convergence filters: the standard library (no netaddr needed), and amazon.aws's tag
comparison where a filter says what a stock module would change."""

import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.payments.infra.plugins.module_utils.names import resource_name

# Each filter is documented in its own file next to this one (cidr_subnet.yml, route_table_plan.yml,
# nat_gateway_plan.yml, ...), as ansible-doc reads a file of several filters.

TIERS = ("public", "private", "database")

# What each network_nat_gateway_strategy means, written once: which of the AZs (in order) get a NAT
# gateway, and whether each AZ's private subnet gets a route table of its own through its AZ's NAT
# gateway (else one table for every private subnet, through the first NAT gateway if there is one).
NAT_STRATEGIES = {
    "single": {"nat_azs": lambda azs: azs[:1], "table_per_az": False},
    "one_per_az": {"nat_azs": lambda azs: azs, "table_per_az": True},
    "none": {"nat_azs": lambda azs: [], "table_per_az": False},
}


def cidr_subnet(prefix, newbits, netnum):
    try:
        network = ipaddress.ip_network(str(prefix), strict=True)
    except ValueError as e:
        raise AnsibleFilterError(f"cidr_subnet: {prefix!r} is not a network in CIDR notation: {e}") from e
    newbits, netnum = int(newbits), int(netnum)
    new_prefix = network.prefixlen + newbits
    if newbits < 0 or new_prefix > network.max_prefixlen:
        raise AnsibleFilterError(f"cidr_subnet: cannot add {newbits} bits to /{network.prefixlen}")
    count = 2**newbits
    if not 0 <= netnum < count:
        raise AnsibleFilterError(
            f"cidr_subnet: netnum {netnum} is outside 0..{count - 1} for {prefix} + {newbits} bits"
        )
    size = 2 ** (network.max_prefixlen - new_prefix)
    first = int(network.network_address) + netnum * size
    return str(ipaddress.ip_network((first, new_prefix)))


def _name(resource):
    return (resource.get("tags") or {}).get("Name")


def _routes_match(table, routes):
    """Whether stock ec2_vpc_route_table (purge_routes) would leave the table's routes as they are: the routes it
    made (origin CreateRoute, an IPv4 destination) are exactly ``routes``, each to the same target."""
    made = sorted(
        (r["destination_cidr_block"], r.get("gateway_id") or r.get("nat_gateway_id"))
        for r in table.get("routes") or []
        if r.get("origin") == "CreateRoute" and r.get("destination_cidr_block")
    )
    return made == sorted((r["dest"], r.get("gateway_id") or r.get("nat_gateway_id")) for r in routes)


def _table_converged(table, entry, subnets_now, tags):
    """Whether converging the live ``table`` to ``entry`` (routes, subnets, tags with Name, purged) changes nothing."""
    associated = sorted(a["subnet_id"] for a in table.get("associations") or [] if a.get("subnet_id"))
    return (
        tags is not None
        and subnets_now == list(entry["subnets"])
        and associated == sorted(entry["subnets"])
        and (table.get("tags") or {}) == dict(tags, Name=entry["name"])
        and _routes_match(table, entry.get("routes") or [])
    )


def route_table_plan(found, wanted, ours, tags=None):
    """How the route tables of a VPC converge to ``wanted``, each table found by its Name tag.

    found: ``amazon.aws.ec2_vpc_route_table_info`` route tables of the VPC.
    wanted: ``[{name, subnets, ...}]``, one entry per table that should exist (other keys kept).
    ours: regular expression matching the Name of every route table this role makes.

    tags: the tags of every table besides Name; given, each table says whether it is ``converged``.

    Returns ``tables`` (each wanted entry plus ``id``, the table to converge by id or '' to create,
    ``subnets_now``, its subnets that are free or already its own: a subnet still associated
    with another table is only associated in the second pass, after that table let it go, and
    ``converged``: the live table already has its routes, exactly its subnets and its tags),
    ``surplus`` (tables of ours not wanted, and duplicates of a wanted name: deleted) and ``moves``
    (subnets that change table), and ``summary``, the same in words. The VPC's main table is never ours.
    """
    pattern = re.compile(ours)
    tables = [t for t in found if not any(a.get("main") for a in t.get("associations") or [])]

    def subnets_of(table):
        return [a["subnet_id"] for a in table.get("associations") or [] if a.get("subnet_id")]

    owner = {}
    for table in tables:
        for subnet in subnets_of(table):
            owner[subnet] = table
    wanted_names = [w["name"] for w in wanted]
    if len(set(wanted_names)) != len(wanted_names):
        raise AnsibleFilterError(f"route_table_plan: wanted route table names repeat: {wanted_names}")

    kept, plan, surplus, moves = {}, [], [], []
    for entry in wanted:
        named = [t for t in tables if _name(t) == entry["name"]]
        # Duplicates (left by an older tool): keep the one holding the most subnets, then the lowest id.
        named.sort(key=lambda t: (-len(subnets_of(t)), t["route_table_id"]))
        if named:
            kept[named[0]["route_table_id"]] = entry["name"]
    for table in tables:
        name = _name(table) or ""
        if table["route_table_id"] not in kept and pattern.match(name):
            surplus.append({"id": table["route_table_id"], "name": name, "subnets": subnets_of(table)})
    for entry in wanted:
        table_id = next((i for i, n in kept.items() if n == entry["name"]), "")
        now = []
        for subnet in entry["subnets"]:
            holder = owner.get(subnet)
            if holder is None or holder["route_table_id"] == table_id:
                now.append(subnet)
                continue
            moves.append({"subnet": subnet, "from": _name(holder) or holder["route_table_id"], "to": entry["name"]})
        live = next((t for t in tables if t["route_table_id"] == table_id), None)
        converged = live is not None and _table_converged(live, entry, now, tags)
        plan.append(dict(entry, id=table_id, subnets_now=now, converged=converged))
    summary = [f"route table {t['name']} is created" for t in plan if not t["id"]]
    summary += [f"subnet {m['subnet']} moves from route table {m['from']} to {m['to']}" for m in moves]
    summary += [f"route table {t['name']} ({t['id']}) is deleted" for t in surplus]
    return {"tables": plan, "surplus": surplus, "moves": moves, "summary": summary}


LIVE_NAT_STATES = ("pending", "available")


def _nat_address(gateway):
    return (gateway.get("nat_gateway_addresses") or [{}])[0]


def _oldest_available_first(resources):
    return sorted(
        resources, key=lambda r: (r.get("state", "available") != "available", str(r.get("create_time") or ""))
    )


def _zone_nat(live, name, subnet_id, az):
    """The NAT gateway of a zone: ours by name in its subnet (one elsewhere is refused), else an untagged one there."""
    named = [gw for gw in live if _name(gw) == name]
    strangers = [gw["nat_gateway_id"] for gw in named if gw.get("subnet_id") != subnet_id]
    if strangers:
        raise AnsibleFilterError(
            f"nat_gateway_plan: NAT gateway {strangers[0]} named {name!r} is not in the public subnet "
            f"{subnet_id} of {az}. A NAT gateway cannot move between subnets: delete it or rename it."
        )
    untagged = [gw for gw in live if gw.get("subnet_id") == subnet_id and not _name(gw)]
    return (_oldest_available_first(named) or _oldest_available_first(untagged) or [None])[0]


def _zone_eip(found, addresses, eips_by_id, in_use, eip_name):
    """The zone's Elastic IP: its NAT gateway's own, else one tagged with its name that no live NAT uses, else {}."""
    if found:
        address = _nat_address(found)
        return eips_by_id.get(address.get("allocation_id")) or {
            "allocation_id": address.get("allocation_id"),
            "public_ip": address.get("public_ip"),
        }
    tagged = [a for a in addresses if _name(a) == eip_name and a.get("allocation_id") not in in_use]
    return (sorted(tagged, key=lambda a: bool(a.get("association_id"))) or [{}])[0]


def _zone_plan(found, eip, name, subnet_id, nat_tags, eip_tags, eip_action):
    """What a check-mode run states for one zone's NAT gateway and Elastic IP."""
    before = {"tags": found.get("tags") or {}, "eip_tags": eip.get("tags") or {}} if found else {}
    resources = [f"NAT gateway {name}"] + ([f"Elastic IP {name}-eip"] if eip_action != "ok" else [])
    after = {"tags": nat_tags, "eip_tags": eip_tags}
    if not found:
        after = dict(after, subnet_id=subnet_id, public_ip=eip.get("public_ip") or "(allocated)")
    return {"action": "change" if found else "create", "resources": resources, "before": before, "after": after}


def _surplus(live, addresses, prefix, kept_nats, kept_eips, in_use):
    """The NAT gateways and Elastic IPs of ours that no zone keeps, and the plan of their deletion."""
    ours = re.compile("^" + re.escape(prefix))
    surplus_nats = [
        {"name": _name(gw), "nat_gateway_id": gw["nat_gateway_id"]}
        for gw in live
        if ours.match(_name(gw) or "") and gw["nat_gateway_id"] not in kept_nats
    ]
    # Released after the NAT gateways go: ours by name, kept by no zone, used by no live NAT gateway
    # (a surplus one releases its own), so also the one of a NAT gateway a killed run deleted.
    surplus_eips = [
        {"name": _name(a), "public_ip": a.get("public_ip"), "allocation_id": a.get("allocation_id")}
        for a in addresses
        if ours.match(_name(a) or "")
        and (_name(a) or "").endswith("-eip")
        and a.get("allocation_id") not in kept_eips | in_use
    ]
    plan = [
        {"action": "destroy", "resources": [f"NAT gateway {n['name']}", f"Elastic IP {n['name']}-eip"]}
        for n in surplus_nats
    ]
    plan += [{"action": "destroy", "resources": [f"Elastic IP {a['name']}"]} for a in surplus_eips]
    return surplus_nats, surplus_eips, plan


def nat_gateway_plan(nat_gateways, addresses, nat_azs, azs, public_subnet_ids, prefix, tags):
    """What the NAT gateways and their Elastic IPs need, from one look-up of each (before any change).

    nat_gateways: the VPC's live NAT gateways, any tags (M(amazon.aws.ec2_vpc_nat_gateway_info));
    addresses: the Elastic IPs of ours (M(amazon.aws.ec2_eip_info)). Per zone of ``nat_azs``: the NAT
    gateway named ``<prefix><az>`` in that zone's public subnet, else an untagged one there (adopted),
    else none; its Elastic IP (``<name>-eip``): the NAT gateway's own, else one tagged with that name
    (associated or not: a killed run left it), else ``allocate``. ``surplus_nats``/``surplus_eips``: those of
    ours no NAT zone keeps (a changed strategy, duplicates, an Elastic IP whose NAT gateway a killed run
    deleted); ``plan``: what a check-mode run states.
    """
    azs, tags = list(azs), dict(tags or {})
    live = [gw for gw in nat_gateways if gw.get("state", "available") in LIVE_NAT_STATES]
    in_use = {_nat_address(gw).get("allocation_id") for gw in live} - {None}
    eips_by_id = {a.get("allocation_id"): a for a in addresses}
    kept_nats, kept_eips, nats, plan = set(), set(), [], []
    for az in nat_azs:
        name, subnet_id = f"{prefix}{az}", list(public_subnet_ids)[azs.index(az)]
        eip_tags, nat_tags = dict(tags, Name=f"{name}-eip"), dict(tags, Name=name)
        found = _zone_nat(live, name, subnet_id, az)
        eip = _zone_eip(found, addresses, eips_by_id, in_use, f"{name}-eip")
        if found:
            kept_nats.add(found["nat_gateway_id"])
        kept_eips.add(eip.get("allocation_id"))
        eip_action = "allocate" if not eip else "ok" if eip.get("tags") == eip_tags else "tag"
        nats.append(
            {
                "az": az,
                "name": name,
                "subnet_id": subnet_id,
                "nat_gateway_id": (found or {}).get("nat_gateway_id"),
                "adopted": bool(found) and not _name(found),
                "allocation_id": eip.get("allocation_id"),
                "public_ip": eip.get("public_ip"),
                "eip": eip_action,
                "eip_tags": eip_tags,
                "tags": nat_tags,
                # All the stock module converges on a NAT gateway it finds is its tags: nothing to run when they match.
                "converged": bool(found)
                and found.get("state") == "available"
                and (found.get("tags") or {}) == nat_tags
                and eip_action == "ok",
            }
        )
        plan.append(_zone_plan(found, eip, name, subnet_id, nat_tags, eip_tags, eip_action))
    surplus_nats, surplus_eips, surplus_plan = _surplus(live, addresses, prefix, kept_nats, kept_eips, in_use)
    return {"nats": nats, "surplus_nats": surplus_nats, "surplus_eips": surplus_eips, "plan": plan + surplus_plan}


def _strategy(strategy):
    if strategy not in NAT_STRATEGIES:
        raise AnsibleFilterError(f"NAT gateway strategy {strategy!r} is not one of {', '.join(NAT_STRATEGIES)}")
    return NAT_STRATEGIES[strategy]


def nat_gateway_azs(azs, strategy):
    """The AZs that get a NAT gateway: single: the first, one_per_az: every one, none: no AZ."""
    return list(_strategy(strategy)["nat_azs"](list(azs)))


def subnet_plan(vpc_cidr, azs, newbits, offsets, name_prefix, environment):
    """One entry per subnet, tier by tier (public, private, database) then AZ by AZ: ``tier``, ``az``,
    ``index`` (of the AZ), ``cidr`` (``cidr_subnet(vpc_cidr, newbits, offsets[tier] + index)``) and
    ``name`` (``<prefix>-<tier>-<env>-<az>``)."""
    missing = [tier for tier in TIERS if tier not in offsets]
    if missing:
        raise AnsibleFilterError(f"subnet_plan: offsets has no {', '.join(missing)} (wanted one per tier of {TIERS})")
    return [
        {
            "tier": tier,
            "az": az,
            "index": index,
            "cidr": cidr_subnet(vpc_cidr, int(newbits), int(offsets[tier]) + index),
            "name": resource_name(name_prefix, tier, environment, az),
        }
        for tier in TIERS
        for index, az in enumerate(azs)
    ]


def subnet_cidr_changes(live_subnets, plan):
    """``"<name> <live CIDR> -> <planned CIDR>"`` for each planned subnet (in plan order) that lives under
    its name with another CIDR. Only live subnets of ours count: tagged ``Name`` and ``Tier``."""
    live = {}
    for subnet in live_subnets or []:
        tags = subnet.get("tags") or {}
        if "Tier" in tags and "Name" in tags:
            live[tags["Name"]] = subnet["cidr_block"]
    return [
        f"{p['name']} {live[p['name']]} -> {p['cidr']}"
        for p in plan
        if p["name"] in live and live[p["name"]] != p["cidr"]
    ]


# What amazon.aws.ec2_vpc_subnet converges with the options the Subnets task passes (vpc_id, cidr, az,
# map_public false, tags with purge_tags true; ipv6_cidr and assign_instances_ipv6 left at '' and false), as
# its update_subnet_attributes compares them. It finds the subnet by VPC and CIDR only, and never compares nor
# changes the AZ.
def _subnet_ipv6(subnet):
    """The IPv6 block the module sees on a subnet (its get_subnet_info): the last associated or associating
    one, else ''."""
    block = ""
    for association in subnet.get("ipv6_cidr_block_association_set") or []:
        if (association.get("ipv6_cidr_block_state") or {}).get("state") in ("associated", "associating"):
            block = association.get("ipv6_cidr_block") or ""
    return block


def _tags_after(live_tags, wanted_tags):
    """The tags a purge_tags=true converge leaves (compare_aws_tags keeps AWS's reserved aws:* tags)."""
    kept = {k: v for k, v in live_tags.items() if k.startswith("aws:")}
    return dict(kept, **{k: str(v) for k, v in wanted_tags.items()})


def _is_false(value):
    # The module compares with != False: a missing attribute (None) differs.
    return value is not None and not value


def subnet_changes(live_subnets, plan, tags):
    """The planned subnets that M(amazon.aws.ec2_vpc_subnet) would create or change, each a plan entry plus
    ``tags`` (to pass), ``action`` (create or change) and ``before``/``after`` (for the plan of check mode).

    live_subnets: the subnets of the VPC as M(amazon.aws.ec2_vpc_subnet_info) returns them.
    plan: M(subnet_plan). tags: the common tags (each subnet adds Name and Tier).
    A live subnet is the one with the planned CIDR (as the module finds it); it differs when IPv6 is associated,
    map_public_ip_on_launch or assign_ipv6_address_on_creation is not false, or its tags differ (purged).
    """
    live = {s.get("cidr_block"): s for s in live_subnets or []}
    changes = []
    for entry in plan:
        wanted_tags = dict(tags or {}, Name=entry["name"], Tier=entry["tier"])
        subnet = live.get(entry["cidr"])
        if subnet is None:
            changes.append(
                dict(
                    entry,
                    tags=wanted_tags,
                    action="create",
                    before={},
                    after={"cidr_block": entry["cidr"], "tags": wanted_tags},
                )
            )
            continue
        live_tags = subnet.get("tags") or {}
        to_set, to_unset = compare_aws_tags(live_tags, wanted_tags, purge_tags=True)
        before = {
            "map_public_ip_on_launch": subnet.get("map_public_ip_on_launch"),
            "assign_ipv6_address_on_creation": subnet.get("assign_ipv6_address_on_creation"),
            "ipv6_cidr_block": _subnet_ipv6(subnet),
            "tags": live_tags,
        }
        after = {
            "map_public_ip_on_launch": False,
            "assign_ipv6_address_on_creation": False,
            "ipv6_cidr_block": "",
            "tags": _tags_after(live_tags, wanted_tags),
        }
        if (
            to_set
            or to_unset
            or before["ipv6_cidr_block"]
            or not _is_false(before["map_public_ip_on_launch"])
            or not _is_false(before["assign_ipv6_address_on_creation"])
        ):
            changes.append(dict(entry, tags=wanted_tags, action="change", before=before, after=after))
    return changes


def subnet_ids(plan, live_subnets, results):
    """``{public, private, database}``: the subnet ids of each tier in plan order (AZ order), each from the
    Subnets task's result when it ran for that subnet (M(subnet_changes)), else from the live subnet with its
    CIDR, else ``planned:<name>`` (check mode, not created yet)."""
    ids = {s.get("cidr_block"): s.get("subnet_id") or s.get("id") for s in live_subnets or []}
    for result in results or []:
        subnet_id = (result.get("subnet") or {}).get("id")
        if subnet_id:
            ids[result["item"]["cidr"]] = subnet_id
    by_tier = {tier: [] for tier in TIERS}
    for entry in plan:
        by_tier[entry["tier"]].append(ids.get(entry["cidr"]) or f"planned:{entry['name']}")
    return by_tier


# What amazon.aws.ec2_security_group converges in the "Security groups exist" task (no rules, purge_rules and
# purge_rules_egress false): the group's existence (by name in the VPC) and its tags (purge_tags true). A
# differing description is only warned about by the module (it cannot change in place); it counts here too, so
# that warning is still given.
def security_group_changes(found_groups, names, descriptions, tags):
    """The groups the "Security groups exist" task converges: ``[{key, name, description, tags}]`` for each key of
    ``names`` whose group is missing from ``found_groups`` (M(amazon.aws.ec2_security_group_info) of the VPC) or
    whose description or tags (the common ``tags`` plus Name, purged) differ, in the order of ``names``."""
    found = {g.get("group_name"): g for g in found_groups or []}
    changes = []
    for key, name in names.items():
        wanted = {"key": key, "name": name, "description": descriptions[key], "tags": dict(tags or {}, Name=name)}
        group = found.get(name)
        if group is not None:
            to_set, to_unset = compare_aws_tags(group.get("tags") or {}, wanted["tags"], purge_tags=True)
            if not to_set and not to_unset and group.get("description") == wanted["description"]:
                continue
        changes.append(wanted)
    return changes


def security_group_ids(names, found_groups, results):
    """``{key: group id}`` for each key of ``names``: from the "Security groups exist" task's result when it ran for
    that group (M(security_group_changes)), else from the found group of that name (None in check mode for a
    group not created yet)."""
    ids = {g.get("group_name"): g.get("group_id") for g in found_groups or []}
    for result in results or []:
        if "group_id" in result:
            ids[result["item"]["name"]] = result["group_id"]
    return {key: ids.get(name) for key, name in names.items()}


# A live permission's sources, as M(amazon.aws.ec2_security_group_info) returns them: (list key, id key, kind).
_SOURCES = (
    ("ip_ranges", "cidr_ip", "cidr_ip"),
    ("ipv6_ranges", "cidr_ipv6", "cidr_ipv6"),
    ("user_id_group_pairs", "group_id", "group_id"),
    ("prefix_list_ids", "prefix_list_id", "ip_prefix"),
)
_WANTED_KEYS = {"proto", "ports", "cidr_ip", "group_id", "rule_desc"}


def _live_atoms(permissions):
    """One (protocol, from, to, kind, source, description) per source of each live permission."""
    return sorted(
        (
            str(p.get("ip_protocol")),
            p.get("from_port"),
            p.get("to_port"),
            kind,
            source.get(id_key),
            source.get("description"),
        )
        for p in permissions or []
        for list_key, id_key, kind in _SOURCES
        for source in p.get(list_key) or []
    )


def _wanted_atoms(rules):
    """The same for the rules of M(security_group_rules); None for a rule of a shape this comparison does not know
    (the group then counts as changed: the module decides)."""
    atoms = []
    for rule in rules:
        ports = rule.get("ports") or []
        if set(rule) - _WANTED_KEYS or not all(isinstance(p, int) for p in ports) or not ports:
            return None
        sources = [("group_id", rule["group_id"])] if rule.get("group_id") else []
        cidrs = rule.get("cidr_ip") or []
        sources += [("cidr_ip", c) for c in ([cidrs] if isinstance(cidrs, str) else cidrs)]
        atoms += [(str(rule["proto"]), p, p, kind, src, rule.get("rule_desc")) for p in ports for kind, src in sources]
    return sorted(atoms)


def security_group_rule_changes(rules, found_groups, names):
    """The entries of ``rules`` (M(security_group_rules)) whose group's live rules differ, as a dict of the same
    shape: the "Security group rules" task converges only those. A group is unchanged only when its ingress and
    egress, taken apart into one (protocol, ports, source, description) per source, are exactly the wanted ones
    (M(amazon.aws.ec2_security_group) with purged rules would then change nothing: a rule it would add, remove or
    re-describe, the default egress rule included, is a difference). A group not found, or a rule of a shape this
    comparison does not know, counts as changed. ``found_groups``: M(amazon.aws.ec2_security_group_info) of the VPC,
    read before the run changed any rule; ``names``: ``{key: group name}``."""
    found = {g.get("group_name"): g for g in found_groups or []}
    changes = {}
    for key, wanted in rules.items():
        group = found.get(names[key])
        if group is not None:
            ingress, egress = _wanted_atoms(wanted["ingress"]), _wanted_atoms(wanted["egress"])
            if (
                ingress is not None
                and egress is not None
                and _live_atoms(group.get("ip_permissions")) == ingress
                and _live_atoms(group.get("ip_permissions_egress")) == egress
            ):
                continue
        changes[key] = wanted
    return changes


def security_group_rules(group_ids, app_port, database_port, alb_ingress_cidrs):
    """The rules of the three groups, ``{alb|app|db: {ingress, egress}}`` as M(amazon.aws.ec2_security_group)
    takes them: internet -> alb (80, 443) -> app (app_port) -> db (database_port); app also reaches 443 anywhere.
    group_ids: ``{alb, app, db}`` group ids."""
    if not isinstance(alb_ingress_cidrs, (list, tuple)):
        raise AnsibleFilterError(f"security_group_rules: alb_ingress_cidrs must be a list, not {alb_ingress_cidrs!r}")
    app_port, database_port = int(app_port), int(database_port)

    def rule(port, desc, **source):
        return dict({"proto": "tcp", "ports": [port]}, **source, rule_desc=desc)

    cidrs = list(alb_ingress_cidrs)
    return {
        "alb": {
            "ingress": [
                rule(80, "HTTP, answered with a redirect to HTTPS", cidr_ip=cidrs),
                rule(443, "HTTPS", cidr_ip=list(cidrs)),
            ],
            "egress": [rule(app_port, "To the ECS tasks", group_id=group_ids["app"])],
        },
        "app": {
            "ingress": [rule(app_port, "From the load balancer", group_id=group_ids["alb"])],
            "egress": [
                rule(
                    443,
                    "AWS APIs (ECR, Secrets Manager, CloudWatch Logs) through the NAT gateway",
                    cidr_ip="0.0.0.0/0",
                ),
                rule(database_port, "To the database", group_id=group_ids["db"]),
            ],
        },
        "db": {
            "ingress": [rule(database_port, "From the ECS tasks", group_id=group_ids["app"])],
            "egress": [],
        },
    }


def _route_table_name(name_prefix, tier, environment, az=None):
    return resource_name(name_prefix, f"{tier}-rt", environment, az)


def route_table_names(azs, strategy, name_prefix, environment):
    """The names of the route tables M(route_tables) makes, in its order, before anything exists (the plan of
    a network still to be created)."""
    azs = list(azs)
    private = (
        [_route_table_name(name_prefix, "private", environment, az) for az in azs]
        if _strategy(strategy)["table_per_az"]
        else [_route_table_name(name_prefix, "private", environment)]
    )
    return [
        _route_table_name(name_prefix, "public", environment),
        *private,
        _route_table_name(name_prefix, "database", environment),
    ]


def _nat_id(result):
    """The NAT gateway id of a result of the NAT gateway task: the module's, else (the item skipped as converged) the
    one nat_gateway_plan found."""
    return result.get("nat_gateway_id") or (result.get("item") or {}).get("nat_gateway_id")


def nat_gateway_ids(results):
    """The NAT gateway id of each result of the NAT gateway task, in order ('' for one check mode would create)."""
    return [_nat_id(r) or "" for r in results]


def route_tables(azs, strategy, subnet_ids, igw_id, nat_gateways, name_prefix, environment):
    """Every route table of the network, ``[{name, subnets, routes}]``, for M(route_table_plan): public
    (default route to the internet gateway), private (per NAT_STRATEGIES), database (no route out).

    subnet_ids: ``{public, private, database}``, the subnet ids of each tier in AZ order.
    nat_gateways: the results of the NAT gateway task (M(amazon.aws.ec2_vpc_nat_gateway) over the ``nats`` of
    M(nat_gateway_plan): ``item.az``, ``nat_gateway_id``), one per AZ of ``nat_gateway_azs(azs, strategy)``;
    a NAT gateway without an id yet (check mode) is ``planned:<az>``, as a subnet is ``planned:<name>``. A result
    skipped as converged takes its id from its item.
    """
    azs, rule = list(azs), _strategy(strategy)
    nat_azs = nat_gateway_azs(azs, strategy)
    nat_gw_azs = [(r.get("item") or {}).get("az") for r in nat_gateways]
    if nat_gw_azs != nat_azs:
        raise AnsibleFilterError(
            f"route_tables: NAT gateways of {nat_gw_azs} but strategy {strategy} puts them in {nat_azs}"
        )
    nat_ids = {az: _nat_id(r) or f"planned:{az}" for az, r in zip(nat_gw_azs, nat_gateways, strict=True)}

    def table(tier, subnets, routes, az=None):
        return {"name": _route_table_name(name_prefix, tier, environment, az), "subnets": subnets, "routes": routes}

    def through(nat_az):
        return [{"dest": "0.0.0.0/0", "nat_gateway_id": nat_ids[nat_az]}]

    tables = [table("public", list(subnet_ids["public"]), [{"dest": "0.0.0.0/0", "gateway_id": igw_id}])]
    if rule["table_per_az"]:
        tables += [table("private", [subnet_ids["private"][i]], through(az), az) for i, az in enumerate(azs)]
    else:
        tables.append(table("private", list(subnet_ids["private"]), through(nat_azs[0]) if nat_azs else []))
    tables.append(table("database", list(subnet_ids["database"]), []))
    return tables


class FilterModule:
    def filters(self):
        return {
            "cidr_subnet": cidr_subnet,
            "nat_gateway_azs": nat_gateway_azs,
            "nat_gateway_ids": nat_gateway_ids,
            "nat_gateway_plan": nat_gateway_plan,
            "route_table_plan": route_table_plan,
            "route_table_names": route_table_names,
            "route_tables": route_tables,
            "security_group_changes": security_group_changes,
            "security_group_ids": security_group_ids,
            "security_group_rule_changes": security_group_rule_changes,
            "security_group_rules": security_group_rules,
            "subnet_changes": subnet_changes,
            "subnet_cidr_changes": subnet_cidr_changes,
            "subnet_ids": subnet_ids,
            "subnet_plan": subnet_plan,
        }
