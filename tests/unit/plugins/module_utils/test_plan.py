import pytest

from ansible_collections.payments.infra.plugins.module_utils import plan
from ansible_collections.payments.infra.plugins.module_utils.plan import field_plan


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"diff": {"before": {}, "after": {"name": "payment-vpc-dev"}}}, plan.CREATE),
        ({"diff": {"before": "", "after": "payment-topic-dev\n"}}, plan.CREATE),
        ({"diff": {"before": {"state": "absent"}, "after": {"state": "present", "cidr": "10.0.0.0/16"}}}, plan.CREATE),
        ({"diff": {"before": {"retention": 14}, "after": {}}}, plan.DESTROY),
        ({"diff": {"before": {"state": "present"}, "after": {"state": "absent"}}}, plan.DESTROY),
        ({"diff": {"before": {"retention": 14}, "after": {"retention": 30}}}, plan.CHANGE),
        ({"diff": [{"before": {}, "after": {"a": 1}}, {"before": {"b": 1}, "after": {"b": 2}}]}, plan.CHANGE),
        ({"diff": [{"before": None, "after": {"a": 1}}, {"before": [], "after": ["x"]}]}, plan.CREATE),
        ({"changed": True}, plan.CHANGE),  # no diff: counted as a change
        ({"diff": {"prepared": "--- a\n+++ b\n"}}, plan.CHANGE),
        ({"plan_action": "destroy", "diff": {"before": {}, "after": {"a": 1}}}, plan.DESTROY),  # stated wins
        ({"plan_action": "bogus", "diff": {"before": {}, "after": {"a": 1}}}, plan.CREATE),
    ],
)
def test_action_of(result, expected):
    assert plan.action_of(result) == expected


def test_has_diff():
    assert plan.has_diff({"diff": {"before": 1, "after": 2}})
    assert plan.has_diff({"diff": [{"prepared": "text"}]})
    assert not plan.has_diff({"changed": True})
    assert not plan.has_diff({"diff": {}})
    assert not plan.has_diff({"diff": ["not a dict"]})


def test_count_is_one_resource_unless_named():
    assert plan.count({"changed": True}) == 1
    assert plan.count({"plan_resources": ["a", "b", "c"]}) == 3
    assert plan.count({"plan_resources": []}) == 1


def test_summary_line():
    assert plan.summary_line({}) == "plan: no changes"
    assert plan.summary_line({"change": 0}) == "plan: no changes"
    assert plan.summary_line({"create": 2, "change": 3}) == "plan: 2 to create, 3 to change, 0 to replace, 0 to destroy"
    assert plan.summary_line({"destroy": 1}) == "plan: 0 to create, 0 to change, 0 to replace, 1 to destroy"


def test_field_plan_of_a_missing_resource_is_its_creation():
    assert field_plan(None, {"threshold": 75.0}) == {"action": "create", "before": {}, "after": {"threshold": 75.0}}


def test_field_plan_shows_only_the_fields_that_differ_each_side():
    live = {"threshold": 90.0, "period": 300, "tags": {"Project": "payment-api"}, "arn": "not managed"}
    desired = {"threshold": 75.0, "period": 300, "tags": {"Project": "payment-api", "CostCentre": "payments"}}
    assert field_plan(live, desired) == {
        "action": "change",
        "before": {"tags": {"Project": "payment-api"}, "threshold": 90.0},
        "after": {"tags": {"Project": "payment-api", "CostCentre": "payments"}, "threshold": 75.0},
    }


def test_field_plan_of_an_unchanged_resource_is_nothing():
    assert field_plan({"period": 300, "extra": 1}, {"period": 300}) == {"action": None, "before": {}, "after": {}}


def test_field_plan_refuses_what_is_not_fields():
    with pytest.raises(TypeError, match="field_plan"):
        field_plan({"period": 300}, ["period"])


def test_a_change_shows_only_the_fields_that_differ():
    live, wanted = {"tags": {"A": "1"}, "cidr": "10.0.0.0/16"}, {"tags": {}, "cidr": "10.0.0.0/16"}
    before, after = plan.differing_sides(live, wanted)
    assert (before, after) == ({"tags": {"A": "1"}}, {"tags": {}})
    assert plan.differing_sides({"a": 1}, {"a": 1, "b": 2}) == ({}, {"b": 2})


def test_a_change_without_a_difference_stays_whole_so_that_it_shows():
    assert plan.differing_sides({"a": 1}, {"a": 1}) == ({"a": 1}, {"a": 1})
    assert plan.differing_sides("x\n", "y\n") == ("x\n", "y\n")
