"""subnet_changes / subnet_ids / security_group_changes / security_group_ids: one read, then the stock modules only
for what they would change."""

import pytest

from ansible_collections.payments.infra.plugins.filter.network import security_group_changes
from ansible_collections.payments.infra.plugins.filter.network import security_group_ids
from ansible_collections.payments.infra.plugins.filter.network import subnet_changes
from ansible_collections.payments.infra.plugins.filter.network import subnet_ids
from ansible_collections.payments.infra.plugins.filter.network import subnet_plan

TAGS = {"Environment": "dev", "Project": "payment"}
PLAN = subnet_plan(
    "10.10.0.0/16", ["us-east-1a", "us-east-1b"], 8, {"public": 0, "private": 10, "database": 20}, "payment", "dev"
)


def live_subnet(entry, **changes):
    """A subnet as amazon.aws.ec2_vpc_subnet_info returns it, converged to ``entry``."""
    subnet = {
        "subnet_id": f"subnet-{entry['name']}",
        "id": f"subnet-{entry['name']}",
        "cidr_block": entry["cidr"],
        "availability_zone": entry["az"],
        "map_public_ip_on_launch": False,
        "assign_ipv6_address_on_creation": False,
        "ipv6_cidr_block_association_set": [],
        "state": "available",
        "tags": dict(TAGS, Name=entry["name"], Tier=entry["tier"]),
    }
    subnet.update(changes)
    return subnet


def converged():
    return [live_subnet(entry) for entry in PLAN]


def test_converged_subnets_need_no_run():
    assert subnet_changes(converged(), PLAN, TAGS) == []


def test_every_subnet_is_created_in_an_empty_vpc_with_its_tags():
    changes = subnet_changes([], PLAN, TAGS)
    assert [c["name"] for c in changes] == [p["name"] for p in PLAN]
    assert {c["action"] for c in changes} == {"create"}
    assert changes[0]["tags"] == dict(TAGS, Name=PLAN[0]["name"], Tier="public")
    assert changes[0]["before"] == {}
    assert changes[0]["after"] == {"cidr_block": PLAN[0]["cidr"], "tags": changes[0]["tags"]}


def test_a_missing_subnet_alone_is_created():
    live = converged()
    del live[3]
    changes = subnet_changes(live, PLAN, TAGS)
    assert [(c["name"], c["action"]) for c in changes] == [(PLAN[3]["name"], "create")]


def drifted(index, **changes):
    live = converged()
    live[index] = live_subnet(PLAN[index], **changes)
    return subnet_changes(live, PLAN, TAGS)


@pytest.mark.parametrize(
    ("drift", "field"),
    [
        ({"tags": dict(TAGS, Name=PLAN[2]["name"], Tier="public", Project="other")}, "tags"),  # a tag changed
        ({"tags": dict(TAGS, Name=PLAN[2]["name"], Tier="public", Owner="someone")}, "tags"),  # a tag added
        ({"tags": dict(Name=PLAN[2]["name"], Tier="public", Project="payment")}, "tags"),  # a tag removed
        ({"tags": {}}, "tags"),
        ({"map_public_ip_on_launch": True}, "map_public_ip_on_launch"),
        ({"map_public_ip_on_launch": None}, "map_public_ip_on_launch"),  # the module's != False
        ({"assign_ipv6_address_on_creation": True}, "assign_ipv6_address_on_creation"),
    ],
)
def test_each_drift_the_module_converges_is_returned(drift, field):
    changes = drifted(2, **drift)
    assert [(c["name"], c["action"]) for c in changes] == [(PLAN[2]["name"], "change")]
    assert changes[0]["before"][field] != changes[0]["after"][field]
    assert changes[0]["tags"] == dict(TAGS, Name=PLAN[2]["name"], Tier=PLAN[2]["tier"])


def ipv6(state):
    return [{"association_id": "a-1", "ipv6_cidr_block": "2600:1f18::/64", "ipv6_cidr_block_state": {"state": state}}]


@pytest.mark.parametrize("state", ["associated", "associating"])
def test_an_ipv6_block_is_a_drift_the_module_disassociates(state):
    changes = drifted(0, ipv6_cidr_block_association_set=ipv6(state))
    assert [c["name"] for c in changes] == [PLAN[0]["name"]]
    assert changes[0]["before"]["ipv6_cidr_block"] == "2600:1f18::/64"
    assert changes[0]["after"]["ipv6_cidr_block"] == ""


def test_a_disassociated_ipv6_block_is_no_drift():
    assert drifted(0, ipv6_cidr_block_association_set=ipv6("disassociated")) == []


def test_aws_reserved_tags_are_kept_as_the_module_keeps_them():
    tags = dict(TAGS, Name=PLAN[1]["name"], Tier="public", **{"aws:cloudformation:stack-name": "x"})
    assert drifted(1, tags=tags) == []
    changes = drifted(1, tags=dict(tags, Project="other"))
    assert changes[0]["after"]["tags"]["aws:cloudformation:stack-name"] == "x"
    assert changes[0]["after"]["tags"]["Project"] == "payment"


def test_the_subnet_is_found_by_cidr_as_the_module_finds_it():
    # A subnet with our CIDR is ours to converge whatever its name; the AZ is neither compared nor changed.
    live = converged()
    live[0]["availability_zone"] = "us-east-1c"
    assert subnet_changes(live, PLAN, TAGS) == []
    live[0]["tags"]["Name"] = "someone-elses"
    assert [c["name"] for c in subnet_changes(live, PLAN, TAGS)] == [PLAN[0]["name"]]


def test_subnet_ids_take_converged_results_then_live_then_planned():
    # PLAN[0] created by this run; PLAN[4] not created yet (check mode)
    live = [s for s in converged() if s["cidr_block"] not in (PLAN[0]["cidr"], PLAN[4]["cidr"])]
    results = [
        {"item": dict(PLAN[0]), "subnet": {"id": "subnet-new"}},
        {"item": dict(PLAN[4]), "subnet": {}},
        {"item": dict(PLAN[1]), "subnet": {"id": "subnet-converged"}},
    ]
    ids = subnet_ids(PLAN, live, results)
    assert ids == {
        "public": ["subnet-new", "subnet-converged"],
        "private": [f"subnet-{PLAN[2]['name']}", f"subnet-{PLAN[3]['name']}"],
        "database": [f"planned:{PLAN[4]['name']}", f"subnet-{PLAN[5]['name']}"],
    }


def test_subnet_ids_of_a_converged_vpc_need_no_result():
    ids = subnet_ids(PLAN, converged(), [])
    assert ids["public"] == [f"subnet-{PLAN[0]['name']}", f"subnet-{PLAN[1]['name']}"]


NAMES = {"alb": "payment-alb-sg-dev", "app": "payment-app-sg-dev", "db": "payment-db-sg-dev"}
DESCRIPTIONS = {"alb": "Load balancer", "app": "ECS tasks", "db": "Database"}


def live_groups():
    return [
        {
            "group_id": f"sg-{key}",
            "group_name": name,
            "description": DESCRIPTIONS[key],
            "vpc_id": "vpc-1",
            "tags": dict(TAGS, Name=name),
        }
        for key, name in NAMES.items()
    ]


def test_converged_groups_need_no_run():
    assert security_group_changes(live_groups(), NAMES, DESCRIPTIONS, TAGS) == []


def test_missing_groups_are_created_with_their_description_and_tags():
    groups = live_groups()
    del groups[1]
    assert security_group_changes(groups, NAMES, DESCRIPTIONS, TAGS) == [
        {"key": "app", "name": NAMES["app"], "description": "ECS tasks", "tags": dict(TAGS, Name=NAMES["app"])}
    ]
    assert [c["key"] for c in security_group_changes([], NAMES, DESCRIPTIONS, TAGS)] == ["alb", "app", "db"]


@pytest.mark.parametrize(
    "drift",
    [
        {"tags": dict(TAGS, Name=NAMES["db"], Project="other")},  # a tag changed
        {"tags": dict(TAGS, Name=NAMES["db"], Owner="someone")},  # a tag added
        {"tags": {"Name": NAMES["db"]}},  # tags removed
        {"description": "Something else"},  # warned about by the module
    ],
)
def test_each_group_drift_is_returned(drift):
    groups = live_groups()
    groups[2].update(drift)
    assert [c["key"] for c in security_group_changes(groups, NAMES, DESCRIPTIONS, TAGS)] == ["db"]


def test_security_group_ids_take_results_then_found():
    groups = live_groups()
    del groups[0]
    results = [{"item": {"key": "alb", "name": NAMES["alb"]}, "group_id": "sg-new"}]
    assert security_group_ids(NAMES, groups, results) == {"alb": "sg-new", "app": "sg-app", "db": "sg-db"}
    # check mode: a group not created yet has no id
    results = [{"item": {"key": "alb", "name": NAMES["alb"]}, "group_id": None}]
    assert security_group_ids(NAMES, groups, results)["alb"] is None
    assert security_group_ids(NAMES, live_groups(), []) == {"alb": "sg-alb", "app": "sg-app", "db": "sg-db"}
