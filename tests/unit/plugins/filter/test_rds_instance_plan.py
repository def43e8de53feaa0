"""rds_instance_plan: the before/after of what stock amazon.aws.rds_instance changes on a live instance (the plan)."""

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.rds import rds_instance_plan

INSTANCE = {
    "db_instance_identifier": "payment-db-dev",
    "engine_version": "15.14",
    "instance_class": "db.t3.micro",
    "allocated_storage": 20,
    "max_allocated_storage": None,
    "storage_type": "gp3",
    "iops": 3000,
    "storage_throughput": 125,
    "multi_az": False,
    "backup_retention_period": 7,
    "deletion_protection": False,
    "publicly_accessible": False,
    "copy_tags_to_snapshot": True,
    "auto_minor_version_upgrade": True,
    "db_parameter_group_name": "payment-db-params-dev",
    "vpc_security_group_ids": ["sg-b", "sg-a"],
    "enabled_cloudwatch_logs_exports": ["upgrade", "postgresql"],
    "pending_modified_values": {},
    "tags": {"Environment": "dev"},
}
# As roles/rds/vars/main.yml (__rds_in_place) gives them for dev.
WANTED = {
    "engine_version": "15.14",
    "instance_class": "db.t3.micro",
    "allocated_storage": 20,
    "max_allocated_storage": 0,
    "storage_type": "gp3",
    "iops": 0,
    "storage_throughput": 0,
    "multi_az": False,
    "backup_retention_period": 7,
    "deletion_protection": False,
    "publicly_accessible": False,
    "copy_tags_to_snapshot": True,
    "auto_minor_version_upgrade": True,
    "db_parameter_group_name": "payment-db-params-dev",
    "vpc_security_group_ids": ["sg-a", "sg-b"],
    "enable_cloudwatch_logs_exports": ["postgresql", "upgrade"],
    "tags": {"Environment": "dev"},
}


def test_as_built_is_no_change_the_baseline_and_order_are_not_differences():
    assert rds_instance_plan(INSTANCE, WANTED) == {"before": {}, "after": {}}


@pytest.mark.parametrize(
    ("change", "before", "after"),
    [
        ({"instance_class": "db.t3.small"}, {"instance_class": "db.t3.micro"}, {"instance_class": "db.t3.small"}),
        ({"allocated_storage": 30}, {"allocated_storage": 20}, {"allocated_storage": 30}),
        ({"max_allocated_storage": 100}, {"max_allocated_storage": None}, {"max_allocated_storage": 100}),
        ({"storage_type": "gp2"}, {"storage_type": "gp3"}, {"storage_type": "gp2"}),
        ({"multi_az": True}, {"multi_az": False}, {"multi_az": True}),
        ({"deletion_protection": True}, {"deletion_protection": False}, {"deletion_protection": True}),
        ({"backup_retention_period": 14}, {"backup_retention_period": 7}, {"backup_retention_period": 14}),
        ({"engine_version": "15.15"}, {"engine_version": "15.14"}, {"engine_version": "15.15"}),
        (
            {"vpc_security_group_ids": ["sg-a"]},
            {"vpc_security_group_ids": ["sg-a", "sg-b"]},
            {"vpc_security_group_ids": ["sg-a"]},
        ),
        (
            {"enable_cloudwatch_logs_exports": ["postgresql"]},
            {"enable_cloudwatch_logs_exports": ["postgresql", "upgrade"]},
            {"enable_cloudwatch_logs_exports": ["postgresql"]},
        ),
        (
            {"tags": {"Environment": "dev", "Owner": "x"}},
            {"tags": {"Environment": "dev"}},
            {"tags": {"Environment": "dev", "Owner": "x"}},
        ),
    ],
)
def test_each_in_place_change_is_its_own_before_and_after(change, before, after):
    assert rds_instance_plan(INSTANCE, {**WANTED, **change}) == {"before": before, "after": after}


def test_max_allocated_storage_zero_is_autoscaling_off():
    scaling = {**INSTANCE, "max_allocated_storage": 100}
    assert rds_instance_plan(scaling, WANTED) == {
        "before": {"max_allocated_storage": 100},
        "after": {"max_allocated_storage": None},
    }


def test_values_pending_count_as_requested():
    pending = {**INSTANCE, "pending_modified_values": {"db_instance_class": "db.t3.small", "allocated_storage": 30}}
    assert rds_instance_plan(pending, {**WANTED, "instance_class": "db.t3.small", "allocated_storage": 30}) == {
        "before": {},
        "after": {},
    }
    exports = {
        **INSTANCE,
        "pending_modified_values": {
            "pending_cloudwatch_logs_exports": {"log_types_to_enable": [], "log_types_to_disable": ["upgrade"]}
        },
    }
    assert rds_instance_plan(exports, {**WANTED, "enable_cloudwatch_logs_exports": ["postgresql"]})["after"] == {}


def test_explicit_iops_and_throughput_are_compared():
    big = {**INSTANCE, "allocated_storage": 400, "iops": 12000, "storage_throughput": 500}
    wanted = {**WANTED, "allocated_storage": 400, "iops": 16000, "storage_throughput": "500"}
    assert rds_instance_plan(big, wanted) == {"before": {"iops": 12000}, "after": {"iops": 16000}}


def test_strings_from_templates_compare_as_their_values():
    typed = {**WANTED, "allocated_storage": "20", "multi_az": "False", "backup_retention_period": "7"}
    assert rds_instance_plan(INSTANCE, typed) == {"before": {}, "after": {}}


def test_refuses_what_is_not_an_instance_and_settings():
    with pytest.raises(AnsibleFilterError, match="rds_instance_plan"):
        rds_instance_plan([INSTANCE], WANTED)


ROOT = Path(__file__).resolve().parents[4]
# The stock task's options that say how, not what: nothing to compare.
CONTROL = {
    "state",
    "db_instance_identifier",
    "purge_security_groups",
    "purge_cloudwatch_logs_exports",
    "purge_tags",
    "apply_immediately",
    "wait",
}
# Stock's option name -> the name of the setting in __rds_in_place and the instance view, where they differ.
RENAMED = {"db_instance_class": "instance_class"}
# A value of each setting other than INSTANCE's.
CHANGED = {
    "engine_version": "16.4",
    "instance_class": "db.t3.small",
    "allocated_storage": 40,
    "max_allocated_storage": 100,
    "storage_type": "io1",
    "iops": 4000,
    "storage_throughput": 500,
    "multi_az": True,
    "backup_retention_period": 14,
    "deletion_protection": True,
    "publicly_accessible": True,
    "copy_tags_to_snapshot": False,
    "auto_minor_version_upgrade": False,
    "db_parameter_group_name": "other-params",
    "vpc_security_group_ids": ["sg-c"],
    "enable_cloudwatch_logs_exports": ["postgresql"],
    "tags": {"Environment": "dev", "Owner": "ops"},
}


def test_the_plan_compares_every_option_the_stock_converge_is_given():
    """The role skips stock rds_instance when this plan is empty: that is safe only while the plan compares every
    setting the stock task passes. Read from the task itself, so an option added there without a comparison fails."""
    tasks = yaml.safe_load((ROOT / "roles/rds/tasks/present.yml").read_text())
    (stock,) = [t for t in tasks if "amazon.aws.rds_instance" in t]
    assert "rds_instance_plan(__rds_in_place)" in str(stock["when"])
    in_place = yaml.safe_load((ROOT / "roles/rds/vars/main.yml").read_text())["__rds_in_place"]
    for option in set(stock["amazon.aws.rds_instance"]) - CONTROL:
        setting = RENAMED.get(option, option)
        assert setting in in_place, f"stock rds_instance gets {option}, which __rds_in_place does not carry"
        changed = dict(WANTED, **{setting: CHANGED[setting]})
        assert setting in rds_instance_plan(INSTANCE, changed)["after"], f"the plan does not compare {setting}"
