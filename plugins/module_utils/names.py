# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one names table: the name of every resource of an environment, from the name prefix and the environment.

The rule is ``<prefix>-<kind>-<environment>`` (``-<az>`` added for a resource of one AZ); the few names AWS or
the design shape otherwise (log group paths, name prefixes that a suffix completes, the shared repository) are
written here too, so that no role, playbook, filter or test spells a name pattern of its own.
"""

from __future__ import annotations

# kind: the pattern of its name ({prefix}, {environment}). A key ending in _prefix is completed by a suffix
# (an AZ, an account id, an alarm's kind).
NAMES = {
    "vpc": "{prefix}-vpc-{environment}",
    "internet_gateway": "{prefix}-igw-{environment}",
    "nat_gateway_prefix": "{prefix}-nat-{environment}-",
    "flow_log": "{prefix}-vpc-flow-log-{environment}",
    "flow_log_role": "{prefix}-vpc-flow-logs-{environment}",
    "flow_log_group": "/{prefix}/{environment}/vpc-flow-logs",
    "alb_security_group": "{prefix}-alb-sg-{environment}",
    "app_security_group": "{prefix}-app-sg-{environment}",
    "db_security_group": "{prefix}-db-sg-{environment}",
    "ecs_cluster": "{prefix}-cluster-{environment}",
    "ecs_service": "{prefix}-api-{environment}",
    "alb": "{prefix}-alb-{environment}",
    "target_group": "{prefix}-tg-{environment}",
    "certificate": "{prefix}-cert-{environment}",
    "task_execution_role": "{prefix}-task-execution-{environment}",
    "task_role": "{prefix}-task-{environment}",
    "autoscaling_policy": "{prefix}-cpu-target-{environment}",
    "app_log_group": "/{prefix}/{environment}/app",
    "db_instance": "{prefix}-db-{environment}",
    "db_subnet_group": "{prefix}-db-subnets-{environment}",
    "db_parameter_group": "{prefix}-db-params-{environment}",
    "bucket_prefix": "{prefix}-logs-{environment}-",
    # The load balancer's access logs (SSE-S3 only): not under bucket_prefix, which names one bucket alone.
    "access_log_bucket_prefix": "{prefix}-alb-logs-{environment}-",
    "alarm_topic": "{prefix}-alarms-{environment}",
    "alarm_prefix": "{prefix}-{environment}-",
    # Shared by every environment of the account: no environment in the name.
    "ecr_repository": "{prefix}-api",
    "lock_bucket_prefix": "{prefix}-infra-state",
}


def resource_name(prefix, kind, environment, az=None):
    """The rule of names the table's per-AZ and per-tier resources follow: ``<prefix>-<kind>-<env>[-<az>]``."""
    return f"{prefix}-{kind}-{environment}" + (f"-{az}" if az else "")


def resource_names(prefix, environment):
    """{kind: name} of every resource of ``environment``, from the table."""
    if not prefix or not environment:
        raise ValueError(f"resource_names needs a name prefix and an environment, got {prefix!r} and {environment!r}")
    return {kind: pattern.format(prefix=prefix, environment=environment) for kind, pattern in NAMES.items()}
