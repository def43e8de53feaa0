import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.network import cidr_subnet
from ansible_collections.payments.infra.plugins.filter.network import nat_gateway_ids
from ansible_collections.payments.infra.plugins.filter.network import nat_gateway_plan
from ansible_collections.payments.infra.plugins.filter.network import route_table_plan
from ansible_collections.payments.infra.plugins.filter.network import route_tables


@pytest.mark.parametrize(
    ("prefix", "newbits", "netnum", "expected"),
    [
        ("10.10.0.0/16", 8, 0, "10.10.0.0/24"),
        ("10.10.0.0/16", 8, 21, "10.10.21.0/24"),
        ("10.10.0.0/16", 4, 1, "10.10.16.0/20"),
        ("172.16.0.0/12", 4, 15, "172.31.0.0/16"),
    ],
)
def test_matches_terraform_cidrsubnet(prefix, newbits, netnum, expected):
    assert cidr_subnet(prefix, newbits, netnum) == expected


@pytest.mark.parametrize(
    ("prefix", "newbits", "netnum", "message"),
    [
        ("10.10.0.1/16", 8, 0, "not a network"),
        ("10.10.0.0/16", 8, 256, "outside 0..255"),
        ("10.10.0.0/16", 20, 0, "cannot add 20 bits"),
    ],
)
def test_rejects_bad_input(prefix, newbits, netnum, message):
    with pytest.raises(AnsibleFilterError, match=message):
        cidr_subnet(prefix, newbits, netnum)


# ---------------------------------------------------------------------------------------------
# route_table_plan / nat_gateway_plan: day-2 convergence of route tables and NAT gateways
# ---------------------------------------------------------------------------------------------

OURS = r"^payment-(public|private|database)-rt-dev(-.+)?$"


def table(table_id, name=None, subnets=(), main=False, **tags):
    associations = [{"subnet_id": s, "main": False} for s in subnets]
    if main:
        associations.append({"main": True, "subnet_id": None})
    if name:
        tags["Name"] = name
    return {"route_table_id": table_id, "id": table_id, "tags": tags, "associations": associations}


def test_a_table_is_found_by_its_name_whatever_its_other_tags():
    found = [table("rtb-main", main=True), table("rtb-1", "payment-public-rt-dev", ["s1", "s2"], Owner="x")]
    plan = route_table_plan(found, [{"name": "payment-public-rt-dev", "subnets": ["s1", "s2"]}], OURS)
    assert plan == {
        "tables": [
            {
                "name": "payment-public-rt-dev",
                "subnets": ["s1", "s2"],
                "id": "rtb-1",
                "subnets_now": ["s1", "s2"],
                "converged": False,  # no tags given: never converged
            }
        ],
        "surplus": [],
        "moves": [],
        "summary": [],
    }


def test_a_missing_table_is_created_with_its_free_subnets():
    plan = route_table_plan(
        [table("rtb-main", main=True)], [{"name": "payment-database-rt-dev", "subnets": ["s5"]}], OURS
    )
    assert plan["tables"][0]["id"] == "" and plan["tables"][0]["subnets_now"] == ["s5"]


def test_single_to_one_per_az_moves_the_private_subnets_and_drops_the_old_table():
    found = [table("rtb-p", "payment-private-rt-dev", ["s3", "s4"])]
    wanted = [
        {"name": "payment-private-rt-dev-us-east-1a", "subnets": ["s3"]},
        {"name": "payment-private-rt-dev-us-east-1b", "subnets": ["s4"]},
    ]
    plan = route_table_plan(found, wanted, OURS)
    assert [(t["id"], t["subnets_now"]) for t in plan["tables"]] == [("", []), ("", [])]
    assert plan["surplus"] == [{"id": "rtb-p", "name": "payment-private-rt-dev", "subnets": ["s3", "s4"]}]
    assert plan["moves"] == [
        {"subnet": "s3", "from": "payment-private-rt-dev", "to": "payment-private-rt-dev-us-east-1a"},
        {"subnet": "s4", "from": "payment-private-rt-dev", "to": "payment-private-rt-dev-us-east-1b"},
    ]
    assert plan["summary"] == [
        "route table payment-private-rt-dev-us-east-1a is created",
        "route table payment-private-rt-dev-us-east-1b is created",
        "subnet s3 moves from route table payment-private-rt-dev to payment-private-rt-dev-us-east-1a",
        "subnet s4 moves from route table payment-private-rt-dev to payment-private-rt-dev-us-east-1b",
        "route table payment-private-rt-dev (rtb-p) is deleted",
    ]


def test_duplicates_keep_the_table_holding_the_subnets():
    # What lookup: tag left: a second table under the same name (another tag set), without subnets.
    found = [table("rtb-a", "payment-public-rt-dev", [], Owner="x"), table("rtb-b", "payment-public-rt-dev", ["s1"])]
    plan = route_table_plan(found, [{"name": "payment-public-rt-dev", "subnets": ["s1", "s2"]}], OURS)
    assert plan["tables"][0]["id"] == "rtb-b" and plan["tables"][0]["subnets_now"] == ["s1", "s2"]
    assert [t["id"] for t in plan["surplus"]] == ["rtb-a"]


def test_tables_not_ours_and_the_main_table_are_never_surplus():
    found = [
        table("rtb-main", "payment-private-rt-dev-x", main=True),
        table("rtb-hand", "made-by-hand", ["s9"]),
        table("rtb-other", None, []),
    ]
    assert route_table_plan(found, [], OURS) == {"tables": [], "surplus": [], "moves": [], "summary": []}


def test_a_subnet_held_by_a_table_not_ours_is_a_move_too():
    found = [table("rtb-hand", "made-by-hand", ["s3"])]
    plan = route_table_plan(found, [{"name": "payment-private-rt-dev", "subnets": ["s3"]}], OURS)
    assert plan["tables"][0]["subnets_now"] == [] and plan["surplus"] == []
    assert plan["moves"] == [{"subnet": "s3", "from": "made-by-hand", "to": "payment-private-rt-dev"}]


def test_repeated_wanted_names_are_refused():
    with pytest.raises(AnsibleFilterError, match="repeat"):
        route_table_plan([], [{"name": "a", "subnets": []}, {"name": "a", "subnets": []}], OURS)


PREFIX = "payment-nat-dev-"
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]
PUBLIC = ["subnet-a", "subnet-b", "subnet-c"]
TAGS = {"Environment": "dev", "Project": "payment-api"}


def nat(nat_id, subnet, allocation, name=None, state="available", created="2026-01-01", **tags):
    gw = {
        "nat_gateway_id": nat_id,
        "subnet_id": subnet,
        "state": state,
        "create_time": created,
        "nat_gateway_addresses": [{"allocation_id": allocation, "public_ip": f"ip-{allocation}"}],
    }
    if name or tags:
        gw["tags"] = dict(tags, **({"Name": name} if name else {}))
    return gw


def eip(allocation, name=None, associated=False, tags=None):
    address = {"allocation_id": allocation, "public_ip": f"ip-{allocation}"}
    if associated:
        address["association_id"] = f"assoc-{allocation}"
    if name or tags:
        address["tags"] = dict(tags if tags is not None else TAGS, **({"Name": name} if name else {}))
    return address


def plan(nats=(), eips=(), nat_azs=AZS[:1]):
    return nat_gateway_plan(list(nats), list(eips), nat_azs, AZS, PUBLIC, PREFIX, TAGS)


def test_nothing_yet_allocates_one_elastic_ip_per_nat_zone_and_plans_the_creation():
    result = plan(nat_azs=AZS[:2])
    assert [(n["name"], n["subnet_id"], n["eip"], n["nat_gateway_id"]) for n in result["nats"]] == [
        ("payment-nat-dev-us-east-1a", "subnet-a", "allocate", None),
        ("payment-nat-dev-us-east-1b", "subnet-b", "allocate", None),
    ]
    first = result["nats"][0]
    assert first["tags"] == dict(TAGS, Name="payment-nat-dev-us-east-1a")
    assert first["eip_tags"] == dict(TAGS, Name="payment-nat-dev-us-east-1a-eip")
    assert result["plan"][0]["action"] == "create" and result["plan"][0]["before"] == {}
    assert result["plan"][0]["resources"] == [
        "NAT gateway payment-nat-dev-us-east-1a",
        "Elastic IP payment-nat-dev-us-east-1a-eip",
    ]
    assert result["surplus_nats"] == result["surplus_eips"] == []


def test_converged_needs_nothing_and_plans_no_change():
    gw = nat("nat-1", "subnet-a", "eipalloc-1", "payment-nat-dev-us-east-1a", **TAGS)
    result = plan([gw], [eip("eipalloc-1", "payment-nat-dev-us-east-1a-eip", associated=True)])
    (only,) = result["nats"]
    assert (only["nat_gateway_id"], only["allocation_id"], only["eip"], only["adopted"]) == (
        "nat-1",
        "eipalloc-1",
        "ok",
        False,
    )
    # Before and after the same: payments.infra.plan plans nothing for it.
    assert result["plan"] == [
        {
            "action": "change",
            "resources": ["NAT gateway payment-nat-dev-us-east-1a"],
            "before": {"tags": only["tags"], "eip_tags": only["eip_tags"]},
            "after": {"tags": only["tags"], "eip_tags": only["eip_tags"]},
        }
    ]
    assert result["surplus_nats"] == result["surplus_eips"] == []


@pytest.mark.parametrize("associated", [False, True])
def test_killed_after_the_allocation_the_tagged_elastic_ip_is_used_again(associated):
    # A run killed between AllocateAddress (tags in the call) and CreateNatGateway left it; or its NAT
    # gateway is gone and AWS (or the emulator) still shows it associated.
    left = eip("eipalloc-9", "payment-nat-dev-us-east-1a-eip", associated=associated)
    result = plan([], [left, eip("eipalloc-other", "payment-nat-dev-us-east-1b-eip")])
    (only,) = result["nats"]
    assert (only["allocation_id"], only["public_ip"], only["eip"]) == ("eipalloc-9", "ip-eipalloc-9", "ok")
    assert result["plan"][0]["resources"] == ["NAT gateway payment-nat-dev-us-east-1a"]
    # The other zone's Elastic IP is no zone's now: released after the NAT gateways.
    assert [a["allocation_id"] for a in result["surplus_eips"]] == ["eipalloc-other"]


def test_an_unassociated_tagged_elastic_ip_wins_over_an_associated_one_and_duplicates_are_released():
    name = "payment-nat-dev-us-east-1a-eip"
    result = plan([], [eip("eipalloc-1", name, associated=True), eip("eipalloc-2", name), eip("eipalloc-3", name)])
    assert result["nats"][0]["allocation_id"] == "eipalloc-2"
    assert sorted(a["allocation_id"] for a in result["surplus_eips"]) == ["eipalloc-1", "eipalloc-3"]


def test_killed_after_create_nat_gateway_the_pending_one_is_kept():
    gw = nat("nat-1", "subnet-a", "eipalloc-1", "payment-nat-dev-us-east-1a", state="pending", **TAGS)
    result = plan([gw], [eip("eipalloc-1", "payment-nat-dev-us-east-1a-eip", associated=True)])
    assert result["nats"][0]["nat_gateway_id"] == "nat-1" and result["nats"][0]["eip"] == "ok"
    assert result["surplus_nats"] == result["surplus_eips"] == []


def test_an_elastic_ip_of_ours_used_by_another_nat_gateway_is_not_taken():
    stranger = nat("nat-x", "subnet-z", "eipalloc-1", "someone-else")
    result = plan([stranger], [eip("eipalloc-1", "payment-nat-dev-us-east-1a-eip", associated=True)])
    assert result["nats"][0]["eip"] == "allocate"
    assert result["surplus_eips"] == [] and result["surplus_nats"] == []


def test_an_untagged_nat_gateway_in_our_subnet_is_adopted_with_its_elastic_ip():
    manual = nat("nat-manual", "subnet-a", "eipalloc-m")
    other_subnet = nat("nat-elsewhere", "subnet-b", "eipalloc-e")
    result = plan([other_subnet, manual], [])
    (only,) = result["nats"]
    assert (only["nat_gateway_id"], only["adopted"], only["allocation_id"]) == ("nat-manual", True, "eipalloc-m")
    # Its Elastic IP is untagged: tagged by address (public_ip), never a second one allocated.
    assert (only["eip"], only["public_ip"]) == ("tag", "ip-eipalloc-m")
    assert result["plan"][0]["action"] == "change"
    assert result["plan"][0]["before"] == {"tags": {}, "eip_tags": {}}
    assert result["plan"][0]["resources"][1] == "Elastic IP payment-nat-dev-us-east-1a-eip"
    assert result["surplus_nats"] == []  # not ours: never deleted


def test_ours_wins_over_an_untagged_one_and_the_oldest_available_over_duplicates():
    name = "payment-nat-dev-us-east-1a"
    gws = [
        nat("nat-untagged", "subnet-a", "eipalloc-u", created="2025-01-01"),
        nat("nat-new", "subnet-a", "eipalloc-n", name, created="2026-02-01"),
        nat("nat-pending", "subnet-a", "eipalloc-p", name, state="pending", created="2025-06-01"),
        nat("nat-old", "subnet-a", "eipalloc-o", name, created="2026-01-01"),
    ]
    result = plan(gws, [])
    assert result["nats"][0]["nat_gateway_id"] == "nat-old"
    assert sorted(n["nat_gateway_id"] for n in result["surplus_nats"]) == ["nat-new", "nat-pending"]
    destroyed = [p["resources"] for p in result["plan"] if p["action"] == "destroy"]
    assert destroyed == [[f"NAT gateway {name}", f"Elastic IP {name}-eip"]] * 2


def test_tags_that_differ_are_planned_as_a_change():
    gw = nat("nat-1", "subnet-a", "eipalloc-1", "payment-nat-dev-us-east-1a", Environment="dev", Old="x")
    stale = eip("eipalloc-1", "payment-nat-dev-us-east-1a-eip", associated=True, tags={"Environment": "dev"})
    result = plan([gw], [stale])
    assert result["nats"][0]["eip"] == "tag"
    entry = result["plan"][0]
    assert entry["before"]["tags"] == {"Environment": "dev", "Old": "x", "Name": "payment-nat-dev-us-east-1a"}
    assert entry["after"]["tags"] == dict(TAGS, Name="payment-nat-dev-us-east-1a")


def test_a_changed_strategy_leaves_the_other_zones_surplus():
    gws = [
        nat(f"nat-{az}", subnet, f"eipalloc-{az}", f"{PREFIX}{az}", **TAGS)
        for az, subnet in zip(AZS, PUBLIC, strict=True)
    ]
    eips = [eip(f"eipalloc-{az}", f"{PREFIX}{az}-eip", associated=True) for az in AZS]
    eips.append(eip("eipalloc-left", f"{PREFIX}us-east-1d-eip"))  # its NAT gateway deleted by a killed run
    eips.append(eip("eipalloc-theirs", "someone-else-eip"))
    result = plan(gws, eips, nat_azs=AZS[:1])
    assert [n["nat_gateway_id"] for n in result["surplus_nats"]] == ["nat-us-east-1b", "nat-us-east-1c"]
    # The surplus NAT gateways release their own; only the one no NAT gateway uses is released alone.
    assert [a["allocation_id"] for a in result["surplus_eips"]] == ["eipalloc-left"]
    assert plan(gws, eips[:3], nat_azs=AZS)["surplus_nats"] == []


def test_a_nat_gateway_of_ours_in_another_subnet_is_refused():
    with pytest.raises(
        AnsibleFilterError, match="nat-1 named 'payment-nat-dev-us-east-1a' is not in the public subnet subnet-a"
    ):
        plan([nat("nat-1", "subnet-b", "eipalloc-1", "payment-nat-dev-us-east-1a")], [])


# ---------------------------------------------------------------------------------------------
# converged: what the role skips in a no-op run (issue 15). Every drift the stock modules would repair
# must leave an item not converged, so the module still runs for it.
# ---------------------------------------------------------------------------------------------

LOCAL = {"destination_cidr_block": "10.10.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"}
TO_NAT = {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1", "origin": "CreateRoute"}
PRIVATE = {
    "name": "payment-private-rt-dev",
    "subnets": ["s3", "s4"],
    "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"}],
}


def live_private(routes=(LOCAL, TO_NAT), subnets=("s3", "s4"), **tags):
    found = table("rtb-2", "payment-private-rt-dev", subnets, **dict(TAGS, **tags))
    found["routes"] = [dict(r) for r in routes]
    return found


def private_converged(found, wanted=PRIVATE, others=()):
    plan = route_table_plan([table("rtb-main", main=True), found, *others], [wanted], OURS, TAGS)
    return plan["tables"][0]["converged"]


def test_a_table_as_wanted_is_converged():
    assert private_converged(live_private())
    # A route another source made (VGW propagation) is not the module's to purge.
    propagated = {
        "destination_cidr_block": "192.168.0.0/16",
        "gateway_id": "vgw-1",
        "origin": "EnableVgwRoutePropagation",
    }
    assert private_converged(live_private(routes=(LOCAL, TO_NAT, propagated)))
    database = {"name": "payment-database-rt-dev", "subnets": ["s5"], "routes": []}
    found = table("rtb-3", "payment-database-rt-dev", ["s5"], **TAGS)
    found["routes"] = [dict(LOCAL)]
    assert route_table_plan([found], [database], OURS, TAGS)["tables"][0]["converged"]


@pytest.mark.parametrize(
    "drift",
    [
        {"routes": (LOCAL,)},  # the default route deleted
        {"routes": (LOCAL, dict(TO_NAT, nat_gateway_id="nat-2"))},  # to another NAT gateway
        {
            "routes": (
                LOCAL,
                TO_NAT,
                {"destination_cidr_block": "10.99.0.0/16", "gateway_id": "igw-1", "origin": "CreateRoute"},
            )
        },
        {"subnets": ("s3",)},  # a subnet disassociated
        {"subnets": ("s3", "s4", "s9")},  # another subnet associated
        {"Owner": "someone"},  # a tag added
        {"Environment": "prod"},  # a tag changed
    ],
    ids=["route-deleted", "route-retargeted", "route-added", "subnet-gone", "subnet-added", "tag-added", "tag-changed"],
)
def test_every_drift_the_module_repairs_leaves_the_table_not_converged(drift):
    routes, subnets = drift.pop("routes", (LOCAL, TO_NAT)), drift.pop("subnets", ("s3", "s4"))
    assert not private_converged(live_private(routes=routes, subnets=subnets, **drift))


def test_a_table_whose_subnet_another_table_holds_is_not_converged():
    holder = table("rtb-9", "payment-public-rt-dev", ["s4"], **TAGS)
    assert not private_converged(live_private(subnets=("s3",)), others=[holder])


def test_a_table_without_tags_given_or_to_create_is_not_converged():
    assert not route_table_plan([live_private()], [PRIVATE], OURS)["tables"][0]["converged"]
    assert not route_table_plan([], [PRIVATE], OURS, TAGS)["tables"][0]["converged"]


def test_a_nat_gateway_is_converged_only_available_with_its_tags_and_elastic_ip():
    name = "payment-nat-dev-us-east-1a"
    ours_eip = eip("eipalloc-1", f"{name}-eip", associated=True)
    assert plan([nat("nat-1", "subnet-a", "eipalloc-1", name, **TAGS)], [ours_eip])["nats"][0]["converged"]
    not_converged = [
        plan([nat("nat-1", "subnet-a", "eipalloc-1", name, state="pending", **TAGS)], [ours_eip]),
        plan([nat("nat-1", "subnet-a", "eipalloc-1", name, Environment="dev")], [ours_eip]),  # a tag missing
        plan([nat("nat-1", "subnet-a", "eipalloc-1", name, Owner="x", **TAGS)], [ours_eip]),  # a tag added
        plan(
            [nat("nat-1", "subnet-a", "eipalloc-1", name, **TAGS)], [eip("eipalloc-1", associated=True)]
        ),  # EIP untagged
        plan([nat("nat-m", "subnet-a", "eipalloc-m")], []),  # adopted
        plan([], []),  # to create
    ]
    assert [result["nats"][0]["converged"] for result in not_converged] == [False] * 6


def test_a_nat_gateway_skipped_as_converged_keeps_its_id_for_the_routes_and_the_outputs():
    skipped = {"skipped": True, "item": {"az": "us-east-1a", "nat_gateway_id": "nat-1"}}
    created = {"nat_gateway_id": "nat-2", "item": {"az": "us-east-1b", "nat_gateway_id": None}}
    planned = {"item": {"az": "us-east-1c", "nat_gateway_id": None}}
    assert nat_gateway_ids([skipped, created, planned]) == ["nat-1", "nat-2", ""]
    subnets = {"public": PUBLIC, "private": ["p-a", "p-b", "p-c"], "database": ["d-a", "d-b", "d-c"]}
    tables = route_tables(AZS, "one_per_az", subnets, "igw-1", [skipped, created, planned], "payment", "dev")
    assert [t["routes"] for t in tables[1:4]] == [
        [{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"}],
        [{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-2"}],
        [{"dest": "0.0.0.0/0", "nat_gateway_id": "planned:us-east-1c"}],
    ]
