# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS DB-instance call wrappers, validation and comparison logic of payments.infra.rds_db_instance.

Call wrappers follow ``ec2.py`` / ``ecr.py``: small, retried with ``AWSRetry.jittered_backoff`` and raising one
exception type (``AnsibleRDSInstanceError``). Parameter groups live in ``rds.py`` (payments.infra.rds_parameter_group),
the version to build in the rds_engine_version filter; nothing here touches them.

The rest is pure (no API calls) so that it can be tested without AWS:

``validate_params``
    rejects, before any API call, what RDS would reject (or what cannot mean what was written), naming the
    option, the value and what is valid. Where each constraint comes from:

    From the RDS user guide ("Amazon RDS DB instance storage", "gp3 storage"):
      - gp3 IOPS / storage throughput cannot be set below a per-engine size threshold (Db2, MariaDB, MySQL,
        PostgreSQL: 400 GiB; Oracle: 200 GiB): RDS provisions a 3000 IOPS / 125 MiB/s baseline there and
        answers "You can't specify IOPS or storage throughput for engine postgres and a storage size less than
        400". From the threshold the baseline is 12000 IOPS / 500 MiB/s and 12000-64000 IOPS,
        500-4000 MiB/s can be provisioned. SQL Server: always settable, 3000-16000 IOPS, 125-1000 MiB/s;
      - gp2 has no settable IOPS or throughput; io1 / io2 need IOPS and have no settable throughput;
      - storage sizes for MariaDB, MySQL and PostgreSQL: gp2/gp3 20-65536 GiB, io1/io2 100-65536 GiB;
        io1/io2 IOPS 1000-256000;
      - storage autoscaling: the maximum storage threshold must be above the allocated storage.
    From the RDS API reference (CreateDBInstance / ModifyDBInstance):
      - ``Iops`` "must be a multiple between .5 and 50 of the storage amount" (io1);
      - ``BackupRetentionPeriod`` 0-35; ``PreferredBackupWindow`` ``hh24:mi-hh24:mi``, at least 30 minutes,
        not overlapping ``PreferredMaintenanceWindow`` (``ddd:hh24:mi-ddd:hh24:mi``, at least 30 minutes);
      - DB instance identifiers: 1-63 letters, digits or hyphens, starting with a letter, no two consecutive
        hyphens, not ending with a hyphen; snapshot identifiers the same with up to 255 characters;
      - ``EnableCloudwatchLogsExports`` values per engine (PostgreSQL: postgresql, upgrade, iam-db-auth-error).
    Ours: an io2 IOPS/GiB ratio above 1000 (io2 Block Express's documented maximum) is refused;
    ``kms_key_id`` without ``storage_encrypted``; ``manage_master_user_password=false`` (we never handle
    passwords).
    Not validated: the gp3 throughput-to-IOPS ratio, instance classes and engine versions offered in the region
    (the rds role checks those: the rds_engine_version filter, payments.infra.rds_orderable_info), the minimum
    storage increase of 10 % is checked against the live instance in ``plan_changes``.

``plan_changes``
    compares the options with a DescribeDBInstances entry and returns the ModifyDBInstance request, the
    differences RDS cannot make in place, and refusals (storage decrease, engine downgrade). The gp3 baseline
    IOPS / throughput RDS reports (3000/125 or 12000/500) never count as a difference when ``iops`` /
    ``storage_throughput`` are not set, and values in ``PendingModifiedValues`` count as already requested.
"""

import math
import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory


class AnsibleRDSInstanceError(AnsibleAWSError):
    pass


class RDSInstanceStatusError(AnsibleRDSInstanceError):
    """The instance reached (or is in) a status it does not leave on its own."""

    def __init__(self, message, instance=None, status=None):
        super().__init__(message=message)
        self.instance = instance
        self.status = status


class RDSInstanceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSInstanceError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBInstanceNotFound")


class RDSSnapshotErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSInstanceError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBSnapshotNotFound")


# ---------------------------------------------------------------------------------------------
# Call wrappers
# ---------------------------------------------------------------------------------------------
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


@RDSInstanceErrorHandler.deletion_error_handler("delete RDS DB instance")
@AWSRetry.jittered_backoff()
def delete_db_instance(client, identifier, final_snapshot_identifier=None):
    """DeleteDBInstance with a final snapshot (or SkipFinalSnapshot without one); False when already gone.

    DBSnapshotAlreadyExists is raised (error_code tells it apart).
    """
    params = {"DBInstanceIdentifier": identifier}
    if final_snapshot_identifier:
        params["FinalDBSnapshotIdentifier"] = final_snapshot_identifier
    else:
        params["SkipFinalSnapshot"] = True
    return client.delete_db_instance(**params)["DBInstance"]


@RDSSnapshotErrorHandler.list_error_handler("describe RDS DB snapshot", None)
@AWSRetry.jittered_backoff()
def describe_db_snapshot(client, snapshot_identifier):
    """The DescribeDBSnapshots entry of a snapshot, None when there is none."""
    snapshots = client.describe_db_snapshots(DBSnapshotIdentifier=snapshot_identifier).get("DBSnapshots") or []
    return snapshots[0] if snapshots else None


@RDSInstanceErrorHandler.common_error_handler("list RDS DB instance tags")
@AWSRetry.jittered_backoff()
def list_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceName=arn).get("TagList") or [])


@RDSInstanceErrorHandler.common_error_handler("tag RDS DB instance")
@AWSRetry.jittered_backoff()
def add_tags(client, arn, tags):
    tags = {to_text(k): to_text(v) for k, v in (tags or {}).items()}
    if not tags:
        return False
    client.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@RDSInstanceErrorHandler.common_error_handler("untag RDS DB instance")
@AWSRetry.jittered_backoff()
def remove_tags(client, arn, keys):
    if not keys:
        return False
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=list(keys))
    return True


def instance_tags(client, instance):
    """Tags of a DescribeDBInstances entry: its TagList, or ListTagsForResource when it has none."""
    if "TagList" in instance:
        return boto3_tag_list_to_ansible_dict(instance.get("TagList") or [])
    return list_tags(client, instance["DBInstanceArn"])


# ---------------------------------------------------------------------------------------------
# Statuses and waiting
# ---------------------------------------------------------------------------------------------
# Statuses an instance leaves on its own: awaited (wait=true), never a reason to create or modify again.
TRANSITIONAL_STATUSES = (
    "creating",
    "modifying",
    "backing-up",
    "upgrading",
    "rebooting",
    "renaming",
    "resetting-master-credentials",
    "configuring-enhanced-monitoring",
    "configuring-iam-database-auth",
    "configuring-log-exports",
    "converting-to-vpc",
    "moving-to-vpc",
    "maintenance",
    "starting",
    "storage-initialization",
)
# Usable statuses: storage-optimization follows every storage change and can last many hours.
READY_STATUSES = ("available", "storage-optimization")
# Statuses an instance does not leave on its own, and what they mean.
FAILED_STATUSES = {
    "failed": "RDS could not create or recover the instance; the RDS events of the instance say why "
    "(aws rds describe-events --source-type db-instance --source-identifier <id>)",
    "incompatible-parameters": "a parameter of its DB parameter group does not fit the instance class or engine "
    "version (typically a memory setting such as shared_buffers or effective_cache_size larger than the memory "
    "of the class), so RDS cannot start the database; correct the parameter group (or choose a larger "
    "instance_class) and reboot the instance",
    "incompatible-network": "RDS cannot set up the network of the instance: the subnets of its DB subnet group have "
    "no free IP address, or a subnet or the VPC is gone; free addresses or correct the DB subnet group",
    "incompatible-option-group": "an option of its option group cannot be used by this instance; correct the option "
    "group",
    "incompatible-restore": "RDS could not restore the instance to the requested point in time",
    "incompatible-credentials": "RDS cannot use the credentials of its Active Directory domain",
    "inaccessible-encryption-credentials": "the KMS key of the instance is disabled or deleted, or RDS lost access "
    "to it; the instance cannot be recovered without the key",
    "inaccessible-encryption-credentials-recoverable": "the KMS key of the instance is disabled or RDS lost access "
    "to it; re-enable the key (or its grant) and start the instance",
    "restore-error": "RDS could not restore the instance from its snapshot or point in time",
    "storage-full": "the instance used all its allocated storage; increase allocated_storage (or set "
    "max_allocated_storage for storage autoscaling)",
    "insufficient-capacity": "AWS has no capacity for this instance class in the availability zone; try another "
    "instance_class or retry later",
    "stopped": "the instance is stopped; this module does not start instances (aws rds start-db-instance; RDS "
    "starts a stopped instance again after 7 days)",
    "stopping": "the instance is being stopped; this module does not start instances (aws rds start-db-instance)",
    "deleting": "the instance is being deleted",
}


# Failed statuses that are someone's deliberate choice: warned about, never a failure of state=present.
STOPPED_STATUSES = ("stopped", "stopping")


def status_meaning(status):
    return FAILED_STATUSES.get(status, "")


class RDSInstanceWaiterFactory(BaseWaiterFactory):
    """Waiters that stop at every status an instance does not leave on its own (botocore's db_instance_available
    only stops at a few) and retry throttling (BaseWaiterFactory adds those acceptors)."""

    @property
    def _waiter_model_data(self):
        ready = [
            {"state": "success", "matcher": "pathAll", "argument": "DBInstances[].DBInstanceStatus", "expected": s}
            for s in READY_STATUSES
        ]
        failed = [
            {"state": "failure", "matcher": "pathAny", "argument": "DBInstances[].DBInstanceStatus", "expected": s}
            for s in FAILED_STATUSES
        ]
        return {
            "db_instance_ready": {
                "operation": "DescribeDBInstances",
                "delay": 15,
                "maxAttempts": 120,
                "acceptors": ready
                + failed
                + [{"state": "failure", "matcher": "error", "expected": "DBInstanceNotFound"}],
            },
            "db_instance_gone": {
                "operation": "DescribeDBInstances",
                "delay": 15,
                "maxAttempts": 120,
                "acceptors": [
                    {"state": "success", "matcher": "error", "expected": "DBInstanceNotFound"},
                    {
                        "state": "success",
                        "matcher": "path",
                        "argument": "length(DBInstances[]) == `0`",
                        "expected": True,
                    },
                ],
            },
        }


WAIT_DELAY = 15


def _waiter_config(timeout):
    return {"Delay": WAIT_DELAY, "MaxAttempts": max(1, math.ceil(timeout / WAIT_DELAY))}


def wait_until_ready(client, identifier, timeout):
    """Wait until the instance is available (or storage-optimization); the instance as it then is.

    RDSInstanceStatusError when it reaches a status it does not leave on its own, or is gone;
    AnsibleRDSInstanceError on timeout.
    """
    waiter = RDSInstanceWaiterFactory().get_waiter(client, "db_instance_ready")
    try:
        waiter.wait(DBInstanceIdentifier=identifier, WaiterConfig=_waiter_config(timeout))
    except botocore.exceptions.WaiterError as e:
        instance = describe_db_instance(client, identifier)
        if instance is None:
            raise RDSInstanceStatusError(
                f"RDS DB instance {identifier!r} disappeared while waiting for it to become available "
                "(deleted by someone else?)",
                status="deleted",
            ) from e
        status = instance.get("DBInstanceStatus")
        if status in FAILED_STATUSES:
            raise RDSInstanceStatusError(
                f"RDS DB instance {identifier!r} is in status {status!r}, which it does not leave on its own: "
                f"{status_meaning(status)}",
                instance=instance,
                status=status,
            ) from e
        raise AnsibleRDSInstanceError(
            message=(
                f"RDS DB instance {identifier!r} was still {status!r} after wait_timeout={timeout} seconds; nothing "
                "is wrong yet: run again (it will be awaited, not created again) or raise wait_timeout"
            ),
            exception=e,
        ) from e
    return describe_db_instance(client, identifier)


def wait_until_gone(client, identifier, timeout):
    waiter = RDSInstanceWaiterFactory().get_waiter(client, "db_instance_gone")
    try:
        waiter.wait(DBInstanceIdentifier=identifier, WaiterConfig=_waiter_config(timeout))
    except botocore.exceptions.WaiterError as e:
        raise AnsibleRDSInstanceError(
            message=(
                f"RDS DB instance {identifier!r} was still being deleted after wait_timeout={timeout} seconds; run "
                "again (the deletion goes on) or raise wait_timeout"
            ),
            exception=e,
        ) from e


# ---------------------------------------------------------------------------------------------
# Engine facts
# ---------------------------------------------------------------------------------------------
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306, "oracle": 1521, "sqlserver": 1433, "db2": 50000}
DEFAULT_LOG_EXPORTS = {"postgres": ["postgresql", "upgrade"]}
LOG_EXPORTS = {
    "postgres": ("postgresql", "upgrade", "iam-db-auth-error"),
    "mysql": ("audit", "error", "general", "slowquery", "iam-db-auth-error"),
    "mariadb": ("audit", "error", "general", "slowquery", "iam-db-auth-error"),
}
# gp3: (size threshold in GiB below which IOPS/throughput cannot be set (None: always settable),
#       (baseline IOPS, MiB/s) below it, (baseline IOPS, MiB/s) from it, (IOPS min, max), (MiB/s min, max)).
GP3 = {
    "postgres": (400, (3000, 125), (12000, 500), (12000, 64000), (500, 4000)),
    "mysql": (400, (3000, 125), (12000, 500), (12000, 64000), (500, 4000)),
    "mariadb": (400, (3000, 125), (12000, 500), (12000, 64000), (500, 4000)),
    "db2": (400, (3000, 125), (12000, 500), (12000, 64000), (500, 4000)),
    "oracle": (200, (3000, 125), (12000, 500), (12000, 64000), (500, 4000)),
    "sqlserver": (None, (3000, 125), (3000, 125), (3000, 16000), (125, 1000)),
}
# Storage sizes (GiB) and io1/io2 IOPS we know for sure; other engines are left to RDS.
STORAGE_SIZES = {"gp2": (20, 65536), "gp3": (20, 65536), "io1": (100, 65536), "io2": (100, 65536)}
SIZED_ENGINES = ("postgres", "mysql", "mariadb")
PROVISIONED_IOPS = (1000, 256000)
IOPS_RATIO = {"io1": (0.5, 50), "io2": (0.5, 1000)}
MIN_STORAGE_INCREASE_PERCENT = 10

IDENTIFIER_RE = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)$")
BACKUP_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
MAINTENANCE_WINDOW_RE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$",
    re.IGNORECASE,
)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = 7 * 24 * 60


def engine_family(engine):
    """postgres, mysql, oracle, sqlserver, db2, ... of an engine name such as oracle-ee or sqlserver-se."""
    return (engine or "").lower().split("-")[0]


def default_port(engine):
    return DEFAULT_PORTS.get(engine_family(engine))


def default_log_exports(engine):
    """The CloudWatch log exports when none are given; None: not managed for this engine."""
    exports = DEFAULT_LOG_EXPORTS.get(engine_family(engine))
    return list(exports) if exports is not None else None


def gp3_baseline(engine, allocated_storage):
    """(IOPS, MiB/s) RDS provisions for a gp3 instance of this engine and size; None if not known."""
    table = GP3.get(engine_family(engine))
    if table is None:
        return None
    threshold, low, high = table[0], table[1], table[2]
    if threshold is None or allocated_storage < threshold:
        return low
    return high


def version_key(version):
    """A sort key for engine versions: 9.6.24 < 10.1 < 15.4 < 15.14 < 16.1."""
    parts = re.split(r"[.\-]", str(version))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def major_version(engine, version):
    """The major version, as RDS counts them: PostgreSQL 9.6 / 10 / 15; MySQL 8.0; MariaDB 10.11; Oracle 19."""
    parts = str(version).split(".")
    family = engine_family(engine)
    if family == "postgres":
        if parts[0].isdigit() and int(parts[0]) >= 10:
            return parts[0]
        return ".".join(parts[:2])
    if family in ("oracle", "db2"):
        return parts[0]
    return ".".join(parts[:2])


# ---------------------------------------------------------------------------------------------
# Validation (no API calls)
# ---------------------------------------------------------------------------------------------
class RDSInstanceValidationError(ValueError):
    """Options RDS would reject, or that cannot mean what was written."""


def _window_minutes(start, end):
    """(start, length) in minutes of a window given as minute-of-period values (wrapping around)."""
    return start, (end - start) % WEEK if end != start else 0


def _backup_window(window):
    match = BACKUP_WINDOW_RE.match(window)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    return start, (end - start) % (24 * 60)


def _maintenance_window(window):
    match = MAINTENANCE_WINDOW_RE.match(window)
    if not match:
        return None
    d1, h1, m1, d2, h2, m2 = match.groups()
    start = DAYS.index(d1.lower()) * 1440 + int(h1) * 60 + int(m1)
    end = DAYS.index(d2.lower()) * 1440 + int(h2) * 60 + int(m2)
    return _window_minutes(start, end)


def _overlaps(backup, maintenance):
    """Whether a daily backup window overlaps a weekly maintenance window."""
    b_start, b_len = backup
    m_start, m_len = maintenance
    for day in range(7):
        start = day * 1440 + b_start
        for shift in (-WEEK, 0, WEEK):
            s = m_start + shift
            if start < s + m_len and s < start + b_len:
                return True
    return False


def _check_identifier(value, option, max_length):
    if not value or len(value) > max_length or not IDENTIFIER_RE.match(value):
        raise RDSInstanceValidationError(
            f"{option}={value!r} is not a valid RDS identifier: 1 to {max_length} letters, digits or hyphens, "
            "starting with a letter, without two consecutive hyphens and not ending with a hyphen"
        )


def _check_range(option, value, low, high, why):
    if value is not None and not low <= value <= high:
        raise RDSInstanceValidationError(f"{option}={value} is out of range: {why} allows {low} to {high}")


def _refuse_unmanaged_password(params):
    if not params["manage_master_user_password"]:
        raise RDSInstanceValidationError(
            "manage_master_user_password=false is refused: this module never handles database passwords. With "
            "manage_master_user_password=true RDS generates the master password, keeps it in AWS Secrets Manager "
            "and rotates it; applications read it from the secret (instance.master_user_secret.secret_arn), so it "
            "never passes through Ansible variables, inventories, logs or module arguments."
        )


def _validate_storage_size(params):
    """allocated_storage and max_allocated_storage: positive, in the storage type's range, the maximum above."""
    engine, storage_type = params["engine"], params["storage_type"]
    family = engine_family(engine)
    size, max_size = params["allocated_storage"], params["max_allocated_storage"]
    if size is not None and size < 1:
        raise RDSInstanceValidationError(f"allocated_storage={size} must be a positive number of GiB")
    if size is not None and family in SIZED_ENGINES:
        low, high = STORAGE_SIZES[storage_type]
        _check_range("allocated_storage", size, low, high, f"{storage_type} storage for {engine}")
    if max_size and size is not None and max_size <= size:
        raise RDSInstanceValidationError(
            f"max_allocated_storage={max_size} must be larger than allocated_storage={size}: it is the size up to "
            "which RDS grows the storage automatically (omit it to leave storage autoscaling off)"
        )
    if max_size and family in SIZED_ENGINES:
        _check_range("max_allocated_storage", max_size, 1, STORAGE_SIZES[storage_type][1], f"{storage_type} storage")


def _validate_gp2_performance(params):
    for option in ("iops", "storage_throughput"):
        if params[option] is not None:
            raise RDSInstanceValidationError(
                f"{option}={params[option]} cannot be set for gp2 storage: gp2 performance follows the size "
                "(3 IOPS per GiB); use storage_type=gp3 to set IOPS and throughput"
            )


def _validate_provisioned_iops(params):
    """io1/io2: IOPS needed, in range and in ratio to the storage; no throughput."""
    engine, storage_type = params["engine"], params["storage_type"]
    size, iops, throughput = params["allocated_storage"], params["iops"], params["storage_throughput"]
    if iops is None:
        raise RDSInstanceValidationError(
            f"storage_type={storage_type} needs iops (provisioned IOPS storage is sold by the IOPS): set iops, "
            f"for example {max(PROVISIONED_IOPS[0], (size or 100) * 10)}"
        )
    if throughput is not None:
        raise RDSInstanceValidationError(
            f"storage_throughput={throughput} cannot be set for {storage_type} storage: RDS sets it from the "
            "IOPS; storage_throughput is only for gp3"
        )
    if engine_family(engine) in SIZED_ENGINES:
        _check_range("iops", iops, PROVISIONED_IOPS[0], PROVISIONED_IOPS[1], f"{storage_type} for {engine}")
    low, high = IOPS_RATIO[storage_type]
    for option in ("allocated_storage", "max_allocated_storage"):
        gib = params[option]
        if gib and not low <= iops / gib <= high:
            raise RDSInstanceValidationError(
                f"iops={iops} with {option}={gib} is {iops / gib:g} IOPS per GiB: {storage_type} needs "
                f"{low:g} to {high:g} IOPS per GiB of storage (so {math.ceil(low * gib)} to {int(high * gib)} "
                f"IOPS for {gib} GiB)"
            )


def _validate_gp3_performance(params):
    """gp3: IOPS and throughput only above the engine's baseline size, in the engine's ranges."""
    engine, size = params["engine"], params["allocated_storage"]
    iops, throughput = params["iops"], params["storage_throughput"]
    table = GP3.get(engine_family(engine))
    if table is None or (iops is None and throughput is None):
        return
    threshold, low, _high, iops_range, throughput_range = table
    if threshold is not None and size is not None and size < threshold:
        given = " and ".join(
            f"{option}={value}"
            for option, value in (("iops", iops), ("storage_throughput", throughput))
            if value is not None
        )
        raise RDSInstanceValidationError(
            f"iops/storage_throughput cannot be set for a gp3 {engine} volume under {threshold} GiB: AWS "
            f"gives {low[0]} IOPS / {low[1]} MiB/s baseline there (got {given} with allocated_storage="
            f"{size}). Remove iops and storage_throughput, or set allocated_storage to at least {threshold} "
            "to provision them."
        )
    _check_range("iops", iops, iops_range[0], iops_range[1], f"gp3 for {engine} at this size")
    _check_range(
        "storage_throughput", throughput, throughput_range[0], throughput_range[1], f"gp3 for {engine} (MiB/s)"
    )


# storage_type -> the check of its IOPS and throughput.
STORAGE_PERFORMANCE_CHECKS = {
    "gp2": _validate_gp2_performance,
    "io1": _validate_provisioned_iops,
    "io2": _validate_provisioned_iops,
    "gp3": _validate_gp3_performance,
}


def _validate_backup_retention(params, warnings):
    retention = params["backup_retention_period"]
    _check_range("backup_retention_period", retention, 0, 35, "RDS (days; 0 turns automated backups off)")
    if retention == 0:
        warnings.append(
            "backup_retention_period=0 turns automated backups and point-in-time recovery off for "
            f"{params['db_instance_identifier']!r}"
        )


# option -> (parse to (start, length) in minutes, the format expected)
WINDOWS = {
    "preferred_backup_window": (_backup_window, "hh24:mi-hh24:mi in UTC, for example '03:00-03:30'"),
    "preferred_maintenance_window": (
        _maintenance_window,
        "ddd:hh24:mi-ddd:hh24:mi in UTC, for example 'sun:04:00-sun:04:30'",
    ),
}


def _window(params, option):
    """(start, length) of a window option, None when not set; refused when malformed or under 30 minutes."""
    value = params[option]
    if value is None:
        return None
    parse, expected = WINDOWS[option]
    window = parse(value)
    if window is None:
        raise RDSInstanceValidationError(f"{option}={value!r} is not {expected}")
    if window[1] < 30:
        raise RDSInstanceValidationError(f"{option}={value!r} is {window[1]} minutes: RDS needs at least 30 minutes")
    return window


def _validate_windows(params):
    backup = _window(params, "preferred_backup_window")
    maintenance = _window(params, "preferred_maintenance_window")
    if backup and maintenance and _overlaps(backup, maintenance):
        raise RDSInstanceValidationError(
            f"preferred_backup_window={params['preferred_backup_window']!r} overlaps preferred_maintenance_window="
            f"{params['preferred_maintenance_window']!r}: RDS needs the two windows apart"
        )


def _validate_log_exports(params):
    engine, exports = params["engine"], params["enable_cloudwatch_logs_exports"]
    allowed = LOG_EXPORTS.get(engine_family(engine))
    if exports and allowed:
        unknown = [e for e in exports if e not in allowed]
        if unknown:
            raise RDSInstanceValidationError(
                f"enable_cloudwatch_logs_exports has {', '.join(map(repr, unknown))}, which {engine} does not "
                f"export; valid: {', '.join(allowed)}"
            )


def _validate_access(params, warnings):
    """The encryption key needs encryption; a public instance is warned about."""
    if params["kms_key_id"] and not params["storage_encrypted"]:
        raise RDSInstanceValidationError(
            f"kms_key_id={params['kms_key_id']!r} needs storage_encrypted=true (it is the key the storage is "
            "encrypted with)"
        )
    if params["publicly_accessible"]:
        warnings.append(
            f"publicly_accessible=true: {params['db_instance_identifier']!r} gets a public DNS name and address; "
            "only its security groups stand between it and the internet"
        )


def _validate_final_snapshot(params):
    if not params["skip_final_snapshot"]:
        _check_identifier(final_snapshot_identifier(params), "final_snapshot_identifier", 255)


def validate_params(params):
    """Raise RDSInstanceValidationError for options RDS would reject; return a list of warnings.

    ``params`` are the module parameters after defaults (see the module's argument_spec).
    """
    warnings = []
    _check_identifier(params["db_instance_identifier"], "db_instance_identifier", 63)
    if params["state"] == "absent":
        _validate_final_snapshot(params)
        return warnings
    _refuse_unmanaged_password(params)
    _validate_storage_size(params)
    check_performance = STORAGE_PERFORMANCE_CHECKS.get(params["storage_type"])
    if check_performance:
        check_performance(params)
    _validate_backup_retention(params, warnings)
    _validate_windows(params)
    _validate_log_exports(params)
    _validate_access(params, warnings)
    _validate_final_snapshot(params)
    if params["wait_timeout"] < 1:
        raise RDSInstanceValidationError(f"wait_timeout={params['wait_timeout']} must be a positive number of seconds")
    return warnings


def final_snapshot_identifier(params):
    """The final snapshot's identifier: final_snapshot_identifier, or "<db_instance_identifier>-final".

    Deterministic so that a run killed during a deletion and the run after it name the same snapshot.
    """
    return params.get("final_snapshot_identifier") or f"{params['db_instance_identifier'].lower()}-final"


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------
def _parameter_group(instance):
    groups = instance.get("DBParameterGroups") or []
    return groups[0] if groups else {}


def pending_reboot(instance):
    """Whether a DB parameter group of the instance waits for a reboot to apply."""
    return any(g.get("ParameterApplyStatus") == "pending-reboot" for g in instance.get("DBParameterGroups") or [])


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
        "preferred_backup_window": view["preferred_backup_window"],
        "preferred_maintenance_window": view["preferred_maintenance_window"],
        "deletion_protection": view["deletion_protection"],
        "copy_tags_to_snapshot": view["copy_tags_to_snapshot"],
        "enable_cloudwatch_logs_exports": sorted(view["enabled_cloudwatch_logs_exports"]),
        "auto_minor_version_upgrade": view["auto_minor_version_upgrade"],
        "ca_certificate_identifier": view["ca_certificate_identifier"],
        "performance_insights_enabled": view["performance_insights_enabled"],
    }


def log_exports(params):
    exports = params["enable_cloudwatch_logs_exports"]
    if exports is None:
        return default_log_exports(params["engine"])
    return list(exports)


def port(params):
    return params["port"] if params["port"] is not None else default_port(params["engine"])


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
        "EnablePerformanceInsights": params["performance_insights_enabled"],
    }
    optional = {
        "EngineVersion": params["engine_version"],
        "MaxAllocatedStorage": params["max_allocated_storage"] or None,
        "Iops": params["iops"],
        "StorageThroughput": params["storage_throughput"],
        "KmsKeyId": params["kms_key_id"],
        "DBName": params["db_name"],
        "MasterUserSecretKmsKeyId": params["master_user_secret_kms_key_id"],
        "DBSubnetGroupName": params["db_subnet_group_name"],
        "VpcSecurityGroupIds": params["vpc_security_group_ids"],
        "DBParameterGroupName": params["db_parameter_group_name"],
        "Port": port(params),
        "PreferredBackupWindow": params["preferred_backup_window"],
        "PreferredMaintenanceWindow": params["preferred_maintenance_window"],
        "EnableCloudwatchLogsExports": log_exports(params) or None,
        "CACertificateIdentifier": params["ca_certificate_identifier"],
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    tags = {to_text(k): to_text(v) for k, v in (tags or {}).items()}
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def planned_instance(params):
    """The DescribeDBInstances entry CreateDBInstance should produce (check mode); unknown values are None."""
    request = create_request(params, None)
    baseline = gp3_baseline(params["engine"], params["allocated_storage"]) if params["storage_type"] == "gp3" else None
    iops = params["iops"] if params["iops"] is not None else (baseline[0] if baseline else None)
    throughput = params["storage_throughput"]
    if throughput is None and baseline:
        throughput = baseline[1]
    instance = {
        "DBInstanceIdentifier": params["db_instance_identifier"].lower(),
        "DBInstanceArn": None,
        "DBInstanceStatus": "creating",
        "Endpoint": {"Address": None, "Port": request.get("Port")},
        "Engine": params["engine"],
        "EngineVersion": params["engine_version"],
        "DBInstanceClass": params["instance_class"],
        "AllocatedStorage": params["allocated_storage"],
        "MaxAllocatedStorage": params["max_allocated_storage"] or None,
        "StorageType": params["storage_type"],
        "Iops": iops,
        "StorageThroughput": throughput,
        "StorageEncrypted": params["storage_encrypted"],
        "KmsKeyId": params["kms_key_id"],
        "DBName": params["db_name"],
        "MasterUsername": params["master_username"],
        "MasterUserSecret": {
            "SecretArn": None,
            "SecretStatus": "creating",
            "KmsKeyId": params["master_user_secret_kms_key_id"],
        },
        "DBSubnetGroup": {"DBSubnetGroupName": params["db_subnet_group_name"]},
        "VpcSecurityGroups": [{"VpcSecurityGroupId": g} for g in params["vpc_security_group_ids"] or []],
        "MultiAZ": params["multi_az"],
        "PubliclyAccessible": params["publicly_accessible"],
        "BackupRetentionPeriod": params["backup_retention_period"],
        "PreferredBackupWindow": params["preferred_backup_window"],
        "PreferredMaintenanceWindow": params["preferred_maintenance_window"],
        "DeletionProtection": params["deletion_protection"],
        "CopyTagsToSnapshot": params["copy_tags_to_snapshot"],
        "AutoMinorVersionUpgrade": params["auto_minor_version_upgrade"],
        "EnabledCloudwatchLogsExports": log_exports(params) or [],
        "CACertificateIdentifier": params["ca_certificate_identifier"],
        "PerformanceInsightsEnabled": params["performance_insights_enabled"],
        "DBParameterGroups": (
            [{"DBParameterGroupName": params["db_parameter_group_name"], "ParameterApplyStatus": "in-sync"}]
            if params["db_parameter_group_name"]
            else []
        ),
    }
    return instance


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------
IMMUTABLE_ADVICE = {
    "engine": "an instance cannot change engine: create a new instance (another db_instance_identifier) and move the "
    "data",
    "storage_encrypted": "encryption is chosen at creation: copy a snapshot with encryption (aws rds "
    "copy-db-snapshot --kms-key-id ...) and restore it into a new instance",
    "kms_key_id": "the KMS key of an encrypted instance is chosen at creation: copy a snapshot with the new key and "
    "restore it into a new instance",
    "db_name": "the initial database is named at creation; create further databases with SQL (CREATE DATABASE)",
    "master_username": "the master user is named at creation; create further roles with SQL",
    "master_user_secret_kms_key_id": "RDS does not change the KMS key of the secret it manages",
    "db_subnet_group_name": "moving an instance to another DB subnet group (VPC) is not done by this module (it "
    "moves the instance between networks); do it deliberately (aws rds modify-db-instance --db-subnet-group-name) "
    "or restore a snapshot into the new subnet group",
    "port": "changing the port restarts the instance at once, whatever apply_immediately says, and every client must "
    "change with it; this module does not do that: change it deliberately (aws rds modify-db-instance "
    "--db-port-number)",
}


class Plan:
    """What converging an existing instance takes."""

    def __init__(self):
        self.request = {}  # ModifyDBInstance parameters (without identifier / ApplyImmediately)
        self.changes = {}  # option -> (live, wanted)
        self.immutable = []  # (option, live, wanted)
        self.refusals = []  # messages: storage decrease, engine downgrade, ...
        self.already_pending = {}  # option -> value already in PendingModifiedValues
        self.warnings = []

    def change(self, option, live, wanted, **request):
        self.changes[option] = (live, wanted)
        self.request.update(request)


def _effective(live, pending, key):
    """(value, pending?) of a setting: the pending value when one is waiting, else the live one."""
    if key and key in pending:
        return pending[key], True
    return live, False


def _compare(plan, option, live, wanted, pending, pending_key, **request):
    """Record a change when ``wanted`` differs from the live (or already pending) value."""
    value, is_pending = _effective(live, pending, pending_key)
    if value == wanted:
        if is_pending and live != wanted:
            plan.already_pending[option] = wanted
        return
    plan.change(option, live, wanted, **request)


def _pending_log_exports(live, pending):
    exports = set(live)
    waiting = pending.get("PendingCloudwatchLogsExports") or {}
    exports |= set(waiting.get("LogTypesToEnable") or [])
    exports -= set(waiting.get("LogTypesToDisable") or [])
    return exports, bool(waiting)


def _same_or_same_key(same_kms_key):
    return lambda wanted, actual: wanted == actual or (bool(actual) and same_kms_key(wanted, actual))


def _immutable(plan, option, wanted, actual, compare=None):
    """Record a difference RDS cannot make in place (``wanted`` None: not asked for)."""
    if wanted is None or (option == "port" and not actual):
        return  # not asked for; or the port of an instance still being created is not known yet
    if not (compare(wanted, actual) if compare else wanted == actual):
        plan.immutable.append((option, actual, wanted))


def _plan_immutable(plan, params, live, same_kms_key):
    """Settings RDS cannot change in place (or that this module will not change)."""
    same_key = _same_or_same_key(same_kms_key)
    _immutable(plan, "engine", params["engine"], live["engine"])
    _immutable(plan, "storage_encrypted", params["storage_encrypted"], bool(live["storage_encrypted"]))
    if params["storage_encrypted"] and live["storage_encrypted"]:
        _immutable(plan, "kms_key_id", params["kms_key_id"], live["kms_key_id"], same_key)
    for option in ("db_name", "master_username", "db_subnet_group_name"):
        _immutable(plan, option, params[option], live[option])
    _immutable(plan, "port", port(params), live["port"])
    if live["manage_master_user_password"]:
        option = "master_user_secret_kms_key_id"
        _immutable(plan, option, params[option], live[option], same_key)


def _plan_engine_version(plan, params, live, pending):
    """Engine version: upgrades only."""
    engine, wanted_version = params["engine"], params["engine_version"]
    live_version, version_pending = _effective(live["engine_version"], pending, "EngineVersion")
    if wanted_version and live_version and str(live_version).startswith(f"{wanted_version}."):
        pass  # a major version alone ("15") is satisfied by any of its minor versions
    elif wanted_version and wanted_version != live_version:
        if version_key(wanted_version) > version_key(live_version):
            request = {"EngineVersion": wanted_version}
            if major_version(engine, wanted_version) != major_version(engine, live_version):
                request["AllowMajorVersionUpgrade"] = True
            plan.change("engine_version", live["engine_version"], wanted_version, **request)
        else:
            _plan_engine_downgrade(plan, params, live, live_version, version_pending)
    elif wanted_version and version_pending and live["engine_version"] != wanted_version:
        plan.already_pending["engine_version"] = wanted_version


def _plan_engine_downgrade(plan, params, live, live_version, version_pending):
    """An older version asked for: a warning when RDS upgraded the minor version itself, else a refusal."""
    engine, wanted_version = params["engine"], params["engine_version"]
    if (
        major_version(engine, wanted_version) == major_version(engine, live_version)
        and live["auto_minor_version_upgrade"]
        and not version_pending
    ):
        plan.warnings.append(
            f"engine_version={wanted_version} is older than the instance's {live_version} (same major version; "
            "RDS upgrades minor versions itself while auto_minor_version_upgrade is on). RDS cannot downgrade, "
            f"so the instance stays at {live_version}; set engine_version={live_version} to silence this."
        )
    else:
        plan.refusals.append(
            f"engine_version={wanted_version} is older than the instance's "
            f"{live_version}{' (pending)' if version_pending else ''}: RDS cannot downgrade an engine. Set "
            f"engine_version={live_version} (or a newer version), or restore a snapshot taken before the "
            "upgrade into a new instance."
        )


def _plan_storage_size(plan, params, live, pending):
    """Allocated storage (increase only, by 10% at least); whether it changes, and the size it will have."""
    live_size, size_pending = _effective(live["allocated_storage"], pending, "AllocatedStorage")
    wanted_size = params["allocated_storage"]
    autoscaling = bool(params["max_allocated_storage"]) or live["max_allocated_storage"] is not None
    changed = False
    if wanted_size is not None and live_size is not None and wanted_size != live_size:
        if wanted_size > live_size:
            changed = _plan_storage_increase(plan, live, live_size, wanted_size)
        elif autoscaling:
            plan.warnings.append(
                f"allocated_storage={wanted_size} is below the instance's {live_size} GiB: storage autoscaling grew it "
                "(RDS never shrinks storage); kept at the larger size"
            )
        else:
            plan.refusals.append(
                f"allocated_storage={wanted_size} is less than the instance's {live_size} GiB"
                f"{' (pending)' if size_pending else ''}: RDS cannot shrink storage. Set allocated_storage="
                f"{live_size} (or more); to get a smaller volume, dump and restore into a new instance."
            )
    elif wanted_size is not None and size_pending and live["allocated_storage"] != wanted_size:
        plan.already_pending["allocated_storage"] = wanted_size
    return changed, max(wanted_size or 0, live_size or 0)


def _plan_storage_increase(plan, live, live_size, wanted_size):
    at_least = -(-live_size * (100 + MIN_STORAGE_INCREASE_PERCENT) // 100)
    if wanted_size < at_least:
        plan.refusals.append(
            f"allocated_storage={wanted_size} is less than 10% more than the instance's {live_size} GiB: RDS "
            f"needs a storage increase of at least 10%, so set allocated_storage to {at_least} or more (or "
            f"keep {live_size})"
        )
        return False
    plan.change("allocated_storage", live["allocated_storage"], wanted_size, AllocatedStorage=wanted_size)
    return True


def _plan_max_storage(plan, params, live, effective_size):
    """Storage autoscaling: its maximum, or off (0)."""
    wanted_max = params["max_allocated_storage"]
    if wanted_max == 0 and live["max_allocated_storage"] is not None:
        # Off: RDS turns storage autoscaling off when the maximum equals the allocated storage.
        plan.change("max_allocated_storage", live["max_allocated_storage"], None, MaxAllocatedStorage=effective_size)
    elif wanted_max and wanted_max != live["max_allocated_storage"]:
        if wanted_max <= effective_size:
            plan.refusals.append(
                f"max_allocated_storage={wanted_max} must be larger than the instance's storage ({effective_size} "
                "GiB) to leave room for storage autoscaling"
            )
        else:
            plan.change(
                "max_allocated_storage", live["max_allocated_storage"], wanted_max, MaxAllocatedStorage=wanted_max
            )


STORAGE_PERFORMANCE = (("iops", "Iops"), ("storage_throughput", "StorageThroughput"))


def _plan_storage_type_and_performance(plan, params, live, pending):
    """Storage type, IOPS and throughput; whether any of them changes."""
    storage_type = params["storage_type"]
    live_type, _ = _effective(live["storage_type"], pending, "StorageType")
    changed = False
    if storage_type != live_type:
        plan.change("storage_type", live["storage_type"], storage_type, StorageType=storage_type)
        changed = True
    elif "StorageType" in pending and live["storage_type"] != storage_type:
        plan.already_pending["storage_type"] = storage_type
    for option, key in STORAGE_PERFORMANCE:
        wanted = params[option]
        if wanted is None:
            continue  # the baseline RDS reports (3000/125, 12000/500) is not a difference
        before = plan.changes.copy()
        _compare(plan, option, live[option], wanted, pending, key, **{key: wanted})
        changed |= plan.changes.keys() != before.keys()
    return changed


def _plan_storage_request(plan, params, instance, storage_changed):
    """What RDS wants with every storage change, and the refusal while it still optimizes the last one."""
    storage_type = params["storage_type"]
    if storage_changed and storage_type in ("io1", "io2") and params["iops"] is not None:
        # RDS wants the IOPS with every storage change of provisioned-IOPS storage.
        plan.request["Iops"] = params["iops"]
    if storage_changed and storage_type == "gp3":
        for option, key in STORAGE_PERFORMANCE:
            if params[option] is not None:
                plan.request[key] = params[option]
    if plan.request.keys() & {"AllocatedStorage", "StorageType", "Iops", "StorageThroughput"}:
        if instance.get("DBInstanceStatus") == "storage-optimization":
            plan.refusals.append(
                "the instance is in status 'storage-optimization' after an earlier storage change: RDS accepts no "
                "further storage change until that finishes (up to 6 hours or more); run again later"
            )


def _plan_storage(plan, params, live, pending, instance):
    """Storage: size (increase only), autoscaling, type and performance."""
    size_changed, effective_size = _plan_storage_size(plan, params, live, pending)
    _plan_max_storage(plan, params, live, effective_size)
    type_changed = _plan_storage_type_and_performance(plan, params, live, pending)
    _plan_storage_request(plan, params, instance, size_changed or type_changed)


def _lower_or_none(value):
    return (value or "").lower() or None


def _sorted_set(value):
    return sorted(set(value))


# Settings changed in place, in the order they are compared: (option, ModifyDBInstance key, the key of
# PendingModifiedValues or None, compared only when asked for (not None), the live value as compared, the
# wanted value as compared and sent).
IN_PLACE = (
    ("backup_retention_period", "BackupRetentionPeriod", "BackupRetentionPeriod", False, None, None),
    ("preferred_backup_window", "PreferredBackupWindow", None, True, None, None),
    ("preferred_maintenance_window", "PreferredMaintenanceWindow", None, True, _lower_or_none, str.lower),
    ("multi_az", "MultiAZ", "MultiAZ", False, None, None),
    ("publicly_accessible", "PubliclyAccessible", None, False, bool, None),
    ("deletion_protection", "DeletionProtection", None, False, bool, None),
    ("copy_tags_to_snapshot", "CopyTagsToSnapshot", None, False, bool, None),
    ("auto_minor_version_upgrade", "AutoMinorVersionUpgrade", None, False, bool, None),
    ("performance_insights_enabled", "EnablePerformanceInsights", None, False, bool, None),
    ("db_parameter_group_name", "DBParameterGroupName", None, True, None, None),
    ("vpc_security_group_ids", "VpcSecurityGroupIds", None, True, None, _sorted_set),
    ("ca_certificate_identifier", "CACertificateIdentifier", "CACertificateIdentifier", True, None, None),
)


def _plan_in_place(plan, params, live, pending):
    for option, key, pending_key, when_asked, live_as, wanted_as in IN_PLACE:
        wanted = params[option]
        if when_asked and wanted is None:
            continue
        wanted = wanted_as(wanted) if wanted_as else wanted
        actual = live_as(live[option]) if live_as else live[option]
        _compare(plan, option, actual, wanted, pending, pending_key, **{key: wanted})


def _plan_log_exports(plan, params, live, pending):
    """The CloudWatch Logs exports: the types to enable and to disable."""
    wanted_exports = log_exports(params)
    if wanted_exports is None:
        return
    effective, waiting = _pending_log_exports(live["enable_cloudwatch_logs_exports"], pending)
    wanted_set = set(wanted_exports)
    if effective != wanted_set:
        config = {}
        if wanted_set - effective:
            config["EnableLogTypes"] = sorted(wanted_set - effective)
        if effective - wanted_set:
            config["DisableLogTypes"] = sorted(effective - wanted_set)
        plan.change(
            "enable_cloudwatch_logs_exports",
            live["enable_cloudwatch_logs_exports"],
            sorted(wanted_set),
            CloudwatchLogsExportConfiguration=config,
        )
    elif waiting and set(live["enable_cloudwatch_logs_exports"]) != wanted_set:
        plan.already_pending["enable_cloudwatch_logs_exports"] = sorted(wanted_set)


def _plan_master_password(plan, params, live):
    """The master password is always RDS-managed (in Secrets Manager)."""
    if live["manage_master_user_password"]:
        return
    request = {"ManageMasterUserPassword": True}
    if params["master_user_secret_kms_key_id"]:
        request["MasterUserSecretKmsKeyId"] = params["master_user_secret_kms_key_id"]
    plan.change("manage_master_user_password", False, True, **request)


def plan_changes(params, instance, same_kms_key=None):
    """Compare the options with a DescribeDBInstances entry; a Plan (nothing is called).

    ``same_kms_key(wanted, actual)`` tells whether two references to KMS keys name the same key (default:
    equal strings); it is only called when they differ as strings.
    """
    same_kms_key = same_kms_key or (lambda wanted, actual: wanted == actual)
    plan = Plan()
    live = settings_view(instance)
    pending = _pending_values(instance)
    _plan_immutable(plan, params, live, same_kms_key)
    _plan_engine_version(plan, params, live, pending)
    _compare(
        plan,
        "instance_class",
        live["instance_class"],
        params["instance_class"],
        pending,
        "DBInstanceClass",
        DBInstanceClass=params["instance_class"],
    )
    _plan_storage(plan, params, live, pending, instance)
    _plan_in_place(plan, params, live, pending)
    _plan_log_exports(plan, params, live, pending)
    _plan_master_password(plan, params, live)
    return plan


def immutable_message(identifier, plan, adopted=False):
    """The failure message for differences RDS cannot make in place."""
    origin = " (it was just created by another run)" if adopted else ""
    parts = []
    for option, actual, wanted in plan.immutable:
        parts.append(f"{option} is {actual!r}, not {wanted!r}: {IMMUTABLE_ADVICE[option]}")
    keep = ", ".join(f"{option}={actual!r}" for option, actual, _ in plan.immutable)
    return (
        f"RDS DB instance {identifier!r} already exists{origin} and differs in what cannot be changed in place: "
        f"{'; '.join(parts)}. Nothing was changed. To keep this instance, set {keep}; otherwise use another "
        "db_instance_identifier for the new instance."
    )


def snapshot_of(snapshot, instance):
    """Whether a DB snapshot was taken of this very instance (not of an earlier one with the same identifier)."""
    if (snapshot.get("DBInstanceIdentifier") or "").lower() != (instance.get("DBInstanceIdentifier") or "").lower():
        return False
    for key in ("DbiResourceId", "InstanceCreateTime"):
        if snapshot.get(key) is not None and instance.get(key) is not None and snapshot[key] != instance[key]:
            return False
    return True
