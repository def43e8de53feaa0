"""payments.infra module_utils.rds: the pure parts (versions, allowed values, formulas, validation)."""

import re

import pytest

from ansible_collections.payments.infra.plugins.module_utils import rds

GIB = 1024**3
T3_MICRO = {"memory_mib": 1024, "memory_bytes": GIB, "vcpus": 2}
R6G_LARGE = {"memory_mib": 16384, "memory_bytes": 16 * GIB, "vcpus": 2}


# ---------------------------------------------------------------------------------------------
# engine versions (the version to build: tests/unit/plugins/filter/test_rds_engine_version.py)
# ---------------------------------------------------------------------------------------------
def test_version_key_orders_numerically():
    assert sorted(["15.10", "15.9", "15.14", "15.7"], key=rds.version_key) == ["15.7", "15.9", "15.10", "15.14"]


# ---------------------------------------------------------------------------------------------
# allowed values
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("1-2147483647", [("range", 1, 2147483647)]),
        ("-1-2147483647", [("range", -1, 2147483647)]),
        ("0-1.79769e+308", [("range", 0, 1.79769e308)]),
        ("0-1", [("range", 0, 1)]),
        ("0,1", [("value", "0"), ("value", "1")]),
        ("none,ddl,mod,all", [("value", "none"), ("value", "ddl"), ("value", "mod"), ("value", "all")]),
        ("0,1-100, 200-300", [("value", "0"), ("range", 1, 100), ("range", 200, 300)]),
        ("", []),
        (None, []),
        ("^[a-z]+$", [("regex", "^[a-z]+$")]),
    ],
)
def test_parse_allowed_values(text, items):
    assert rds.parse_allowed_values(text) == items


def test_number_allowed():
    items = rds.parse_allowed_values("-1,5-10")
    assert rds.number_allowed(-1, items) and rds.number_allowed(7, items)
    assert not rds.number_allowed(0, items) and not rds.number_allowed(11, items)
    assert rds.number_allowed(123, [])


# ---------------------------------------------------------------------------------------------
# formulas
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("{DBInstanceClassMemory/16384}", GIB // 16384),
        ("{DBInstanceClassMemory*3/32768}", GIB * 3 // 32768),
        ("{ DBInstanceClassMemory * 3 / 4 }", GIB * 3 // 4),
        ("LEAST({DBInstanceClassMemory/9531392},5000)", 112),
        ("GREATEST({DBInstanceClassMemory*1024/63963136},65536)", 65536),
        ("SUM({DBInstanceVCPU*2},1)", 5),
        ("GREATEST(${DBInstanceVCPU*2},8)", 8),
        ("IF({DBInstanceVCPU},7,9)", 7),
        ("42", 42),
    ],
)
def test_formulas_evaluate(formula, value):
    assert rds.evaluate_formula(formula, {"DBInstanceClassMemory": GIB, "DBInstanceVCPU": 2}) == value


def test_log_is_base_2_of_the_truncated_quotient():
    assert (
        rds.evaluate_formula("{log(DBInstanceClassMemory/8187281408)*1000}", {"DBInstanceClassMemory": 64 * GIB})
        == 3000
    )
    # The quotient is 0 on a small class; RDS does not document what log(0) is: not checked, not refused.
    default = "GREATEST({log(DBInstanceClassMemory/21474836480)*600},200)"
    assert rds.evaluate_formula(default, {"DBInstanceClassMemory": GIB}) is rds.UNKNOWN


def test_formula_without_a_value_for_its_variable_is_unknown():
    assert rds.evaluate_formula("{DBInstanceClassMemory/16384}") is rds.UNKNOWN
    assert rds.evaluate_formula("GREATEST({AllocatedStorage/1024},5)", {"DBInstanceClassMemory": GIB}) is rds.UNKNOWN


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("{DBInstanceMemory*3/4}", "unknown formula variable 'DBInstanceMemory' (did you mean DBInstanceClassMemory?)"),
        ("MAX({DBInstanceClassMemory/4},1)", "unknown function 'MAX'"),
        ("{DBInstanceClassMemory/0}", "division by zero"),
        ("{DBInstanceClassMemory/4", "'}' expected"),
        ("{DBInstanceClassMemory-4}", "only the operators * and /"),
        ("DBInstanceClassMemory/4", "formula variables go inside braces: {DBInstanceClassMemory}"),
        ("{DBInstanceClassMemory/4}}", "unexpected '}'"),
        ("IF({DBInstanceVCPU},1)", "IF takes 3 arguments"),
    ],
)
def test_invalid_formulas(formula, message):
    with pytest.raises(rds.FormulaError, match=re.escape(message)):
        rds.evaluate_formula(formula, {"DBInstanceClassMemory": GIB})


def test_is_formula():
    assert rds.is_formula("{DBInstanceClassMemory/4}")
    assert rds.is_formula("GREATEST({DBInstanceClassMemory/4},1)")
    assert not rds.is_formula("ddl") and not rds.is_formula(5)


# ---------------------------------------------------------------------------------------------
# validation (engine defaults shaped like DescribeEngineDefaultParameters)
# ---------------------------------------------------------------------------------------------
def meta(data_type, allowed=None, apply_type="dynamic", modifiable=True, value=None):
    entry = {"DataType": data_type, "ApplyType": apply_type, "IsModifiable": modifiable}
    if allowed is not None:
        entry["AllowedValues"] = allowed
    if value is not None:
        entry["ParameterValue"] = value
    return entry


DEFAULTS = {
    "log_statement": meta("string", "none,ddl,mod,all"),
    "log_min_duration_statement": meta("integer", "-1-2147483647"),
    "log_connections": meta("boolean", "0,1"),
    "effective_cache_size": meta("integer", "1-2147483647", value="{DBInstanceClassMemory/16384}"),
    "shared_buffers": meta("integer", "16-1073741823", apply_type="static", value="{DBInstanceClassMemory/32768}"),
    "work_mem": meta("integer", "64-2147483647"),
    "random_page_cost": meta("float", "0-1.79769e+308"),
    "shared_preload_libraries": meta("list", "auto_explain,pg_cron,pg_stat_statements", apply_type="static"),
    "port": meta("integer", "1-65535", apply_type="static", modifiable=False, value="{EndPointPort}"),
    "search_path": meta("string"),
    "huge_pages": meta("string", "on,off", apply_type="static"),
}


def validate(parameters, resources=T3_MICRO, instance_class="db.t3.micro"):
    return rds.validate_parameters(parameters, DEFAULTS, "postgres15", instance_class, resources)


def test_valid_values_render_as_rds_stores_them():
    rendered, errors, notes = validate(
        {
            "log_statement": "DDL",
            "log_min_duration_statement": -1,
            "log_connections": True,
            "effective_cache_size": "{DBInstanceClassMemory*3/32768}",
            "work_mem": "4096",
            "random_page_cost": 1.1,
            "shared_preload_libraries": ["pg_stat_statements", "pg_cron"],
            "search_path": "public",
        }
    )
    assert errors == [] and notes == []
    assert rendered == {
        "log_statement": "ddl",
        "log_min_duration_statement": "-1",
        "log_connections": "1",
        "effective_cache_size": "{DBInstanceClassMemory*3/32768}",
        "work_mem": "4096",
        "random_page_cost": "1.1",
        "shared_preload_libraries": "pg_stat_statements,pg_cron",
        "search_path": "public",
    }


@pytest.mark.parametrize("word", [True, "true", "on", "yes", 1, "1"])
def test_boolean_true_spellings(word):
    rendered, errors, _ = validate({"log_connections": word})
    assert errors == [] and rendered == {"log_connections": "1"}


def test_yaml_booleans_for_text_parameters_take_the_allowed_spelling():
    rendered, errors, _ = validate({"huge_pages": False})
    assert errors == [] and rendered == {"huge_pages": "off"}
    _, errors, _ = validate({"search_path": True})
    assert errors == [
        "parameters.search_path=True is invalid: search_path is a string, and YAML read the value as a boolean "
        "(quote it); the parameter has no listed allowed values"
    ]


def test_every_error_is_collected():
    rendered, errors, _ = validate(
        {
            "log_statment": "ddl",
            "log_statement": "bogus",
            "port": 5433,
            "work_mem": "4MB",
            "effective_cache_size": 393216,
            "log_connections": "maybe",
            "random_page_cost": "fast",
            "shared_preload_libraries": "pg_stat_statements,timescaledb",
            "log_min_duration_statement": -5,
        }
    )
    assert rendered == {}
    assert errors == [
        "parameters.effective_cache_size=393216 (3 GiB) exceeds the memory of db.t3.micro (1 GiB): at most 131072 "
        "(8kB pages); the RDS default is {DBInstanceClassMemory/16384}",
        "parameters.log_connections=maybe is invalid: log_connections is a boolean (true/false, 1/0); allowed values "
        "are 0,1",
        "parameters.log_min_duration_statement=-5 is invalid: allowed values are -1-2147483647",
        "parameters.log_statement=bogus is invalid: allowed values are none,ddl,mod,all",
        "parameters.log_statment is not a parameter of family postgres15; did you mean log_statement?",
        "parameters.port cannot be set: RDS does not allow modifying it in family postgres15 (IsModifiable false; "
        "its value is {EndPointPort})",
        "parameters.random_page_cost=fast is invalid: random_page_cost is a number; allowed values are 0-1.79769e+308",
        "parameters.shared_preload_libraries=pg_stat_statements,timescaledb is invalid: 'timescaledb' is not "
        "allowed; allowed values are auto_explain,pg_cron,pg_stat_statements",
        "parameters.work_mem=4MB is invalid: work_mem is an integer in kB, without a unit suffix; allowed values "
        "are 64-2147483647",
    ]


def test_memory_check_depends_on_the_class():
    assert validate({"effective_cache_size": 393216}, R6G_LARGE, "db.r6g.large")[1] == []
    _, errors, _ = validate({"shared_buffers": "{DBInstanceClassMemory*2/8192}"})
    assert errors == [
        "parameters.shared_buffers={DBInstanceClassMemory*2/8192} = 262144 (2 GiB) exceeds the memory of db.t3.micro "
        "(1 GiB): at most 131072 (8kB pages); the RDS default is {DBInstanceClassMemory/32768}"
    ]


def test_without_a_class_memory_is_not_checked_but_noted():
    rendered, errors, notes = validate({"effective_cache_size": 393216}, None, None)
    assert errors == [] and rendered == {"effective_cache_size": "393216"}
    assert notes == ["effective_cache_size"]


def test_formula_errors_name_the_parameter():
    _, errors, _ = validate({"effective_cache_size": "{DBInstanceMemory*3/4}", "log_statement": "{DBInstanceVCPU}"})
    assert errors[0].startswith("parameters.effective_cache_size={DBInstanceMemory*3/4} is invalid: unknown formula")
    assert errors[1].startswith("parameters.log_statement={DBInstanceVCPU} is invalid: formulas are only allowed")


def test_formula_result_checked_against_allowed_values():
    _, errors, _ = validate({"log_min_duration_statement": "{DBInstanceVCPU*0}"})
    assert errors == []
    _, errors, _ = validate({"work_mem": "{DBInstanceVCPU/4}"})
    assert errors == [
        "parameters.work_mem={DBInstanceVCPU/4} is invalid: it is 0 on db.t3.micro; allowed values are 64-2147483647"
    ]


@pytest.mark.parametrize("value", [True, 1.5, "1.5", None, {"a": 1}])
def test_integer_wrong_types(value):
    _, errors, _ = validate({"log_min_duration_statement": value})
    assert len(errors) == 1 and errors[0].startswith("parameters.log_min_duration_statement=")


def test_comparable_values():
    assert rds.comparable_value("1", DEFAULTS["log_connections"]) == rds.comparable_value(
        True, DEFAULTS["log_connections"]
    )
    assert rds.comparable_value("0042", DEFAULTS["work_mem"]) == 42
    assert rds.comparable_value("{ DBInstanceClassMemory / 4 }") == rds.comparable_value("{DBInstanceClassMemory/4}")
    assert rds.comparable_value("1.10", DEFAULTS["random_page_cost"]) == 1.1
    assert rds.comparable_value("a, b", DEFAULTS["shared_preload_libraries"]) == ("a", "b")
    assert rds.comparable_value(None) is None


def test_apply_method_and_batches():
    assert rds.apply_method(DEFAULTS["shared_buffers"]) == "pending-reboot"
    assert rds.apply_method(DEFAULTS["work_mem"]) == "immediate"
    assert [len(b) for b in rds.batches(range(45))] == [20, 20, 5]


def test_instance_class_form():
    assert rds.instance_class_problem("db.t3.micro") is None
    assert "is invalid" in rds.instance_class_problem("t3.micro")


def test_family_engine():
    assert rds.family_engine("postgres15") == "postgres"
    assert rds.family_engine("aurora-postgresql15") == "aurora-postgresql"
    assert rds.family_engine("mysql8.0") == "mysql"
    assert rds.memory_parameters("mysql8.0") == {"innodb_buffer_pool_size": 1}
