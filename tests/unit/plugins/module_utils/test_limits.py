"""The one table of limits (plugins/module_utils/limits.py): complete, in agreement with the argument specs, and
every generated bad value refused and every valid edge accepted by it."""

import sys
from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

from ansible_collections.payments.infra.plugins.filter.names import resource_names as names_filter
from ansible_collections.payments.infra.plugins.module_utils import limits
from ansible_collections.payments.infra.plugins.module_utils.limits import LIMITS
from ansible_collections.payments.infra.plugins.module_utils.limits import RULES
from ansible_collections.payments.infra.plugins.module_utils.limits import refusal
from ansible_collections.payments.infra.plugins.module_utils.limits import refusals
from ansible_collections.payments.infra.plugins.module_utils.names import resource_names

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tests" / "integration"))
import limits_cases
import matrix

ROOT = Path(__file__).resolve().parents[4]

SPEC_TYPES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "list": "list", "dict": "dict"}


def test_every_public_variable_and_every_role_option_has_a_limit():
    names = set(matrix.public_variables()) | set(matrix.specs()) | {"payments_region"}
    missing = sorted(names - set(LIMITS) - {"ansible_connection", "ansible_python_interpreter"})
    assert missing == [], f"no limit in plugins/module_utils/limits.py: {missing}"


def test_no_limit_for_a_variable_that_does_not_exist():
    common, _ = matrix.group_vars()
    names = set(matrix.public_variables()) | set(matrix.specs()) | set(common) | {"payments_region"}
    assert sorted(set(LIMITS) - names) == []


@pytest.mark.parametrize("name", sorted(matrix.specs()))
def test_the_limit_agrees_with_the_argument_spec(name):
    spec, limit = matrix.specs()[name], LIMITS[name]
    assert SPEC_TYPES[spec.get("type", "str")] == limit["type"], name
    if spec.get("choices"):
        assert list(spec["choices"]) == list(limit["choices"]), name
    if spec.get("elements") and limit.get("elements"):
        assert SPEC_TYPES[spec["elements"]] == limit["elements"]["type"], name
    if spec.get("options") and limit.get("elements", {}).get("options"):
        assert set(spec["options"]) <= set(limit["elements"]["options"]), name
    # The role default is valid for its own limit (a name from the names table: for a role told its environment).
    if "default" in spec and spec["default"] is not None:
        assert refusal(name, _rendered(spec["default"]), limit) is None


def _rendered(default):
    """A role default as a role used alone for environment e2e renders it (names come from the names table)."""
    if not _templated(default):
        return default
    variables = {**{k: v.get("default") for k, v in matrix.specs().items()}}
    variables.update({k: "e2e" for k in variables if k.endswith("_environment")})
    templar = Templar(loader=DataLoader(), variables={k: _trusted(v) for k, v in variables.items()})
    templar.environment.filters["payments.infra.resource_names"] = names_filter
    return templar.template(trust_as_template(default))


def _trusted(value):
    return trust_as_template(value) if isinstance(value, str) else value


def test_the_environments_are_valid():
    for env_name in ("dev", "staging", "prod"):
        names = [n for n in LIMITS if n in matrix.specs() or n in matrix.public_variables()]
        values = {n: matrix.value_in(env_name, n) for n in names}
        values = {n: v for n, v in values.items() if v is not None and not _templated(v)}
        assert refusals(values, production=env_name == "prod", environment=env_name) == [], env_name


def _templated(value):
    return "{{" in str(value)


@pytest.mark.parametrize(("name", "value", "why"), limits_cases.bad_cases())
def test_every_generated_bad_value_is_refused_naming_the_variable(name, value, why):
    message = refusal(name, value, LIMITS[name])
    assert message, f"{name}={value!r} ({why}) accepted"
    assert message.startswith(name) and ("valid is" in message or "missing" in message or "cannot be set" in message)


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_every_valid_edge_is_accepted(name):
    edges = limits_cases.edge_values(LIMITS[name])
    assert edges, f"no edge value generated for {name}"
    assert [refusal(name, value, LIMITS[name]) for value in edges] == [None] * len(edges)


def test_the_emulator_refuses_the_retentions_the_preflight_refuses():
    """Two models of one AWS list (the emulator stands for AWS on its own): they must agree."""
    from emulator.fidelity import logs

    assert tuple(logs.RETENTION_DAYS) == limits.RETENTION_DAYS


def test_every_retention_aws_accepts_is_accepted_and_only_those():
    for name in ("network_flow_logs_retention_days", "ecs_alb_log_retention_days"):
        accepted = [d for d in range(4000) if refusal(name, d, LIMITS[name]) is None]
        assert accepted == list(limits.RETENTION_DAYS)
    assert 2557 in limits.RETENTION_DAYS and len(limits.RETENTION_DAYS) == 22


def test_every_rule_has_a_case():
    assert sorted(function.__name__ for _, function in RULES) == sorted(limits_cases.RULE_CASES)


def test_a_production_protection_is_refused_unless_confirmed():
    for name, lowered in limits_cases.protection_cases():
        found = refusals({name: lowered}, production=True, environment="prod")
        assert len(found) == 1 and "-e confirm=prod" in found[0] and name in found[0], found
        assert refusals({name: lowered}, production=True, confirmed=True, environment="prod") == []
        assert refusals({name: lowered}, production=False, environment="dev") == []


def test_the_ownership_tags_cannot_be_set_as_extra_tags():
    for key in ("Environment", "ManagedBy", "Project", "environment"):
        message = refusal("payments_extra_tags", {key: "x"}, LIMITS["payments_extra_tags"])
        assert message and "the project's own" in message


def test_a_refusal_is_said_once_of_the_variable_that_was_set():
    values = {"payments_region": "us-east-7", "ecs_alb_region": "us-east-7"}
    found = refusals(values, made_of={"ecs_alb_region": {"payments_region"}})
    assert len(found) == 1 and found[0].startswith("payments_region='us-east-7' is invalid")


def test_a_value_is_converted_as_ansible_converts_it():
    assert refusal("network_az_count", "3", LIMITS["network_az_count"]) is None
    assert refusal("rds_multi_az", "yes", LIMITS["rds_multi_az"]) is None
    assert refusal("network_az_count", True, LIMITS["network_az_count"])
    assert refusal("network_az_count", 2.5, LIMITS["network_az_count"])


# AWS's length limits of the names the table makes (IAM roles 64, buckets 63, SNS topics 256, scaling policies 256,
# RDS identifiers 63, DB subnet and parameter groups 255, ECS names 255, log groups 512).
NAME_LIMITS = {
    "task_execution_role": 64,
    "task_role": 64,
    "flow_log_role": 64,
    "alarm_topic": 256,
    "autoscaling_policy": 256,
    "db_instance": 63,
    "db_subnet_group": 255,
    "db_parameter_group": 255,
    "ecs_cluster": 255,
    "ecs_service": 255,
    "app_log_group": 512,
    "flow_log_group": 512,
}


def test_the_names_of_the_table_fit_whatever_prefix_and_environment_the_limits_allow():
    """Every name of the names table at its longest (the longest prefix and environment the limits accept)."""
    prefix, environment = "p" * 20, "e" * 20
    assert refusal("payments_name_prefix", prefix, LIMITS["payments_name_prefix"]) is None
    assert refusal("payments_environment", environment, LIMITS["payments_environment"]) is None
    names = resource_names(prefix, environment)
    too_long = {kind: len(names[kind]) for kind, most in NAME_LIMITS.items() if len(names[kind]) > most}
    assert too_long == {}
    # The bucket completes its prefix with the account id; the lock bucket (run_lock_bucket_prefix at its longest)
    # with the account id and the region.
    assert len(names["bucket_prefix"] + "1" * 12) <= 63
    assert len(names["access_log_bucket_prefix"] + "1" * 12) <= 63
    assert len(f"{'p' * 24}-{'1' * 12}-ap-southeast-4") <= 63


def test_every_value_the_change_matrix_sets_is_within_the_limits():
    """The change matrix changes live environments with values the preflight accepts (else it proves a refusal)."""
    outside = {}
    for name, values in matrix.in_place_values().items():
        for value in values:
            if isinstance(value, str) and value.startswith("@"):
                continue
            message = refusal(name, value, LIMITS[name])
            if message:
                outside[name] = message
    assert outside == {}
