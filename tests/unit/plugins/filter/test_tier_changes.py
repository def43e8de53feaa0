"""payments.infra.tier_changes and census.tier_of: what a run created and destroyed, per tier."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.run_summary import tier_changes
from ansible_collections.payments.infra.plugins.module_utils.census import TIER_OF_TYPE
from ansible_collections.payments.infra.plugins.module_utils.census import TYPES
from ansible_collections.payments.infra.plugins.module_utils.census import tier_of


def res(kind, rid, name=None, env="dev"):
    return {"type": kind, "id": rid, "name": name or rid, "environment": env}


def test_every_census_type_has_a_tier():
    assert [t for t in TYPES if tier_of({"type": t, "name": "x"}) == "other"] == []
    assert set(TIER_OF_TYPE.values()) <= {"network", "ecr", "s3", "rds", "ecs_alb", "observability"}


@pytest.mark.parametrize(
    ("kind", "name", "tier"),
    [
        ("log_group", "/payment/dev/flow-logs", "network"),
        ("log_group", "/payment/dev/app", "ecs_alb"),
        ("iam_role", "payment-flow-logs-dev", "network"),
        ("iam_role", "payment-task-execution-dev", "ecs_alb"),
        ("nat_gateway", "payment-nat-dev-a", "network"),
        ("db_instance", "payment-db-dev", "rds"),
    ],
)
def test_tier_of(kind, name, tier):
    assert tier_of({"type": kind, "name": name}) == tier


def test_created_and_destroyed_are_counted_per_tier_for_one_environment():
    before = [res("vpc", "vpc-1"), res("subnet", "subnet-1"), res("sns_topic", "t-old")]
    before.append(res("vpc", "vpc-9", env="prod"))
    after = [
        res("vpc", "vpc-1"),
        res("subnet", "subnet-1"),
        res("subnet", "subnet-2"),
        res("db_instance", "payment-db-dev"),
        res("vpc", "vpc-8", env="staging"),  # another environment's: not this run's
        res("ecr_repository", "payment-api", env=None),  # shared, named
    ]
    assert tier_changes(before, after, "dev", ["payment-api"]) == {
        "network": {"created": 1, "destroyed": 0},
        "rds": {"created": 1, "destroyed": 0},
        "observability": {"created": 0, "destroyed": 1},
        "ecr": {"created": 1, "destroyed": 0},
    }


def test_a_converged_run_created_nothing():
    same = [res("vpc", "vpc-1"), res("subnet", "subnet-1")]
    assert tier_changes(same, list(same), "dev") == {}


def test_not_two_lists_is_refused():
    with pytest.raises(AnsibleFilterError, match="two lists"):
        tier_changes({"resources": []}, [], "dev")
