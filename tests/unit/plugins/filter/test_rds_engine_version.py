"""The rds_engine_version and rds_orderable_refusals filters: the version to build and what RDS does not offer,
on hand-made entries and on what amazon.aws.rds_engine_versions_info and payments.infra.rds_orderable_info return
from moto with the emulator's RDS fidelity (what the emulator answers the stock module)."""

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.amazon.aws.plugins.modules import rds_engine_versions_info as stock

from ansible_collections.payments.infra.plugins.filter.rds import class_key
from ansible_collections.payments.infra.plugins.filter.rds import major_version
from ansible_collections.payments.infra.plugins.filter.rds import rds_engine_version
from ansible_collections.payments.infra.plugins.filter.rds import rds_orderable_refusals
from ansible_collections.payments.infra.plugins.module_utils.rds import version_key
from ansible_collections.payments.infra.plugins.modules import rds_orderable_info

DATA = json.loads((Path(__file__).resolve().parents[4] / "emulator/data/rds_postgres.json").read_text())
OFFERED_15 = sorted(DATA["Majors"]["15"]["Versions"], key=version_key)
NEWEST_15 = OFFERED_15[-1]


def version(v, status="available"):
    """An entry of db_engine_versions as amazon.aws.rds_engine_versions_info returns it (snake_case)."""
    major = v.split(".")[0]
    return {
        "engine": "postgres",
        "engine_version": v,
        "db_parameter_group_family": f"postgres{major}",
        "major_engine_version": major,
        "status": status,
    }


VERSIONS = [version(v) for v in ("14.18", "14.19", "15.7", "15.9", "15.10", "15.14", "16.10")]


# ---- the version to build -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("requested", "resolved", "family"),
    [
        ("15", "15.14", "postgres15"),
        ("15.14", "15.14", "postgres15"),
        ("15.9", "15.9", "postgres15"),
        (14, "14.19", "postgres14"),
    ],
)
def test_a_major_is_the_newest_offered_and_an_exact_version_itself(requested, resolved, family):
    result = rds_engine_version(VERSIONS, requested)
    assert result == {
        "engine_version": resolved,
        "major_version": resolved.split(".")[0],
        "parameter_group_family": family,
        "offered_versions": [
            v["engine_version"] for v in VERSIONS if v["engine_version"].startswith(resolved.split(".")[0] + ".")
        ],
        "refusals": [],
    }


def test_versions_not_available_are_not_offered():
    versions = [*VERSIONS, version("15.20", status="deprecated")]
    assert rds_engine_version(versions, "15")["engine_version"] == "15.14"
    assert rds_engine_version(versions, "15.20")["refusals"]


def test_a_minor_not_offered_is_refused_with_the_offered_versions_of_its_major():
    result = rds_engine_version(VERSIONS, "15.4")
    assert result["engine_version"] is None and result["parameter_group_family"] is None
    assert result["refusals"] == [
        "rds_engine_version '15.4' is not offered for postgres in the region; offered 15.x: 15.7, 15.9, 15.10, 15.14 "
        "(newest 15.14)."
    ]


def test_a_major_not_offered_is_refused_with_the_offered_majors():
    assert rds_engine_version(VERSIONS, "99")["refusals"] == [
        "rds_engine_version '99' is not offered for postgres in the region; offered major versions: 14, 15, 16."
    ]


def test_an_unquoted_yaml_number_gets_a_hint():
    (refusal,) = rds_engine_version(VERSIONS, "15.1")["refusals"]
    assert refusal.endswith("if '15.10' was meant, quote it in YAML (unquoted, 15.10 is the number 15.1).")


def test_no_version_offered():
    assert rds_engine_version([], "15")["refusals"] == [
        "rds_engine_version '15' is not offered for postgres in the region; the region offers no postgres version."
    ]


def test_not_a_list_is_an_error():
    with pytest.raises(AnsibleFilterError, match="expects the db_engine_versions list"):
        rds_engine_version({"db_engine_versions": VERSIONS}, "15")


def test_major_version_derived_without_the_field():
    assert major_version({"engine": "postgres", "engine_version": "15.14"}) == "15"
    assert major_version({"engine": "postgres", "engine_version": "9.6.22"}) == "9.6"
    assert major_version({"engine": "mysql", "engine_version": "8.0.35"}) == "8.0"
    assert major_version({"engine": "postgres", "engine_version": "15.14", "major_engine_version": "15"}) == "15"


# ---- what the stock module returns from the emulator's catalogue ----------------------------------------------------
def test_the_stock_module_lists_what_the_filter_resolves(run_module, aws, api_calls):
    listed = run_module(stock, {"engine": "postgres"}, check_mode=True)
    assert listed.get("failed") is not True, listed
    versions = listed["db_engine_versions"]
    assert rds_engine_version(versions, "15") == {
        "engine_version": NEWEST_15,
        "major_version": "15",
        "parameter_group_family": "postgres15",
        "offered_versions": OFFERED_15,
        "refusals": [],
    }
    assert rds_engine_version(versions, OFFERED_15[0])["engine_version"] == OFFERED_15[0]
    assert rds_engine_version(versions, "15.4")["refusals"] == [
        f"rds_engine_version '15.4' is not offered for postgres in the region; offered 15.x: {', '.join(OFFERED_15)} "
        f"(newest {NEWEST_15})."
    ]
    majors = sorted(DATA["Majors"], key=version_key)
    assert rds_engine_version(versions, "99")["refusals"][0].endswith(f"offered major versions: {', '.join(majors)}.")
    assert [name for name, _ in api_calls] == ["DescribeDBEngineVersions"]


# ---- what RDS does not offer for the class ---------------------------------------------------------------------------
def orderable(run_module, instance_class, engine_version=NEWEST_15):
    return run_module(
        rds_orderable_info, {"engine_version": engine_version, "instance_class": instance_class}, check_mode=True
    )


@pytest.mark.parametrize(("instance_class", "storage_type"), [("db.t3.micro", "gp3"), ("db.r6g.large", "io2")])
def test_an_offered_class_and_storage_type_pass(run_module, aws, instance_class, storage_type):
    found = orderable(run_module, instance_class)
    assert rds_orderable_refusals(found, instance_class, storage_type, NEWEST_15) == []


def test_a_class_not_offered_is_refused_with_the_closest_and_the_offered_classes(run_module, aws):
    (refusal,) = rds_orderable_refusals(orderable(run_module, "db.t3.mikro"), "db.t3.mikro", "gp3", NEWEST_15)
    assert refusal.startswith(
        f"rds_instance_class 'db.t3.mikro' is not offered for postgres {NEWEST_15} in the region (closest: db.t3.micro"
    ), refusal
    assert "; offered classes: " in refusal and "db.t3.micro, db.t3.small, db.t3.medium, db.t3.large" in refusal
    assert "db.r6g.large" in refusal


def test_a_class_ec2_knows_but_rds_does_not_offer_is_refused(run_module, aws):
    """db.t2.micro: EC2 has t2.micro (rds_parameter_group's class check passes it), RDS does not offer it for
    PostgreSQL 15: only the orderable options tell, before CreateDBInstance would refuse it mid-deployment."""
    (refusal,) = rds_orderable_refusals(orderable(run_module, "db.t2.micro"), "db.t2.micro", "gp3", NEWEST_15)
    assert refusal.startswith(f"rds_instance_class 'db.t2.micro' is not offered for postgres {NEWEST_15}")


def test_a_storage_type_the_class_does_not_offer_is_refused(run_module, aws):
    assert rds_orderable_refusals(orderable(run_module, "db.t3.micro"), "db.t3.micro", "io2", NEWEST_15) == [
        f"rds_storage_type 'io2' is not offered for db.t3.micro with postgres {NEWEST_15} in the region; offered "
        "storage types: gp2, gp3, io1."
    ]


def test_a_skipped_lookup_refuses_nothing_more():
    """The version was refused already: the class lookup was skipped."""
    assert rds_orderable_refusals({"skipped": True, "changed": False}, "db.t3.micro", "gp3", None) == []
    with pytest.raises(AnsibleFilterError, match="expects the result of rds_orderable_info"):
        rds_orderable_refusals(None, "db.t3.micro", "gp3", "15.14")


def test_classes_sort_by_family_then_size():
    classes = ["db.t3.2xlarge", "db.t3.large", "db.m5.large", "db.t3.micro", "db.t3.xlarge", "db.t3.medium"]
    assert sorted(classes, key=class_key) == [
        "db.m5.large",
        "db.t3.micro",
        "db.t3.medium",
        "db.t3.large",
        "db.t3.xlarge",
        "db.t3.2xlarge",
    ]
