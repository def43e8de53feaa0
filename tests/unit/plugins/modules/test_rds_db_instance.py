"""payments.infra.rds_db_instance against moto in-process: it creates (or adopts, or switches on) a Secrets
Manager-managed master password and nothing else; stock amazon.aws.rds_instance converges the rest, and the tests
at the end show the two together as the rds role runs them (the stock module's no-op re-run, what it changes)."""

import json

import boto3
import botocore.client
import pytest
from ansible_collections.amazon.aws.plugins.modules import rds_instance as stock

from ansible_collections.payments.infra.plugins.module_utils import rds_instance
from ansible_collections.payments.infra.plugins.modules import rds_db_instance

ID = "payment-db-dev"
REGION = "us-east-1"
ACCOUNT = "123456789012"
SG = "sg-0123456789abcdef0"
WRITE_OPS = {"CreateDBInstance", "ModifyDBInstance", "DeleteDBInstance", "AddTagsToResource", "RemoveTagsFromResource"}
TAGS = {"Project": "payment-api", "Environment": "dev"}


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


def call(calls, operation):
    return [params for name, params in calls if name == operation]


@pytest.fixture
def rds(aws):
    return boto3.client("rds", region_name=REGION)


def args(**extra):
    base = {
        "db_instance_identifier": ID,
        "engine_version": "15.14",
        "instance_class": "db.t3.micro",
        "allocated_storage": 20,
        "db_name": "payments",
        # Given, so that moto does not build the region's default VPC for the default security group (~0.5 s).
        "vpc_security_group_ids": [SG],
        "tags": dict(TAGS),
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def stock_args(**extra):
    """The stock module's options as roles/rds/tasks/present.yml gives them for args()."""
    base = {
        "state": "present",
        "db_instance_identifier": ID,
        "engine_version": "15.14",
        "db_instance_class": "db.t3.micro",
        "allocated_storage": 20,
        "storage_type": "gp3",
        "vpc_security_group_ids": [SG],
        "purge_security_groups": True,
        "multi_az": False,
        "publicly_accessible": False,
        "backup_retention_period": 7,
        "deletion_protection": False,
        "copy_tags_to_snapshot": True,
        "auto_minor_version_upgrade": True,
        "enable_cloudwatch_logs_exports": ["postgresql", "upgrade"],
        "purge_cloudwatch_logs_exports": True,
        "apply_immediately": True,
        "tags": dict(TAGS),
        "purge_tags": True,
        "wait": False,
    }
    base.update(extra)
    return base


def live(rds_client, identifier=ID):
    return rds_client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def test_create_with_a_managed_password_in_one_call_then_nothing(run_module, rds, api_calls):
    result = run_module(rds_db_instance, args())
    assert (result["changed"], result["created"], result["adopted"]) == (True, True, False), result
    assert writes(api_calls) == ["CreateDBInstance"]
    (create,) = call(api_calls, "CreateDBInstance")
    assert create["ManageMasterUserPassword"] is True and "MasterUserPassword" not in create
    assert "Iops" not in create and "StorageThroughput" not in create and "MaxAllocatedStorage" not in create
    assert create["StorageEncrypted"] is True and create["PubliclyAccessible"] is False
    assert create["MasterUsername"] == "payments_admin" and create["Port"] == 5432
    assert create["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert sorted(create["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "Environment", "Value": "dev"},
        {"Key": "Project", "Value": "payment-api"},
    ]
    instance = result["instance"]
    assert (instance["iops"], instance["storage_throughput"]) == (3000, 125)  # AWS's gp3 baseline
    assert instance["tags"] == TAGS
    assert result["diff"]["before"] == {} and result["diff"]["after"]["manage_master_user_password"] is True

    api_calls.clear()
    again = run_module(rds_db_instance, args(instance_class="db.t3.small", tags={}))
    # An existing instance with a managed password: nothing compared, nothing written (the stock module's work).
    assert (again["changed"], again["created"], again["adopted"]) == (False, False, False)
    assert writes(api_calls) == [] and [name for name, _ in api_calls] == ["DescribeDBInstances"]
    assert again["instance"]["instance_class"] == "db.t3.micro"


def test_no_password_in_the_result(run_module, rds):
    result = run_module(rds_db_instance, args())
    secret = result["instance"]["master_user_secret"]
    assert set(secret) == {"secret_arn", "secret_status", "kms_key_id"}
    assert secret["secret_arn"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-")
    sm = boto3.client("secretsmanager", region_name=REGION)
    password = json.loads(sm.get_secret_value(SecretId=secret["secret_arn"])["SecretString"])["password"]
    for outcome in (result, run_module(rds_db_instance, args(), diff=True)):
        dumped = json.dumps(outcome, default=str)
        assert password not in dumped and "SecretString" not in dumped


def test_adopts_an_instance_created_by_a_parallel_run(run_module, rds, api_calls, monkeypatch):
    """DescribeDBInstances finds nothing, then a parallel run creates the instance before our create."""
    original = botocore.client.BaseClient._make_api_call
    state = {"raced": False}

    def racing(self, operation_name, api_params):
        if operation_name == "CreateDBInstance" and not state["raced"]:
            state["raced"] = True
            original(self, operation_name, dict(api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", racing)
    result = run_module(rds_db_instance, args())
    assert state["raced"] and not result.get("failed"), result.get("msg")
    assert (result["changed"], result["created"], result["adopted"]) == (False, False, True)
    assert result["instance"]["db_instance_identifier"] == ID and result["instance"]["master_user_secret"]
    assert len(rds.describe_db_instances()["DBInstances"]) == 1


def unmanaged(rds_client):
    return rds_client.create_db_instance(
        DBInstanceIdentifier=ID,
        Engine="postgres",
        EngineVersion="15.14",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        StorageType="gp3",
        DBName="payments",
        MasterUsername="payments_admin",
        MasterUserPassword="not-a-real-password-1",
        VpcSecurityGroupIds=[SG],
    )["DBInstance"]


def test_switches_an_instance_with_a_password_to_the_managed_one(run_module, rds, api_calls):
    unmanaged(rds)
    api_calls.clear()
    planned = run_module(rds_db_instance, args(), check_mode=True)
    assert planned["changed"] is True and writes(api_calls) == []
    assert planned["diff"] == {
        "before": {"manage_master_user_password": False},
        "after": {"manage_master_user_password": True},
    }
    result = run_module(rds_db_instance, args())
    assert (result["changed"], result["created"], result["adopted"]) == (True, False, False)
    assert call(api_calls, "ModifyDBInstance") == [
        {"DBInstanceIdentifier": ID, "ManageMasterUserPassword": True, "ApplyImmediately": True}
    ]
    assert live(rds)["MasterUserSecret"]["SecretArn"] == result["instance"]["master_user_secret"]["secret_arn"]
    assert "not-a-real-password-1" not in json.dumps(result, default=str)
    api_calls.clear()
    assert run_module(rds_db_instance, args())["changed"] is False and writes(api_calls) == []


def test_check_mode_plans_the_instance_and_writes_nothing(run_module, rds, api_calls):
    planned = run_module(rds_db_instance, args(allocated_storage=400, max_allocated_storage=500), check_mode=True)
    assert planned["changed"] is True and planned["created"] is True
    assert planned["instance"]["status"] == "creating" and planned["instance"]["max_allocated_storage"] == 500
    assert (planned["instance"]["iops"], planned["instance"]["storage_throughput"]) == (12000, 500)
    assert planned["diff"]["after"]["instance_class"] == "db.t3.micro" and planned["diff"]["after"]["tags"] == TAGS
    assert writes(api_calls) == [] and rds.describe_db_instances()["DBInstances"] == []


def test_an_instance_being_deleted_is_not_created_again(run_module, rds, api_calls):
    run_module(rds_db_instance, args())
    from moto.rds.models import rds_backends

    rds_backends[ACCOUNT][REGION].databases[ID].status = "deleting"
    api_calls.clear()
    result = run_module(rds_db_instance, args())
    assert result["failed"] and "is being deleted" in result["msg"] and writes(api_calls) == []


# The rds role: this module, then stock amazon.aws.rds_instance for an instance this run did not create.
@pytest.fixture
def subnet_group(rds):
    """A DB subnet group (the stock module reads the instance's; the role always creates one)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="db-subnets", DBSubnetGroupDescription="db", SubnetIds=subnets)
    return "db-subnets"


def test_stock_rds_instance_rerun_on_the_created_instance_writes_nothing(run_module, rds, api_calls, subnet_group):
    run_module(rds_db_instance, args(db_subnet_group_name=subnet_group))
    api_calls.clear()
    result = run_module(stock, stock_args())
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and writes(api_calls) == []


def test_stock_rds_instance_converges_what_changes_in_place(run_module, rds, api_calls, subnet_group):
    run_module(rds_db_instance, args(max_allocated_storage=100, db_subnet_group_name=subnet_group))
    api_calls.clear()
    changed = stock_args(
        db_instance_class="db.t3.small",
        allocated_storage=30,
        backup_retention_period=3,
        deletion_protection=True,
        tags={"Project": "payment-api"},
        # 0 in the role: the ceiling set to the allocated storage turns storage autoscaling off
        max_allocated_storage=30,
    )
    result = run_module(stock, changed)
    assert result["changed"] is True, result.get("msg")
    (modify,) = call(api_calls, "ModifyDBInstance")
    assert {k: modify[k] for k in ("DBInstanceClass", "AllocatedStorage", "BackupRetentionPeriod")} == {
        "DBInstanceClass": "db.t3.small",
        "AllocatedStorage": 30,
        "BackupRetentionPeriod": 3,
    }
    assert "MasterUserPassword" not in modify and "ManageMasterUserPassword" not in modify
    now = live(rds)
    assert (now["DBInstanceClass"], now["DeletionProtection"], now.get("MaxAllocatedStorage")) == (
        "db.t3.small",
        True,
        None,
    )
    assert {t["Key"] for t in now["TagList"]} == {"Project"}
    assert now["MasterUserSecret"]["SecretArn"]  # the managed password stays
    api_calls.clear()
    assert run_module(stock, dict(changed, max_allocated_storage=None))["changed"] is False
    assert writes(api_calls) == []


def test_in_place_sides_match_what_the_stock_module_changes(run_module, rds):
    """The rds_instance_plan filter's comparison (IN_PLACE) on the thin module's instance."""
    created = run_module(rds_db_instance, args())["instance"]
    wanted = {
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
        "db_parameter_group_name": created["db_parameter_group_name"],
        "vpc_security_group_ids": [SG],
        "enable_cloudwatch_logs_exports": ["upgrade", "postgresql"],
        "tags": dict(TAGS),
    }
    assert rds_instance.in_place_sides(created, wanted) == ({}, {})
    before, after = rds_instance.in_place_sides(
        created, dict(wanted, instance_class="db.t3.small", max_allocated_storage=100, tags={})
    )
    assert before == {"instance_class": "db.t3.micro", "max_allocated_storage": None, "tags": TAGS}
    assert after == {"instance_class": "db.t3.small", "max_allocated_storage": 100, "tags": {}}
