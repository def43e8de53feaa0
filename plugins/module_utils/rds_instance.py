# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS DB instance: the calls of payments.infra.rds_db_instance and the views of an instance.

payments.infra.rds_db_instance only creates an instance with a Secrets Manager-managed master password (or switches
an existing one to it) and adopts one a parallel run created; stock amazon.aws.rds_instance converges every in-place
setting after it. Call wrappers follow ``ec2.py`` / ``ecr.py``: small, retried with ``AWSRetry.jittered_backoff`` and
raising one exception type (``AnsibleRDSInstanceError``).

``instance_view`` is the snake_case ``instance`` the module returns (never a password); ``settings_view`` the
settings its diff compares; ``create_request`` the one CreateDBInstance call; ``planned_instance`` what it would
make (check mode). ``IN_PLACE`` is the table of settings compared with a live instance to plan what stock
amazon.aws.rds_instance will change in place (the ``rds_instance_plan`` filter).
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict


class AnsibleRDSInstanceError(AnsibleAWSError):
    pass


class RDSInstanceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSInstanceError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBInstanceNotFound")


@RDSInstanceErrorHandler.list_error_handler("describe RDS DB instance", None)
@AWSRetry.jittered_backoff()
def describe_db_instance(client, identifier):
    """The DescribeDBInstances entry of ``identifier``, None when it does not exist."""
    instances = client.describe_db_instances(DBInstanceIdentifier=identifier).get("DBInstances") or []
    return instances[0] if instances else None


@RDSInstanceErrorHandler.common_error_handler("create RDS DB instance")
@AWSRetry.jittered_backoff()
def create_db_instance(client, **params):
    """CreateDBInstance; the new instance, or None when it already exists.

    None means another run created it between our describe and our create (or a retried call of ours reached
    RDS twice): the caller looks it up again and adopts it.
    """
    try:
        return client.create_db_instance(**params)["DBInstance"]
    except is_boto3_error_code("DBInstanceAlreadyExists"):
        return None


@RDSInstanceErrorHandler.common_error_handler("modify RDS DB instance")
@AWSRetry.jittered_backoff()
def modify_db_instance(client, **params):
    return client.modify_db_instance(**params)["DBInstance"]


@RDSInstanceErrorHandler.common_error_handler("list RDS DB instance tags")
@AWSRetry.jittered_backoff()
def list_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceName=arn).get("TagList") or [])


def instance_tags(client, instance):
    """Tags of a DescribeDBInstances entry: its TagList, or ListTagsForResource when it has none."""
    if "TagList" in instance:
        return boto3_tag_list_to_ansible_dict(instance.get("TagList") or [])
    return list_tags(client, instance["DBInstanceArn"])


# (IOPS, MiB/s) RDS provisions for gp3 PostgreSQL under 400 GiB, and from 400 GiB.
GP3_BASELINE = ((400, (3000, 125)), (65536, (12000, 500)))


def gp3_baseline(allocated_storage):
    """(IOPS, MiB/s) RDS provisions for a gp3 PostgreSQL volume of this size."""
    return GP3_BASELINE[0][1] if allocated_storage < GP3_BASELINE[0][0] else GP3_BASELINE[1][1]


def _parameter_group(instance):
    groups = instance.get("DBParameterGroups") or []
    return groups[0] if groups else {}


def _pending_values(instance):
    pending = dict(instance.get("PendingModifiedValues") or {})
    pending.pop("MasterUserPassword", None)  # RDS masks it ('****'); not ours to show anyway
    return pending


def instance_view(instance, tags=None):
    """The snake_case ``instance`` return value of a DescribeDBInstances entry (never a password)."""
    if not instance:
        return {}
    endpoint = instance.get("Endpoint") or {}
    secret = instance.get("MasterUserSecret") or None
    subnet_group = instance.get("DBSubnetGroup") or {}
    group = _parameter_group(instance)
    return {
        "db_instance_identifier": instance.get("DBInstanceIdentifier"),
        "db_instance_arn": instance.get("DBInstanceArn"),
        "dbi_resource_id": instance.get("DbiResourceId"),
        "status": instance.get("DBInstanceStatus"),
        "endpoint": {"address": endpoint.get("Address"), "port": endpoint.get("Port")},
        "engine": instance.get("Engine"),
        "engine_version": instance.get("EngineVersion"),
        "instance_class": instance.get("DBInstanceClass"),
        "allocated_storage": instance.get("AllocatedStorage"),
        "max_allocated_storage": instance.get("MaxAllocatedStorage"),
        "storage_type": instance.get("StorageType"),
        "iops": instance.get("Iops"),
        "storage_throughput": instance.get("StorageThroughput"),
        "storage_encrypted": instance.get("StorageEncrypted"),
        "kms_key_id": instance.get("KmsKeyId"),
        "db_name": instance.get("DBName"),
        "master_username": instance.get("MasterUsername"),
        "db_subnet_group_name": subnet_group.get("DBSubnetGroupName"),
        "vpc_security_group_ids": [g.get("VpcSecurityGroupId") for g in instance.get("VpcSecurityGroups") or []],
        "multi_az": instance.get("MultiAZ"),
        "publicly_accessible": instance.get("PubliclyAccessible"),
        "backup_retention_period": instance.get("BackupRetentionPeriod"),
        "preferred_backup_window": instance.get("PreferredBackupWindow"),
        "preferred_maintenance_window": instance.get("PreferredMaintenanceWindow"),
        "deletion_protection": instance.get("DeletionProtection"),
        "copy_tags_to_snapshot": instance.get("CopyTagsToSnapshot"),
        "auto_minor_version_upgrade": instance.get("AutoMinorVersionUpgrade"),
        "enabled_cloudwatch_logs_exports": list(instance.get("EnabledCloudwatchLogsExports") or []),
        "ca_certificate_identifier": instance.get("CACertificateIdentifier"),
        "performance_insights_enabled": bool(instance.get("PerformanceInsightsEnabled", False)),
        "db_parameter_group_name": group.get("DBParameterGroupName"),
        "parameter_apply_status": group.get("ParameterApplyStatus"),
        "pending_modified_values": camel_dict_to_snake_dict(_pending_values(instance)),
        "master_user_secret": (
            {
                "secret_arn": secret.get("SecretArn"),
                "secret_status": secret.get("SecretStatus"),
                "kms_key_id": secret.get("KmsKeyId"),
            }
            if secret
            else None
        ),
        "tags": {to_text(k): to_text(v) for k, v in (tags or {}).items()},
    }


def settings_view(instance):
    """The compared settings of an instance, named like the module options (the ``diff``)."""
    view = instance_view(instance)
    return {
        "engine": view["engine"],
        "engine_version": view["engine_version"],
        "instance_class": view["instance_class"],
        "allocated_storage": view["allocated_storage"],
        "max_allocated_storage": view["max_allocated_storage"],
        "storage_type": view["storage_type"],
        "iops": view["iops"],
        "storage_throughput": view["storage_throughput"],
        "storage_encrypted": view["storage_encrypted"],
        "kms_key_id": view["kms_key_id"],
        "db_name": view["db_name"],
        "master_username": view["master_username"],
        "manage_master_user_password": view["master_user_secret"] is not None,
        "master_user_secret_kms_key_id": (view["master_user_secret"] or {}).get("kms_key_id"),
        "db_subnet_group_name": view["db_subnet_group_name"],
        "vpc_security_group_ids": sorted(view["vpc_security_group_ids"]),
        "db_parameter_group_name": view["db_parameter_group_name"],
        "port": view["endpoint"]["port"] or instance.get("DbInstancePort"),
        "multi_az": view["multi_az"],
        "publicly_accessible": view["publicly_accessible"],
        "backup_retention_period": view["backup_retention_period"],
        "deletion_protection": view["deletion_protection"],
        "copy_tags_to_snapshot": view["copy_tags_to_snapshot"],
        "enable_cloudwatch_logs_exports": sorted(view["enabled_cloudwatch_logs_exports"]),
        "auto_minor_version_upgrade": view["auto_minor_version_upgrade"],
    }


def create_request(params, tags):
    """The CreateDBInstance parameters: every setting, the managed master password and the tags in one call."""
    request = {
        "DBInstanceIdentifier": params["db_instance_identifier"],
        "Engine": params["engine"],
        "DBInstanceClass": params["instance_class"],
        "AllocatedStorage": params["allocated_storage"],
        "StorageType": params["storage_type"],
        "StorageEncrypted": params["storage_encrypted"],
        "MasterUsername": params["master_username"],
        "ManageMasterUserPassword": True,
        "MultiAZ": params["multi_az"],
        "PubliclyAccessible": params["publicly_accessible"],
        "BackupRetentionPeriod": params["backup_retention_period"],
        "DeletionProtection": params["deletion_protection"],
        "CopyTagsToSnapshot": params["copy_tags_to_snapshot"],
        "AutoMinorVersionUpgrade": params["auto_minor_version_upgrade"],
        "Port": params["port"],
        "EnableCloudwatchLogsExports": list(params["enable_cloudwatch_logs_exports"]),
    }
    optional = {
        "EngineVersion": params["engine_version"],
        "MaxAllocatedStorage": params["max_allocated_storage"] or None,
        "Iops": params["iops"] or None,
        "StorageThroughput": params["storage_throughput"] or None,
        "KmsKeyId": params["kms_key_id"],
        "DBName": params["db_name"],
        "MasterUserSecretKmsKeyId": params["master_user_secret_kms_key_id"],
        "DBSubnetGroupName": params["db_subnet_group_name"],
        "VpcSecurityGroupIds": params["vpc_security_group_ids"],
        "DBParameterGroupName": params["db_parameter_group_name"],
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    tags = {to_text(k): to_text(v) for k, v in (tags or {}).items()}
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def planned_instance(params):
    """The DescribeDBInstances entry CreateDBInstance should produce (check mode); unknown values are None."""
    baseline = gp3_baseline(params["allocated_storage"]) if params["storage_type"] == "gp3" else (None, None)
    return {
        "DBInstanceIdentifier": params["db_instance_identifier"].lower(),
        "DBInstanceStatus": "creating",
        "Endpoint": {"Address": None, "Port": params["port"]},
        "Engine": params["engine"],
        "EngineVersion": params["engine_version"],
        "DBInstanceClass": params["instance_class"],
        "AllocatedStorage": params["allocated_storage"],
        "MaxAllocatedStorage": params["max_allocated_storage"] or None,
        "StorageType": params["storage_type"],
        "Iops": params["iops"] or baseline[0],
        "StorageThroughput": params["storage_throughput"] or baseline[1],
        "StorageEncrypted": params["storage_encrypted"],
        "KmsKeyId": params["kms_key_id"],
        "DBName": params["db_name"],
        "MasterUsername": params["master_username"],
        "MasterUserSecret": {"SecretStatus": "creating", "KmsKeyId": params["master_user_secret_kms_key_id"]},
        "DBSubnetGroup": {"DBSubnetGroupName": params["db_subnet_group_name"]},
        "VpcSecurityGroups": [{"VpcSecurityGroupId": g} for g in params["vpc_security_group_ids"] or []],
        "MultiAZ": params["multi_az"],
        "PubliclyAccessible": params["publicly_accessible"],
        "BackupRetentionPeriod": params["backup_retention_period"],
        "DeletionProtection": params["deletion_protection"],
        "CopyTagsToSnapshot": params["copy_tags_to_snapshot"],
        "AutoMinorVersionUpgrade": params["auto_minor_version_upgrade"],
        "EnabledCloudwatchLogsExports": list(params["enable_cloudwatch_logs_exports"]),
        "DBParameterGroups": (
            [{"DBParameterGroupName": params["db_parameter_group_name"], "ParameterApplyStatus": "in-sync"}]
            if params["db_parameter_group_name"]
            else []
        ),
    }


def _sorted_set(value):
    return sorted(set(value or []))


def _effective_log_exports(view):
    """The log exports an instance has once its pending change is applied."""
    waiting = (view.get("pending_modified_values") or {}).get("pending_cloudwatch_logs_exports") or {}
    exports = set(view.get("enabled_cloudwatch_logs_exports") or [])
    exports |= set(waiting.get("log_types_to_enable") or [])
    return sorted(exports - set(waiting.get("log_types_to_disable") or []))


# What stock amazon.aws.rds_instance converges in place, compared as it compares them: (setting as in the
# ``instance`` view and the wanted settings, the key of ``pending_modified_values`` that counts as already
# requested (None: none), how both sides are compared, only when wanted (a falsy wanted value is AWS's baseline
# or default, never a difference)).
IN_PLACE = (
    ("engine_version", "engine_version", None, False),
    ("instance_class", "db_instance_class", None, False),
    ("allocated_storage", "allocated_storage", None, False),
    ("max_allocated_storage", None, None, False),
    ("storage_type", "storage_type", None, False),
    ("iops", "iops", None, True),
    ("storage_throughput", "storage_throughput", None, True),
    ("multi_az", "multi_az", bool, False),
    ("backup_retention_period", "backup_retention_period", None, False),
    ("deletion_protection", None, bool, False),
    ("publicly_accessible", None, bool, False),
    ("copy_tags_to_snapshot", None, bool, False),
    ("auto_minor_version_upgrade", None, bool, False),
    ("db_parameter_group_name", None, None, False),
    ("vpc_security_group_ids", None, _sorted_set, False),
)


def in_place_sides(view, wanted):
    """(before, after) of the settings of an existing instance (an ``instance`` view) that differ from ``wanted``.

    Values waiting in ``pending_modified_values`` count as already requested; ``max_allocated_storage`` 0 or None
    is storage autoscaling off; ``enable_cloudwatch_logs_exports`` and ``tags`` are compared as sets and dicts.
    """
    pending = view.get("pending_modified_values") or {}
    before, after = {}, {}
    for option, pending_key, compare_as, only_when_wanted in IN_PLACE:
        if option not in wanted or (only_when_wanted and not wanted[option]):
            continue
        live = pending.get(pending_key, view.get(option)) if pending_key else view.get(option)
        live_value, wanted_value = live, wanted[option]
        if option == "max_allocated_storage":
            live_value, wanted_value = live or None, wanted_value or None
        if compare_as:
            live_value, wanted_value = compare_as(live_value), compare_as(wanted_value)
        if live_value != wanted_value:
            before[option], after[option] = live_value, wanted_value
    _compare_set(before, after, "enable_cloudwatch_logs_exports", _effective_log_exports(view), wanted)
    if "tags" in wanted and dict(view.get("tags") or {}) != dict(wanted["tags"] or {}):
        before["tags"], after["tags"] = dict(view.get("tags") or {}), dict(wanted["tags"] or {})
    return before, after


def _compare_set(before, after, option, live, wanted):
    if option in wanted and _sorted_set(live) != _sorted_set(wanted[option]):
        before[option], after[option] = _sorted_set(live), _sorted_set(wanted[option])
