# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address planning and day-2 convergence filters, standard library only (no netaddr needed)."""

import ipaddress
import re

from ansible.errors import AnsibleFilterError

# Each filter is documented in its own file next to this one (cidr_subnet.yml, route_table_plan.yml,
# surplus_nat_names.yml), as ansible-doc reads a file of several filters.


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


def route_table_plan(found, wanted, ours):
    """How the route tables of a VPC converge to ``wanted``, each table found by its Name tag.

    found: ``amazon.aws.ec2_vpc_route_table_info`` route tables of the VPC.
    wanted: ``[{name, subnets, ...}]``, one entry per table that should exist (other keys kept).
    ours: regular expression matching the Name of every route table this role makes.

    Returns ``tables`` (each wanted entry plus ``id``, the table to converge by id or '' to create,
    and ``subnets_now``, its subnets that are free or already its own: a subnet still associated
    with another table is only associated in the second pass, after that table let it go),
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
        plan.append(dict(entry, id=table_id, subnets_now=now))
    summary = [f"route table {t['name']} is created" for t in plan if not t["id"]]
    summary += [f"subnet {m['subnet']} moves from route table {m['from']} to {m['to']}" for m in moves]
    summary += [f"route table {t['name']} ({t['id']}) is deleted" for t in surplus]
    return {"tables": plan, "surplus": surplus, "moves": moves, "summary": summary}


def surplus_nat_names(nat_gateways, addresses, wanted, ours):
    """Names of NAT gateways of ours to delete (with their Elastic IPs): every NAT gateway, and every
    Elastic IP named ``<nat name>-eip`` (one a killed run left after its NAT gateway was deleted),
    whose name matches ``ours`` and is not in ``wanted``. Sorted, each once."""
    pattern = re.compile(ours)
    names = {_name(gw) or "" for gw in nat_gateways}
    names |= {re.sub(r"-eip$", "", _name(a) or "") for a in addresses if (_name(a) or "").endswith("-eip")}
    return sorted(n for n in names if n and pattern.match(n) and n not in set(wanted))


class FilterModule:
    def filters(self):
        return {
            "cidr_subnet": cidr_subnet,
            "route_table_plan": route_table_plan,
            "surplus_nat_names": surplus_nat_names,
        }
