"""payments.infra.rds_db_instance against moto in-process (no latency: waits end at the first poll)."""

import copy
import json

import boto3
import botocore.client
import pytest
from ansible.module_utils import basic
from moto.rds.models import rds_backends

from ansible_collections.payments.infra.plugins.module_utils import rds_instance
from ansible_collections.payments.infra.plugins.modules import rds_db_instance

ID = "payment-db-dev"
REGION = "us-east-1"
ACCOUNT = "123456789012"
SG = "sg-0123456789abcdef0"
WRITE_OPS = {
    "CreateDBInstance",
    "ModifyDBInstance",
    "DeleteDBInstance",
    "AddTagsToResource",
    "RemoveTagsFromResource",
    "CreateDBSnapshot",
}


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning, *a, **kw: seen.append(warning))
    return seen


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
        "tags": {"Project": "payment-api", "Environment": "dev"},
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def live(rds_client, identifier=ID):
    return rds_client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def exists(rds_client, identifier=ID):
    return identifier in [i["DBInstanceIdentifier"] for i in rds_client.describe_db_instances()["DBInstances"]]


def existing(rds_client, **extra):
    """An instance made with the module's own CreateDBInstance request for args(**extra), without running the module."""
    wanted = args(**extra)
    tags = wanted.pop("tags", None)
    request = rds_instance.create_request(params(**wanted), tags)
    return rds_client.create_db_instance(**request)["DBInstance"]


def moto_instance(identifier=ID):
    return rds_backends[ACCOUNT][REGION].databases[identifier]


# ---------------------------------------------------------------------------------------------
# create / idempotence / the managed password
# ---------------------------------------------------------------------------------------------
def test_create_gp3_20gib_without_iops_and_rerun_unchanged(run_module, rds, api_calls):
    result = run_module(rds_db_instance, args())
    assert result["changed"] is True and result["created"] is True and result["adopted"] is False, result
    instance = result["instance"]
    assert instance["status"] == "available"
    assert instance["storage_type"] == "gp3" and instance["allocated_storage"] == 20
    # AWS's baseline, reported although never asked for.
    assert (instance["iops"], instance["storage_throughput"]) == (3000, 125)
    assert instance["storage_encrypted"] is True
    assert instance["endpoint"]["port"] == 5432 and instance["endpoint"]["address"]
    assert instance["tags"] == {"Project": "payment-api", "Environment": "dev"}
    assert instance["enabled_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]

    assert writes(api_calls) == ["CreateDBInstance"]
    create = call(api_calls, "CreateDBInstance")[0]
    assert create["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in create
    assert "Iops" not in create and "StorageThroughput" not in create
    assert create["StorageEncrypted"] is True and create["CopyTagsToSnapshot"] is True
    assert create["MasterUsername"] == "payments_admin" and create["Port"] == 5432
    assert create["BackupRetentionPeriod"] == 7 and create["DeletionProtection"] is False
    assert create["PubliclyAccessible"] is False and create["MultiAZ"] is False
    assert create["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert sorted(create["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "Environment", "Value": "dev"},
        {"Key": "Project", "Value": "payment-api"},
    ]
    assert result["diff"]["before"] == {} and result["diff"]["after"]["instance_class"] == "db.t3.micro"

    api_calls.clear()
    again = run_module(rds_db_instance, args())
    assert again["changed"] is False, again["diff"]
    assert writes(api_calls) == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["pending_reboot"] is False


def test_secret_exists_and_no_password_in_result(run_module, rds):
    result = run_module(rds_db_instance, args())
    secret = result["instance"]["master_user_secret"]
    assert set(secret) == {"secret_arn", "secret_status", "kms_key_id"}
    assert secret["secret_arn"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-")
    assert live(rds)["MasterUserSecret"]["SecretArn"] == secret["secret_arn"]

    sm = boto3.client("secretsmanager", region_name=REGION)
    value = json.loads(sm.get_secret_value(SecretId=secret["secret_arn"])["SecretString"])
    password = value["password"]
    for outcome in (result, run_module(rds_db_instance, args()), run_module(rds_db_instance, args(), diff=True)):
        dumped = json.dumps(outcome, default=str)
        assert password not in dumped
        assert "SecretString" not in dumped and '"master_user_password"' not in dumped


def test_manage_master_user_password_false_is_refused_before_any_call(run_module, aws, api_calls):
    result = run_module(rds_db_instance, args(manage_master_user_password=False))
    assert result["failed"] and "never handles database passwords" in result["msg"]
    assert "Secrets Manager" in result["msg"]
    assert api_calls == []


def test_adopts_an_instance_created_by_a_parallel_run(run_module, rds, api_calls, monkeypatch):
    """DescribeDBInstances finds nothing, then a parallel run creates the instance before our create."""
    original = botocore.client.BaseClient._make_api_call
    state = {"raced": False}

    def racing(self, operation_name, api_params):
        if operation_name == "CreateDBInstance" and not state["raced"]:
            state["raced"] = True
            original(self, operation_name, dict(api_params, Tags=[{"Key": "Project", "Value": "payment-api"}]))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", racing)
    result = run_module(rds_db_instance, args())
    assert state["raced"]
    assert not result.get("failed"), result["msg"]
    assert result["adopted"] is True and result["created"] is False
    # The parallel run's instance lacked one tag: converged, nothing else to change.
    assert result["changed"] is True
    assert result["instance"]["tags"] == {"Project": "payment-api", "Environment": "dev"}
    assert {t["Key"] for t in live(rds)["TagList"]} == {"Project", "Environment"}
    assert len(rds.describe_db_instances()["DBInstances"]) == 1


def test_wait_false_returns_right_after_create_with_a_status(run_module, rds, api_calls):
    result = run_module(rds_db_instance, args(wait=False))
    assert result["changed"] is True and result["created"] is True
    assert result["instance"]["status"]  # AWS: "creating"; moto creates instances available at once
    assert result["instance"]["db_instance_arn"].endswith(f":db:{ID}")
    # One lookup, one create, nothing awaited.
    assert [name for name, _ in api_calls] == ["DescribeDBInstances", "CreateDBInstance"]


# ---------------------------------------------------------------------------------------------
# Existing instances: transitional and failed statuses
# ---------------------------------------------------------------------------------------------
def test_failed_status_after_create_fails_with_its_meaning(run_module, rds, monkeypatch):
    original = botocore.client.BaseClient._make_api_call

    def breaking(self, operation_name, api_params):
        response = original(self, operation_name, api_params)
        if operation_name == "CreateDBInstance":
            moto_instance().status = "incompatible-parameters"
        return response

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", breaking)
    result = run_module(rds_db_instance, args())
    assert result["failed"] and result["status"] == "incompatible-parameters"
    assert "does not fit the instance class" in result["msg"]
    assert result["instance"]["db_instance_identifier"] == ID


def test_existing_instance_in_failed_status_is_reported(run_module, rds, api_calls):
    existing(rds)
    moto_instance().status = "storage-full"
    api_calls.clear()
    result = run_module(rds_db_instance, args())
    assert result["failed"] and "'storage-full'" in result["msg"] and "increase allocated_storage" in result["msg"]
    assert writes(api_calls) == []
    # The fix goes through: a storage increase is requested (not awaited) on a storage-full instance.
    fixed = run_module(rds_db_instance, args(allocated_storage=30))
    assert fixed["changed"] is True and not fixed.get("failed")


def test_stopped_instance_is_a_warning_not_a_failure(run_module, rds, api_calls, warnings):
    existing(rds)
    moto_instance().status = "stopped"
    api_calls.clear()
    result = run_module(rds_db_instance, args())
    assert not result.get("failed") and result["changed"] is False
    assert result["instance"]["status"] == "stopped"
    assert any("'stopped'" in w and "does not start instances" in w for w in warnings)
    assert writes(api_calls) == []


def test_instance_still_creating_is_awaited_not_created_again(run_module, rds, monkeypatch):
    existing(rds, wait=False)
    moto_instance().status = "creating"
    original = botocore.client.BaseClient._make_api_call
    seen = []

    def finishing(self, operation_name, api_params):
        response = original(self, operation_name, api_params)
        if operation_name == "DescribeDBInstances":
            seen.append(response["DBInstances"][0]["DBInstanceStatus"])
            moto_instance().status = "available"  # RDS finishes the creation after the first look
        elif operation_name in WRITE_OPS:
            seen.append(operation_name)
        return response

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", finishing)
    result = run_module(rds_db_instance, args())
    assert result["changed"] is False and result["created"] is False
    assert seen[:2] == ["creating", "available"]  # the lookup, then the waiter's first poll
    assert not set(seen) & WRITE_OPS
    assert result["instance"]["status"] == "available"


# ---------------------------------------------------------------------------------------------
# Modifications
# ---------------------------------------------------------------------------------------------
def test_class_change_and_storage_increase_modify(run_module, rds, api_calls):
    existing(rds)
    api_calls.clear()
    result = run_module(
        rds_db_instance, args(instance_class="db.t3.small", allocated_storage=30, apply_immediately=True)
    )
    assert result["changed"] is True and not result["created"]
    assert writes(api_calls) == ["ModifyDBInstance"]
    modify = call(api_calls, "ModifyDBInstance")[0]
    assert modify == {
        "DBInstanceIdentifier": ID,
        "ApplyImmediately": True,
        "DBInstanceClass": "db.t3.small",
        "AllocatedStorage": 30,
    }
    assert result["diff"]["before"]["instance_class"] == "db.t3.micro"
    assert result["diff"]["after"]["instance_class"] == "db.t3.small"
    assert result["diff"]["after"]["allocated_storage"] == 30
    found = live(rds)
    assert (found["DBInstanceClass"], found["AllocatedStorage"]) == ("db.t3.small", 30)
    # Still under 400 GiB: the baseline is not a difference and no Iops was sent.
    api_calls.clear()
    assert run_module(rds_db_instance, args(instance_class="db.t3.small", allocated_storage=30))["changed"] is False
    assert writes(api_calls) == []


def test_storage_decrease_is_refused(run_module, rds, api_calls):
    existing(rds, allocated_storage=100)
    api_calls.clear()
    result = run_module(rds_db_instance, args(allocated_storage=50))
    assert result["failed"] and "cannot shrink storage" in result["msg"]
    assert "allocated_storage=50" in result["msg"] and "100" in result["msg"]
    assert writes(api_calls) == []


def test_storage_increase_under_ten_percent_is_refused(run_module, rds, api_calls):
    existing(rds, allocated_storage=100)
    api_calls.clear()
    result = run_module(rds_db_instance, args(allocated_storage=105))
    assert result["failed"] and "at least 10%" in result["msg"] and "110" in result["msg"]
    assert writes(api_calls) == []


def test_gp3_iops_under_400_gib_refused_before_any_call(run_module, aws, api_calls):
    result = run_module(rds_db_instance, args(allocated_storage=100, iops=6000))
    assert result["failed"]
    assert result["msg"].startswith(
        "iops/storage_throughput cannot be set for a gp3 postgres volume under 400 GiB: AWS gives 3000 IOPS / "
        "125 MiB/s baseline there"
    )
    assert "iops=6000" in result["msg"] and "allocated_storage=100" in result["msg"]
    assert api_calls == []


def test_gp3_from_400_gib_reports_the_higher_baseline_and_takes_provisioned_values(run_module, rds, api_calls):
    existing(rds, allocated_storage=400)
    assert (live(rds)["Iops"], live(rds)["StorageThroughput"]) == (12000, 500)
    api_calls.clear()
    assert run_module(rds_db_instance, args(allocated_storage=400))["changed"] is False
    result = run_module(rds_db_instance, args(allocated_storage=400, iops=16000, storage_throughput=1000))
    assert result["changed"] is True
    modify = call(api_calls, "ModifyDBInstance")[0]
    assert (modify["Iops"], modify["StorageThroughput"]) == (16000, 1000)
    assert "AllocatedStorage" not in modify


def test_multi_az_deletion_protection_and_backup_retention(run_module, rds, api_calls):
    existing(rds)
    api_calls.clear()
    wanted = args(multi_az=True, deletion_protection=True, backup_retention_period=14)
    result = run_module(rds_db_instance, wanted)
    assert result["changed"] is True
    modify = call(api_calls, "ModifyDBInstance")[0]
    assert modify["MultiAZ"] is True and modify["DeletionProtection"] is True
    assert modify["BackupRetentionPeriod"] == 14 and modify["ApplyImmediately"] is False
    found = live(rds)
    assert (found["MultiAZ"], found["DeletionProtection"], found["BackupRetentionPeriod"]) == (True, True, 14)
    api_calls.clear()
    assert run_module(rds_db_instance, wanted)["changed"] is False
    assert writes(api_calls) == []


def test_log_exports_are_enabled_and_disabled(run_module, rds, api_calls):
    existing(rds, enable_cloudwatch_logs_exports=["postgresql"])
    api_calls.clear()
    result = run_module(rds_db_instance, args(enable_cloudwatch_logs_exports=["upgrade"]))
    modify = call(api_calls, "ModifyDBInstance")[0]
    assert modify["CloudwatchLogsExportConfiguration"] == {
        "EnableLogTypes": ["upgrade"],
        "DisableLogTypes": ["postgresql"],
    }
    assert result["instance"]["enabled_cloudwatch_logs_exports"] == ["upgrade"]


def test_immutable_difference_is_refused_with_no_write(run_module, rds, api_calls):
    existing(rds)
    api_calls.clear()
    result = run_module(rds_db_instance, args(db_name="ledger", master_username="admin", instance_class="db.t3.small"))
    assert result["failed"]
    msg = result["msg"]
    assert "db_name is 'payments', not 'ledger'" in msg
    assert "master_username is 'payments_admin', not 'admin'" in msg
    assert "Nothing was changed" in msg and "db_name='payments'" in msg
    assert writes(api_calls) == []
    assert live(rds)["DBInstanceClass"] == "db.t3.micro"


def test_unencrypted_instance_is_not_silently_kept(run_module, rds, api_calls):
    existing(rds, storage_encrypted=False)
    api_calls.clear()
    result = run_module(rds_db_instance, args())
    assert result["failed"] and "storage_encrypted is False, not True" in result["msg"]
    assert "copy-db-snapshot" in result["msg"]
    assert writes(api_calls) == []


def test_managed_password_is_turned_on_for_an_instance_with_a_password(run_module, rds, api_calls):
    rds.create_db_instance(
        DBInstanceIdentifier=ID,
        Engine="postgres",
        EngineVersion="15.14",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        StorageType="gp3",
        StorageEncrypted=True,
        DBName="payments",
        MasterUsername="payments_admin",
        MasterUserPassword="not-a-real-password-1",
        BackupRetentionPeriod=7,
        CopyTagsToSnapshot=True,
        EnableCloudwatchLogsExports=["postgresql", "upgrade"],
        PubliclyAccessible=False,
        VpcSecurityGroupIds=[SG],
        Tags=[{"Key": "Project", "Value": "payment-api"}, {"Key": "Environment", "Value": "dev"}],
    )
    api_calls.clear()
    result = run_module(rds_db_instance, args())
    assert result["changed"] is True and result["created"] is False and result["adopted"] is False
    assert call(api_calls, "ModifyDBInstance")[0] == {
        "DBInstanceIdentifier": ID,
        "ApplyImmediately": False,
        "ManageMasterUserPassword": True,
    }
    assert result["instance"]["master_user_secret"]["secret_arn"]
    assert "not-a-real-password-1" not in json.dumps(result, default=str)


# ---------------------------------------------------------------------------------------------
# Tags and check mode
# ---------------------------------------------------------------------------------------------
def test_tags_converge(run_module, rds, api_calls):
    existing(rds)
    api_calls.clear()
    result = run_module(rds_db_instance, args(tags={"Project": "payment-api", "Owner": "payments"}))
    assert result["changed"] is True
    assert writes(api_calls) == ["RemoveTagsFromResource", "AddTagsToResource"]
    assert call(api_calls, "RemoveTagsFromResource")[0]["TagKeys"] == ["Environment"]
    assert {t["Key"]: t["Value"] for t in live(rds)["TagList"]} == {"Project": "payment-api", "Owner": "payments"}
    assert result["instance"]["tags"] == {"Project": "payment-api", "Owner": "payments"}
    api_calls.clear()
    kept = run_module(rds_db_instance, args(tags={"Extra": "1"}, purge_tags=False))
    assert writes(api_calls) == ["AddTagsToResource"] and kept["changed"] is True
    api_calls.clear()
    untouched = run_module(rds_db_instance, {k: v for k, v in args().items() if k != "tags"})
    assert untouched["changed"] is False and writes(api_calls) == []


def test_check_mode_writes_nothing(run_module, rds, api_calls):
    planned = run_module(rds_db_instance, args(), check_mode=True)
    assert planned["changed"] is True and planned["created"] is True
    assert planned["instance"]["status"] == "creating" and planned["instance"]["db_instance_arn"] is None
    assert (planned["instance"]["iops"], planned["instance"]["storage_throughput"]) == (3000, 125)
    assert writes(api_calls) == [] and not exists(rds)

    existing(rds)
    api_calls.clear()
    change = args(instance_class="db.t3.small", tags={"Project": "other"}, backup_retention_period=3)
    result = run_module(rds_db_instance, change, check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["instance_class"] == "db.t3.small"
    assert result["diff"]["after"]["tags"] == {"Project": "other"}
    assert result["instance"]["instance_class"] == "db.t3.small"
    assert writes(api_calls) == []
    assert live(rds)["DBInstanceClass"] == "db.t3.micro"

    api_calls.clear()
    absent = run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent"}, check_mode=True)
    assert absent["changed"] is True and absent["final_snapshot"]["db_snapshot_identifier"] == f"{ID}-final"
    assert writes(api_calls) == [] and exists(rds)


# ---------------------------------------------------------------------------------------------
# absent
# ---------------------------------------------------------------------------------------------
def test_absent_with_deletion_protection_is_refused(run_module, rds, api_calls):
    existing(rds, deletion_protection=True)
    api_calls.clear()
    result = run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent"})
    assert result["failed"] and "deletion protection on" in result["msg"]
    assert "deletion_protection=false" in result["msg"] and "rds_deletion_protection" in result["msg"]
    assert writes(api_calls) == [] and exists(rds)


def test_absent_takes_a_final_snapshot_and_is_idempotent(run_module, rds, api_calls):
    created = run_module(rds_db_instance, args())
    secret_arn = created["instance"]["master_user_secret"]["secret_arn"]
    api_calls.clear()
    result = run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent"})
    assert result["changed"] is True and result["instance"] == {}
    assert result["final_snapshot"] == {"db_snapshot_identifier": f"{ID}-final", "status": "available", "reused": False}
    assert call(api_calls, "DeleteDBInstance")[0] == {
        "DBInstanceIdentifier": ID,
        "FinalDBSnapshotIdentifier": f"{ID}-final",
    }
    assert not exists(rds)
    snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier=f"{ID}-final")["DBSnapshots"][0]
    assert snapshot["DBInstanceIdentifier"] == ID
    sm = boto3.client("secretsmanager", region_name=REGION)
    assert secret_arn not in [s["ARN"] for s in sm.list_secrets()["SecretList"]]

    api_calls.clear()
    again = run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent"})
    assert again["changed"] is False and again["instance"] == {}
    assert writes(api_calls) == []


def test_absent_reuses_the_final_snapshot_of_this_instance(run_module, rds, api_calls, warnings):
    existing(rds)
    rds.create_db_snapshot(DBInstanceIdentifier=ID, DBSnapshotIdentifier=f"{ID}-final")
    api_calls.clear()
    result = run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent"})
    assert result["changed"] is True and result["final_snapshot"]["reused"] is True
    assert call(api_calls, "DeleteDBInstance")[0] == {"DBInstanceIdentifier": ID, "SkipFinalSnapshot": True}
    assert any("already exists" in w for w in warnings)
    assert not exists(rds)


def test_absent_refuses_a_final_snapshot_id_taken_by_an_earlier_instance(run_module, rds, api_calls):
    existing(rds)
    run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent"})
    run_module(rds_db_instance, args())  # a new instance with the same identifier
    api_calls.clear()
    result = run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent"})
    assert result["failed"] and "taken by a snapshot of another instance" in result["msg"]
    assert "final_snapshot_identifier" in result["msg"]
    assert writes(api_calls) == [] and exists(rds)
    done = run_module(
        rds_db_instance, {"db_instance_identifier": ID, "state": "absent", "final_snapshot_identifier": f"{ID}-final-2"}
    )
    assert done["changed"] is True and not exists(rds)


def test_absent_skip_final_snapshot(run_module, rds, api_calls):
    run_module(rds_db_instance, args())
    api_calls.clear()
    result = run_module(rds_db_instance, {"db_instance_identifier": ID, "state": "absent", "skip_final_snapshot": True})
    assert result["changed"] is True and "final_snapshot" not in result
    assert call(api_calls, "DeleteDBInstance")[0] == {"DBInstanceIdentifier": ID, "SkipFinalSnapshot": True}


# ---------------------------------------------------------------------------------------------
# Pure logic: validation and comparison (no AWS)
# ---------------------------------------------------------------------------------------------
def params(**extra):
    base = {
        "db_instance_identifier": ID,
        "state": "present",
        "engine": "postgres",
        "engine_version": "15.14",
        "instance_class": "db.t3.micro",
        "allocated_storage": 20,
        "max_allocated_storage": None,
        "storage_type": "gp3",
        "iops": None,
        "storage_throughput": None,
        "storage_encrypted": True,
        "kms_key_id": None,
        "db_name": "payments",
        "master_username": "payments_admin",
        "manage_master_user_password": True,
        "master_user_secret_kms_key_id": None,
        "db_subnet_group_name": None,
        "vpc_security_group_ids": None,
        "db_parameter_group_name": None,
        "port": None,
        "multi_az": False,
        "publicly_accessible": False,
        "backup_retention_period": 7,
        "preferred_backup_window": None,
        "preferred_maintenance_window": None,
        "deletion_protection": False,
        "copy_tags_to_snapshot": True,
        "enable_cloudwatch_logs_exports": None,
        "auto_minor_version_upgrade": True,
        "apply_immediately": False,
        "ca_certificate_identifier": None,
        "performance_insights_enabled": False,
        "skip_final_snapshot": False,
        "final_snapshot_identifier": None,
        "wait": True,
        "wait_timeout": 1800,
        "tags": None,
        "purge_tags": True,
    }
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"allocated_storage": 399, "storage_throughput": 600}, "under 400 GiB: AWS gives 3000 IOPS / 125 MiB/s"),
        (
            {"allocated_storage": 400, "iops": 3000},
            "iops=3000 is out of range: gp3 for postgres at this size allows 12000",
        ),
        ({"allocated_storage": 400, "storage_throughput": 5000}, "storage_throughput=5000 is out of range"),
        ({"storage_type": "io1", "allocated_storage": 100}, "storage_type=io1 needs iops"),
        ({"storage_type": "io1", "allocated_storage": 100, "iops": 6000}, "0.5 to 50 IOPS per GiB"),
        ({"storage_type": "io2", "allocated_storage": 100, "iops": 3000, "storage_throughput": 200}, "only for gp3"),
        ({"storage_type": "gp2", "iops": 3000}, "cannot be set for gp2 storage"),
        ({"backup_retention_period": 36}, "backup_retention_period=36 is out of range"),
        ({"max_allocated_storage": 20}, "max_allocated_storage=20 must be larger than allocated_storage=20"),
        (
            {"allocated_storage": 10},
            "allocated_storage=10 is out of range: gp3 storage for postgres allows 20 to 65536",
        ),
        ({"allocated_storage": 70000}, "allows 20 to 65536"),
        ({"preferred_backup_window": "3:00-3:30"}, "is not hh24:mi-hh24:mi"),
        ({"preferred_backup_window": "03:00-03:15"}, "is 15 minutes"),
        ({"preferred_maintenance_window": "sun:04:00-sun:04:20"}, "is 20 minutes"),
        (
            {"preferred_backup_window": "04:00-04:30", "preferred_maintenance_window": "sun:04:15-sun:04:45"},
            "overlaps",
        ),
        ({"enable_cloudwatch_logs_exports": ["postgresql", "slowquery"]}, "'slowquery', which postgres does not"),
        ({"kms_key_id": "alias/x", "storage_encrypted": False}, "needs storage_encrypted=true"),
        ({"db_instance_identifier": "payment--db"}, "not a valid RDS identifier"),
        ({"db_instance_identifier": "1payment"}, "not a valid RDS identifier"),
        ({"final_snapshot_identifier": "final-"}, "final_snapshot_identifier='final-' is not a valid"),
    ],
)
def test_validation_names_option_value_and_what_is_valid(extra, message):
    with pytest.raises(rds_instance.RDSInstanceValidationError) as raised:
        rds_instance.validate_params(params(**extra))
    assert message in str(raised.value)


def test_validation_accepts_and_warns():
    assert rds_instance.validate_params(params()) == []
    assert rds_instance.validate_params(params(allocated_storage=400, iops=12000, storage_throughput=500)) == []
    assert rds_instance.validate_params(params(storage_type="io1", allocated_storage=100, iops=3000)) == []
    assert (
        rds_instance.validate_params(params(engine="mysql", port=3306, enable_cloudwatch_logs_exports=["error"])) == []
    )
    warned = rds_instance.validate_params(params(publicly_accessible=True, backup_retention_period=0))
    assert any("publicly_accessible=true" in w for w in warned)
    assert any("backup_retention_period=0" in w for w in warned)
    # absent needs nothing else
    assert rds_instance.validate_params(params(state="absent", instance_class=None, allocated_storage=None)) == []


def described(**overrides):
    """A DescribeDBInstances entry matching params()."""
    instance = {
        "DBInstanceIdentifier": ID,
        "DBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{ID}",
        "DBInstanceStatus": "available",
        "Engine": "postgres",
        "EngineVersion": "15.14",
        "DBInstanceClass": "db.t3.micro",
        "AllocatedStorage": 20,
        "StorageType": "gp3",
        "Iops": 3000,
        "StorageThroughput": 125,
        "StorageEncrypted": True,
        "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abc",
        "DBName": "payments",
        "MasterUsername": "payments_admin",
        "MasterUserSecret": {"SecretArn": "arn:secret", "SecretStatus": "active", "KmsKeyId": "arn:key"},
        "Endpoint": {"Address": "x", "Port": 5432},
        "MultiAZ": False,
        "PubliclyAccessible": False,
        "BackupRetentionPeriod": 7,
        "DeletionProtection": False,
        "CopyTagsToSnapshot": True,
        "AutoMinorVersionUpgrade": True,
        "EnabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "PerformanceInsightsEnabled": False,
        "DBParameterGroups": [{"DBParameterGroupName": "default.postgres15", "ParameterApplyStatus": "in-sync"}],
        "PendingModifiedValues": {},
    }
    instance.update(overrides)
    return instance


def test_plan_baseline_is_not_a_difference():
    plan = rds_instance.plan_changes(params(), described())
    assert plan.request == {} and not plan.immutable and not plan.refusals


def test_plan_pending_values_count_as_requested():
    pending = {
        "DBInstanceClass": "db.t3.small",
        "AllocatedStorage": 30,
        "MultiAZ": True,
        "EngineVersion": "15.15",
        "PendingCloudwatchLogsExports": {"LogTypesToDisable": ["upgrade"]},
    }
    wanted = params(
        instance_class="db.t3.small",
        allocated_storage=30,
        multi_az=True,
        engine_version="15.15",
        enable_cloudwatch_logs_exports=["postgresql"],
    )
    plan = rds_instance.plan_changes(wanted, described(PendingModifiedValues=pending))
    assert plan.request == {}, plan.request
    assert set(plan.already_pending) == {
        "instance_class",
        "allocated_storage",
        "multi_az",
        "engine_version",
        "enable_cloudwatch_logs_exports",
    }
    # A different wish than what is pending is requested.
    plan = rds_instance.plan_changes(params(instance_class="db.t3.medium"), described(PendingModifiedValues=pending))
    assert plan.request["DBInstanceClass"] == "db.t3.medium"
    # The password RDS masks in PendingModifiedValues is never shown.
    view = rds_instance.instance_view(described(PendingModifiedValues={"MasterUserPassword": "****"}))
    assert view["pending_modified_values"] == {}


def test_plan_engine_versions():
    major = rds_instance.plan_changes(params(engine_version="16.4"), described())
    assert major.request == {"EngineVersion": "16.4", "AllowMajorVersionUpgrade": True}
    minor = rds_instance.plan_changes(params(engine_version="15.15"), described())
    assert minor.request == {"EngineVersion": "15.15"}
    # 15.9 < 15.14 (not a string comparison): RDS upgraded the minor version itself; warned, kept.
    older_minor = rds_instance.plan_changes(params(engine_version="15.9"), described())
    assert older_minor.request == {} and not older_minor.refusals and older_minor.warnings
    no_auto = rds_instance.plan_changes(params(engine_version="15.9"), described(AutoMinorVersionUpgrade=False))
    assert no_auto.refusals and "cannot downgrade" in no_auto.refusals[0]
    older_major = rds_instance.plan_changes(params(engine_version="14.12"), described())
    assert older_major.refusals and "engine_version=14.12 is older than the instance's 15.14" in older_major.refusals[0]
    assert rds_instance.plan_changes(params(engine_version="15"), described()).request == {}  # a major alone
    assert not rds_instance.plan_changes(params(engine_version="15"), described()).warnings
    assert rds_instance.major_version("postgres", "9.6.24") == "9.6"
    assert rds_instance.major_version("mysql", "8.0.35") == "8.0"


def test_plan_storage_rules():
    grown = described(AllocatedStorage=25, MaxAllocatedStorage=100)
    autoscaled = rds_instance.plan_changes(params(max_allocated_storage=100), grown)
    assert autoscaled.request == {} and not autoscaled.refusals and autoscaled.warnings
    io1 = described(StorageType="io1", Iops=3000, StorageThroughput=None, AllocatedStorage=100)
    plan = rds_instance.plan_changes(params(storage_type="io1", allocated_storage=200, iops=3000), io1)
    assert plan.request == {"AllocatedStorage": 200, "Iops": 3000}  # io1 storage changes carry the IOPS
    to_gp3 = rds_instance.plan_changes(params(), described(StorageType="gp2", Iops=100, StorageThroughput=None))
    assert to_gp3.request == {"StorageType": "gp3"}
    optimizing = rds_instance.plan_changes(
        params(allocated_storage=30), described(DBInstanceStatus="storage-optimization")
    )
    assert optimizing.refusals and "storage-optimization" in optimizing.refusals[0]


def test_plan_immutable_and_kms_comparison():
    plan = rds_instance.plan_changes(
        params(engine="mysql", port=3306, kms_key_id="alias/payments"),
        described(),
        same_kms_key=lambda wanted, actual: False,
    )
    assert [option for option, _, _ in plan.immutable] == ["engine", "kms_key_id", "port"]
    same = rds_instance.plan_changes(params(kms_key_id="alias/payments"), described(), same_kms_key=lambda w, a: True)
    assert not same.immutable


def test_plan_other_in_place_settings():
    plan = rds_instance.plan_changes(
        params(
            vpc_security_group_ids=["sg-2", "sg-1"],
            db_parameter_group_name="payment-db-params-dev",
            preferred_maintenance_window="Sun:04:00-Sun:04:30",
            performance_insights_enabled=True,
            ca_certificate_identifier="rds-ca-rsa2048-g1",
            publicly_accessible=True,
        ),
        described(VpcSecurityGroups=[{"VpcSecurityGroupId": "sg-1", "Status": "active"}]),
    )
    assert plan.request == {
        "VpcSecurityGroupIds": ["sg-1", "sg-2"],
        "DBParameterGroupName": "payment-db-params-dev",
        "PreferredMaintenanceWindow": "sun:04:00-sun:04:30",
        "EnablePerformanceInsights": True,
        "CACertificateIdentifier": "rds-ca-rsa2048-g1",
        "PubliclyAccessible": True,
    }
    assert rds_instance.pending_reboot(
        described(DBParameterGroups=[{"DBParameterGroupName": "g", "ParameterApplyStatus": "pending-reboot"}])
    )


def test_snapshot_of_tells_incarnations_apart():
    instance = described(DbiResourceId="db-A", InstanceCreateTime="2026-01-01")
    assert rds_instance.snapshot_of({"DBInstanceIdentifier": ID, "DbiResourceId": "db-A"}, instance)
    assert not rds_instance.snapshot_of({"DBInstanceIdentifier": ID, "DbiResourceId": "db-B"}, instance)
    assert not rds_instance.snapshot_of(
        {"DBInstanceIdentifier": ID, "DbiResourceId": "db-A", "InstanceCreateTime": "2025-01-01"}, instance
    )
    assert not rds_instance.snapshot_of({"DBInstanceIdentifier": "other"}, copy.deepcopy(instance))


def test_max_allocated_storage_zero_turns_storage_autoscaling_off(run_module, rds):
    run_module(rds_db_instance, args(max_allocated_storage=100))
    assert live(rds)["MaxAllocatedStorage"] == 100
    off = run_module(rds_db_instance, args(max_allocated_storage=0), diff=True)
    assert off["changed"] is True
    assert live(rds).get("MaxAllocatedStorage") is None
    assert run_module(rds_db_instance, args(max_allocated_storage=0))["changed"] is False


# The stock module's gap (why this module exists: README's module table)
def test_stock_rds_instance_cannot_ask_for_a_secrets_manager_managed_password(aws, run_module, api_calls):
    from ansible_collections.amazon.aws.plugins.modules import rds_instance as stock

    result = run_module(
        stock,
        {
            "db_instance_identifier": ID,
            "engine": "postgres",
            "db_instance_class": "db.t3.micro",
            "allocated_storage": 20,
            "username": "payments_admin",
            "manage_master_user_password": True,
        },
    )
    assert result["failed"]
    assert "manage_master_user_password" in result["msg"] and "Unsupported parameters" in result["msg"]
    assert [name for name, _ in api_calls if name == "CreateDBInstance"] == []
