"""The change matrix covers every variable: a variable added to a role's argument spec or to group_vars without a
line in tests/integration/change_matrix.yml fails here, and every value the matrix would set is valid for the
variable's spec (so that a step fails on what it proves, not on a typo)."""

import sys
from pathlib import Path

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import matrix


def test_every_public_variable_is_classified():
    missing = [name for name in matrix.public_variables() if name not in matrix.classified()]
    assert missing == [], f"not in tests/integration/change_matrix.yml: {missing}"


def test_nothing_classified_that_does_not_exist():
    public = set(matrix.public_variables())
    stale = [name for name in matrix.classified() if name not in public]
    assert stale == [], f"classified in change_matrix.yml but no such variable (or it is wiring): {stale}"


def test_wiring_is_found_and_not_asked_for():
    assert {"ecs_alb_tags", "rds_subnet_ids", "posture_environment", "payments_tags"} <= matrix.wired()
    assert "payments_extra_tags" not in matrix.wired()


@pytest.mark.parametrize("name", sorted(matrix.in_place_values()))
def test_each_value_of_the_matrix_is_valid_and_a_change(name):
    current = matrix.value_in(matrix.ENV, name)
    values = matrix.in_place_values()[name]
    assert values, name
    spec = matrix.specs().get(name)
    for value in values:
        assert value != current, f"{name}: {value!r} is dev's value already"
        if spec is None or (isinstance(value, str) and value.startswith("@")):
            continue
        option = {k: v for k, v in spec.items() if k not in ("description", "default")}
        result = ArgumentSpecValidator({name: option}).validate({name: value})
        assert not result.error_messages, f"{name}={value!r}: {result.error_messages}"


def test_generated_values_follow_the_spec():
    assert matrix.generated_values("x", "single", {"type": "str", "choices": ["single", "one_per_az", "none"]}) == [
        "one_per_az",
        "none",
    ]
    assert matrix.generated_values("x", True, {"type": "bool"}) == [False]
    assert matrix.generated_values("x", 30, {"type": "int"}) == [60]
    assert matrix.generated_values("x", {}, None) == [{"MatrixKey": "matrix"}]
    with pytest.raises(ValueError, match="give them"):
        matrix.generated_values("x", "/health", {"type": "str"})


def test_steps_visit_every_value_and_end_where_they_started():
    steps = matrix.steps()
    assert steps[-1] == {}
    for name, values in matrix.in_place_values().items():
        assert [step[name] for step in steps if name in step] == values
    for step in steps:
        if "ecs_alb_autoscaling_min_capacity" in step:
            assert step["ecs_alb_desired_count"] >= step["ecs_alb_autoscaling_min_capacity"]


def test_refused_values_differ_from_dev():
    for name, value in matrix.matrix()["refused"].items():
        assert str(value) != str(matrix.value_in(matrix.ENV, name)), name


@pytest.mark.parametrize(
    ("old", "new", "before", "after", "shown"),
    [
        (90, 75, {"threshold": 90.0}, {"threshold": 75.0}, True),
        (90, 75, {"threshold": 90.0}, {"threshold": 80.0}, False),
        (256, 512, {"cpu": "256"}, {"cpu": "512"}, True),
        (False, True, {"deletion_protection": False}, {"deletion_protection": True}, True),
        (False, True, {"multi_az": False}, {"multi_az": False, "other": True}, False),
        (0, 100, {"max_allocated_storage": None}, {"max_allocated_storage": 100}, True),
        (100, 0, {"max_allocated_storage": 100}, {"max_allocated_storage": None}, True),
        ("", "65536", {"parameters": {}}, {"parameters": {"effective_cache_size": "65536"}}, True),
        ({}, {"A": "b"}, {"tags": {"P": "x"}}, {"tags": {"P": "x", "A": "b"}}, True),
        ({"A": "b"}, {}, {"tags": {"P": "x", "A": "b"}}, {"tags": {"P": "x"}}, True),
        ({}, {"A": "b"}, {"tags": {"P": "x"}}, {"tags": {"P": "x"}}, False),
        (
            ["0.0.0.0/0"],
            ["10.0.0.0/8"],
            {"rules": [{"cidr_ip": "0.0.0.0/0"}]},
            {"rules": [{"cidr_ip": "10.0.0.0/8"}]},
            True,
        ),
    ],
)
def test_a_change_is_attributed_only_where_the_diff_shows_it(old, new, before, after, shown):
    assert matrix.shows_change([{"diff": {"before": before, "after": after}}], old, new) is shown


def test_a_set_converged_in_one_result_shows_each_resource_change_by_its_own_diff():
    # One module run converging the alarms returns one diff per alarm: CPU 90 -> 80 and memory 90 -> 80 beside
    # the database CPU 80 -> 70. Merged into one before and one after, 80 would be on both sides and cancel out.
    result = {
        "diff": [
            {"before": {"threshold": 90.0}, "after": {"threshold": 80.0}},
            {"before": {"threshold": 90.0}, "after": {"threshold": 80.0}},
            {"before": {"threshold": 80.0}, "after": {"threshold": 70.0}},
        ]
    }
    assert matrix.shows_change([result], 90, 80) is True
    assert matrix.shows_change([result], 80, 70) is True
    assert matrix.shows_change([result], 90, 75) is False


def test_grow_only_values_are_larger_and_their_smaller_ones_refused():
    for name, value in matrix.grown().items():
        assert value > matrix.value_in(matrix.ENV, name), name
        assert matrix.matrix()["refused"][name] < matrix.value_in(matrix.ENV, name), name
