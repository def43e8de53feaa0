"""payments.infra.subnet_plan, subnet_cidr_changes, security_group_rules, nat_gateway_azs and route_tables:
the rules they keep, over the inputs of dev, staging and prod (group_vars) and every NAT strategy on 1 to 6 AZs."""

import ipaddress
import itertools
import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.network import NAT_STRATEGIES
from ansible_collections.payments.infra.plugins.filter.network import TIERS
from ansible_collections.payments.infra.plugins.filter.network import nat_gateway_azs
from ansible_collections.payments.infra.plugins.filter.network import route_table_plan
from ansible_collections.payments.infra.plugins.filter.network import route_tables
from ansible_collections.payments.infra.plugins.filter.network import security_group_rules
from ansible_collections.payments.infra.plugins.filter.network import subnet_cidr_changes
from ansible_collections.payments.infra.plugins.filter.network import subnet_plan

ROOT = Path(__file__).resolve().parents[4]
ENVIRONMENTS = ("dev", "staging", "prod")
ALL_AZS = [f"us-east-1{letter}" for letter in "abcdef"]
AZ_COUNTS = range(1, len(ALL_AZS) + 1)


def load(path):
    return yaml.safe_load((ROOT / path).read_text()) or {}


def environment_vars(environment):
    """The role's variables: its defaults, then group_vars/all, then group_vars/<environment>; "{{ name }}" resolved."""
    merged = (
        load("roles/network/defaults/main.yml")
        | load("group_vars/all/main.yml")
        | load(f"group_vars/{environment}.yml")
    )

    def resolve(value):
        match = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", value) if isinstance(value, str) else None
        return resolve(merged[match.group(1)]) if match else value

    return {key: resolve(value) for key, value in merged.items() if key.startswith("network_")}


def plan_of(env, azs):
    return subnet_plan(
        env["network_vpc_cidr"],
        azs,
        env["network_subnet_newbits"],
        {tier: env[f"network_{tier}_subnet_offset"] for tier in TIERS},
        env["network_name_prefix"],
        env["network_environment"],
    )


@pytest.fixture(params=ENVIRONMENTS)
def env(request):
    return environment_vars(request.param)


def test_the_environments_are_read():
    assert [environment_vars(e)["network_environment"] for e in ENVIRONMENTS] == list(ENVIRONMENTS)
    assert len({environment_vars(e)["network_vpc_cidr"] for e in ENVIRONMENTS}) == 3


# ---------------------------------------------------------------------------------------------
# subnet_plan
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [*AZ_COUNTS, "env"])
def test_subnet_plan_rules(env, count):
    azs = ALL_AZS[: env["network_az_count"] if count == "env" else count]
    plan = plan_of(env, azs)
    vpc = ipaddress.ip_network(env["network_vpc_cidr"])
    prefix, environment = env["network_name_prefix"], env["network_environment"]

    # One subnet per tier and AZ, tier by tier, then AZ by AZ.
    assert [(s["tier"], s["az"]) for s in plan] == list(itertools.product(TIERS, azs))
    assert [s["index"] for s in plan] == [azs.index(s["az"]) for s in plan]
    assert [s["name"] for s in plan] == [f"{prefix}-{s['tier']}-{environment}-{s['az']}" for s in plan]
    nets = [ipaddress.ip_network(s["cidr"]) for s in plan]
    size = 2 ** (vpc.max_prefixlen - vpc.prefixlen - env["network_subnet_newbits"])
    for subnet, net in zip(plan, nets, strict=True):
        assert net.subnet_of(vpc)
        assert net.prefixlen == vpc.prefixlen + env["network_subnet_newbits"]
        # Subnet number offset + AZ index of the tier, counted from the VPC's first address.
        netnum = (int(net.network_address) - int(vpc.network_address)) // net.num_addresses
        assert netnum == env[f"network_{subnet['tier']}_subnet_offset"] + subnet["index"]
        assert net.num_addresses == size
    assert not [(a, b) for a, b in itertools.combinations(nets, 2) if a.overlaps(b)]
    assert len({s["name"] for s in plan}) == len(plan)


def test_subnet_plan_takes_strings_as_ansible_passes_them(env):
    offsets = {tier: str(env[f"network_{tier}_subnet_offset"]) for tier in TIERS}
    as_strings = subnet_plan(
        env["network_vpc_cidr"], ALL_AZS[:2], str(env["network_subnet_newbits"]), offsets, "p", "e"
    )
    assert as_strings == subnet_plan(
        env["network_vpc_cidr"], ALL_AZS[:2], env["network_subnet_newbits"], offsets, "p", "e"
    )
    assert all(isinstance(s["index"], int) for s in as_strings)


def test_subnet_plan_refuses_a_missing_tier_or_a_subnet_outside_the_block():
    with pytest.raises(AnsibleFilterError, match="offsets has no database"):
        subnet_plan("10.10.0.0/16", ALL_AZS[:2], 8, {"public": 0, "private": 10}, "p", "dev")
    with pytest.raises(AnsibleFilterError, match="netnum 256 is outside"):
        subnet_plan("10.10.0.0/16", ALL_AZS[:2], 8, {"public": 0, "private": 10, "database": 255}, "p", "dev")


# ---------------------------------------------------------------------------------------------
# subnet_cidr_changes
# ---------------------------------------------------------------------------------------------


def live_of(plan, **cidr_of):
    return [
        {"cidr_block": cidr_of.get(s["name"], s["cidr"]), "tags": {"Name": s["name"], "Tier": s["tier"]}} for s in plan
    ]


@pytest.mark.parametrize("count", AZ_COUNTS)
def test_subnet_cidr_changes_lists_each_planned_subnet_living_with_another_cidr(env, count):
    plan = plan_of(env, ALL_AZS[:count])
    assert subnet_cidr_changes(live_of(plan), plan) == []
    assert subnet_cidr_changes([], plan) == [] and subnet_cidr_changes(None, plan) == []
    moved = plan[::2]
    live = live_of(plan, **{s["name"]: f"192.168.{i}.0/24" for i, s in enumerate(moved)})
    assert subnet_cidr_changes(live[::-1], plan) == [
        f"{s['name']} 192.168.{i}.0/24 -> {s['cidr']}" for i, s in enumerate(moved)
    ]


def test_subnet_cidr_changes_counts_only_subnets_of_ours(env):
    plan = plan_of(env, ALL_AZS[:2])
    name = plan[0]["name"]
    not_ours = [
        {"cidr_block": "192.168.0.0/24", "tags": {"Name": name}},  # no Tier tag
        {"cidr_block": "192.168.1.0/24", "tags": {}},
        {"cidr_block": "192.168.2.0/24"},
        {"cidr_block": "192.168.3.0/24", "tags": {"Name": "someone-else", "Tier": "public"}},
    ]
    assert subnet_cidr_changes(not_ours, plan) == []


# ---------------------------------------------------------------------------------------------
# security_group_rules
# ---------------------------------------------------------------------------------------------

GROUP_IDS = {"alb": "sg-alb", "app": "sg-app", "db": "sg-db"}


@pytest.mark.parametrize("as_strings", [False, True])
def test_security_group_rules_chain_internet_alb_app_db(env, as_strings):
    app_port, db_port = env["network_app_port"], env["network_database_port"]
    cidrs = env["network_alb_ingress_cidrs"]
    rules = security_group_rules(
        GROUP_IDS, str(app_port) if as_strings else app_port, str(db_port) if as_strings else db_port, cidrs
    )
    assert set(rules) == set(GROUP_IDS)
    every = [r for group in rules.values() for r in group["ingress"] + group["egress"]]
    assert all(r["proto"] == "tcp" and len(r["ports"]) == 1 and type(r["ports"][0]) is int for r in every)
    assert all(r["rule_desc"] and ("group_id" in r) != ("cidr_ip" in r) for r in every)

    def edges(group, way):
        return sorted((r["ports"][0], r.get("group_id") or str(r["cidr_ip"])) for r in rules[group][way])

    assert edges("alb", "ingress") == [(80, str(cidrs)), (443, str(cidrs))]
    assert edges("alb", "egress") == [(int(app_port), "sg-app")]
    assert edges("app", "ingress") == [(int(app_port), "sg-alb")]
    assert edges("app", "egress") == sorted([(443, "0.0.0.0/0"), (int(db_port), "sg-db")])
    assert edges("db", "ingress") == [(int(db_port), "sg-app")]
    assert rules["db"]["egress"] == []
    # Each ALB rule has a list of its own (a change to one is not a change to the other).
    assert rules["alb"]["ingress"][0]["cidr_ip"] is not rules["alb"]["ingress"][1]["cidr_ip"]


def test_security_group_rules_refuses_a_cidr_string():
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        security_group_rules(GROUP_IDS, 8080, 5432, "0.0.0.0/0")


# ---------------------------------------------------------------------------------------------
# nat_gateway_azs and route_tables
# ---------------------------------------------------------------------------------------------

CASES = list(itertools.product(NAT_STRATEGIES, AZ_COUNTS))


@pytest.mark.parametrize(("strategy", "count"), CASES)
def test_nat_gateway_azs(strategy, count):
    azs = ALL_AZS[:count]
    nat_azs = nat_gateway_azs(azs, strategy)
    assert nat_azs == [az for az in azs if az in nat_azs]  # a subset of the AZs, in their order
    assert len(nat_azs) == {"single": 1, "one_per_az": count, "none": 0}[strategy]
    assert nat_azs[:1] == ([] if strategy == "none" else azs[:1])


def test_an_unknown_strategy_is_refused():
    with pytest.raises(AnsibleFilterError, match="'two' is not one of single, one_per_az, none"):
        nat_gateway_azs(ALL_AZS[:2], "two")


def network_of(env, azs, strategy, built=True):
    """The route tables' inputs as the role has them: subnet ids of a real run, or 'planned:<name>'
    (check mode, nothing made yet); NAT gateway results with an id, or without (check mode)."""
    plan = plan_of(env, azs)
    subnet_ids = {
        tier: [
            f"subnet-{s['tier']}-{s['index']}" if built else f"planned:{s['name']}" for s in plan if s["tier"] == tier
        ]
        for tier in TIERS
    }
    nats = [
        {"item": {"az": az}, **({"nat_gateway_id": f"nat-{az}"} if built else {})}
        for az in nat_gateway_azs(azs, strategy)
    ]
    return subnet_ids, nats


@pytest.mark.parametrize(("strategy", "count"), CASES)
@pytest.mark.parametrize("built", [True, False])
def test_route_tables_rules(env, strategy, count, built):
    azs = ALL_AZS[:count]
    prefix, environment = env["network_name_prefix"], env["network_environment"]
    subnet_ids, nats = network_of(env, azs, strategy, built)
    tables = route_tables(azs, strategy, subnet_ids, "igw-1", nats, prefix, environment)
    by_tier = {tier: [t for t in tables if t["name"].startswith(f"{prefix}-{tier}-rt-{environment}")] for tier in TIERS}
    nat_id = {n["item"]["az"]: n.get("nat_gateway_id") or f"planned:{n['item']['az']}" for n in nats}

    # Public first, database last; every table named by the one rule, each name once.
    assert tables[0] is by_tier["public"][0] and tables[-1] is by_tier["database"][0]
    assert sum(len(v) for v in by_tier.values()) == len(tables) == len({t["name"] for t in tables})
    # Every subnet of each tier in exactly one table of that tier.
    for tier in TIERS:
        assert sorted(s for t in by_tier[tier] for s in t["subnets"]) == sorted(subnet_ids[tier])
    assert by_tier["public"][0]["routes"] == [{"dest": "0.0.0.0/0", "gateway_id": "igw-1"}]
    assert by_tier["database"][0]["routes"] == []

    private = by_tier["private"]
    if strategy == "one_per_az":
        # One table per AZ, holding that AZ's private subnet, through that AZ's NAT gateway.
        assert [t["name"] for t in private] == [f"{prefix}-private-rt-{environment}-{az}" for az in azs]
        assert [t["subnets"] for t in private] == [[s] for s in subnet_ids["private"]]
        assert [t["routes"] for t in private] == [[{"dest": "0.0.0.0/0", "nat_gateway_id": nat_id[az]}] for az in azs]
    else:
        # One table for every private subnet, through the one NAT gateway (none: no route out).
        assert [t["name"] for t in private] == [f"{prefix}-private-rt-{environment}"]
        expected = [{"dest": "0.0.0.0/0", "nat_gateway_id": nat_id[azs[0]]}] if strategy == "single" else []
        assert private[0]["routes"] == expected
    # Every NAT gateway is used; check mode routes through the placeholders.
    used = {r["nat_gateway_id"] for t in private for r in t["routes"]}
    assert used == set(nat_id.values())
    assert all(i.startswith("planned:" if not built else "nat-") for i in used)
    # What route_table_plan takes: on an empty VPC, every table is created with all its subnets.
    ours = rf"^{prefix}-(public|private|database)-rt-{environment}(-.+)?$"
    plan = route_table_plan([], tables, ours)
    assert [t["id"] for t in plan["tables"]] == [""] * len(tables)
    assert all(t["subnets_now"] == t["subnets"] for t in plan["tables"])
    assert all(re.match(ours, t["name"]) for t in tables)


def test_route_tables_refuses_nat_gateways_the_strategy_does_not_make(env):
    azs = ALL_AZS[:3]
    subnet_ids, nats = network_of(env, azs, "one_per_az")
    with pytest.raises(AnsibleFilterError, match="strategy single puts them in"):
        route_tables(azs, "single", subnet_ids, "igw-1", nats, "payment", "dev")
