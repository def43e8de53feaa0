"""payments.infra.rds_engine_version against moto in-process with the emulator's RDS fidelity."""

import json
from pathlib import Path

import pytest

from ansible_collections.payments.infra.plugins.module_utils.rds import version_key
from ansible_collections.payments.infra.plugins.modules import rds_engine_version

DATA = json.loads((Path(__file__).resolve().parents[4] / "emulator/data/rds_postgres.json").read_text())
OFFERED_15 = sorted(DATA["Majors"]["15"]["Versions"], key=version_key)
NEWEST_15 = OFFERED_15[-1]


def only_reads(calls):
    return all(name.startswith("Describe") for name, _ in calls)


def test_major_resolves_to_the_newest_offered_minor(run_module, aws, api_calls):
    result = run_module(rds_engine_version, {"version": "15"})
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["engine"] == "postgres"
    assert result["engine_version"] == NEWEST_15
    assert result["major_version"] == "15"
    assert result["parameter_group_family"] == "postgres15"
    assert result["offered_versions"] == OFFERED_15
    assert result["default_version_of_major"] == DATA["Majors"]["15"]["DefaultVersion"]
    assert "instance_class_memory_mib" not in result
    assert only_reads(api_calls)


def test_exact_offered_version(run_module, aws):
    result = run_module(rds_engine_version, {"version": "15.14"})
    assert result["engine_version"] == "15.14" and result["major_version"] == "15", result
    older = run_module(rds_engine_version, {"version": OFFERED_15[0]})
    assert older["engine_version"] == OFFERED_15[0]
    assert older["offered_versions"] == OFFERED_15


def test_version_not_offered_lists_the_offered_ones(run_module, aws, api_calls):
    result = run_module(rds_engine_version, {"version": "15.4"})
    assert result["failed"] is True
    assert result["msg"] == (
        f"engine_version '15.4' is not offered for postgres in us-east-1; offered 15.x: {', '.join(OFFERED_15)} "
        f"(newest {NEWEST_15})"
    )
    assert only_reads(api_calls)


def test_major_not_offered_lists_the_majors(run_module, aws):
    result = run_module(rds_engine_version, {"version": "99"})
    assert result["failed"] is True
    majors = sorted(DATA["Majors"], key=version_key)
    assert result["msg"].endswith(f"offered major versions: {', '.join(majors)}"), result["msg"]


def test_unknown_engine(run_module, aws):
    result = run_module(rds_engine_version, {"engine": "postgress", "version": "15"})
    assert result["failed"] is True
    assert result["msg"].startswith("engine 'postgress' has no versions offered in us-east-1; did you mean postgres")


@pytest.mark.parametrize(("instance_class", "memory_mib"), [("db.t3.micro", 1024), ("db.r6g.large", 16384)])
def test_class_memory(run_module, aws, api_calls, instance_class, memory_mib):
    result = run_module(rds_engine_version, {"version": "15", "instance_class": instance_class, "storage_type": "gp3"})
    assert result.get("failed") is not True, result
    assert result["instance_class"] == instance_class
    assert result["instance_class_memory_mib"] == memory_mib
    assert result["instance_class_vcpus"] == 2
    assert "gp3" in result["storage_types"]
    ec2_calls = [p for name, p in api_calls if name == "DescribeInstanceTypes"]
    assert ec2_calls == [{"InstanceTypes": [instance_class[3:]]}]
    assert only_reads(api_calls)


def test_class_not_offered_lists_the_offered_classes(run_module, aws):
    result = run_module(rds_engine_version, {"version": "15", "instance_class": "db.t3.mikro"})
    assert result["failed"] is True
    assert result["msg"].startswith(
        f"instance_class 'db.t3.mikro' is not offered for postgres {NEWEST_15} in us-east-1 (closest: db.t3.micro"
    ), result["msg"]
    assert "db.t3.micro, db.t3.small, db.t3.medium, db.t3.large" in result["msg"]
    assert "db.r6g.large" in result["offered_instance_classes"]


def test_storage_type_not_offered_for_the_class(run_module, aws):
    result = run_module(rds_engine_version, {"version": "15", "instance_class": "db.t3.micro", "storage_type": "io2"})
    assert result["failed"] is True
    assert result["msg"].startswith(f"storage_type 'io2' is not offered for db.t3.micro with postgres {NEWEST_15}")
    assert "io2" not in result["offered_storage_types"] and "gp3" in result["offered_storage_types"]


def test_storage_type_alone_is_checked_for_any_class(run_module, aws):
    assert run_module(rds_engine_version, {"version": "15", "storage_type": "io2"})["engine_version"] == NEWEST_15


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"version": ""}, "version must not be empty"),
        ({"version": "15", "instance_class": "t3.micro"}, "instance_class 't3.micro' is invalid"),
        ({"version": "15", "storage_type": "gp4"}, "storage_type 'gp4' is invalid: RDS storage types are gp2, gp3"),
    ],
)
def test_bad_options_fail_before_any_call(run_module, aws, api_calls, args, message):
    result = run_module(rds_engine_version, args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert api_calls == []


def test_check_mode_answers_the_same(run_module, aws):
    result = run_module(rds_engine_version, {"version": "15", "instance_class": "db.t3.micro"}, check_mode=True)
    assert result["engine_version"] == NEWEST_15 and result["changed"] is False
