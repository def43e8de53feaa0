#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_db_instance
short_description: Create or adopt an RDS for PostgreSQL instance whose master password Secrets Manager manages
version_added: 0.1.0
description:
  - What stock M(amazon.aws.rds_instance) (10.1.2) cannot do, as its argument spec has no
    C(manage_master_user_password) and it creates an instance only with a C(master_user_password). This module
    creates the instance with C(ManageMasterUserPassword) (RDS generates the master password, keeps it in
    AWS Secrets Manager and rotates it; Ansible never sees it), or switches an existing instance that has no managed
    password to one. Every other setting of an existing instance is converged by stock M(amazon.aws.rds_instance),
    run after this module.
  - The instance is found by identifier. A missing one is created with every setting and its tags in the one
    C(CreateDBInstance) call, and not awaited (the caller waits when it needs the endpoint).
  - When C(CreateDBInstance) answers C(DBInstanceAlreadyExists) because another run (or a killed earlier run)
    created the instance between this module's lookup and its create, the instance is looked up again and
    adopted (RV(adopted=true)); never an "already exists" failure.
  - An existing instance is otherwise left as it is, no setting of it is compared here (what cannot change in
    place is refused before any change by the rds role's preflight, the C(rds_live_refusals) filter).
author:
  - payments.infra maintainers
options:
  db_instance_identifier:
    description: The identifier of the DB instance, for example V(payment-db-dev). RDS stores it in lower case.
    type: str
    required: true
  engine:
    description: The database engine.
    type: str
    choices: [postgres]
    default: postgres
  engine_version:
    description: The exact engine version to create, for example V(15.14). Without it, RDS picks its default.
    type: str
  instance_class:
    description: The instance class to create, for example V(db.t3.micro).
    type: str
    required: true
  allocated_storage:
    description: The storage size in GiB to create.
    type: int
    required: true
  max_allocated_storage:
    description: The storage autoscaling ceiling in GiB; V(0) creates without storage autoscaling.
    type: int
    default: 0
  storage_type:
    description: The storage type to create.
    type: str
    choices: [gp2, gp3, io1, io2]
    default: gp3
  iops:
    description: Provisioned IOPS (io1, io2; gp3 from 400 GiB). V(0) or unset takes AWS's baseline.
    type: int
  storage_throughput:
    description: gp3 storage throughput in MiB/s (from 400 GiB). V(0) or unset takes AWS's baseline.
    type: int
  storage_encrypted:
    description: Whether the storage is encrypted.
    type: bool
    default: true
  kms_key_id:
    description: The KMS key of the storage encryption. Without it, the AWS managed key C(aws/rds).
    type: str
  db_name:
    description: The initial database.
    type: str
  master_username:
    description: The master user.
    type: str
    default: payments_admin
  master_user_secret_kms_key_id:
    description: The KMS key of the master password's secret. Without it, the AWS managed key of Secrets Manager.
    type: str
  db_subnet_group_name:
    description: The DB subnet group the instance is created in.
    type: str
  vpc_security_group_ids:
    description: The VPC security groups of the instance.
    type: list
    elements: str
  db_parameter_group_name:
    description: The DB parameter group of the instance.
    type: str
  port:
    description: The port the instance listens on.
    type: int
    default: 5432
  multi_az:
    description: Whether the instance has a standby in another availability zone.
    type: bool
    default: false
  publicly_accessible:
    description: Whether the instance gets a public address.
    type: bool
    default: false
  backup_retention_period:
    description: Days of automated backups.
    type: int
    default: 7
  deletion_protection:
    description: Whether RDS refuses to delete the instance.
    type: bool
    default: false
  copy_tags_to_snapshot:
    description: Whether the instance's tags are copied to its snapshots.
    type: bool
    default: true
  auto_minor_version_upgrade:
    description: Whether RDS upgrades minor engine versions in the maintenance window.
    type: bool
    default: true
  enable_cloudwatch_logs_exports:
    description: The logs published to CloudWatch Logs.
    type: list
    elements: str
    default: [postgresql, upgrade]
  tags:
    description:
      - The tags the instance is created with. Tags of an existing instance are converged by stock
        M(amazon.aws.rds_instance) (C(tags), C(purge_tags)), not here.
    type: dict
    aliases: [resource_tags]
notes:
  - Check mode is supported; nothing is written, RV(changed) and the diff say what would be done.
  - The instance is never awaited here; M(amazon.aws.rds_instance_info) can wait for it.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The dev database, with a Secrets Manager-managed master password (no password anywhere)
  payments.infra.rds_db_instance:
    db_instance_identifier: payment-db-dev
    engine_version: "15.14"
    instance_class: db.t3.micro
    allocated_storage: 20
    db_name: payments
    db_subnet_group_name: payment-db-subnets-dev
    vpc_security_group_ids: ["{{ db_security_group_id }}"]
    db_parameter_group_name: payment-db-params-dev
    tags:
      Environment: dev
  register: db

- name: Every in-place setting (and the tags) of an existing instance, by the stock module
  amazon.aws.rds_instance:
    db_instance_identifier: payment-db-dev
    db_instance_class: db.t3.small
    allocated_storage: 20
    tags:
      Environment: dev
    purge_tags: true
    wait: false
  when: not db.created
"""

RETURN = r"""
created:
  description: Whether this run created the instance.
  returned: always
  type: bool
adopted:
  description: Whether the instance was created by another run between this module's lookup and its create.
  returned: always
  type: bool
instance:
  description:
    - The instance as RDS describes it (as it would be created, in check mode), snake_case; never a password.
    - Only the secret's ARN of the master password, in RV(instance.master_user_secret.secret_arn).
  returned: always
  type: dict
  sample:
    db_instance_identifier: payment-db-dev
    status: creating
    endpoint: {address: null, port: 5432}
    instance_class: db.t3.micro
    allocated_storage: 20
    master_user_secret:
      secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c-AbCdEf"
      secret_status: creating
      kms_key_id: null
    pending_modified_values: {}
    tags: {Environment: dev}
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import AnsibleRDSInstanceError
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import create_db_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import create_request
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import describe_db_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import instance_tags
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import instance_view
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import modify_db_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import planned_instance
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import settings_view


def _wanted_tags(params):
    return {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}


def create(client, module):
    """The result of creating the instance (planned in check mode); adopted when another run made it first."""
    params = module.params
    tags = _wanted_tags(params)
    if module.check_mode:
        planned = planned_instance(params)
        after = dict(settings_view(planned), tags=tags)
        view = instance_view(planned, tags)
        return {"changed": True, "created": True, "adopted": False, "instance": view, "diff": make_diff({}, after)}
    made = create_db_instance(client, **create_request(params, tags))
    if made is None:
        found = describe_db_instance(client, params["db_instance_identifier"])
        if found is None:
            raise AnsibleRDSInstanceError(
                message=(
                    f"CreateDBInstance answered that RDS DB instance {params['db_instance_identifier']!r} already "
                    "exists, but DescribeDBInstances does not find it (deleted again in the meantime?); run again"
                )
            )
        return dict(ensure_managed_password(client, module, found), adopted=True)
    current_tags = instance_tags(client, made)
    return {
        "changed": True,
        "created": True,
        "adopted": False,
        "instance": instance_view(made, current_tags),
        "diff": make_diff({}, dict(settings_view(made), tags=current_tags)),
    }


def ensure_managed_password(client, module, instance):
    """An existing instance: switched to a managed master password when it has none; nothing else is compared."""
    params = module.params
    identifier = params["db_instance_identifier"]
    current_tags = instance_tags(client, instance)
    result = {"changed": False, "created": False, "adopted": False, "diff": make_diff({}, {})}
    if instance.get("DBInstanceStatus") == "deleting":
        module.fail_json(
            msg=(
                f"RDS DB instance {identifier!r} is being deleted; it cannot be created again until the deletion "
                "is over. Run again once it is gone."
            ),
            instance=instance_view(instance, current_tags),
        )
    if not instance.get("MasterUserSecret"):
        result["changed"] = True
        result["diff"] = make_diff({"manage_master_user_password": False}, {"manage_master_user_password": True})
        if not module.check_mode:
            request = {"DBInstanceIdentifier": identifier, "ManageMasterUserPassword": True, "ApplyImmediately": True}
            if params["master_user_secret_kms_key_id"]:
                request["MasterUserSecretKmsKeyId"] = params["master_user_secret_kms_key_id"]
            instance = modify_db_instance(client, **request)
    result["instance"] = instance_view(instance, current_tags)
    return result


def argument_spec():
    return dict(
        db_instance_identifier=dict(type="str", required=True),
        engine=dict(type="str", choices=["postgres"], default="postgres"),
        engine_version=dict(type="str"),
        instance_class=dict(type="str", required=True),
        allocated_storage=dict(type="int", required=True),
        max_allocated_storage=dict(type="int", default=0),
        storage_type=dict(type="str", choices=["gp2", "gp3", "io1", "io2"], default="gp3"),
        iops=dict(type="int"),
        storage_throughput=dict(type="int"),
        storage_encrypted=dict(type="bool", default=True),
        kms_key_id=dict(type="str", no_log=False),
        db_name=dict(type="str"),
        master_username=dict(type="str", default="payments_admin"),
        master_user_secret_kms_key_id=dict(type="str", no_log=False),
        db_subnet_group_name=dict(type="str"),
        vpc_security_group_ids=dict(type="list", elements="str"),
        db_parameter_group_name=dict(type="str"),
        port=dict(type="int", default=5432),
        multi_az=dict(type="bool", default=False),
        publicly_accessible=dict(type="bool", default=False),
        backup_retention_period=dict(type="int", default=7),
        deletion_protection=dict(type="bool", default=False),
        copy_tags_to_snapshot=dict(type="bool", default=True),
        auto_minor_version_upgrade=dict(type="bool", default=True),
        enable_cloudwatch_logs_exports=dict(type="list", elements="str", default=["postgresql", "upgrade"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
    )


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    client = module.client("rds")
    try:
        instance = describe_db_instance(client, module.params["db_instance_identifier"])
        if instance is None:
            result = create(client, module)
        else:
            result = ensure_managed_password(client, module, instance)
    except AnsibleRDSInstanceError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
