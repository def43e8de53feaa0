"""security_group_rule_changes: the rules pass runs only for a group whose live rules differ. Generated over every
source of every wanted rule of the three groups: each drift the stock module would repair is a change."""

import copy

import pytest

from ansible_collections.payments.infra.plugins.filter.network import security_group_rule_changes
from ansible_collections.payments.infra.plugins.filter.network import security_group_rules

IDS = {"alb": "sg-alb", "app": "sg-app", "db": "sg-db"}
NAMES = {key: f"payment-{key}-sg-dev" for key in IDS}
RULES = security_group_rules(IDS, 8080, 5432, ["203.0.113.0/24", "198.51.100.0/24"])


def as_aws_stores(rules):
    """ip_permissions as ec2_security_group_info returns them: one permission per protocol and port, its sources
    grouped by kind."""
    permissions = {}
    for rule in rules:
        for port in rule["ports"]:
            perm = permissions.setdefault(
                (rule["proto"], port), {"ip_protocol": rule["proto"], "from_port": port, "to_port": port}
            )
            cidrs = rule.get("cidr_ip") or []
            for cidr in [cidrs] if isinstance(cidrs, str) else cidrs:
                perm.setdefault("ip_ranges", []).append({"cidr_ip": cidr, "description": rule["rule_desc"]})
            if rule.get("group_id"):
                perm.setdefault("user_id_group_pairs", []).append(
                    {"group_id": rule["group_id"], "user_id": "123456789012", "description": rule["rule_desc"]}
                )
    return list(permissions.values())


def live_groups():
    return [
        {
            "group_name": NAMES[key],
            "group_id": IDS[key],
            "ip_permissions": as_aws_stores(rules["ingress"]),
            "ip_permissions_egress": as_aws_stores(rules["egress"]),
        }
        for key, rules in RULES.items()
    ]


def sources():
    """(group index, direction, permission index, source list key, source index) of every live source."""
    for g, group in enumerate(live_groups()):
        for direction in ("ip_permissions", "ip_permissions_egress"):
            for p, perm in enumerate(group[direction]):
                for list_key in ("ip_ranges", "user_id_group_pairs"):
                    for s in range(len(perm.get(list_key, []))):
                        yield g, direction, p, list_key, s


SOURCES = list(sources())


def changed_keys(groups, rules=RULES):
    return list(security_group_rule_changes(rules, groups, NAMES))


def test_groups_as_built_need_no_run():
    assert len(SOURCES) == 9  # alb: 2 ports x 2 CIDRs in, the app group out; app: 1 in, 2 out; db: 1 in
    assert changed_keys(live_groups()) == []


@pytest.mark.parametrize("where", SOURCES, ids=[f"{d[-8:]}-{p}-{k}-{s}-g{g}" for g, d, p, k, s in SOURCES])
@pytest.mark.parametrize("drift", ["removed", "described", "retargeted", "port", "protocol"])
def test_every_drift_of_every_source_makes_its_group_run(where, drift):
    groups = live_groups()
    g, direction, p, list_key, s = where
    perm = groups[g][direction][p]
    source = perm[list_key][s]
    if drift == "removed":
        del perm[list_key][s]
    elif drift == "described":
        source["description"] = "changed by hand"
    elif drift == "retargeted":
        key = "cidr_ip" if list_key == "ip_ranges" else "group_id"
        source[key] = "10.9.9.0/24" if key == "cidr_ip" else "sg-other"
    elif drift == "port":
        perm["from_port"] = perm["to_port"] = perm["to_port"] + 1
    else:
        perm["ip_protocol"] = "udp"
    assert changed_keys(groups) == [list(NAMES)[g]]


@pytest.mark.parametrize("key", list(NAMES))
def test_an_added_rule_or_the_default_egress_makes_the_group_run(key):
    for direction, extra in [
        (
            "ip_permissions",
            {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]},
        ),
        ("ip_permissions_egress", {"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}),
        (
            "ip_permissions",
            {"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "prefix_list_ids": [{"prefix_list_id": "pl-1"}]},
        ),
        (
            "ip_permissions",
            {"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "ipv6_ranges": [{"cidr_ipv6": "::/0"}]},
        ),
    ]:
        groups = live_groups()
        groups[list(NAMES).index(key)][direction].append(extra)
        assert changed_keys(groups) == [key], (direction, extra)


def test_a_missing_group_or_a_rule_shape_it_does_not_know_makes_the_group_run():
    assert changed_keys([g for g in live_groups() if g["group_name"] != NAMES["db"]]) == ["db"]
    rules = copy.deepcopy(RULES)
    rules["app"]["egress"][0]["ports"] = ["1000-2000"]
    assert changed_keys(live_groups(), rules) == ["app"]
    rules = copy.deepcopy(RULES)
    rules["alb"]["ingress"][0]["icmp_type"] = 3
    assert changed_keys(live_groups(), rules) == ["alb"]


def test_the_order_aws_returns_sources_in_is_no_difference():
    groups = live_groups()
    for group in groups:
        for perm in group["ip_permissions"]:
            perm.get("ip_ranges", []).reverse()
        group["ip_permissions"].reverse()
    assert changed_keys(groups) == []
