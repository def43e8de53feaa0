"""RDS PostgreSQL through site.yml against the emulator (which answers like AWS: versions,
orderable classes, parameter metadata, incompatible-parameters)."""

import json

import pytest
from batch import assert_refused

pytestmark = pytest.mark.integration


def newest(aws, major):
    versions = aws("rds").describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]
    offered = [v["EngineVersion"] for v in versions if v["EngineVersion"].split(".")[0] == major]
    return max(offered, key=lambda v: tuple(int(p) for p in v.split(".")))


def test_staging_reads_back_as_the_seed_table(provisioned, aws):
    (db,) = aws("rds").describe_db_instances(DBInstanceIdentifier="payment-db-staging")["DBInstances"]
    assert db["DBInstanceClass"] == "db.t3.small"
    assert db["AllocatedStorage"] == 50 and db["StorageType"] == "gp3"
    assert db["BackupRetentionPeriod"] == 14
    assert db["Engine"] == "postgres" and db["EngineVersion"] == newest(aws, "15")
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["MultiAZ"] is False and db["DeletionProtection"] is False
    assert db["MasterUserSecret"]["SecretArn"].startswith("arn:aws:secretsmanager:")
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == "payment-db-subnets-staging"
    (group,) = db["DBParameterGroups"]
    assert group["DBParameterGroupName"] == "payment-db-params-staging"
    # gp3 under 400 GiB: AWS's baseline, nothing set explicitly
    assert (db.get("Iops"), db.get("StorageThroughput")) == (3000, 125)


def test_parameters_read_back(provisioned, aws):
    rds = aws("rds")
    params = {
        p["ParameterName"]: p
        for page in rds.get_paginator("describe_db_parameters").paginate(
            DBParameterGroupName="payment-db-params-staging", Source="user"
        )
        for p in page["Parameters"]
    }
    assert params["log_statement"]["ParameterValue"] == "ddl"
    assert params["effective_cache_size"]["ParameterValue"] == "{DBInstanceClassMemory*3/32768}"
    family = rds.describe_db_parameter_groups(DBParameterGroupName="payment-db-params-staging")["DBParameterGroups"]
    assert family[0]["DBParameterGroupFamily"] == "postgres15"


def test_no_secret_value_in_the_output(provisioned, aws):
    secret_arn = aws("rds").describe_db_instances(DBInstanceIdentifier="payment-db-staging")["DBInstances"][0][
        "MasterUserSecret"
    ]["SecretArn"]
    value = json.loads(aws("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])["password"]
    for run in (provisioned.first, provisioned.second):
        assert value not in json.dumps(run.output)
        assert value not in run.stderr


@pytest.mark.parametrize(
    ("env_name", "klass", "multi_az", "protection", "retention"),
    [("dev", "db.t3.micro", False, False, 7), ("prod", "db.m6g.large", True, True, 30)],
)
def test_dev_and_prod_converge(provisioned, aws, env_name, klass, multi_az, protection, retention):
    (db,) = aws("rds").describe_db_instances(DBInstanceIdentifier=f"payment-db-{env_name}")["DBInstances"]
    assert (db["DBInstanceClass"], db["MultiAZ"], db["DeletionProtection"], db["BackupRetentionPeriod"]) == (
        klass,
        multi_az,
        protection,
        retention,
    )


def test_static_parameter_change_reports_a_pending_reboot(provisioned, ansible, aws, outputs_of):
    """A partial rds_parameters adds to the secure base: TLS enforcement and connection logging stay on."""
    run = ansible(
        "site.yml", "staging", extra_vars={"rds_parameters": {"shared_preload_libraries": "pg_stat_statements"}}
    )
    assert run.rc == 0, run.messages()
    assert outputs_of(run, "payments-staging")["rds_pending_reboot"] == ["shared_preload_libraries"]
    pages = (
        aws("rds").get_paginator("describe_db_parameters").paginate(DBParameterGroupName="payment-db-params-staging")
    )
    values = {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}
    assert {k: values[k] for k in ("rds.force_ssl", "log_connections", "log_disconnections", "log_statement")} == {
        "rds.force_ssl": "1",
        "log_connections": "1",
        "log_disconnections": "1",
        "log_statement": "ddl",
    }
    assert values["shared_preload_libraries"] == "pg_stat_statements"
    # Put staging back as provisioned for the tests that read it after this one.
    assert ansible("site.yml", "staging").rc == 0


def test_the_tier_alone_finds_the_network_by_name(provisioned, ansible, aws):
    """playbooks/tier.yml -e tier=rds runs without the network tier: the network's read-only `outputs` entry point finds
    it by name and playbooks/vars/tier_inputs.yml hands its database subnets and group to the rds role (before, the
    role got none and failed); on a provisioned environment nothing changes."""
    run = ansible("playbooks/tier.yml", "staging", extra_vars={"tier": "rds"})
    assert run.rc == 0, run.messages()
    assert run.changed == 0, run.changed_tasks()
    (group,) = aws("rds").describe_db_subnet_groups(DBSubnetGroupName="payment-db-subnets-staging")["DBSubnetGroups"]
    subnets = aws("ec2").describe_subnets(SubnetIds=[s["SubnetIdentifier"] for s in group["Subnets"]])["Subnets"]
    assert {next(t["Value"] for t in s["Tags"] if t["Key"] == "Tier") for s in subnets} == {"database"}


def _ran(run, task_name):
    """Whether a task (named without its role prefix) ran a module for any host, rather than being skipped."""
    return any(
        not result.get("skipped")
        for play in run.output.get("plays", [])
        for task in play.get("tasks", [])
        if task["task"]["name"].split(" : ", 1)[-1] == task_name
        for result in task.get("hosts", {}).values()
    )


STOCK_CONVERGE = "Converge the existing instance's settings and tags (stock amazon.aws.rds_instance)"


def test_a_drift_made_out_of_band_is_repaired_and_a_no_op_skips_the_stock_converge(provisioned, ansible, aws):
    """The stock converge is skipped when the plan of the live instance is empty (issue 15): a setting changed out of
    band makes the plan non-empty, so the run still repairs it; the run after that is a no-op that skips it."""
    rds = aws("rds")
    (db,) = rds.describe_db_instances(DBInstanceIdentifier="payment-db-staging")["DBInstances"]
    wanted = db["BackupRetentionPeriod"]
    rds.modify_db_instance(
        DBInstanceIdentifier="payment-db-staging", BackupRetentionPeriod=wanted + 3, ApplyImmediately=True
    )
    rds.add_tags_to_resource(ResourceName=db["DBInstanceArn"], Tags=[{"Key": "Owner", "Value": "someone"}])
    repaired = ansible("playbooks/tier.yml", "staging", extra_vars={"tier": "rds"})
    assert repaired.rc == 0, repaired.messages()
    assert _ran(repaired, STOCK_CONVERGE) and STOCK_CONVERGE in repaired.changed_tasks()
    (db,) = rds.describe_db_instances(DBInstanceIdentifier="payment-db-staging")["DBInstances"]
    assert db["BackupRetentionPeriod"] == wanted
    assert "Owner" not in {t["Key"] for t in db["TagList"]}
    again = ansible("playbooks/tier.yml", "staging", extra_vars={"tier": "rds"})
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
    assert not _ran(again, STOCK_CONVERGE)


# What needs the region (the engine versions and classes offered, the engine's parameters and the class's
# memory); the limits of each variable: tests/integration/test_input_limits.py.
BAD_INPUTS = [
    (
        {"rds_engine_version": "15.4"},
        "rds_engine_version '15.4' is not offered for postgres in the region; offered 15.x: ",
    ),
    ({"rds_engine_version": "99"}, "rds_engine_version '99' is not offered for postgres in the region; offered major"),
    ({"rds_effective_cache_size": "393216"}, "effective_cache_size"),
    ({"rds_parameters": {"log_statement": "bogus"}}, "log_statement"),
    ({"rds_parameters": {"log_statment": "ddl"}}, "log_statment"),
    ({"rds_parameters": {"shared_buffers": 999999999}}, "shared_buffers"),
    ({"rds_parameters": {"random_page_cost": "fast"}}, "random_page_cost"),
    ({"rds_instance_class": "db.x9.mega"}, "rds_instance_class 'db.x9.mega' is not offered for postgres 15."),
    # EC2 knows t2.micro (the parameters' memory check passes it); RDS does not offer it for PostgreSQL 15.
    ({"rds_instance_class": "db.t2.micro"}, "rds_instance_class 'db.t2.micro' is not offered for postgres 15."),
    (
        {"rds_storage_type": "io2", "rds_iops": 3000, "rds_allocated_storage": 100},
        "rds_storage_type 'io2' is not offered for db.t3.micro with postgres 15.",
    ),
]


@pytest.mark.parametrize(("extra_vars", "expected"), BAD_INPUTS, ids=[next(iter(v)) for v, _ in BAD_INPUTS])
def test_bad_input_fails_in_preflight(bad_inputs, extra_vars, expected):
    assert_refused(bad_inputs, BAD_INPUTS, extra_vars, expected)


def test_without_preflight_the_seed_failures_happen_on_the_emulator(clean_emulator, aws):
    """What the seed met in a real account, the emulator now answers the same way."""
    from botocore.exceptions import ClientError

    rds = aws("rds")
    with pytest.raises(ClientError) as version:
        rds.create_db_instance(
            DBInstanceIdentifier="seed-2-1",
            Engine="postgres",
            EngineVersion="15.4",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="payments_admin",
            ManageMasterUserPassword=True,
        )
    assert version.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert version.value.response["Error"]["Message"] == "Cannot find version 15.4 for postgres"

    # 2.4: effective_cache_size "exceeded PostgreSQL's limit": RDS refuses values outside AllowedValues
    rds.create_db_parameter_group(
        DBParameterGroupName="seed-2-4", DBParameterGroupFamily="postgres15", Description="seed 2.4"
    )
    with pytest.raises(ClientError) as limit:
        rds.modify_db_parameter_group(
            DBParameterGroupName="seed-2-4",
            Parameters=[
                {"ParameterName": "effective_cache_size", "ParameterValue": "3000000000", "ApplyMethod": "immediate"}
            ],
        )
    assert limit.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "effective_cache_size" in limit.value.response["Error"]["Message"]

    # A memory parameter that the class cannot hold: RDS creates the instance, which never starts.
    rds.modify_db_parameter_group(
        DBParameterGroupName="seed-2-4",
        Parameters=[{"ParameterName": "shared_buffers", "ParameterValue": "262144", "ApplyMethod": "pending-reboot"}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="seed-2-4",
        Engine="postgres",
        EngineVersion=newest(aws, "15"),
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="payments_admin",
        ManageMasterUserPassword=True,
        DBParameterGroupName="seed-2-4",
    )
    status = rds.describe_db_instances(DBInstanceIdentifier="seed-2-4")["DBInstances"][0]["DBInstanceStatus"]
    assert status == "incompatible-parameters"
