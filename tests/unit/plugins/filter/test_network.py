import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.network import cidr_subnet
from ansible_collections.payments.infra.plugins.filter.network import route_table_plan
from ansible_collections.payments.infra.plugins.filter.network import surplus_nat_names


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
# route_table_plan / surplus_nat_names: day-2 convergence of route tables and NAT gateways
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
            {"name": "payment-public-rt-dev", "subnets": ["s1", "s2"], "id": "rtb-1", "subnets_now": ["s1", "s2"]}
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


NAT_OURS = r"^payment-nat-dev-"


def named(name, **extra):
    return dict(extra, tags={"Name": name, "Environment": "dev"})


def test_surplus_nat_names_from_gateways_and_orphan_elastic_ips():
    nats = [named("payment-nat-dev-us-east-1a"), named("payment-nat-dev-us-east-1b"), named("someone-else")]
    eips = [
        named("payment-nat-dev-us-east-1a-eip"),
        named("payment-nat-dev-us-east-1b-eip"),
        named("payment-nat-dev-us-east-1c-eip"),  # its NAT gateway was deleted by a killed run
        {"tags": {}},
    ]
    assert surplus_nat_names(nats, eips, ["payment-nat-dev-us-east-1a"], NAT_OURS) == [
        "payment-nat-dev-us-east-1b",
        "payment-nat-dev-us-east-1c",
    ]
    assert surplus_nat_names(nats[:1], eips[:1], ["payment-nat-dev-us-east-1a"], NAT_OURS) == []
