"""AWS-fidelity layer: small monkeypatches that make moto answer the way AWS does.

Rule: make moto answer like AWS; never adapt clients to moto. Each patch is a function in the module of its
service whose docstring states the AWS behaviour it restores. Patches touch moto internals; the emulator
server process (``python -m emulator serve``) applies them at start, and the unit tests apply them to moto's
in-process mock so that module tests see the same AWS behaviour.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.fidelity import acm
from emulator.fidelity import autoscaling
from emulator.fidelity import cloudwatch
from emulator.fidelity import ec2
from emulator.fidelity import ecr
from emulator.fidelity import ecs
from emulator.fidelity import elbv2
from emulator.fidelity import iam
from emulator.fidelity import logs
from emulator.fidelity import rds
from emulator.fidelity import s3
from emulator.fidelity import sns

PATCHES: list[Callable[[], None]] = [
    acm.imported_chain_as_given,
    acm.reimport_in_place,
    acm.in_use_by_load_balancers,
    acm.delete_in_use_refused,
    acm.describe_certificate_details,
    acm.list_certificates_summaries,
    elbv2.application_load_balancer_attributes,
    elbv2.deletion_protection_enforced,
    elbv2.target_group_default_attributes,
    elbv2.listener_ssl_policy_only_for_tls,
    elbv2.action_defaults,
    elbv2.ecs_service_targets,
    elbv2.load_balancer_name_rules,
    elbv2.load_balancer_idle_timeout_range,
    elbv2.access_log_bucket_validation,
    elbv2.target_group_health_check_limits,
    elbv2.deregistration_delay_range,
    elbv2.load_balancer_latency,
    ec2.describe_tags_resource_types,
    ec2.nat_gateway_private_ip_in_subnet,
    ec2.nat_gateway_tag_filters,
    ec2.client_token_idempotency,
    ec2.flow_log_destination_both_ways,
    ec2.security_group_name_rules,
    ec2.security_group_rule_port_ranges,
    ec2.subnet_prefix_range,
    ec2.cidr_blocks_canonical,
    ec2.nat_gateway_latency,
    rds.gp3_baseline_performance,
    rds.describe_db_engine_versions,
    rds.describe_engine_default_parameters,
    rds.describe_orderable_db_instance_options,
    rds.parameter_group_not_found,
    rds.parameter_group_family_validation,
    rds.describe_db_parameters_full,
    rds.modify_db_parameter_group_validation,
    rds.reset_db_parameter_group,
    rds.parameter_group_in_use,
    rds.postgres_instance_validation,
    rds.incompatible_parameters_status,
    rds.managed_master_secret_content,
    rds.modify_db_subnet_group_keeps_the_group,
    rds.db_instance_latency,
    autoscaling.deregister_deletes_policies,
    autoscaling.scalable_target_capacity_limits,
    autoscaling.target_tracking_limits,
    s3.lifecycle_rule_validation,
    s3.lifecycle_object_size_filters,
    s3.lifecycle_noncurrent_expiration_newer_versions,
    s3.conditional_writes_atomic,
    s3.bucket_policy_conditions,
    s3.bucket_name_rules,
    ecr.lifecycle_policy_validation,
    ecr.repository_name_rules,
    ecs.update_cluster_settings,
    ecs.delete_cluster_with_services,
    ecs.create_service_settings,
    ecs.create_service_client_token,
    ecs.awsvpc_without_security_groups,
    ecs.update_service_task_definition_arn,
    ecs.service_deployments,
    ecs.failing_images,
    ecs.deployment_latency,
    ecs.service_load_balancer_container_ports,
    ecs.fargate_task_definition_requirements,
    ecs.task_definition_container_rules,
    ecs.register_task_definition_returns_tags,
    ecs.describe_task_definition_latest_active,
    ecs.list_task_definitions_sorted_and_paged,
    ecs.service_count_and_grace_period_limits,
    logs.log_group_name_rules,
    logs.retention_days_enum,
    cloudwatch.metric_alarm_limits,
    cloudwatch.alarm_tags_on_create_only,
    cloudwatch.delete_alarms_deletes_tags,
    sns.subscribe_protocol_and_endpoint,
    iam.role_name_rules,
]

_applied: list[str] = []


def patch_name(patch: Callable[[], None]) -> str:
    """Public name of a patch, e.g. ``ec2.describe_tags_resource_types``."""
    return f"{patch.__module__.rpartition('.')[2]}.{patch.__name__}"


def apply_all() -> list[str]:
    """Apply every registered patch once (repeat calls are no-ops) and return the names of the applied patches."""
    for patch in PATCHES:
        name = patch_name(patch)
        if name not in _applied:
            patch()
            _applied.append(name)
    return list(_applied)
