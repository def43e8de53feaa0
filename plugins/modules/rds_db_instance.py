#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_db_instance
short_description: Create, adopt, update or delete one RDS DB instance whose master password RDS manages
version_added: 0.1.0
description:
  - Ensures an Amazon RDS DB instance (PostgreSQL by default; any RDS engine that is not Aurora) named
    O(db_instance_identifier) exists with the given settings, or deletes it.
  - The master password is generated, stored and rotated by RDS in AWS Secrets Manager
    (C(ManageMasterUserPassword)); Ansible never sees it. Applications read it from the secret named in
    RV(instance.master_user_secret.secret_arn).
  - The instance is found by identifier. A missing one is created with every setting, the managed master
    password and its tags in the one C(CreateDBInstance) call.
  - When C(CreateDBInstance) answers C(DBInstanceAlreadyExists) because another run (or a killed earlier run)
    created the instance between this module's lookup and its create, the instance is looked up again and
    adopted (RV(adopted=true)); never an "already exists" failure.
  - An instance still C(creating), C(modifying), C(backing-up) (or in another transitional status) is awaited
    when O(wait=true), never created again.
  - Differences RDS can make in place (instance class, storage size, type and performance, storage autoscaling,
    backups, windows, Multi-AZ, deletion protection, parameter group, security groups, log exports, minor version
    upgrades, CA certificate, Performance Insights, engine version upgrades, turning on the managed master
    password) are made with one C(ModifyDBInstance) call, applied as O(apply_immediately) says. Values already
    waiting in the instance's C(PendingModifiedValues) count as requested and are not requested again.
  - Differences RDS cannot make in place (O(engine), O(storage_encrypted), O(kms_key_id), O(db_name),
    O(master_username), O(master_user_secret_kms_key_id)) and those this module will not make
    (O(db_subnet_group_name), O(port)) make the module fail before any change, saying what differs and what to do.
    So do storage decreases, storage increases under 10 %, and engine version downgrades.
  - Options are validated before any API call, including the gp3 rule behind the seed's failure 2.3
    (IOPS / throughput cannot be set on a gp3 PostgreSQL volume under 400 GiB).
author:
  - payments.infra maintainers
options:
  db_instance_identifier:
    description:
      - The identifier of the DB instance, for example V(payment-db-dev). RDS stores it in lower case.
      - 1 to 63 letters, digits or hyphens, starting with a letter, without two consecutive hyphens and not
        ending with a hyphen.
    type: str
    required: true
  state:
    description:
      - Whether the instance should exist.
      - V(absent) fails for an instance with deletion protection, takes a final snapshot unless
        O(skip_final_snapshot=true), and is not a change for an instance that does not exist.
    type: str
    choices: [present, absent]
    default: present
  engine:
    description:
      - The database engine, for example V(postgres), V(mysql), V(mariadb). Cannot change after creation.
    type: str
    default: postgres
  engine_version:
    description:
      - The exact engine version, for example V(15.14), resolved beforehand (see
        M(amazon.aws.rds_engine_versions_info) and the C(payments.infra.rds_engine_version) filter). Without it,
        RDS picks its default version at creation and the version of an existing instance is not compared.
      - A newer version upgrades the instance (C(AllowMajorVersionUpgrade) is sent when the major version
        changes; give the parameter group of the new major version in O(db_parameter_group_name) with it).
      - An older version is refused (RDS cannot downgrade), except when it is an older minor version of the same
        major version and the instance has auto minor version upgrade on (RDS upgraded it); that is only a warning.
    type: str
  instance_class:
    description:
      - The instance class, for example V(db.t3.micro). Required with O(state=present).
    type: str
  allocated_storage:
    description:
      - The storage size in GiB. Required with O(state=present).
      - For MariaDB, MySQL and PostgreSQL 20 to 65536 for gp2/gp3 and 100 to 65536 for io1/io2.
      - Can only grow, by at least 10 % at a time. A smaller value than the instance's is refused, unless
        storage autoscaling is on (O(max_allocated_storage) or the instance's own), which grew the storage.
    type: int
  max_allocated_storage:
    description:
      - The size in GiB up to which RDS grows the storage by itself (storage autoscaling). Larger than
        O(allocated_storage).
      - V(0) turns autoscaling off (on a live instance, the maximum is set to the allocated storage, which
        is how RDS switches it off). Without it, autoscaling is left as it is (off for a new instance).
    type: int
  storage_type:
    description:
      - The storage type.
      - V(gp3) gets a baseline of 3000 IOPS and 125 MiB/s (PostgreSQL, MySQL, MariaDB under 400 GiB; Oracle under
        200 GiB) or 12000 IOPS and 500 MiB/s (from there); the baseline values RDS reports are not a difference
        when O(iops) and O(storage_throughput) are not set.
    type: str
    choices: [gp2, gp3, io1, io2]
    default: gp3
  iops:
    description:
      - Provisioned IOPS. Required for V(io1) and V(io2) (1000 to 256000, 0.5 to 50 IOPS per GiB for io1, up to
        1000 per GiB for io2). Not for V(gp2).
      - For V(gp3) only from 400 GiB (PostgreSQL, MySQL, MariaDB; Oracle from 200 GiB), 12000 to 64000; under that
        size RDS refuses it and so does this module (AWS gives the 3000 IOPS baseline there).
      - Not set, the instance's IOPS are not compared.
    type: int
  storage_throughput:
    description:
      - Storage throughput in MiB/s, V(gp3) only, from the same sizes as O(iops), 500 to 4000 (SQL Server 125 to
        1000).
      - Not set, the instance's throughput is not compared.
    type: int
  storage_encrypted:
    description:
      - Whether the storage is encrypted. Cannot change after creation; a difference makes the module fail.
    type: bool
    default: true
  kms_key_id:
    description:
      - The KMS key (ARN, key ID, alias name or alias ARN) of the storage encryption. Needs
        O(storage_encrypted=true). Without it, the AWS managed key C(aws/rds) is used and the key of an existing
        instance is not compared.
      - Cannot change after creation; compared with the instance's key as given and, when written differently,
        after resolving both with C(kms:DescribeKey).
    type: str
  db_name:
    description:
      - The database created with the instance. Cannot change after creation. Without it, not compared.
    type: str
  master_username:
    description:
      - The master user name. Cannot change after creation.
    type: str
    default: payments_admin
  manage_master_user_password:
    description:
      - Must be V(true). RDS then generates the master password, keeps it in AWS Secrets Manager, rotates it and
        never shows it to Ansible.
      - V(false) is refused. This module never handles database passwords; a password given to Ansible would
        travel through variables, inventories, vaults, module arguments and logs, and would have to be rotated
        by hand. Applications read the password from the secret RV(instance.master_user_secret.secret_arn).
      - An existing instance whose password RDS does not manage yet is switched to a managed password.
    type: bool
    default: true
  master_user_secret_kms_key_id:
    description:
      - The KMS key that encrypts the master user secret. Without it, Secrets Manager's key
        C(aws/secretsmanager) is used.
      - RDS does not change the key of a secret it already manages; a difference makes the module fail.
    type: str
  db_subnet_group_name:
    description:
      - The DB subnet group (and so the VPC and subnets) of the instance.
      - Not changed by this module on an existing instance (it would move the instance between networks); a
        difference makes the module fail.
    type: str
  vpc_security_group_ids:
    description:
      - The VPC security groups of the instance, as the complete list. Without it, not compared (a new instance
        gets the VPC's default security group).
    type: list
    elements: str
  db_parameter_group_name:
    description:
      - The DB parameter group. Without it, a new instance gets the engine's default group and the group of an
        existing instance is not compared.
      - A changed group may need a reboot to apply; RV(pending_reboot) tells.
    type: str
  port:
    description:
      - The port the database listens on. Defaults to the engine's port (5432 for PostgreSQL, 3306 for MySQL and
        MariaDB, 1521 for Oracle, 1433 for SQL Server).
      - Not changed by this module on an existing instance (RDS restarts the instance for it at once, whatever
        O(apply_immediately) says, and every client must change with it); a difference makes the module fail.
    type: int
  multi_az:
    description: Whether RDS keeps a standby in another availability zone.
    type: bool
    default: false
  publicly_accessible:
    description:
      - Whether the instance gets a public address. V(true) is allowed but warned about.
    type: bool
    default: false
  backup_retention_period:
    description:
      - Days automated backups are kept, 0 to 35. V(0) turns automated backups and point-in-time recovery off (a
        warning says so).
    type: int
    default: 7
  preferred_backup_window:
    description:
      - The daily backup window in UTC, C(hh24:mi-hh24:mi), at least 30 minutes, apart from
        O(preferred_maintenance_window). Without it, RDS picks one and it is not compared.
    type: str
  preferred_maintenance_window:
    description:
      - The weekly maintenance window in UTC, C(ddd:hh24:mi-ddd:hh24:mi), at least 30 minutes. Without it, RDS
        picks one and it is not compared.
    type: str
  deletion_protection:
    description:
      - Whether RDS refuses to delete the instance. With it on, O(state=absent) fails; turn it off first
        (O(deletion_protection=false) with O(state=present)).
    type: bool
    default: false
  copy_tags_to_snapshot:
    description: Whether the instance's tags are copied to its snapshots.
    type: bool
    default: true
  enable_cloudwatch_logs_exports:
    description:
      - The logs published to CloudWatch Logs, as the complete list (V([]) publishes none).
      - Defaults to V([postgresql, upgrade]) for PostgreSQL; for other engines, without it, not compared.
      - PostgreSQL exports V(postgresql), V(upgrade) and V(iam-db-auth-error); MySQL and MariaDB V(audit),
        V(error), V(general), V(slowquery) and V(iam-db-auth-error).
    type: list
    elements: str
  auto_minor_version_upgrade:
    description: Whether RDS upgrades minor engine versions in the maintenance window.
    type: bool
    default: true
  apply_immediately:
    description:
      - Whether changes to an existing instance are applied now rather than in the next maintenance window.
      - Some changes (instance class, storage, Multi-AZ, engine version) cause downtime or a performance impact
        when applied. Without it they wait in RV(instance.pending_modified_values).
    type: bool
    default: false
  ca_certificate_identifier:
    description:
      - The CA certificate of the instance's server certificate, for example V(rds-ca-rsa2048-g1). Without it, RDS
        picks its default and it is not compared.
    type: str
  performance_insights_enabled:
    description: Whether Performance Insights is on.
    type: bool
    default: false
  skip_final_snapshot:
    description:
      - With O(state=absent), delete the instance without a final snapshot. Its data is then lost unless other
        snapshots exist.
    type: bool
    default: false
  final_snapshot_identifier:
    description:
      - With O(state=absent), the identifier of the final snapshot. Defaults to O(db_instance_identifier) with
        C(-final) appended.
      - Deterministic on purpose (no timestamp) so that a run killed during a deletion and the next run name the
        same snapshot instead of leaving one snapshot per attempt. When a snapshot with this identifier already
        exists and was taken of this very instance, the instance is deleted without taking another one (a
        warning and RV(final_snapshot.reused) say so). When it was taken of another instance (for example an
        earlier instance with the same identifier), the module fails; give another O(final_snapshot_identifier).
    type: str
  wait:
    description:
      - Wait until the instance is available (or, with O(state=absent), deleted).
      - With V(false), the module returns right after the create, modify or delete request (a new instance is
        then C(creating)), so that slower resources can be created meanwhile; a later run with O(wait=true) waits
        for it.
      - Waiting stops with a failure, naming the status and what it means, when the instance reaches a status it
        does not leave on its own (C(incompatible-parameters), C(incompatible-network), C(failed),
        C(storage-full), C(inaccessible-encryption-credentials), C(stopped), ...).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait. Creating an instance takes about 10 minutes; a Multi-AZ one longer.
    type: int
    default: 1800
notes:
  - Check mode is supported; RV(changed) and the diff report what would be done and no write API is called.
  - RV(diff) is always returned and holds the compared settings (and tags) before and after.
  - RDS may report an instance C(available) for a few seconds after accepting a change; changes it applies later
    show in RV(instance.pending_modified_values).
  - Not managed here are read replicas, Aurora clusters, option groups, IAM database authentication, enhanced
    monitoring, stopping and starting, renaming, restoring from snapshots.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The dev database (gp3 20 GiB at its 3000 IOPS / 125 MiB/s baseline; no password anywhere)
  payments.infra.rds_db_instance:
    db_instance_identifier: payment-db-dev
    engine: postgres
    engine_version: "15.14"
    instance_class: db.t3.micro
    allocated_storage: 20
    db_name: payments
    db_subnet_group_name: payment-db-dev
    vpc_security_group_ids: ["{{ db_security_group_id }}"]
    db_parameter_group_name: payment-postgres15-dev
    backup_retention_period: 7
    tags:
      Environment: dev
      Project: payment-api
  register: db

- name: Hand the secret's ARN (never the password) to the application
  ansible.builtin.set_fact:
    db_endpoint: "{{ db.instance.endpoint.address }}"
    db_secret_arn: "{{ db.instance.master_user_secret.secret_arn }}"

- name: Start production's database and go on with slower resources; a later task waits for it
  payments.infra.rds_db_instance:
    db_instance_identifier: payment-db-prod
    engine_version: "15.14"
    instance_class: db.r6g.large
    allocated_storage: 500
    max_allocated_storage: 1000
    iops: 16000
    storage_throughput: 1000
    multi_az: true
    deletion_protection: true
    backup_retention_period: 30
    preferred_backup_window: "03:00-03:30"
    preferred_maintenance_window: "sun:04:00-sun:04:30"
    wait: false

- name: Delete the staging database, keeping a final snapshot named payment-db-staging-final
  payments.infra.rds_db_instance:
    db_instance_identifier: payment-db-staging
    state: absent
"""

RETURN = r"""
instance:
  description:
    - The instance after the run (in check mode, as it would be). Empty when O(state=absent) and it is gone.
    - Never holds a password; the master password is only in the Secrets Manager secret.
    - In check mode, identifiers of an instance still to be created are null.
  returned: always
  type: dict
  contains:
    db_instance_identifier:
      description: The identifier (lower case).
      type: str
      sample: payment-db-dev
    db_instance_arn:
      description: The ARN of the instance.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:db:payment-db-dev
    dbi_resource_id:
      description: The region-unique, immutable identifier of the instance.
      type: str
    status:
      description: The status of the instance, for example C(available) or C(creating) (O(wait=false)).
      type: str
      sample: available
    endpoint:
      description: Where clients connect; the address is null while the instance is being created.
      type: dict
      contains:
        address:
          description: The DNS name.
          type: str
          sample: payment-db-dev.c2rms4g449mr.us-east-1.rds.amazonaws.com
        port:
          description: The port.
          type: int
          sample: 5432
    engine:
      description: The engine.
      type: str
      sample: postgres
    engine_version:
      description: The engine version.
      type: str
      sample: "15.14"
    instance_class:
      description: The instance class.
      type: str
      sample: db.t3.micro
    allocated_storage:
      description: The storage size in GiB.
      type: int
      sample: 20
    max_allocated_storage:
      description: The storage autoscaling limit in GiB; null when autoscaling is off.
      type: int
    storage_type:
      description: The storage type.
      type: str
      sample: gp3
    iops:
      description: The IOPS (for gp3 the baseline when none were provisioned).
      type: int
      sample: 3000
    storage_throughput:
      description: The storage throughput in MiB/s (gp3).
      type: int
      sample: 125
    storage_encrypted:
      description: Whether the storage is encrypted.
      type: bool
      sample: true
    kms_key_id:
      description: The KMS key of the storage encryption.
      type: str
    db_name:
      description: The database created with the instance.
      type: str
    master_username:
      description: The master user name.
      type: str
      sample: payments_admin
    db_subnet_group_name:
      description: The DB subnet group.
      type: str
    vpc_security_group_ids:
      description: The VPC security groups.
      type: list
      elements: str
    multi_az:
      description: Whether the instance is Multi-AZ.
      type: bool
    publicly_accessible:
      description: Whether the instance has a public address.
      type: bool
    backup_retention_period:
      description: Days automated backups are kept.
      type: int
      sample: 7
    preferred_backup_window:
      description: The daily backup window (UTC).
      type: str
    preferred_maintenance_window:
      description: The weekly maintenance window (UTC).
      type: str
    deletion_protection:
      description: Whether deletion protection is on.
      type: bool
    copy_tags_to_snapshot:
      description: Whether tags are copied to snapshots.
      type: bool
    auto_minor_version_upgrade:
      description: Whether minor versions are upgraded automatically.
      type: bool
    enabled_cloudwatch_logs_exports:
      description: The logs published to CloudWatch Logs.
      type: list
      elements: str
      sample: [postgresql, upgrade]
    ca_certificate_identifier:
      description: The CA certificate of the server certificate.
      type: str
    performance_insights_enabled:
      description: Whether Performance Insights is on.
      type: bool
    db_parameter_group_name:
      description: The DB parameter group.
      type: str
    parameter_apply_status:
      description: Whether the parameter group is applied (C(in-sync)) or waits for a reboot (C(pending-reboot)).
      type: str
    pending_modified_values:
      description: Changes RDS accepted and applies later (snake_case keys of C(PendingModifiedValues)).
      type: dict
      sample: {"db_instance_class": "db.t3.small"}
    master_user_secret:
      description:
        - The Secrets Manager secret holding the master user name and password (its ARN and status, never
          its value). Null when RDS does not manage the password.
      type: dict
      contains:
        secret_arn:
          description: The ARN of the secret.
          type: str
          sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123abcd-4567-89ef-0123-456789abcdef-Ab1
        secret_status:
          description: C(creating), C(active), C(rotating) or C(impaired).
          type: str
          sample: active
        kms_key_id:
          description: The KMS key that encrypts the secret.
          type: str
    tags:
      description: The tags of the instance.
      type: dict
      sample: {"Environment": "dev"}
created:
  description: True when this run created the instance (in check mode, would create it).
  returned: always
  type: bool
adopted:
  description:
    - True when C(CreateDBInstance) answered C(DBInstanceAlreadyExists) (another run created the instance after
      this run looked for it) and the existing instance was adopted.
  returned: always
  type: bool
pending_reboot:
  description: True when the instance's parameter group waits for a reboot to apply (C(pending-reboot)).
  returned: always
  type: bool
diff:
  description: The compared settings (named like the options) and tags before and after the run.
  returned: always
  type: dict
  contains:
    before:
      description: The settings before (empty for an instance to be created).
      type: dict
    after:
      description: The settings after (empty for an instance to be deleted).
      type: dict
final_snapshot:
  description: The final snapshot of a deleted instance.
  returned: when O(state=absent) deleted an instance (or would) without O(skip_final_snapshot)
  type: dict
  contains:
    db_snapshot_identifier:
      description: The snapshot identifier.
      type: str
      sample: payment-db-staging-final
    status:
      description: The snapshot's status (C(creating) while the deletion goes on; null in check mode).
      type: str
    reused:
      description: True when the snapshot existed already (taken of this instance) and no other was taken.
      type: bool
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import error_code
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.kms import AnsibleKMSError
from ansible_collections.payments.infra.plugins.module_utils.kms import kms_key_arn
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import FAILED_STATUSES
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import STOPPED_STATUSES
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import TRANSITIONAL_STATUSES
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import AnsibleRDSInstanceError
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import RDSInstanceStatusError
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import RDSInstanceValidationError
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import add_tags
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import create_db_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import create_request
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import delete_db_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import describe_db_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import describe_db_snapshot
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import final_snapshot_identifier
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import immutable_message
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import instance_tags
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import instance_view
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import modify_db_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import pending_reboot
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import plan_changes
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import planned_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import remove_tags
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import settings_view
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import snapshot_of
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import status_meaning
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import validate_params
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import wait_until_gone
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import wait_until_ready


def _wanted_tags(params):
    return {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}


def kms_comparer(module):
    """same_kms_key(wanted, actual) for plan_changes: resolves both references with kms:DescribeKey."""
    cache = {}

    def resolve(kms, key):
        if key not in cache:
            cache[key] = kms_key_arn(kms, key)
        return cache[key]

    def same(wanted, actual):
        kms = module.client("kms")
        try:
            wanted_arn, actual_arn = resolve(kms, wanted), resolve(kms, actual)
        except AnsibleKMSError as e:
            raise AnsibleRDSInstanceError(
                message=(
                    f"the KMS key {wanted!r} is written differently from the instance's {actual!r}; resolving both "
                    "with kms:DescribeKey to compare them failed"
                ),
                exception=e.exception,
            ) from e
        return wanted_arn is not None and wanted_arn == actual_arn

    return same


def _fail_status(module, error, result=None):
    view = instance_view(error.instance, None) if error.instance else {}
    module.fail_json(msg=error.message, status=error.status, instance=view, **(result or {}))


def create(client, module, result):
    """CreateDBInstance; the new instance, or None when it already existed (adopt it)."""
    params = module.params
    tags = _wanted_tags(params)
    if module.check_mode:
        planned = planned_instance(params)
        after = dict(settings_view(planned), tags=tags)
        result.update(changed=True, created=True, instance=instance_view(planned, tags), diff=make_diff({}, after))
        return None
    made = create_db_instance(client, **create_request(params, tags))
    if made is None:
        return describe_db_instance(client, params["db_instance_identifier"]) or _vanished(params)
    result.update(changed=True, created=True)
    instance = made
    if params["wait"]:
        try:
            instance = wait_until_ready(client, made["DBInstanceIdentifier"], params["wait_timeout"])
        except RDSInstanceStatusError as e:
            _fail_status(module, e, {"changed": True, "created": True})
    current_tags = instance_tags(client, instance)
    result.update(
        instance=instance_view(instance, current_tags),
        diff=make_diff({}, dict(settings_view(instance), tags=current_tags)),
        pending_reboot=pending_reboot(instance),
    )
    return made


def _vanished(params):
    raise AnsibleRDSInstanceError(
        message=(
            f"CreateDBInstance answered that RDS DB instance {params['db_instance_identifier']!r} already exists, "
            "but DescribeDBInstances does not find it (deleted again in the meantime?); run again"
        )
    )


def _await_deletion(client, module, instance):
    """An instance being deleted: None once it is gone (or in check mode); refused without wait."""
    if instance is None or instance.get("DBInstanceStatus") != "deleting":
        return instance
    params = module.params
    identifier = params["db_instance_identifier"]
    if module.check_mode:
        return None
    if params["wait"]:
        wait_until_gone(client, identifier, params["wait_timeout"])
        return None
    module.fail_json(
        msg=(
            f"RDS DB instance {identifier!r} is being deleted; it cannot be created again until the deletion "
            "is over. Run again with wait=true (the deletion is awaited, then the instance created)."
        ),
        instance=instance_view(instance),
    )


def _await_transition(client, module, instance):
    """The instance once out of a transitional status (with wait, not in check mode)."""
    params = module.params
    if instance.get("DBInstanceStatus") in TRANSITIONAL_STATUSES and params["wait"] and not module.check_mode:
        return wait_until_ready(client, instance["DBInstanceIdentifier"], params["wait_timeout"])
    return instance


def _checked_plan(module, instance, adopted):
    """The plan of changes; fails on what cannot be changed or is refused, warns about the rest."""
    params = module.params
    identifier = params["db_instance_identifier"]
    status = instance.get("DBInstanceStatus")
    plan = plan_changes(params, instance, same_kms_key=kms_comparer(module))
    if plan.immutable:
        module.fail_json(msg=immutable_message(identifier, plan, adopted), instance=instance_view(instance))
    if plan.refusals:
        module.fail_json(
            msg=f"RDS DB instance {identifier!r}: " + " ".join(plan.refusals) + " Nothing was changed.",
            instance=instance_view(instance),
        )
    for warning in plan.warnings:
        module.warn(warning)
    if status in FAILED_STATUSES:
        meaning = f"RDS DB instance {identifier!r} is in status {status!r}: {status_meaning(status)}"
        if not plan.request and params["wait"] and status not in STOPPED_STATUSES:
            module.fail_json(msg=meaning, status=status, instance=instance_view(instance))
        module.warn(meaning + ("; the changes were requested and are not awaited" if plan.request else ""))
    return plan


def _modify(client, module, instance, plan, current_tags):
    """ModifyDBInstance with the plan's request; the instance it answers."""
    params = module.params
    identifier = params["db_instance_identifier"]
    try:
        return modify_db_instance(
            client,
            DBInstanceIdentifier=identifier,
            ApplyImmediately=params["apply_immediately"],
            **plan.request,
        )
    except AnsibleRDSInstanceError as e:
        if error_code(e) != "InvalidDBInstanceState":
            raise
        module.fail_json(
            msg=(
                f"RDS refused to modify DB instance {identifier!r} in status {instance.get('DBInstanceStatus')!r} "
                f"({e.exception}). Run again with wait=true: the module waits until the instance is available, then "
                "changes it."
            ),
            instance=instance_view(instance, current_tags),
        )


def _converged_view(client, module, instance, plan, status, final_tags, after, changed):
    """The instance after the changes (awaited with wait), or as planned in check mode."""
    params = module.params
    identifier = params["db_instance_identifier"]
    if changed and not module.check_mode:
        if plan.request and params["wait"] and status not in FAILED_STATUSES:
            try:
                instance = wait_until_ready(client, identifier, params["wait_timeout"])
            except RDSInstanceStatusError as e:
                _fail_status(module, e, {"changed": True})
        else:
            instance = describe_db_instance(client, identifier) or instance
        return instance, instance_view(instance, final_tags)
    view = instance_view(instance, final_tags)
    if module.check_mode:
        for option in plan.changes:
            if option in view:
                view[option] = after[option]
    return instance, view


def ensure_present(client, module, instance):
    params = module.params
    result = {"changed": False, "created": False, "adopted": False, "pending_reboot": False}
    instance = _await_deletion(client, module, instance)
    if instance is None:
        found = create(client, module, result)
        if result["created"]:
            return result
        instance = found
        result["adopted"] = True
    instance = _await_transition(client, module, instance)
    status = instance.get("DBInstanceStatus")
    plan = _checked_plan(module, instance, result["adopted"])

    arn = instance["DBInstanceArn"]
    current_tags = instance_tags(client, instance)
    final_tags, to_set, to_unset = desired_tags(current_tags, params["tags"], params["purge_tags"])
    before = dict(settings_view(instance), tags=current_tags)
    after = dict(before, tags=final_tags)
    for option, (_live, wanted) in plan.changes.items():
        after[option] = wanted

    result["changed"] = bool(plan.request or to_set or to_unset)
    if plan.request and not module.check_mode:
        instance = _modify(client, module, instance, plan, current_tags)
    if (to_set or to_unset) and not module.check_mode:
        remove_tags(client, arn, to_unset)
        add_tags(client, arn, to_set)
    instance, view = _converged_view(client, module, instance, plan, status, final_tags, after, result["changed"])
    result.update(instance=view, diff=make_diff(before, after), pending_reboot=pending_reboot(instance))
    return result


def _refuse_protected(module, instance, current_tags):
    if instance.get("DeletionProtection"):
        module.fail_json(
            msg=(
                f"RDS DB instance {module.params['db_instance_identifier']!r} has deletion protection on, so it was "
                "not deleted. Turn it off first: run this module with state=present and deletion_protection=false "
                "(in this project: rds_deletion_protection: false, applied by site.yml), then state=absent again."
            ),
            instance=instance_view(instance, current_tags),
        )


def _ready_to_delete(client, module, instance):
    """The instance once out of a transitional status (a failed one too); None when it went meanwhile."""
    params = module.params
    if instance.get("DBInstanceStatus") in TRANSITIONAL_STATUSES and params["wait"] and not module.check_mode:
        try:
            return wait_until_ready(client, params["db_instance_identifier"], params["wait_timeout"])
        except RDSInstanceStatusError as e:
            return e.instance  # a failed instance is deleted all the same; None: gone meanwhile
    return instance


def _final_snapshot(client, module, instance, current_tags):
    """{"db_snapshot_identifier", "status": None, "reused"}: the final snapshot to take, or the one of this
    instance already taken (by a deletion killed before it finished), to reuse; None without one."""
    params = module.params
    if params["skip_final_snapshot"]:
        return None
    identifier = params["db_instance_identifier"]
    snapshot_id = final_snapshot_identifier(params)
    snapshot = describe_db_snapshot(client, snapshot_id)
    if snapshot is None:
        return {"db_snapshot_identifier": snapshot_id, "status": None, "reused": False}
    if not snapshot_of(snapshot, instance):
        module.fail_json(
            msg=(
                f"The final snapshot identifier {snapshot_id!r} is taken by a snapshot of another instance "
                f"(of {snapshot.get('DBInstanceIdentifier')!r} created {snapshot.get('InstanceCreateTime')}, "
                f"snapshot taken {snapshot.get('SnapshotCreateTime')}), so RDS DB instance {identifier!r} was "
                "not deleted. Set final_snapshot_identifier to an unused name (or delete that snapshot if it "
                "is no longer needed)."
            ),
            instance=instance_view(instance, current_tags),
        )
    if snapshot.get("Status") != "available":
        module.fail_json(
            msg=(
                f"The final snapshot {snapshot_id!r} of RDS DB instance {identifier!r} exists but is "
                f"{snapshot.get('Status')!r}; the instance was not deleted. Run again when the snapshot is "
                "available."
            ),
            instance=instance_view(instance, current_tags),
        )
    module.warn(
        f"The final snapshot {snapshot_id!r} of RDS DB instance {identifier!r} already exists (taken "
        f"{snapshot.get('SnapshotCreateTime')}, by an earlier deletion that did not finish?); the instance is "
        "deleted without taking another. Changes made after that snapshot are not in it."
    )
    return {"db_snapshot_identifier": snapshot_id, "status": None, "reused": True}


def _delete(client, module, instance, current_tags, take, snapshot_id):
    """DeleteDBInstance (taking the snapshot ``take``); what it answers (False: gone meanwhile)."""
    identifier = module.params["db_instance_identifier"]
    try:
        return delete_db_instance(client, identifier, final_snapshot_identifier=take)
    except AnsibleRDSInstanceError as e:
        code = error_code(e)
        if code == "DBSnapshotAlreadyExists":
            module.fail_json(
                msg=(
                    f"RDS refused to delete DB instance {identifier!r}: a snapshot named {snapshot_id!r} appeared "
                    "after this run looked (another run deleting it?). Run again: a snapshot of this instance is then "
                    "reused."
                ),
                instance=instance_view(instance, current_tags),
            )
        if code == "InvalidDBInstanceState":
            _fail_delete_refused(module, instance, current_tags, take, e)
        raise


def _fail_delete_refused(module, instance, current_tags, take, error):
    identifier = module.params["db_instance_identifier"]
    status = instance.get("DBInstanceStatus")
    if status in FAILED_STATUSES and take:
        advice = (
            f"RDS cannot take a final snapshot of an instance in status {status!r} ({status_meaning(status)}): "
            "repair it first, or set skip_final_snapshot=true if its data is not needed."
        )
    else:
        advice = "Run again with wait=true: the module waits for the instance first."
    module.fail_json(
        msg=f"RDS refused to delete DB instance {identifier!r} in status {status!r} ({error.exception}). {advice}",
        instance=instance_view(instance, current_tags),
    )


def ensure_absent(client, module, instance):
    params = module.params
    identifier = params["db_instance_identifier"]
    result = {"changed": False, "created": False, "adopted": False, "pending_reboot": False, "instance": {}}
    if instance is None:
        result["diff"] = make_diff({}, {})
        return result
    current_tags = instance_tags(client, instance)
    result["diff"] = make_diff(dict(settings_view(instance), tags=current_tags), {})

    if instance.get("DBInstanceStatus") == "deleting":
        # Deleted by an earlier (perhaps killed) run or by someone else: not our change; wait for it.
        if params["wait"] and not module.check_mode:
            wait_until_gone(client, identifier, params["wait_timeout"])
        else:
            result["instance"] = instance_view(instance, current_tags)
        return result

    _refuse_protected(module, instance, current_tags)
    instance = _ready_to_delete(client, module, instance)
    if instance is None:
        return result  # gone meanwhile
    snapshot = _final_snapshot(client, module, instance, current_tags)
    if snapshot is not None:
        result["final_snapshot"] = snapshot
    result["changed"] = True
    if module.check_mode:
        return result
    snapshot_id = snapshot and snapshot["db_snapshot_identifier"]
    take = snapshot_id if snapshot and not snapshot["reused"] else None
    deleted = _delete(client, module, instance, current_tags, take, snapshot_id)
    if deleted is False:
        result["changed"] = False  # gone meanwhile
        return result
    if params["wait"]:
        wait_until_gone(client, identifier, params["wait_timeout"])
    else:
        result["instance"] = instance_view(deleted, current_tags)
    if snapshot_id:
        found = describe_db_snapshot(client, snapshot_id)
        result["final_snapshot"]["status"] = (found or {}).get("Status")
    return result


def argument_spec():
    return dict(
        db_instance_identifier=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        engine=dict(type="str", default="postgres"),
        engine_version=dict(type="str"),
        instance_class=dict(type="str"),
        allocated_storage=dict(type="int"),
        max_allocated_storage=dict(type="int"),
        storage_type=dict(type="str", choices=["gp2", "gp3", "io1", "io2"], default="gp3"),
        iops=dict(type="int"),
        storage_throughput=dict(type="int"),
        storage_encrypted=dict(type="bool", default=True),
        kms_key_id=dict(type="str", no_log=False),
        db_name=dict(type="str"),
        master_username=dict(type="str", default="payments_admin"),
        manage_master_user_password=dict(type="bool", default=True, no_log=False),
        master_user_secret_kms_key_id=dict(type="str", no_log=False),
        db_subnet_group_name=dict(type="str"),
        vpc_security_group_ids=dict(type="list", elements="str"),
        db_parameter_group_name=dict(type="str"),
        port=dict(type="int"),
        multi_az=dict(type="bool", default=False),
        publicly_accessible=dict(type="bool", default=False),
        backup_retention_period=dict(type="int", default=7),
        preferred_backup_window=dict(type="str"),
        preferred_maintenance_window=dict(type="str"),
        deletion_protection=dict(type="bool", default=False),
        copy_tags_to_snapshot=dict(type="bool", default=True),
        enable_cloudwatch_logs_exports=dict(type="list", elements="str"),
        auto_minor_version_upgrade=dict(type="bool", default=True),
        apply_immediately=dict(type="bool", default=False),
        ca_certificate_identifier=dict(type="str"),
        performance_insights_enabled=dict(type="bool", default=False),
        skip_final_snapshot=dict(type="bool", default=False),
        final_snapshot_identifier=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ["instance_class", "allocated_storage"])],
        supports_check_mode=True,
    )
    params = module.params
    try:
        warnings = validate_params(params)
    except RDSInstanceValidationError as e:
        module.fail_json(msg=str(e))
    for warning in warnings:
        module.warn(warning)

    client = module.client("rds")
    try:
        instance = describe_db_instance(client, params["db_instance_identifier"])
        if params["state"] == "present":
            result = ensure_present(client, module, instance)
        else:
            result = ensure_absent(client, module, instance)
    except RDSInstanceStatusError as e:
        _fail_status(module, e)
    except AnsibleRDSInstanceError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
