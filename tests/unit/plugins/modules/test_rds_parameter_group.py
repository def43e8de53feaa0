"""payments.infra.rds_parameter_group against moto in-process with the emulator's RDS fidelity."""

import json
from pathlib import Path

import boto3
import pytest

from ansible_collections.payments.infra.plugins.module_utils.rds import parse_allowed_values
from ansible_collections.payments.infra.plugins.modules import rds_parameter_group

NAME = "payment-db-params-dev"
REGION = "us-east-1"
WRITE_OPS = {
    "CreateDBParameterGroup",
    "ModifyDBParameterGroup",
    "ResetDBParameterGroup",
    "DeleteDBParameterGroup",
    "AddTagsToResource",
    "RemoveTagsFromResource",
}
DATA = json.loads((Path(__file__).resolve().parents[4] / "emulator/data/rds_postgres.json").read_text())
DEFAULTS_15 = {p["ParameterName"]: p for p in DATA["EngineDefaults"]["postgres15"]}


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


def sent(calls, operation):
    """The Parameters lists sent to an operation, one per call."""
    return [params["Parameters"] for name, params in calls if name == operation]


@pytest.fixture
def rds(aws):
    return boto3.client("rds", region_name=REGION)


def user_parameters(client, name=NAME):
    pages = client.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=name, Source="user")
    return {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}


def group_exists(client, name=NAME):
    try:
        return bool(client.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"])
    except client.exceptions.DBParameterGroupNotFoundFault:
        return False


def args(**extra):
    base = {"name": NAME, "family": "postgres15", "instance_class": "db.t3.micro"}
    base.update(extra)
    return base


BASE = {"log_statement": "ddl", "log_min_duration_statement": 1000, "log_connections": True}


# ---------------------------------------------------------------------------------------------
# create, re-run, change
# ---------------------------------------------------------------------------------------------
def test_create_with_parameters_and_tags_then_rerun_is_unchanged(run_module, rds, api_calls):
    result = run_module(rds_parameter_group, args(parameters=BASE, tags={"Environment": "dev"}))
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["name"] == NAME and result["family"] == "postgres15"
    assert result["arn"].endswith(f":pg:{NAME}")
    assert result["parameters"] == {
        "log_connections": "1",
        "log_min_duration_statement": "1000",
        "log_statement": "ddl",
    }
    assert result["pending_reboot"] == []
    assert result["tags"] == {"Environment": "dev"}
    assert writes(api_calls) == ["CreateDBParameterGroup", "ModifyDBParameterGroup"]
    create = next(p for name, p in api_calls if name == "CreateDBParameterGroup")
    assert create["Tags"] == [{"Key": "Environment", "Value": "dev"}]
    assert create["Description"] == "Managed by payments.infra"
    assert sorted(sent(api_calls, "ModifyDBParameterGroup")[0], key=lambda p: p["ParameterName"]) == [
        {"ParameterName": "log_connections", "ParameterValue": "1", "ApplyMethod": "immediate"},
        {"ParameterName": "log_min_duration_statement", "ParameterValue": "1000", "ApplyMethod": "immediate"},
        {"ParameterName": "log_statement", "ParameterValue": "ddl", "ApplyMethod": "immediate"},
    ]
    assert user_parameters(rds) == result["parameters"]

    api_calls.clear()
    again = run_module(rds_parameter_group, args(parameters=BASE, tags={"Environment": "dev"}))
    assert again["changed"] is False, again
    assert again["parameters"] == result["parameters"]
    assert writes(api_calls) == []


def test_same_values_in_other_spellings_are_unchanged(run_module, rds, api_calls):
    formula = {"effective_cache_size": "{DBInstanceClassMemory*3/32768}"}
    run_module(rds_parameter_group, args(parameters=dict(BASE, **formula)))
    api_calls.clear()
    spelled = {
        "log_statement": "DDL",
        "log_min_duration_statement": "1000",
        "log_connections": "on",
        "effective_cache_size": "{ DBInstanceClassMemory * 3 / 32768 }",
    }
    result = run_module(rds_parameter_group, args(parameters=spelled))
    assert result["changed"] is False, result
    assert writes(api_calls) == []


def test_dynamic_change_applies_immediately(run_module, rds, api_calls):
    run_module(rds_parameter_group, args(parameters=BASE))
    api_calls.clear()
    result = run_module(rds_parameter_group, args(parameters=dict(BASE, log_min_duration_statement=250)))
    assert result["changed"] is True
    assert result["changed_parameters"] == ["log_min_duration_statement"]
    assert result["pending_reboot"] == []
    assert sent(api_calls, "ModifyDBParameterGroup") == [
        [{"ParameterName": "log_min_duration_statement", "ParameterValue": "250", "ApplyMethod": "immediate"}]
    ]
    assert user_parameters(rds)["log_min_duration_statement"] == "250"


@pytest.mark.parametrize(
    ("parameter", "value", "stored"),
    [
        ("shared_preload_libraries", ["pg_stat_statements", "pg_cron"], "pg_stat_statements,pg_cron"),
        ("shared_buffers", "{DBInstanceClassMemory/16384}", "{DBInstanceClassMemory/16384}"),
    ],
)
def test_static_change_waits_for_a_reboot(run_module, rds, api_calls, parameter, value, stored):
    run_module(rds_parameter_group, args(parameters=BASE))
    api_calls.clear()
    result = run_module(rds_parameter_group, args(parameters=dict(BASE, **{parameter: value})))
    assert result["changed"] is True, result
    assert result["pending_reboot"] == [parameter]
    assert sent(api_calls, "ModifyDBParameterGroup") == [
        [{"ParameterName": parameter, "ParameterValue": stored, "ApplyMethod": "pending-reboot"}]
    ]
    assert user_parameters(rds)[parameter] == stored


def valid_value(meta):
    """A value AllowedValues accepts (the low end of the first range, or the first listed value)."""
    item = parse_allowed_values(meta.get("AllowedValues"))[0]
    return str(item[1])


def test_more_than_20_changes_go_in_calls_of_at_most_20(run_module, rds, api_calls):
    memory = {"shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem"}
    many = {
        name: valid_value(meta)
        for name, meta in sorted(DEFAULTS_15.items())
        if meta.get("IsModifiable") and meta.get("AllowedValues") and name not in memory
    }
    assert len(many) > 20
    result = run_module(rds_parameter_group, args(parameters=many))
    assert result.get("failed") is not True, result
    batches = sent(api_calls, "ModifyDBParameterGroup")
    assert [len(b) for b in batches] == [20, len(many) - 20]
    assert set(user_parameters(rds)) == set(many)


# ---------------------------------------------------------------------------------------------
# validation: everything fails before any write, all problems at once
# ---------------------------------------------------------------------------------------------
INVALID = {
    "unknown name with a suggestion": (
        {"log_statment": "ddl"},
        "parameters.log_statment is not a parameter of family postgres15; did you mean log_statement?",
    ),
    "unknown name": ({"no_such_setting": 1}, "parameters.no_such_setting is not a parameter of family postgres15"),
    "value not allowed": (
        {"log_statement": "bogus"},
        "parameters.log_statement=bogus is invalid: allowed values are none,ddl,mod,all",
    ),
    "above the memory of db.t3.micro": (
        {"effective_cache_size": 393216},
        "parameters.effective_cache_size=393216 (3 GiB) exceeds the memory of db.t3.micro (1 GiB): at most 131072 "
        "(8kB pages); the RDS default is {DBInstanceClassMemory/16384}",
    ),
    "formula above the memory": (
        {"shared_buffers": "{DBInstanceClassMemory*2/8192}"},
        "parameters.shared_buffers={DBInstanceClassMemory*2/8192} = 262144 (2 GiB) exceeds the memory of db.t3.micro",
    ),
    "negative value": (
        {"effective_cache_size": -5},
        "parameters.effective_cache_size=-5 is invalid: allowed values are",
    ),
    "not modifiable": ({"port": 5433}, "parameters.port cannot be set: RDS does not allow modifying it"),
    "wrong type, float": (
        {"random_page_cost": "fast"},
        "parameters.random_page_cost=fast is invalid: random_page_cost",
    ),
    "wrong type, unit suffix": (
        {"work_mem": "4MB"},
        "parameters.work_mem=4MB is invalid: work_mem is an integer in kB",
    ),
    "wrong type, boolean": ({"log_connections": "maybe"}, "log_connections is a boolean (true/false, 1/0)"),
    "unknown formula variable": (
        {"effective_cache_size": "{DBInstanceMemory*3/4}"},
        "unknown formula variable 'DBInstanceMemory' (did you mean DBInstanceClassMemory?)",
    ),
    "formula on a string": ({"log_statement": "{DBInstanceVCPU}"}, "formulas are only allowed for integer and boolean"),
    "library not offered": (
        {"shared_preload_libraries": "pg_stat_statements,timescaledb"},
        "'timescaledb' is not allowed; allowed values are",
    ),
    "no value": ({"log_statement": None}, "parameters.log_statement=None is invalid: a parameter needs a value"),
}


@pytest.mark.parametrize("case", sorted(INVALID), ids=str)
def test_invalid_parameters_fail_before_any_write(run_module, rds, api_calls, case):
    parameters, message = INVALID[case]
    result = run_module(rds_parameter_group, args(parameters=dict(BASE, **parameters)))
    assert result.get("failed") is True, result
    assert message in result["msg"], result["msg"]
    assert result["msg"].startswith(f"DB parameter group '{NAME}': 1 problem, nothing was changed:\n- ")
    assert writes(api_calls) == []
    assert not group_exists(rds)


def test_every_problem_is_listed_at_once(run_module, rds, api_calls):
    bad = {"log_statment": "ddl", "log_statement": "bogus", "effective_cache_size": 393216, "port": 1}
    result = run_module(rds_parameter_group, args(parameters=bad))
    assert result["failed"] is True
    assert len(result["errors"]) == 4
    assert result["msg"].startswith(f"DB parameter group '{NAME}': 4 problems, nothing was changed:")
    assert writes(api_calls) == []


def test_the_same_value_is_fine_on_a_larger_class(run_module, rds):
    result = run_module(
        rds_parameter_group, args(instance_class="db.r6g.large", parameters={"effective_cache_size": 393216})
    )
    assert result.get("failed") is not True, result
    assert result["parameters"] == {"effective_cache_size": "393216"}


def test_without_a_class_memory_is_not_checked_and_a_warning_says_so(run_module, rds, monkeypatch):
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    warnings = []
    monkeypatch.setattr(AnsibleAWSModule, "warn", lambda self, msg: warnings.append(msg))
    result = run_module(rds_parameter_group, {"name": NAME, "family": "postgres15", "parameters": {"work_mem": 4096}})
    assert result.get("failed") is not True, result
    assert warnings == [
        "work_mem not checked against the instance memory: give instance_class to check memory-sized parameters"
    ]


def test_family_of_an_existing_group_cannot_change(run_module, rds, api_calls):
    rds.create_db_parameter_group(DBParameterGroupName=NAME, DBParameterGroupFamily="postgres14", Description="old")
    api_calls.clear()
    result = run_module(rds_parameter_group, args(parameters=BASE))
    assert result["failed"] is True
    assert f"DB parameter group '{NAME}' exists with family postgres14, not postgres15" in result["msg"]
    assert "give the group for postgres15 another name" in result["msg"]
    assert writes(api_calls) == []


def test_unknown_family_lists_the_known_ones(run_module, rds, api_calls):
    result = run_module(rds_parameter_group, args(family="postgres99", parameters=BASE))
    assert result["failed"] is True
    assert result["msg"].startswith("family 'postgres99' is not a DB parameter group family RDS knows in us-east-1")
    assert "families of postgres: postgres13, postgres14, postgres15, postgres16, postgres17" in result["msg"]
    assert writes(api_calls) == []


def test_unknown_instance_class(run_module, rds, api_calls):
    result = run_module(rds_parameter_group, args(instance_class="db.x9.mega", parameters=BASE))
    assert result["failed"] is True
    assert "instance_class 'db.x9.mega' is unknown: EC2 knows no instance type 'x9.mega'" in result["msg"]
    assert writes(api_calls) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"name": "Payment_DB"}, "name 'Payment_DB' is invalid"),
        ({"name": "default.postgres15"}, "default.* groups belong to RDS"),
        ({"name": "a--b"}, "no two hyphens in a row"),
        ({"instance_class": "t3.micro"}, "instance_class 't3.micro' is invalid"),
        ({"description": " "}, "description must not be empty"),
    ],
)
def test_bad_options_fail_before_any_call(run_module, rds, api_calls, extra, message):
    result = run_module(rds_parameter_group, args(parameters=BASE, **extra))
    assert result["failed"] is True
    assert message in result["msg"]
    assert api_calls == []


def test_validation_runs_in_check_mode(run_module, rds, api_calls):
    result = run_module(rds_parameter_group, args(parameters={"effective_cache_size": 393216}), check_mode=True)
    assert result["failed"] is True
    assert "exceeds the memory of db.t3.micro" in result["msg"]
    assert writes(api_calls) == []


# ---------------------------------------------------------------------------------------------
# reset_unlisted, check mode, diff, tags
# ---------------------------------------------------------------------------------------------
def test_reset_unlisted(run_module, rds, api_calls):
    run_module(rds_parameter_group, args(parameters=dict(BASE, shared_preload_libraries="pg_stat_statements,pg_cron")))
    api_calls.clear()
    kept = {"log_statement": "ddl"}
    left_alone = run_module(rds_parameter_group, args(parameters=kept))
    assert left_alone["changed"] is False
    assert writes(api_calls) == []

    result = run_module(rds_parameter_group, args(parameters=kept, reset_unlisted=True))
    assert result["changed"] is True, result
    assert result["reset_parameters"] == ["log_connections", "log_min_duration_statement", "shared_preload_libraries"]
    assert result["pending_reboot"] == ["shared_preload_libraries"]
    assert result["parameters"] == {"log_statement": "ddl"}
    assert sent(api_calls, "ResetDBParameterGroup") == [
        [
            {"ParameterName": "log_connections", "ApplyMethod": "immediate"},
            {"ParameterName": "log_min_duration_statement", "ApplyMethod": "immediate"},
            {"ParameterName": "shared_preload_libraries", "ApplyMethod": "pending-reboot"},
        ]
    ]
    assert user_parameters(rds) == {"log_statement": "ddl"}

    api_calls.clear()
    again = run_module(rds_parameter_group, args(parameters=kept, reset_unlisted=True))
    assert again["changed"] is False
    assert writes(api_calls) == []


def test_check_mode_writes_nothing(run_module, rds, api_calls):
    created = run_module(rds_parameter_group, args(parameters=BASE, tags={"a": "1"}), check_mode=True)
    assert created["changed"] is True
    assert created["arn"] is None
    assert created["parameters"] == {
        "log_connections": "1",
        "log_min_duration_statement": "1000",
        "log_statement": "ddl",
    }
    assert writes(api_calls) == []
    assert not group_exists(rds)

    run_module(rds_parameter_group, args(parameters=BASE, tags={"a": "1"}))
    api_calls.clear()
    changed = run_module(
        rds_parameter_group,
        args(parameters={"shared_buffers": 16384}, tags={"b": "2"}, reset_unlisted=True),
        check_mode=True,
    )
    assert changed["changed"] is True
    assert changed["pending_reboot"] == ["shared_buffers"]
    assert changed["parameters"] == {"shared_buffers": "16384"}
    assert changed["tags"] == {"b": "2"}
    assert writes(api_calls) == []
    assert user_parameters(rds)["log_statement"] == "ddl"


def test_diff_shows_parameters_and_tags_before_and_after(run_module, rds):
    first = run_module(rds_parameter_group, args(parameters=BASE, tags={"a": "1"}), diff=True)
    assert first["diff"]["before"] == {}
    assert first["diff"]["after"]["parameters"]["log_statement"] == "ddl"
    result = run_module(
        rds_parameter_group, args(parameters=dict(BASE, log_statement="mod"), tags={"a": "2"}), diff=True
    )
    assert result["diff"]["before"] == {
        "parameters": {"log_connections": "1", "log_min_duration_statement": "1000", "log_statement": "ddl"},
        "tags": {"a": "1"},
    }
    assert result["diff"]["after"] == {
        "parameters": {"log_connections": "1", "log_min_duration_statement": "1000", "log_statement": "mod"},
        "tags": {"a": "2"},
    }


def test_tags_converge_on_the_group_arn(run_module, rds, api_calls):
    created = run_module(rds_parameter_group, args(tags={"a": "1", "b": "2"}))
    arn = created["arn"]
    api_calls.clear()
    result = run_module(rds_parameter_group, args(tags={"a": "1", "c": "3"}))
    assert result["changed"] is True and result["tags"] == {"a": "1", "c": "3"}
    assert [(n, p) for n, p in api_calls if n in ("AddTagsToResource", "RemoveTagsFromResource")] == [
        ("RemoveTagsFromResource", {"ResourceName": arn, "TagKeys": ["b"]}),
        ("AddTagsToResource", {"ResourceName": arn, "Tags": [{"Key": "c", "Value": "3"}]}),
    ]
    kept = run_module(rds_parameter_group, args(tags={"d": "4"}, purge_tags=False))
    assert kept["tags"] == {"a": "1", "c": "3", "d": "4"}
    untouched = run_module(rds_parameter_group, args())
    assert untouched["changed"] is False and untouched["tags"] == {"a": "1", "c": "3", "d": "4"}


# ---------------------------------------------------------------------------------------------
# absent
# ---------------------------------------------------------------------------------------------
def test_absent(run_module, rds, api_calls):
    run_module(rds_parameter_group, args(parameters=BASE))
    api_calls.clear()
    checked = run_module(rds_parameter_group, {"name": NAME, "state": "absent"}, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["diff"]["before"]["parameters"]["log_statement"] == "ddl"
    assert writes(api_calls) == [] and group_exists(rds)

    deleted = run_module(rds_parameter_group, {"name": NAME, "state": "absent"})
    assert deleted["changed"] is True
    assert writes(api_calls) == ["DeleteDBParameterGroup"]
    assert not group_exists(rds)

    again = run_module(rds_parameter_group, {"name": NAME, "state": "absent"})
    assert again["changed"] is False


def test_absent_while_in_use_fails_naming_the_instance(run_module, rds):
    run_module(rds_parameter_group, args(parameters=BASE))
    rds.create_db_instance(
        DBInstanceIdentifier="payment-db-dev",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        EngineVersion="15.14",
        AllocatedStorage=20,
        MasterUsername="payments",
        MasterUserPassword="not-a-real-password-1",
        DBParameterGroupName=NAME,
    )
    result = run_module(rds_parameter_group, {"name": NAME, "state": "absent"})
    assert result["failed"] is True
    assert result["msg"].startswith(
        f"DB parameter group '{NAME}' cannot be deleted: DB instances payment-db-dev use it"
    )
    assert result["instances"] == ["payment-db-dev"]
    assert group_exists(rds)
