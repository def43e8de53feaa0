import pytest

from ansible_collections.payments.infra.plugins.module_utils import plan


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
