# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The limits of every variable, one source: type, range, pattern, length, AWS's documented limits, the rules
that join several variables, and the protections a production environment keeps.

The preflight refuses a value outside them before the first write (the lookup payments.infra.input_refusals),
naming the variable, the bad value and what is valid. tests/unit/plugins/module_utils/test_limits.py proves the
table agrees with the roles' argument specs (type, choices) and covers every public variable; the bad-input
matrix (tests/integration/test_input_limits.py) is generated from it; the README's variable table shows it
(tests/sanity/readme_limits.py keeps them equal).

A limit is a dict: ``type`` (int, float, bool, str, list, dict), and as the type allows: ``min``/``max``
(numbers), ``choices``, ``pattern`` with ``says`` (what the pattern allows, in words), ``min_length``/
``max_length`` (strings, lists, dicts), ``format`` (cidr, region, acm_arn, kms_key, port), ``elements``/``keys``
/``values`` (a limit for each item), ``options`` (list of dicts: the limit of each key; ``required`` keys),
``aws`` (where the limit comes from when it is AWS's), ``note`` (where the value comes from) and ``protect``
(the value a production environment keeps unless the run is confirmed).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import re
from functools import cache

from ansible_collections.payments.infra.plugins.module_utils.ecr import LifecyclePolicyError
from ansible_collections.payments.infra.plugins.module_utils.ecr import render_rules

try:
    import botocore
except ImportError:  # the controller has botocore (amazon.aws needs it)
    botocore = None

# CloudWatch Logs PutRetentionPolicy: retentionInDays takes only these values.
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# Fargate task sizes: CPU units -> the memory sizes (MiB) Fargate offers with them.
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# ALB security policies that accept nothing older than TLS 1.2.
TLS12_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)
# Tags every resource carries for ownership (adoption, census, teardown find resources by them).
OWNERSHIP_TAGS = ("Project", "Environment", "ManagedBy", "Shared")
# SNS Subscribe: the protocols an alarm topic can deliver to.
SNS_PROTOCOLS = ("email", "email-json", "http", "https", "sms", "sqs", "lambda", "firehose", "application")
# Names an application gets from the database secret only.
SECRET_VARIABLES = ("DB_USERNAME", "DB_PASSWORD")
# Names the project sets in the application's environment: an extra variable cannot shadow them (a DB_HOST
# of another host would send the credentials there).
APP_VARIABLES = ("APP_ENV", "DB_HOST", "DB_PORT", "DB_NAME", "TRANSACTION_LOG_BUCKET")

_NAME = r"^[a-z][a-z0-9-]{0,19}$"
_NAME_SAYS = "1 to 20 lower-case letters, digits or '-', starting with a letter"
PREFIX = {"type": "str", "pattern": _NAME, "says": _NAME_SAYS, "note": "payments_name_prefix"}
ENVIRONMENT = {"type": "str", "pattern": _NAME, "says": _NAME_SAYS, "note": "payments_environment"}
TAGS = {
    "type": "dict",
    "max_length": 50,
    "keys": {
        "type": "str",
        "pattern": r"^(?!aws:)[\w .:/=+@-]{1,128}$",
        "says": "1 to 128 letters, digits, spaces or _ . : / = + - @, not starting with 'aws:'",
    },
    "values": {"type": "str", "pattern": r"^[\w .:/=+@-]{0,256}$", "says": "0 to 256 of the same characters"},
    "aws": "AWS tags: 50 per resource, keys 1-128, values 0-256 characters",
}
PORT = {"type": "int", "min": 1, "max": 65535, "aws": "a TCP port"}
DB_PORT = {"type": "int", "min": 1150, "max": 65535, "aws": "RDS for PostgreSQL: port 1150-65535"}
CIDR = {"type": "str", "format": "cidr", "min": 0, "max": 32}
SUBNET_IDS = {"type": "list", "elements": {"type": "str", "pattern": r"^subnet-[0-9a-f]{8,17}$", "says": "subnet-<id>"}}
SG_IDS = {"type": "list", "elements": {"type": "str", "pattern": r"^sg-[0-9a-f]{8,17}$", "says": "sg-<id>"}}
KMS_KEY = {"type": "str", "format": "kms_key"}
BOOL = {"type": "bool"}
RETENTION = {"type": "int", "choices": RETENTION_DAYS, "aws": "CloudWatch Logs retentionInDays"}
DAYS = {"type": "int", "min": 1, "aws": "S3 lifecycle: Days is a positive integer"}
ECS_NAME = {
    "type": "str",
    "pattern": r"^[A-Za-z0-9_-]{1,255}$",
    "says": "1 to 255 letters, digits, '_' or '-'",
    "aws": "ECS cluster, service and container names",
    "note": "payments_names",
}
ELB_NAME = {
    "type": "str",
    "pattern": r"^(?!internal-)(?!-)[A-Za-z0-9-]{1,32}(?<!-)$",
    "says": "1 to 32 letters, digits or '-', not starting or ending with '-' (the prefix and environment included)",
    "aws": "Elastic Load Balancing: load balancer and target group names are at most 32 characters",
    "note": "payments_name_prefix and payments_environment",
}
DB_IDENTIFIER = {
    "type": "str",
    "pattern": r"^[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$",
    "says": "1 to 63 lower-case letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
    "no two hyphens in a row",
    "aws": "RDS DBInstanceIdentifier",
    "note": "payments_name_prefix and payments_environment",
}
ECR_NAME = {
    "type": "str",
    "pattern": r"^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$",
    "says": "2 to 256 lower-case letters and digits, separated by single '.', '_', '-' or '/'",
    "aws": "ECR repositoryName",
}
LOG_GROUP = {
    "type": "str",
    "pattern": r"^[.\-_/#A-Za-z0-9]{1,512}$",
    "says": "1 to 512 letters, digits or . - _ / #",
    "aws": "CloudWatch Logs logGroupName",
}
# An image tag to deploy names one build for good: a version (1.4.2, v2.0.0-rc1) or a commit (3f9c2ab), which
# has a digit, or a commit id of hex letters only; never a moving tag (latest, stable, main), which an
# IMMUTABLE repository cannot move anyway and which would not say what runs.
IMAGE_TAG = {
    "type": "str",
    "pattern": r"^(?=[^0-9]*[0-9]|[0-9a-f]{7,40}$)[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$",
    "says": (
        "1 to 128 letters, digits, '_', '.', '-', not starting with '.' or '-', naming one build: a version or "
        "commit with a digit (1.4.2, v2.0.0-rc1, main-3f9c2ab) or a commit id of 7 to 40 hex letters, never a "
        "moving tag"
    ),
    "reserved": ("latest",),
    "aws": "an OCI image tag",
}
PG_NAME = {
    "type": "str",
    "pattern": r"^[A-Za-z][A-Za-z0-9_]{0,62}$",
    "says": "1 to 63 letters, digits or underscores, starting with a letter",
    "aws": "RDS for PostgreSQL DBName and MasterUsername",
}
DNS_NAME = {
    "type": "str",
    "pattern": r"^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$",
    "says": "a lower-case DNS name of at most 253 characters, labels of 1 to 63 letters, digits or '-'",
}
PERCENT = {"type": "float", "min": 1, "max": 100}
SECONDS = {"type": "int", "min": 0, "max": 86400}
TEXT = {"type": "str", "max_length": 256}
# ELB access_logs.s3.prefix: S3 key characters, no leading or trailing '/', without the string AWSLogs (ELB adds
# /AWSLogs/<account id>/ itself); the bucket policy grants exactly that path.
ACCESS_LOG_PREFIX = {
    "type": "str",
    "pattern": r"^(?!.*AWSLogs)[A-Za-z0-9!_.*'()-]{1,200}(/[A-Za-z0-9!_.*'()-]{1,200})*$",
    "max_length": 200,
    "says": "letters, digits or ! _ . * ' ( ) -, parts joined by '/', no leading or trailing '/', without 'AWSLogs'",
    "aws": "ELB access_logs.s3.prefix",
    "note": "payments_environment",
}
S3_BUCKET = {
    "type": "str",
    "pattern": r"^$|^(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    "says": "empty, or an S3 bucket name (3 to 63 lower-case letters, digits, '.' or '-')",
}


def _int(lo=None, hi=None, aws=None, **extra):
    return {"type": "int", "min": lo, "max": hi, **({"aws": aws} if aws else {}), **extra}


LIMITS = {
    # --- project-wide (group_vars/all, inventories) ----------------------------------------------------------
    "payments_environment": {**ENVIRONMENT, "note": None},
    "payments_name_prefix": {**PREFIX, "note": None},
    "payments_region": {"type": "str", "format": "region", "aws": "the regions of the installed botocore"},
    "payments_project": {
        **TEXT,
        "pattern": r"^[\w .:/=+@-]{1,256}$",
        "says": "1 to 256 letters, digits, spaces or _ . : / = + - @ (a tag value)",
    },
    "payments_extra_tags": {**TAGS, "max_length": 45, "reserved": OWNERSHIP_TAGS},
    "payments_app_port": PORT,
    "payments_database_port": DB_PORT,
    "payments_certificate_arn": {"type": "str", "format": "acm_arn"},
    "payments_domain_name": DNS_NAME,
    "payments_app_extra_security_group_ids": SG_IDS,
    "payments_teardown_requires_confirmation": BOOL,
    "payments_production": BOOL,
    "payments_self_signed_certificate_allowed": BOOL,
    "payments_aws_config": {"type": "dict"},
    "payments_aws_module_defaults": {"type": "dict"},
    "payments_outputs_file": {"type": "str", "min_length": 1, "max_length": 4096},
    "payments_artifacts_dir": {"type": "str", "min_length": 1, "max_length": 4096},
    "payments_plan_fail_on_changes": BOOL,
    # --- network ---------------------------------------------------------------------------------------------
    "network_name_prefix": PREFIX,
    "network_environment": ENVIRONMENT,
    "network_tags": TAGS,
    "network_vpc_cidr": {
        **CIDR,
        "min": 16,
        "max": 24,
        "aws": "a VPC takes /16 to /28; the subnets of 2 to 6 AZs need /24 or larger",
    },
    "network_az_count": _int(2, 6),
    "network_nat_gateway_strategy": {"type": "str", "choices": ("single", "one_per_az", "none")},
    "network_subnet_newbits": _int(1, 12),
    "network_public_subnet_offset": _int(0, 4095),
    "network_private_subnet_offset": _int(0, 4095),
    "network_database_subnet_offset": _int(0, 4095),
    "network_flow_logs_enabled": {**BOOL, "protect": True},
    "network_flow_logs_traffic_type": {"type": "str", "choices": ("ACCEPT", "REJECT", "ALL")},
    "network_flow_logs_retention_days": RETENTION,
    "network_app_port": {**PORT, "note": "payments_app_port"},
    "network_database_port": {**DB_PORT, "note": "payments_database_port"},
    "network_alb_ingress_cidrs": {"type": "list", "min_length": 1, "elements": CIDR},
    # --- ecr -------------------------------------------------------------------------------------------------
    "ecr_repository_name": {**ECR_NAME, "note": "payments_name_prefix"},
    "ecr_scan_on_push": BOOL,
    "ecr_image_tag_mutability": {"type": "str", "choices": ("MUTABLE", "IMMUTABLE")},
    "ecr_encryption_type": {"type": "str", "choices": ("AES256", "KMS")},
    "ecr_kms_key": KMS_KEY,
    "ecr_tags": TAGS,
    "ecr_lifecycle_rules": {
        "type": "list",
        "min_length": 1,
        "elements": {
            "type": "dict",
            "options": {
                "description": TEXT,
                "tag_status": {"type": "str", "choices": ("tagged", "untagged", "any")},
                "tag_patterns": {"type": "list", "elements": {"type": "str"}},
                "tag_prefixes": {"type": "list", "elements": {"type": "str"}},
                "expire_after_days": _int(1),
                "keep_last": _int(1),
            },
            "required": ("tag_status",),
        },
    },
    # --- s3 --------------------------------------------------------------------------------------------------
    "s3_name_prefix": {**PREFIX, "aws": "S3 bucket names are lower case"},
    "s3_environment": ENVIRONMENT,
    "s3_account_id": {
        "type": "str",
        "pattern": r"^$|^[0-9]{12}$",
        "says": "a 12-digit AWS account id",
        "note": "run_lock",
    },
    "s3_region": {"type": "str", "format": "region", "note": "payments_region"},
    "s3_tags": TAGS,
    "s3_encryption": {"type": "str", "choices": ("AES256", "aws:kms")},
    "s3_kms_key_id": KMS_KEY,
    "s3_versioning": {**BOOL, "protect": True},
    "s3_lifecycle_standard_ia_days": _int(30, aws="S3: objects move to STANDARD_IA after 30 days at the earliest"),
    "s3_lifecycle_glacier_days": DAYS,
    "s3_lifecycle_expiration_days": DAYS,
    "s3_lifecycle_noncurrent_expiration_days": DAYS,
    "s3_lifecycle_abort_multipart_days": DAYS,
    "s3_access_log_prefix": ACCESS_LOG_PREFIX,
    "s3_access_log_expiration_days": DAYS,
    # --- rds -------------------------------------------------------------------------------------------------
    "rds_name_prefix": PREFIX,
    "rds_environment": ENVIRONMENT,
    "rds_tags": TAGS,
    "rds_db_instance_identifier": DB_IDENTIFIER,
    "rds_engine": {"type": "str", "choices": ("postgres",)},
    "rds_engine_version": {
        "type": "str",
        "pattern": r"^[0-9]{1,2}(\.[0-9]{1,2})?$",
        "says": "a PostgreSQL major version (15) or major.minor (15.7)",
    },
    "rds_instance_class": {
        "type": "str",
        "pattern": r"^db\.[a-z0-9-]+\.[a-z0-9]+$",
        "says": "an RDS instance class such as db.t3.micro",
    },
    "rds_allocated_storage": _int(20, 65536, "RDS for PostgreSQL on gp2/gp3/io1/io2: 20 to 65536 GiB"),
    "rds_max_allocated_storage": _int(0, 65536, "RDS storage autoscaling: up to 65536 GiB (0: off)"),
    "rds_storage_type": {"type": "str", "choices": ("gp2", "gp3", "io1", "io2")},
    "rds_iops": _int(0, 256000, "RDS provisioned IOPS: at most 256000"),
    "rds_storage_throughput": _int(0, 4000, "RDS gp3 throughput: at most 4000 MiB/s"),
    "rds_kms_key_id": KMS_KEY,
    "rds_db_name": {**PG_NAME, "reserved": ("postgres", "template0", "template1", "rdsadmin")},
    "rds_master_username": {**PG_NAME, "reserved": ("postgres", "rdsadmin", "admin", "rds_superuser")},
    "rds_backup_retention_days": _int(1, 35, "RDS keeps automated backups 0 to 35 days (0: none)", protect=7),
    "rds_multi_az": {**BOOL, "protect": True},
    "rds_deletion_protection": {**BOOL, "protect": True},
    "rds_final_snapshot": {**BOOL, "protect": True},
    "rds_apply_immediately": BOOL,
    "rds_subnet_ids": SUBNET_IDS,
    "rds_security_group_ids": SG_IDS,
    "rds_parameters": {
        "type": "dict",
        "keys": {"type": "str", "pattern": r"^[a-z_][a-z0-9_.]{0,254}$", "says": "a PostgreSQL parameter name"},
    },
    "rds_allow_plaintext_connections": {**BOOL, "protect": False},
    "rds_production": {**BOOL, "note": "payments_production"},
    "rds_effective_cache_size": {
        "type": "str",
        "pattern": r"^$|^[0-9]+$|^\{DBInstanceClassMemory[*/0-9]*\}$",
        "says": "empty (75% of memory), a number of 8 kB pages, or a formula like {DBInstanceClassMemory*3/32768}",
    },
    "rds_port": {**DB_PORT, "note": "payments_database_port"},
    # --- ecs_alb ---------------------------------------------------------------------------------------------
    "ecs_alb_name_prefix": PREFIX,
    "ecs_alb_environment": ENVIRONMENT,
    "ecs_alb_tags": TAGS,
    "ecs_alb_region": {"type": "str", "format": "region", "note": "payments_region"},
    "ecs_alb_cluster_name": ECS_NAME,
    "ecs_alb_service_name": ECS_NAME,
    "ecs_alb_alb_name": ELB_NAME,
    "ecs_alb_target_group_name": ELB_NAME,
    "ecs_alb_container_name": {**ECS_NAME, "note": None},
    "ecs_alb_container_insights": {"type": "str", "choices": ("enabled", "enhanced", "disabled")},
    "ecs_alb_vpc_id": {"type": "str", "pattern": r"^$|^vpc-[0-9a-f]{8,17}$", "says": "vpc-<id>", "note": "network"},
    "ecs_alb_public_subnet_ids": SUBNET_IDS,
    "ecs_alb_private_subnet_ids": SUBNET_IDS,
    "ecs_alb_alb_security_group_ids": SG_IDS,
    "ecs_alb_service_security_group_ids": SG_IDS,
    "ecs_alb_deletion_protection": {**BOOL, "protect": True},
    "ecs_alb_idle_timeout_seconds": _int(1, 4000, "ALB idle_timeout.timeout_seconds: 1 to 4000"),
    "ecs_alb_access_logs_enabled": {**BOOL, "protect": True},
    "ecs_alb_access_logs_bucket": {**S3_BUCKET, "note": "s3"},
    "ecs_alb_access_logs_prefix": ACCESS_LOG_PREFIX,
    "ecs_alb_ssl_policy": {"type": "str", "choices": TLS12_POLICIES, "aws": "the ALB security policies of TLS 1.2+"},
    "ecs_alb_certificate_arn": {"type": "str", "format": "acm_arn", "note": "payments_certificate_arn"},
    "ecs_alb_self_signed_certificate": BOOL,
    "ecs_alb_domain_name": {**DNS_NAME, "note": "payments_domain_name"},
    "ecs_alb_container_port": {**PORT, "note": "payments_app_port"},
    "ecs_alb_health_check_path": {
        "type": "str",
        "pattern": r"^/[!-~]{0,1023}$",
        "says": "a path starting with '/', 1 to 1024 printable characters",
        "aws": "ELB HealthCheckPath",
    },
    "ecs_alb_health_check_interval_seconds": _int(
        6, 300, "ELB HealthCheckIntervalSeconds 5-300, above the 5 s timeout"
    ),
    "ecs_alb_health_check_healthy_threshold": _int(2, 10, "ELB HealthyThresholdCount"),
    "ecs_alb_health_check_unhealthy_threshold": _int(2, 10, "ELB UnhealthyThresholdCount"),
    "ecs_alb_health_check_matcher": {
        "type": "str",
        "pattern": r"^[2-4][0-9]{2}([,-][2-4][0-9]{2})*$",
        "says": "HTTP codes 200 to 499: '200', '200,202' or '200-299'",
        "aws": "ELB Matcher HttpCode",
    },
    "ecs_alb_deregistration_delay_seconds": _int(0, 3600, "ELB deregistration_delay.timeout_seconds"),
    "ecs_alb_image_repository_uri": {
        "type": "str",
        "pattern": r"^$|^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/\S+$|^[\w.:-]+/\S+$",
        "says": "<account>.dkr.ecr.<region>.amazonaws.com/<repository>",
        "max_length": 1024,
        "note": "ecr",
    },
    "ecs_alb_image_tag": {
        **IMAGE_TAG,
        "pattern": r"^$|" + IMAGE_TAG["pattern"],
        "says": "empty (a run keeps the image the service runs), or " + IMAGE_TAG["says"],
        "note": "-e image_tag",
    },
    "ecs_alb_initial_image_tag": IMAGE_TAG,
    "ecs_alb_release_require_image": BOOL,
    "ecs_alb_image_repository_name": {**ECR_NAME, "note": "ecr_repository_name"},
    "ecs_alb_task_cpu": {"type": "int", "choices": tuple(FARGATE_MEMORY), "aws": "Fargate task CPU units"},
    "ecs_alb_task_memory": _int(512, 122880, "Fargate task memory (MiB), by CPU size"),
    "ecs_alb_cpu_architecture": {"type": "str", "choices": ("X86_64", "ARM64")},
    "ecs_alb_readonly_root_filesystem": {**BOOL, "protect": True},
    "ecs_alb_environment_variables": {
        "type": "dict",
        "keys": {"type": "str", "pattern": r"^[A-Za-z_][A-Za-z0-9_]{0,254}$", "says": "letters, digits and '_'"},
        "values": {"type": "str", "max_length": 32768},
        "reserved": SECRET_VARIABLES + APP_VARIABLES,
    },
    "ecs_alb_log_group_name": {**LOG_GROUP, "note": "payments_name_prefix and payments_environment"},
    "ecs_alb_log_retention_days": RETENTION,
    "ecs_alb_database_endpoint": {"type": "str", "note": "rds"},
    "ecs_alb_database_port": {**DB_PORT, "note": "rds"},
    "ecs_alb_database_name": {**PG_NAME, "note": "rds_db_name"},
    "ecs_alb_database_secret_arn": {
        "type": "str",
        "pattern": r"^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:\S+$",
        "says": "a Secrets Manager secret ARN",
        "note": "rds",
    },
    "ecs_alb_transaction_log_bucket": {"type": "str", "note": "s3"},
    "ecs_alb_desired_count": _int(0, 5000, "ECS: at most 5000 tasks per service"),
    "ecs_alb_health_check_grace_period_seconds": _int(0, 2147483647, "ECS healthCheckGracePeriodSeconds"),
    "ecs_alb_deployment_minimum_healthy_percent": _int(0, 100, "ECS minimumHealthyPercent"),
    "ecs_alb_deployment_maximum_percent": _int(
        100, 200, None, says_more="a rolling deployment needs room for the new tasks next to the old"
    ),
    "ecs_alb_wait": BOOL,
    "ecs_alb_wait_timeout_seconds": _int(60, 86400),
    "ecs_alb_autoscaling_enabled": BOOL,
    "ecs_alb_autoscaling_min_capacity": _int(0, 5000, "ECS: at most 5000 tasks per service"),
    "ecs_alb_autoscaling_max_capacity": _int(1, 5000, "ECS: at most 5000 tasks per service"),
    "ecs_alb_autoscaling_cpu_target_percent": _int(1, 100),
    "ecs_alb_autoscaling_scale_in_cooldown_seconds": SECONDS,
    "ecs_alb_autoscaling_scale_out_cooldown_seconds": SECONDS,
    # --- observability ---------------------------------------------------------------------------------------
    "observability_name_prefix": PREFIX,
    "observability_environment": ENVIRONMENT,
    "observability_tags": TAGS,
    "observability_extra_log_groups": {
        "type": "list",
        "elements": {
            "type": "dict",
            "options": {"name": LOG_GROUP, "retention_days": RETENTION},
            "required": ("name", "retention_days"),
        },
    },
    "observability_alarm_subscriptions": {
        "type": "list",
        "elements": {
            "type": "dict",
            "options": {
                "protocol": {"type": "str", "choices": SNS_PROTOCOLS, "aws": "SNS Subscribe Protocol"},
                "endpoint": {"type": "str", "min_length": 1, "max_length": 2048},
            },
            "required": ("protocol", "endpoint"),
        },
    },
    "observability_ecs_cluster_name": ECS_NAME,
    "observability_ecs_service_name": ECS_NAME,
    "observability_db_instance_identifier": DB_IDENTIFIER,
    "observability_alb_name": ELB_NAME,
    "observability_target_group_name": ELB_NAME,
    "observability_alb_arn": {
        "type": "str",
        "pattern": r"^$|^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/app/\S+$",
        "says": "an application load balancer ARN",
        "note": "ecs_alb",
    },
    "observability_target_group_arn": {
        "type": "str",
        "pattern": r"^$|^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/\S+$",
        "says": "a target group ARN",
        "note": "ecs_alb",
    },
    "observability_alarm_period_seconds": _int(60, 86400, None, multiple_of=60),
    "observability_alarm_evaluation_periods": _int(1, 1440, "CloudWatch EvaluationPeriods"),
    "observability_ecs_cpu_high_percent": PERCENT,
    "observability_ecs_memory_high_percent": PERCENT,
    "observability_alb_5xx_count": _int(1),
    "observability_alb_unhealthy_hosts": _int(1),
    "observability_alb_response_time_seconds": {"type": "float", "min": 0.001, "max": 60},
    "observability_rds_cpu_high_percent": PERCENT,
    "observability_rds_free_storage_low_bytes": _int(1),
    "observability_rds_connections_high": _int(1),
    # --- posture (playbooks/verify.yml) ----------------------------------------------------------------------
    "posture_name_prefix": PREFIX,
    "posture_environment": ENVIRONMENT,
    "posture_vpc_name": {**TEXT, "min_length": 1, "note": "payments_names"},
    "posture_bucket_name_prefix": {**TEXT, "min_length": 1, "note": "payments_names"},
    "posture_access_log_bucket_name_prefix": {**TEXT, "min_length": 1, "note": "payments_names"},
    "posture_alb_access_logs_prefix": ACCESS_LOG_PREFIX,
    "posture_db_instance_identifier": DB_IDENTIFIER,
    "posture_alb_name": ELB_NAME,
    "posture_ecs_cluster_name": ECS_NAME,
    "posture_ecs_service_name": ECS_NAME,
    "posture_ecr_repository_name": ECR_NAME,
    "posture_flow_log_group_name": LOG_GROUP,
    "posture_flow_log_traffic_type": {"type": "str", "choices": ("ACCEPT", "REJECT", "ALL")},
    "posture_flow_log_role_name": {
        "type": "str",
        "pattern": r"^[\w+=,.@-]{1,64}$",
        "says": "1 to 64 letters, digits or + = , . @ _ -",
        "aws": "IAM RoleName",
    },
    "posture_internet_ports": {"type": "list", "elements": PORT},
    "posture_require_deletion_protection": {**BOOL, "protect": True},
    "posture_private_egress": BOOL,
    "posture_app_port": PORT,
    "posture_database_port": DB_PORT,
    "posture_alb_ingress_cidrs": {"type": "list", "elements": CIDR},
    # --- run_lock --------------------------------------------------------------------------------------------
    "run_lock_environment": ENVIRONMENT,
    "run_lock_region": {"type": "str", "format": "region", "note": "payments_region"},
    "run_lock_bucket": {
        "type": "str",
        "pattern": r"^$|^(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        "says": "empty, or an S3 bucket name (3 to 63 lower-case letters, digits, '.' or '-')",
    },
    "run_lock_bucket_prefix": {
        "type": "str",
        "pattern": r"^[a-z0-9][a-z0-9-]{0,23}$",
        "says": "1 to 24 lower-case letters, digits or '-' (the bucket adds -<account>-<region>)",
    },
    "run_lock_key": {"type": "str", "min_length": 1, "max_length": 1024, "aws": "S3 object keys"},
    "run_lock_tags": TAGS,
    "run_lock_purpose": TEXT,
    "run_lock_holder": TEXT,
    "run_lock_wait_timeout": SECONDS,
    "run_lock_poll_interval": {"type": "float", "min": 0.1, "max": 3600},
    "run_lock_stale_after": _int(60, 604800),
    "run_lock_take_over_dead_holder": BOOL,
    # --- adoption --------------------------------------------------------------------------------------------
    "adoption_environment": ENVIRONMENT,
    "adoption_name_prefix": PREFIX,
    "adoption_shared_names": {"type": "list", "elements": ECR_NAME},
    "adoption_tag_key": TAGS["keys"],
    "adoption_tag_value": TAGS["values"],
    "adoption_vpc_name": {**TEXT, "min_length": 1},
    "adoption_vpc_cidr": {**CIDR, "min": 16, "max": 28},
    "adoption_db_instance_identifier": DB_IDENTIFIER,
    "adoption_db_engine": {"type": "str", "choices": ("postgres",)},
    "adoption_types": {"type": "list", "elements": {"type": "str", "min_length": 1}},
}

_TRUE = ("yes", "on", "1", "true", "y", "t")
_FALSE = ("no", "off", "0", "false", "n", "f")


class Invalid(ValueError):
    """A value outside its limit; the message says what is valid."""


def _show(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def coerce(value, limit):  # noqa: PLR0911 (one return per type)
    """The value as its type, converted the way Ansible's argument specs convert ("10" -> 10, "yes" -> True)."""
    kind = limit["type"]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and str(value).lower() in _TRUE + _FALSE:
            return str(value).lower() in _TRUE
        raise Invalid("a boolean (true or false)")
    if kind == "int":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise Invalid("an integer")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise Invalid("an integer") from None
    if kind == "float":
        if isinstance(value, bool):
            raise Invalid("a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise Invalid("a number") from None
    if kind == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise Invalid("a string")
    if kind == "list":
        if isinstance(value, (list, tuple)):
            return list(value)
        raise Invalid("a list")
    if kind == "dict":
        if isinstance(value, dict):
            return dict(value)
        raise Invalid("a mapping (key: value)")
    raise ValueError(f"unknown limit type {kind!r}")


def describe(limit):
    """What the limit allows, in words (the refusals and the README say it this way)."""
    kind, parts = limit["type"], []
    noun = {
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "str": "a string",
        "list": "a list",
        "dict": "a mapping",
    }[kind]
    if limit.get("choices"):
        parts.append("one of " + ", ".join(str(c) for c in limit["choices"]))
    elif limit.get("format") == "cidr":
        parts.append(f"an IPv4 CIDR block with no host bits set, /{limit['min']} to /{limit['max']}")
    elif limit.get("format") == "region":
        parts.append("an AWS region such as us-east-1")
    elif limit.get("format") == "acm_arn":
        parts.append("empty, or an ACM certificate ARN arn:aws:acm:<region>:<account>:certificate/<id>")
    elif limit.get("format") == "kms_key":
        parts.append("empty, or a KMS key id, key ARN, alias/<name> or alias ARN")
    elif limit.get("says"):
        parts.append(limit["says"])
    elif kind in ("int", "float") and (limit.get("min") is not None or limit.get("max") is not None):
        lo, hi = limit.get("min"), limit.get("max")
        parts.append(
            f"{noun} from {lo} to {hi}"
            if lo is not None and hi is not None
            else f"{noun} of at least {lo}"
            if lo is not None
            else f"{noun} of at most {hi}"
        )
    else:
        parts.append(noun)
    if limit.get("multiple_of"):
        parts.append(f"a multiple of {limit['multiple_of']}")
    if kind in ("str", "list", "dict") and not limit.get("says"):
        lo, hi = limit.get("min_length"), limit.get("max_length")
        unit = "characters" if kind == "str" else "items"
        if lo is not None and hi is not None:
            parts.append(f"{lo} to {hi} {unit}")
        elif hi is not None:
            parts.append(f"at most {hi} {unit}")
        elif lo:
            parts.append(f"at least {lo} {unit}")
    if limit.get("reserved"):
        parts.append("not " + ", ".join(limit["reserved"]))
    if limit.get("says_more"):
        parts.append(limit["says_more"])
    return "; ".join(parts)


@cache
def _regions():
    """Every region of every partition the installed botocore knows (its partitions.json; no AWS call)."""
    with open(os.path.join(os.path.dirname(botocore.__file__), "data", "partitions.json")) as handle:
        return {region for partition in json.load(handle)["partitions"] for region in partition["regions"]}


def _check_format(value, limit):
    fmt = limit.get("format")
    if fmt == "cidr":
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise Invalid(f"valid is {describe(limit)} ({error})") from None
        if "/" not in value or not limit["min"] <= network.prefixlen <= limit["max"]:
            raise Invalid("valid is " + describe(limit))
    elif fmt == "region":
        if value not in _regions():
            raise Invalid(
                "valid is " + describe(limit) + " (one botocore knows: " + ", ".join(sorted(_regions())[:6]) + ", ...)"
            )
    elif fmt == "acm_arn":
        if value and not re.match(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$", value):
            raise Invalid("valid is " + describe(limit))
    elif fmt == "kms_key":
        if value and not re.match(
            r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/)?([0-9a-f-]{36}|mrk-[0-9a-f]{32}|alias/[\w/-]{1,250})$"
            r"|^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:alias/[\w/-]{1,250}$",
            value,
        ):
            raise Invalid("valid is " + describe(limit))


def check(value, limit):
    """The value converted to its type; Invalid (saying what is valid) when it is outside the limit."""
    try:
        value = coerce(value, limit)
    except Invalid as error:
        raise Invalid(f"it is not {error}; valid is {describe(limit)}") from None
    kind = limit["type"]
    if limit.get("choices") and value not in limit["choices"]:
        raise Invalid("valid is " + describe(limit))
    if kind in ("int", "float"):
        if (limit.get("min") is not None and value < limit["min"]) or (
            limit.get("max") is not None and value > limit["max"]
        ):
            raise Invalid("valid is " + describe(limit))
        if limit.get("multiple_of") and value % limit["multiple_of"]:
            raise Invalid("valid is " + describe(limit))
    if kind in ("str", "list", "dict"):
        if limit.get("min_length") is not None and len(value) < limit["min_length"]:
            raise Invalid("valid is " + describe(limit))
        if limit.get("max_length") is not None and len(value) > limit["max_length"]:
            raise Invalid("valid is " + describe(limit))
    if kind == "str":
        if limit.get("pattern") and not re.match(limit["pattern"], value):
            raise Invalid("valid is " + describe(limit))
        if value.lower() in [r.lower() for r in limit.get("reserved", ())]:
            raise Invalid("valid is " + describe(limit))
        _check_format(value, limit)
    return value


def _items(name, value, limit):
    """(label, item value, item limit) of a list's elements, a dict's keys and values, a list of dicts' options."""
    if limit["type"] == "list" and limit.get("elements"):
        for index, item in enumerate(value):
            yield f"{name}[{index}]", item, limit["elements"]
    if limit["type"] == "dict":
        for key, item in value.items():
            if limit.get("keys"):
                yield f"{name} key", key, limit["keys"]
            if limit.get("values"):
                yield f"{name}[{key!r}]", item, limit["values"]
        if limit.get("options"):
            for key in limit.get("required", ()):
                if key not in value:
                    yield f"{name}.{key}", None, {"type": "str", "missing": True}
            for key, item in value.items():
                if key not in limit["options"]:
                    yield f"{name}.{key}", item, {"type": "str", "unknown": tuple(limit["options"])}
                else:
                    yield f"{name}.{key}", item, limit["options"][key]


def refusal(name, value, limit):
    """None when the value is within its limit (its items too), else the message naming it."""
    try:
        converted = check(value, limit)
    except Invalid as error:
        note = f" (it is made from {limit['note']})" if limit.get("note") else ""
        aws = f" [{limit['aws']}]" if limit.get("aws") else ""
        return f"{name}={_show(value)} is invalid: {error}{aws}{note}."
    if limit["type"] == "dict" and limit.get("reserved") and limit.get("keys"):
        taken = [k for k in converted if str(k).lower() in [r.lower() for r in limit["reserved"]]]
        if taken:
            return (
                f"{name}={_show(value)} is invalid: {', '.join(taken)} cannot be set here "
                f"({', '.join(limit['reserved'])} are the project's own)."
            )
    for label, item, item_limit in _items(name, converted, limit):
        if item_limit.get("missing"):
            return f"{label} is missing: it is required."
        if item_limit.get("unknown"):
            return f"{label} is not a known key: valid keys are {', '.join(item_limit['unknown'])}."
        found = refusal(label, item, item_limit)
        if found:
            return found
    return None


# --- rules that join several variables: (the variables, the rule); a rule runs when each is set and valid ------
RULES = []


def rule(*needs):
    def register(function):
        RULES.append((needs, function))
        return function

    return register


@rule("network_app_port", "network_database_port")
def _ports_differ(v):
    if v["network_app_port"] == v["network_database_port"]:
        return (
            f"network_database_port={v['network_database_port']} equals network_app_port: the two tiers need "
            "different ports (payments_database_port, payments_app_port)."
        )


_OFFSETS = ("network_public_subnet_offset", "network_private_subnet_offset", "network_database_subnet_offset")


@rule("network_vpc_cidr", "network_subnet_newbits", "network_az_count", *_OFFSETS)
def _subnet_plan(v):
    prefix = int(v["network_vpc_cidr"].split("/")[1])
    newbits, azs = v["network_subnet_newbits"], v["network_az_count"]
    if prefix + newbits > 28:
        return (
            f"network_subnet_newbits={newbits} on network_vpc_cidr={v['network_vpc_cidr']} gives /{prefix + newbits} "
            f"subnets, below AWS's smallest subnet (/28): valid is 1 to {28 - prefix}."
        )
    count = 2**newbits
    for name in _OFFSETS:
        if v[name] + azs > count:
            return (
                f"{name}={v[name]} with network_az_count={azs} needs subnet numbers {v[name]} to {v[name] + azs - 1}, "
                f"but network_subnet_newbits={newbits} splits {v['network_vpc_cidr']} into {count} subnets "
                f"(0 to {count - 1}): valid is 0 to {count - azs}."
            )
    starts = sorted(v[name] for name in _OFFSETS)
    if any(b - a < azs for a, b in itertools.pairwise(starts)):
        return (
            "network_public_subnet_offset, network_private_subnet_offset and network_database_subnet_offset "
            f"({', '.join(str(v[n]) for n in _OFFSETS)}) must be at least network_az_count={azs} apart, "
            "so that no two subnets overlap."
        )


@rule("ecr_encryption_type", "ecr_kms_key")
def _ecr_key(v):
    if v["ecr_kms_key"] and v["ecr_encryption_type"] != "KMS":
        return (
            f"ecr_kms_key={v['ecr_kms_key']!r} is set but ecr_encryption_type={v['ecr_encryption_type']}: "
            "set ecr_encryption_type=KMS to use a KMS key, or leave ecr_kms_key empty."
        )


@rule("ecr_lifecycle_rules")
def _ecr_lifecycle(v):
    try:
        render_rules(v["ecr_lifecycle_rules"], where="ecr_lifecycle_rules")
    except LifecyclePolicyError as error:
        return f"ecr_lifecycle_rules={_show(v['ecr_lifecycle_rules'])} is invalid: {error} [ECR lifecycle policy]."


@rule("s3_encryption", "s3_kms_key_id")
def _s3_key(v):
    if v["s3_kms_key_id"] and v["s3_encryption"] != "aws:kms":
        return (
            f"s3_kms_key_id={v['s3_kms_key_id']!r} is set but s3_encryption={v['s3_encryption']}: "
            "set s3_encryption=aws:kms, or leave s3_kms_key_id empty."
        )


@rule("s3_lifecycle_standard_ia_days", "s3_lifecycle_glacier_days", "s3_lifecycle_expiration_days")
def _s3_days(v):
    ia, glacier, expiration = (v[f"s3_lifecycle_{k}_days"] for k in ("standard_ia", "glacier", "expiration"))
    if glacier <= ia:
        return (
            f"s3_lifecycle_glacier_days={glacier} is invalid: it must be greater than "
            f"s3_lifecycle_standard_ia_days={ia} (S3: GLACIER after STANDARD_IA)."
        )
    if expiration <= glacier:
        return (
            f"s3_lifecycle_expiration_days={expiration} is invalid: it must be greater than "
            f"s3_lifecycle_glacier_days={glacier}."
        )


@rule("s3_access_log_prefix", "ecs_alb_access_logs_prefix")
def _access_log_prefix(v):
    # The bucket policy lets ELB write under s3_access_log_prefix only: the load balancer must use that one.
    if v["s3_access_log_prefix"] != v["ecs_alb_access_logs_prefix"]:
        return (
            f"ecs_alb_access_logs_prefix={v['ecs_alb_access_logs_prefix']!r} differs from "
            f"s3_access_log_prefix={v['s3_access_log_prefix']!r}: the access-log bucket's policy lets the load "
            "balancer write under s3_access_log_prefix only. Give both the same value."
        )


@rule("rds_allocated_storage", "rds_max_allocated_storage")
def _rds_autoscaling(v):
    # RDS User Guide: the maximum storage threshold is at least 10% more than the allocated storage.
    least = -(-v["rds_allocated_storage"] * 11 // 10)
    if v["rds_max_allocated_storage"] and v["rds_max_allocated_storage"] < least:
        return (
            f"rds_max_allocated_storage={v['rds_max_allocated_storage']} is invalid: 0 (no storage autoscaling) "
            f"or at least 10% more than rds_allocated_storage={v['rds_allocated_storage']}, i.e. {least} or more "
            "[RDS storage autoscaling]."
        )


@rule("rds_storage_type", "rds_allocated_storage", "rds_iops", "rds_storage_throughput")
def _rds_performance(v):
    kind, storage, iops, throughput = (
        v[k] for k in ("rds_storage_type", "rds_allocated_storage", "rds_iops", "rds_storage_throughput")
    )
    if kind == "gp3" and storage < 400 and (iops or throughput):
        return (
            f"rds_iops={iops} / rds_storage_throughput={throughput} are invalid for gp3 under 400 GiB "
            f"(rds_allocated_storage={storage}): AWS gives the 3000 IOPS / 125 MiB/s baseline there and refuses "
            "explicit values. Leave both 0, or allocate 400 GiB or more."
        )
    if kind == "gp3" and iops and not 3000 <= iops <= 64000:
        return f"rds_iops={iops} is invalid for gp3: valid is 0 (the baseline) or 3000 to 64000."
    if kind in ("io1", "io2") and not 1000 <= iops <= 256000:
        return f"rds_storage_type={kind} needs rds_iops (provisioned IOPS) from 1000 to 256000, got {iops}."
    if kind in ("io1", "io2"):
        return _rds_provisioned_iops(kind, storage, iops)
    if kind != "gp3" and throughput:
        return f"rds_storage_throughput={throughput} is invalid for rds_storage_type={kind}: only gp3 takes it; use 0."


# RDS User Guide, Provisioned IOPS SSD storage: 100 GiB at least; io1 0.5 to 50 IOPS per GiB, io2 0.5 to 1000.
IOPS_PER_GIB = {"io1": (0.5, 50), "io2": (0.5, 1000)}


def _rds_provisioned_iops(kind, storage, iops):
    if storage < 100:
        return f"rds_storage_type={kind} needs rds_allocated_storage of 100 GiB or more, got {storage}."
    low, high = IOPS_PER_GIB[kind]
    if not low <= iops / storage <= high:
        return (
            f"rds_iops={iops} with rds_allocated_storage={storage} is {iops / storage:g} IOPS per GiB: {kind} takes "
            f"{low:g} to {high:g} IOPS per GiB, i.e. {int(low * storage)} to {int(high * storage)} IOPS here."
        )
    return None


@rule("rds_parameters")
def _rds_force_ssl(v):
    if "rds.force_ssl" in v["rds_parameters"]:
        return (
            f"rds_parameters['rds.force_ssl']={v['rds_parameters']['rds.force_ssl']!r} is refused: TLS enforcement "
            "is on for every instance (the role's secure base). To switch it off, set "
            "rds_allow_plaintext_connections: true (a production environment also needs -e confirm)."
        )


@rule("ecs_alb_task_cpu", "ecs_alb_task_memory")
def _fargate_size(v):
    valid = FARGATE_MEMORY[v["ecs_alb_task_cpu"]]
    if v["ecs_alb_task_memory"] not in valid:
        return (
            f"ecs_alb_task_memory={v['ecs_alb_task_memory']} does not fit ecs_alb_task_cpu={v['ecs_alb_task_cpu']} "
            f"on Fargate: valid memory (MiB) for {v['ecs_alb_task_cpu']} CPU units is "
            f"{', '.join(str(m) for m in valid)}."
        )


@rule(
    "ecs_alb_autoscaling_enabled",
    "ecs_alb_autoscaling_min_capacity",
    "ecs_alb_autoscaling_max_capacity",
    "ecs_alb_desired_count",
)
def _scaling_bounds(v):
    if not v["ecs_alb_autoscaling_enabled"]:
        return None
    low, high, desired = (
        v[f"ecs_alb_{k}"] for k in ("autoscaling_min_capacity", "autoscaling_max_capacity", "desired_count")
    )
    if low > high:
        return (
            f"ecs_alb_autoscaling_max_capacity={high} is below ecs_alb_autoscaling_min_capacity={low}: "
            "the maximum must be at least the minimum."
        )
    if not low <= desired <= high:
        return (
            f"ecs_alb_desired_count={desired} is outside the auto scaling bounds: valid is {low} to {high} "
            "(ecs_alb_autoscaling_min_capacity to ecs_alb_autoscaling_max_capacity)."
        )


@rule("ecs_alb_certificate_arn", "ecs_alb_self_signed_certificate", "ecs_alb_region")
def _certificate(v):
    arn, region = v["ecs_alb_certificate_arn"], v["ecs_alb_region"]
    if arn and arn.split(":")[3] != region:
        return (
            f"ecs_alb_certificate_arn={arn} is a certificate of region {arn.split(':')[3]}: an ALB takes "
            f"certificates of its own region ({region}) only."
        )
    if not arn and not v["ecs_alb_self_signed_certificate"]:
        return (
            "ecs_alb_certificate_arn is empty and a self-signed certificate is not allowed here (a production "
            "environment needs a real one): set payments_certificate_arn (group_vars/<environment>.yml) to the "
            "issued ACM certificate of the public name; only for a private or local environment, allow a "
            "self-signed one (payments_self_signed_certificate_allowed: true; ecs_alb_self_signed_certificate: "
            "true for the role alone)."
        )


@rule("observability_alarm_period_seconds", "observability_alarm_evaluation_periods")
def _alarm_window(v):
    period, periods = v["observability_alarm_period_seconds"], v["observability_alarm_evaluation_periods"]
    most = 86400 if period < 3600 else 604800
    if period * periods > most:
        return (
            f"observability_alarm_evaluation_periods={periods} x observability_alarm_period_seconds={period} is "
            f"{period * periods} s: CloudWatch evaluates at most {most} s "
            f"({'one day, for periods under an hour' if most == 86400 else 'seven days'}); "
            f"valid is 1 to {most // period} periods."
        )


_ENDPOINTS = {
    "email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address"),
    "email-json": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address"),
    "https": (r"^https://\S+$", "an https:// URL"),
    "http": (r"^http://\S+$", "an http:// URL"),
    "sms": (r"^\+?[0-9]{7,15}$", "a phone number in E.164 form (+15555550100)"),
    "sqs": (r"^arn:aws[a-z-]*:sqs:\S+$", "an SQS queue ARN"),
    "lambda": (r"^arn:aws[a-z-]*:lambda:\S+$", "a Lambda function ARN"),
    "firehose": (r"^arn:aws[a-z-]*:firehose:\S+$", "a Firehose stream ARN"),
    "application": (r"^arn:aws[a-z-]*:sns:\S+$", "a platform endpoint ARN"),
}


@rule("observability_alarm_subscriptions")
def _subscription_endpoints(v):
    for index, item in enumerate(v["observability_alarm_subscriptions"]):
        pattern, says = _ENDPOINTS[item["protocol"]]
        if not re.match(pattern, str(item["endpoint"])):
            return (
                f"observability_alarm_subscriptions[{index}].endpoint={item['endpoint']!r} is invalid for protocol "
                f"{item['protocol']}: valid is {says} [SNS Subscribe Endpoint]."
            )


def protections(values, environment):
    """The protections the values lower on a production environment: one message naming each, or None."""
    lowered = []
    for name, value in values.items():
        keep = LIMITS.get(name, {}).get("protect")
        if keep is None:
            continue
        if (isinstance(keep, bool) and value != keep) or (not isinstance(keep, bool) and value < keep):
            lowered.append(
                f"{name}={str(value).lower()} (production keeps "
                f"{str(keep).lower() if isinstance(keep, bool) else f'{keep} or more'})"
            )
    if not lowered:
        return None
    return (
        f"Environment {environment} is production (payments_production): {'; '.join(lowered)} lowers its "
        f"protection, which a plain run does not do. Nothing was changed. To do it on purpose, run again with "
        f"-e confirm={environment} (the confirmation teardown needs)."
    )


def refusals(values, production=False, confirmed=False, environment="", made_of=None):
    """Every refusal of the values ({variable: value}, the variables this run sets): [] when all are valid.

    Each variable against its limit; then each rule whose variables are all valid; then, on a production
    environment that is not confirmed, the protections the values lower. made_of: {variable: the variables its
    value is a template of}, so that a refusal is said once, of the variable that was set.
    """
    found, valid, refused = [], {}, set()
    for name, value in values.items():
        limit = LIMITS.get(name)
        if limit is None:
            continue
        message = refusal(name, value, limit)
        if message:
            refused.add(name)
            # A variable made of one already refused (wiring) repeats that refusal: said once.
            if not (made_of or {}).get(name, set()) & refused:
                found.append(message)
        else:
            valid[name] = check(value, limit)
    for needs, function in RULES:
        if all(name in valid for name in needs):
            message = function(valid)
            if message:
                found.append(message)
    if production and not confirmed and not found:
        message = protections(valid, environment)
        if message:
            found.append(message)
    return found
