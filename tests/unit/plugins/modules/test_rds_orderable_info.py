"""payments.infra.rds_orderable_info against moto in-process with the emulator's RDS fidelity, and why it exists:
no module of the installed amazon.aws or community.aws reads the orderable options (the refusals it feeds:
tests/unit/plugins/filter/test_rds_engine_version.py)."""

from pathlib import Path

import pytest
from ansible_collections.amazon import aws as amazon_aws
from ansible_collections.community import aws as community_aws

from ansible_collections.payments.infra.plugins.modules import rds_orderable_info


def test_no_stock_module_reads_the_orderable_options():
    for collection in (amazon_aws, community_aws):
        plugins = Path(collection.__path__[0]) / "plugins"
        assert plugins.is_dir()
        readers = [
            str(path.relative_to(plugins))
            for path in plugins.rglob("*.py")
            if "describe_orderable_db_instance_options" in path.read_text()
            or "DescribeOrderableDBInstanceOptions" in path.read_text()
        ]
        assert readers == [], f"{collection.__name__} reads the orderable options: {readers}"


def test_the_rows_of_an_offered_class(run_module, aws, api_calls):
    result = run_module(rds_orderable_info, {"engine_version": "15.14", "instance_class": "db.t3.micro"})
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert {row["storage_type"] for row in result["orderable_options"]} == {"gp2", "gp3", "io1"}
    assert {
        (row["engine"], row["engine_version"], row["db_instance_class"]) for row in result["orderable_options"]
    } == {("postgres", "15.14", "db.t3.micro")}
    assert "instance_classes" not in result
    assert [(name, params.get("DBInstanceClass")) for name, params in api_calls] == [
        ("DescribeOrderableDBInstanceOptions", "db.t3.micro")
    ]


def test_a_class_not_offered_lists_the_offered_ones(run_module, aws, api_calls):
    result = run_module(
        rds_orderable_info, {"engine_version": "15.14", "instance_class": "db.t2.micro"}, check_mode=True
    )
    assert result["orderable_options"] == []
    assert "db.t3.micro" in result["instance_classes"] and "db.t2.micro" not in result["instance_classes"]
    assert result["instance_classes"] == sorted(result["instance_classes"])
    assert all(name == "DescribeOrderableDBInstanceOptions" for name, _ in api_calls)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"engine_version": "15.14", "instance_class": "t3.micro"}, "instance_class 't3.micro' is invalid"),
        ({"engine_version": " ", "instance_class": "db.t3.micro"}, "engine_version must not be empty"),
    ],
)
def test_bad_options_fail_before_any_call(run_module, aws, api_calls, args, message):
    result = run_module(rds_orderable_info, args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert api_calls == []
