"""RDS for PostgreSQL fidelity: the emulator says no where AWS says no (versions, classes, parameters, memory)."""

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

Aws = Callable[..., Any]
PASSWORD = "not-a-secret-123"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def create_postgres(aws: Aws, **overrides: Any) -> dict[str, Any]:
    kwargs = {
        "DBInstanceIdentifier": unique("pg"),
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "EngineVersion": "15.14",
        "AllocatedStorage": 20,
        "StorageType": "gp3",
        "MasterUsername": "payments",
        "MasterUserPassword": PASSWORD,
        **overrides,
    }
    return aws("rds").create_db_instance(**kwargs)["DBInstance"]


def parameter_group(aws: Aws, family: str = "postgres15", **values: str) -> str:
    """A new group of ``family`` with ``values`` set (pending-reboot); returns its name."""
    rds = aws("rds")
    name = unique("params")
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family, Description="test")
    if values:
        rds.modify_db_parameter_group(
            DBParameterGroupName=name,
            Parameters=[
                {"ParameterName": key, "ParameterValue": value, "ApplyMethod": "pending-reboot"}
                for key, value in values.items()
            ],
        )
    return name


def status(aws: Aws, identifier: str) -> str:
    return aws("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["DBInstanceStatus"]


def user_parameters(aws: Aws, name: str) -> dict[str, str]:
    found = aws("rds").describe_db_parameters(DBParameterGroupName=name, Source="user")["Parameters"]
    return {p["ParameterName"]: p["ParameterValue"] for p in found}


# ---- engine versions ------------------------------------------------------------------------------------------------


def test_engine_versions_are_listed_per_major_with_their_family(aws: Aws) -> None:
    versions = aws("rds").describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]

    families = {v["EngineVersion"]: v["DBParameterGroupFamily"] for v in versions}
    assert {v.split(".")[0] for v in families} == {"13", "14", "15", "16", "17"}
    assert all(family == f"postgres{version.split('.')[0]}" for version, family in families.items())
    assert "15.4" not in families
    assert {"15.14", "16.10", "17.6", "13.22"} <= set(families)
    assert {v["Status"] for v in versions} == {"available"}
    assert versions[0]["DBEngineDescription"] == "PostgreSQL"


def test_engine_version_filters(aws: Aws) -> None:
    rds = aws("rds")

    def listed(**kwargs: Any) -> list[str]:
        return [v["EngineVersion"] for v in rds.describe_db_engine_versions(**kwargs)["DBEngineVersions"]]

    assert listed(Engine="postgres", EngineVersion="15", DefaultOnly=True) == ["15.14"]
    assert listed(Engine="postgres", DefaultOnly=True) == ["17.6"]
    assert listed(Engine="postgres", EngineVersion="15.4") == []
    assert all(v.startswith("16.") for v in listed(Engine="postgres", DBParameterGroupFamily="postgres16"))
    retired = rds.describe_db_engine_versions(Engine="postgres", EngineVersion="15.4", IncludeAll=True)
    assert [(v["EngineVersion"], v["Status"]) for v in retired["DBEngineVersions"]] == [("15.4", "deprecated")]
    assert listed(Engine="mysql") == []  # only postgres is catalogued


def test_engine_versions_paginate_with_marker(aws: Aws) -> None:
    rds = aws("rds")
    everything = rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]
    first = rds.describe_db_engine_versions(Engine="postgres", MaxRecords=20)

    pages = rds.get_paginator("describe_db_engine_versions").paginate(
        Engine="postgres", PaginationConfig={"PageSize": 20}
    )

    assert len(first["DBEngineVersions"]) == 20 and first["Marker"]
    assert [v["EngineVersion"] for page in pages for v in page["DBEngineVersions"]] == [
        v["EngineVersion"] for v in everything
    ]


# ---- CreateDBInstance / ModifyDBInstance ----------------------------------------------------------------------------


def test_create_with_a_retired_version_fails_like_aws(aws: Aws) -> None:
    identifier = unique("pg")

    code, message = error_of(create_postgres, aws=aws, DBInstanceIdentifier=identifier, EngineVersion="15.4")

    assert (code, message) == ("InvalidParameterCombination", "Cannot find version 15.4 for postgres")
    assert error_of(aws("rds").describe_db_instances, DBInstanceIdentifier=identifier)[0] == "DBInstanceNotFound"


def test_a_major_version_alone_resolves_to_its_default_minor(aws: Aws) -> None:
    default = aws("rds").describe_db_engine_versions(Engine="postgres", EngineVersion="15", DefaultOnly=True)

    instance = create_postgres(aws, EngineVersion="15")

    assert instance["EngineVersion"] == default["DBEngineVersions"][0]["EngineVersion"] == "15.14"
    assert instance["DBParameterGroups"][0]["DBParameterGroupName"] == "default.postgres15"


def test_an_instance_class_not_orderable_is_refused(aws: Aws) -> None:
    code, message = error_of(create_postgres, aws=aws, DBInstanceClass="db.t2.micro")

    assert code == "InvalidParameterCombination"
    assert message == (
        "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.micro, "
        "Engine=postgres, EngineVersion=15.14, LicenseModel=postgresql-license. For supported combinations of "
        "instance class and database engine version, see the documentation."
    )


def test_a_parameter_group_of_another_family_is_refused(aws: Aws) -> None:
    name = parameter_group(aws, family="postgres14")

    code, message = error_of(create_postgres, aws=aws, DBParameterGroupName=name)

    assert code == "InvalidParameterCombination"
    assert message == (
        f"The Parameter Group {name} with DBParameterGroupFamily postgres14 cannot be used for this instance. "
        "Please use a Parameter Group with DBParameterGroupFamily postgres15"
    )


def test_gp3_iops_below_400_gib_are_refused(aws: Aws) -> None:
    code, message = error_of(create_postgres, aws=aws, AllocatedStorage=100, Iops=12000)

    assert (code, message) == (
        "InvalidParameterCombination",
        "You can't specify IOPS or storage throughput for engine postgres and a storage size less than 400.",
    )
    assert create_postgres(aws, AllocatedStorage=400, Iops=12000)["Iops"] == 12000


def test_major_upgrade_needs_the_flag_and_a_group_of_the_new_family(aws: Aws) -> None:
    rds = aws("rds")
    identifier = create_postgres(aws, DBParameterGroupName=parameter_group(aws))["DBInstanceIdentifier"]

    no_flag = error_of(rds.modify_db_instance, DBInstanceIdentifier=identifier, EngineVersion="16.10")
    old_group = error_of(
        rds.modify_db_instance, DBInstanceIdentifier=identifier, EngineVersion="16.10", AllowMajorVersionUpgrade=True
    )
    upgraded = rds.modify_db_instance(
        DBInstanceIdentifier=identifier,
        EngineVersion="16",
        AllowMajorVersionUpgrade=True,
        DBParameterGroupName=parameter_group(aws, family="postgres16"),
        ApplyImmediately=True,
    )["DBInstance"]

    assert no_flag == (
        "InvalidParameterCombination",
        "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.",
    )
    assert old_group[0] == "InvalidParameterCombination" and "DBParameterGroupFamily postgres16" in old_group[1]
    assert upgraded["EngineVersion"] == "16.10"


# ---- orderable options and engine defaults --------------------------------------------------------------------------


def test_orderable_options_per_class_and_storage_type(aws: Aws) -> None:
    rds = aws("rds")
    micro = rds.describe_orderable_db_instance_options(
        Engine="postgres", EngineVersion="15.14", DBInstanceClass="db.t3.micro"
    )["OrderableDBInstanceOptions"]
    graviton = rds.describe_orderable_db_instance_options(
        Engine="postgres", EngineVersion="17.6", DBInstanceClass="db.r7g.large"
    )["OrderableDBInstanceOptions"]

    by_type = {row["StorageType"]: row for row in micro}
    assert set(by_type) == {"gp2", "gp3", "io1"}
    assert {row["StorageType"] for row in graviton} == {"gp2", "gp3", "io1", "io2"}
    gp3 = by_type["gp3"]
    assert (gp3["MinStorageSize"], gp3["MaxStorageSize"]) == (20, 65536)
    assert (gp3["MinIopsPerDbInstance"], gp3["MaxIopsPerDbInstance"]) == (12000, 64000)
    assert gp3["SupportsStorageThroughput"] is True
    assert (gp3["MinStorageThroughputPerDbInstance"], gp3["MaxStorageThroughputPerDbInstance"]) == (500, 4000)
    assert by_type["io1"]["MinStorageSize"] == 100
    assert gp3["MultiAZCapable"] is True and gp3["AvailabilityZones"]
    assert not rds.describe_orderable_db_instance_options(Engine="postgres", DBInstanceClass="db.t2.micro")[
        "OrderableDBInstanceOptions"
    ]


def test_engine_defaults_carry_aws_metadata(aws: Aws) -> None:
    rds = aws("rds")
    defaults = rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres15")["EngineDefaults"]
    by_name = {p["ParameterName"]: p for p in defaults["Parameters"]}
    pg14 = rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres14")["EngineDefaults"]

    assert defaults["DBParameterGroupFamily"] == "postgres15"
    assert by_name["effective_cache_size"] == {
        "ParameterName": "effective_cache_size",
        "ParameterValue": "{DBInstanceClassMemory/16384}",
        "Description": "(8kB) Sets the planners assumption about the size of the disk cache.",
        "Source": "system",
        "ApplyType": "dynamic",
        "DataType": "integer",
        "AllowedValues": "1-2147483647",
        "IsModifiable": True,
        "ApplyMethod": "pending-reboot",
        "SupportedEngineModes": ["provisioned"],
    }
    assert by_name["shared_buffers"]["ParameterValue"] == "{DBInstanceClassMemory/32768}"
    assert by_name["shared_buffers"]["ApplyType"] == "static"
    assert by_name["max_connections"]["ParameterValue"] == "LEAST({DBInstanceClassMemory/9531392},5000)"
    assert by_name["log_statement"]["AllowedValues"] == "none,ddl,mod,all"
    assert by_name["work_mem"]["Description"].startswith("(kB)") and "ParameterValue" not in by_name["work_mem"]
    assert by_name["port"]["IsModifiable"] is False
    assert by_name["rds.force_ssl"]["ParameterValue"] == "1"
    assert {p["ParameterName"]: p.get("ParameterValue") for p in pg14["Parameters"]}["rds.force_ssl"] == "0"
    assert error_of(rds.describe_engine_default_parameters, DBParameterGroupFamily="postgres15.4") == (
        "InvalidParameterValue",
        "ParameterGroupFamily postgres15.4 is not a valid parameter group family",
    )


# ---- parameter groups -----------------------------------------------------------------------------------------------


def test_parameter_group_lookups_fail_like_aws(aws: Aws) -> None:
    rds = aws("rds")
    missing = unique("missing")

    assert error_of(rds.describe_db_parameter_groups, DBParameterGroupName=missing) == (
        "DBParameterGroupNotFound",
        f"DBParameterGroup not found: {missing}",
    )
    assert error_of(
        rds.create_db_parameter_group,
        DBParameterGroupName=unique("params"),
        DBParameterGroupFamily="postgres15.4",
        Description="test",
    ) == ("InvalidParameterValue", "ParameterGroupFamily postgres15.4 is not a valid parameter group family")
    default = rds.describe_db_parameter_groups(DBParameterGroupName="default.postgres17")["DBParameterGroups"]
    assert default[0]["DBParameterGroupFamily"] == "postgres17"


def test_describe_db_parameters_lists_every_parameter_and_filters_by_source(aws: Aws) -> None:
    rds = aws("rds")
    name = parameter_group(aws, log_statement="ddl", effective_cache_size="{DBInstanceClassMemory*3/32768}")
    defaults = rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres15")["EngineDefaults"]

    every = rds.describe_db_parameters(DBParameterGroupName=name)["Parameters"]
    user = rds.describe_db_parameters(DBParameterGroupName=name, Source="user")["Parameters"]
    system = rds.describe_db_parameters(DBParameterGroupName=name, Source="system")["Parameters"]
    engine = rds.describe_db_parameters(DBParameterGroupName=name, Source="engine-default")["Parameters"]

    assert [p["ParameterName"] for p in every] == [p["ParameterName"] for p in defaults["Parameters"]]
    assert len(user) + len(system) + len(engine) == len(every)
    assert {p["ParameterName"]: (p["ParameterValue"], p["DataType"], p["AllowedValues"]) for p in user} == {
        "effective_cache_size": ("{DBInstanceClassMemory*3/32768}", "integer", "1-2147483647"),
        "log_statement": ("ddl", "string", "none,ddl,mod,all"),
    }
    assert "shared_buffers" in {p["ParameterName"] for p in system}


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"ParameterName": "no_such_parameter", "ParameterValue": "1", "ApplyMethod": "immediate"},
            "InvalidParameterValue",
            "Could not find parameter with name: no_such_parameter",
        ),
        (
            {"ParameterName": "effective_cache_size", "ParameterValue": "-5", "ApplyMethod": "immediate"},
            "InvalidParameterValue",
            "Invalid parameter value: -5 for: effective_cache_size allowed values are: 1-2147483647",
        ),
        (
            {"ParameterName": "log_statement", "ParameterValue": "bogus", "ApplyMethod": "immediate"},
            "InvalidParameterValue",
            "Invalid parameter value: bogus for: log_statement allowed values are: none,ddl,mod,all",
        ),
        (
            {"ParameterName": "work_mem", "ParameterValue": "64MB", "ApplyMethod": "immediate"},
            "InvalidParameterValue",
            "Invalid parameter value: 64MB for: work_mem allowed values are: 64-2147483647",
        ),
        (
            {"ParameterName": "shared_buffers", "ParameterValue": "65536", "ApplyMethod": "immediate"},
            "InvalidParameterCombination",
            "cannot use immediate apply method for static parameter",
        ),
        (
            {"ParameterName": "port", "ParameterValue": "6543", "ApplyMethod": "pending-reboot"},
            "InvalidParameterValue",
            "The parameter port cannot be modified.",
        ),
    ],
    ids=["unknown", "out-of-range", "not-allowed", "wrong-type", "static-immediate", "not-modifiable"],
)
def test_modify_refuses_what_aws_refuses_and_changes_nothing(
    aws: Aws, change: dict[str, str], code: str, message: str
) -> None:
    name = parameter_group(aws, log_statement="mod")
    valid = {"ParameterName": "log_min_duration_statement", "ParameterValue": "500", "ApplyMethod": "immediate"}

    refused = error_of(aws("rds").modify_db_parameter_group, DBParameterGroupName=name, Parameters=[valid, change])

    assert refused == (code, message)
    assert user_parameters(aws, name) == {"log_statement": "mod"}


def test_modify_accepts_formulas_and_refuses_default_groups_and_over_20_parameters(aws: Aws) -> None:
    rds = aws("rds")
    name = parameter_group(aws, shared_buffers="{DBInstanceClassMemory/40960}", random_page_cost="1.1")
    too_many = [{"ParameterName": "log_statement", "ParameterValue": "ddl", "ApplyMethod": "immediate"}] * 21

    assert user_parameters(aws, name) == {
        "shared_buffers": "{DBInstanceClassMemory/40960}",
        "random_page_cost": "1.1",
    }
    assert error_of(
        rds.modify_db_parameter_group, DBParameterGroupName="default.postgres15", Parameters=too_many[:1]
    ) == ("InvalidParameterValue", "Cannot modify a default parameter group.")
    assert error_of(rds.modify_db_parameter_group, DBParameterGroupName=name, Parameters=too_many)[0] == (
        "InvalidParameterValue"
    )


def test_reset_returns_parameters_to_the_engine_default(aws: Aws) -> None:
    rds = aws("rds")
    name = parameter_group(aws, log_statement="ddl", work_mem="8192")

    rds.reset_db_parameter_group(
        DBParameterGroupName=name, Parameters=[{"ParameterName": "work_mem", "ApplyMethod": "immediate"}]
    )
    after_one = user_parameters(aws, name)
    rds.reset_db_parameter_group(DBParameterGroupName=name, ResetAllParameters=True)

    assert after_one == {"log_statement": "ddl"}
    assert user_parameters(aws, name) == {}


def test_a_group_in_use_cannot_be_deleted(aws: Aws) -> None:
    rds = aws("rds")
    name = parameter_group(aws)
    create_postgres(aws, DBParameterGroupName=name)

    code, message = error_of(rds.delete_db_parameter_group, DBParameterGroupName=name)

    assert code == "InvalidDBParameterGroupState"
    assert message.startswith(f"One or more database instances are still members of this parameter group {name}")
    assert rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]


# ---- memory-bound parameters ----------------------------------------------------------------------------------------


def test_shared_buffers_above_the_class_memory_leave_the_instance_incompatible(aws: Aws) -> None:
    name = parameter_group(aws, shared_buffers="262144")  # 2 GiB of 8 kB pages

    micro = create_postgres(aws, DBParameterGroupName=name)  # 1 GiB
    medium = create_postgres(aws, DBParameterGroupName=name, DBInstanceClass="db.t3.medium")  # 4 GiB

    assert micro["DBInstanceStatus"] == status(aws, micro["DBInstanceIdentifier"]) == "incompatible-parameters"
    assert medium["DBInstanceStatus"] == status(aws, medium["DBInstanceIdentifier"]) == "available"


def test_fixing_the_group_and_rebooting_brings_the_instance_up(aws: Aws) -> None:
    rds = aws("rds")
    name = parameter_group(aws, shared_buffers="{DBInstanceClassMemory/4096}")  # twice the memory
    identifier = create_postgres(aws, DBParameterGroupName=name)["DBInstanceIdentifier"]
    assert status(aws, identifier) == "incompatible-parameters"

    rds.reset_db_parameter_group(
        DBParameterGroupName=name, Parameters=[{"ParameterName": "shared_buffers", "ApplyMethod": "pending-reboot"}]
    )
    rebooted = rds.reboot_db_instance(DBInstanceIdentifier=identifier)["DBInstance"]

    assert rebooted["DBInstanceStatus"] == status(aws, identifier) == "available"


def test_effective_cache_size_above_memory_is_only_a_planner_hint(aws: Aws) -> None:
    # The seed's own fix: 393216 pages (3 GiB) on db.t3.micro (1 GiB), which AWS started.
    name = parameter_group(aws, effective_cache_size="393216")

    assert create_postgres(aws, DBParameterGroupName=name)["DBInstanceStatus"] == "available"


def test_managed_master_secret_holds_the_instance_user_and_a_generated_password(aws: Aws) -> None:
    made = []
    for user in ("payments_admin", "other_admin"):
        kwargs = {
            "DBInstanceIdentifier": unique("pg"),
            "DBInstanceClass": "db.t3.micro",
            "Engine": "postgres",
            "EngineVersion": "15.14",
            "AllocatedStorage": 20,
            "MasterUsername": user,
            "ManageMasterUserPassword": True,
        }
        made.append(aws("rds").create_db_instance(**kwargs)["DBInstance"])
    secrets = [
        json.loads(aws("secretsmanager").get_secret_value(SecretId=db["MasterUserSecret"]["SecretArn"])["SecretString"])
        for db in made
    ]
    assert [s["username"] for s in secrets] == ["payments_admin", "other_admin"]
    assert secrets[0]["password"] != secrets[1]["password"]
    assert "P@55w0rd!" not in {s["password"] for s in secrets}
    assert all(len(s["password"]) >= 24 for s in secrets)


def test_a_modified_db_subnet_group_keeps_existing_with_its_new_subnets(aws: Aws) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"us-east-1{'abc'[i]}")["Subnet"][
            "SubnetId"
        ]
        for i in range(3)
    ]
    name = unique("grown-subnets")
    rds = aws("rds")
    rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="two AZs", SubnetIds=subnets[:2])
    rds.modify_db_subnet_group(DBSubnetGroupName=name, SubnetIds=subnets)
    (group,) = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)
    assert group["DBSubnetGroupDescription"] == "two AZs"
