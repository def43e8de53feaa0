# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CloudWatch metric alarms of one environment (the observability role's), computed from explicit inputs."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.names import resource_names

# Every threshold alarm_specs needs, one per alarm kind (the ALB 5xx count serves two alarms).
THRESHOLDS = (
    "ecs_cpu_high_percent",
    "ecs_memory_high_percent",
    "rds_cpu_high_percent",
    "rds_free_storage_low_bytes",
    "rds_connections_high",
    "alb_5xx_count",
    "alb_response_time_seconds",
    "alb_unhealthy_hosts",
)


def _first_arn(found, key, what):
    """The ARN under ``key`` of the first entry of an *_info module's list, or None for an empty list."""
    if not found:
        return None
    arn = found[0].get(key) if isinstance(found[0], Mapping) else None
    if not isinstance(arn, str) or not arn:
        raise AnsibleFilterError(f"alarm_specs: the first of {what} has no {key}: {found[0]!r}")
    return arn


def _alarm(name, description, namespace, metric, statistic, comparison, threshold, dimensions, missing=None):
    alarm = {
        "name": name,
        "description": description,
        "namespace": namespace,
        "metric": metric,
        "statistic": statistic,
        "comparison": comparison,
        "threshold": threshold,
        "dimensions": dimensions,
    }
    if missing is not None:
        alarm["missing"] = missing
    return alarm


# The alarms, in the order they are made: (name, the dimensions they need, description, namespace, metric,
# statistic, comparison, the threshold's key in THRESHOLDS, treat_missing_data or None). The description names
# {service}, {db}, {alb}, {target_group} and {threshold}. "alb" alarms exist only with a load balancer, "target"
# ones only with a target group too.
ALARMS = (
    ("ecs-cpu-high", "ecs", "ECS service {service} CPU above {threshold}%", "AWS/ECS", "CPUUtilization",
     "Average", "GreaterThanThreshold", "ecs_cpu_high_percent", None),
    ("ecs-memory-high", "ecs", "ECS service {service} memory above {threshold}%", "AWS/ECS", "MemoryUtilization",
     "Average", "GreaterThanThreshold", "ecs_memory_high_percent", None),
    ("rds-cpu-high", "db", "Database {db} CPU above {threshold}%", "AWS/RDS", "CPUUtilization",
     "Average", "GreaterThanThreshold", "rds_cpu_high_percent", None),
    ("rds-free-storage-low", "db", "Database {db} free storage below {threshold} bytes", "AWS/RDS",
     "FreeStorageSpace", "Minimum", "LessThanThreshold", "rds_free_storage_low_bytes", None),
    ("rds-connections-high", "db", "Database {db} connections above {threshold}", "AWS/RDS", "DatabaseConnections",
     "Maximum", "GreaterThanThreshold", "rds_connections_high", None),
    ("alb-5xx", "alb", "Load balancer {alb} 5xx responses above {threshold} per period", "AWS/ApplicationELB",
     "HTTPCode_ELB_5XX_Count", "Sum", "GreaterThanThreshold", "alb_5xx_count", "notBreaching"),
    ("alb-target-5xx", "alb", "Targets of {alb} answered 5xx more than {threshold} times per period",
     "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", "GreaterThanThreshold", "alb_5xx_count",
     "notBreaching"),
    ("alb-response-time", "alb", "Average target response time of {alb} above {threshold} s", "AWS/ApplicationELB",
     "TargetResponseTime", "Average", "GreaterThanThreshold", "alb_response_time_seconds", None),
    ("alb-unhealthy-hosts", "target", "Unhealthy targets in {target_group} at or above {threshold}",
     "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", "GreaterThanOrEqualToThreshold", "alb_unhealthy_hosts",
     None),
)  # fmt: skip


def _check_alarm_args(name_prefix, environment, thresholds):
    for arg, value in (("name_prefix", name_prefix), ("environment", environment)):
        if not isinstance(value, str) or not value:
            raise AnsibleFilterError(f"alarm_specs: {arg} must be a non-empty string, got {value!r}")
    if not isinstance(thresholds, Mapping):
        raise AnsibleFilterError(f"alarm_specs: thresholds must be a dict, got {thresholds!r}")
    missing = [key for key in THRESHOLDS if thresholds.get(key) is None]
    if missing:
        raise AnsibleFilterError(f"alarm_specs: thresholds lack {', '.join(missing)}")


def _alarm_dimensions(ecs_cluster_name, ecs_service_name, db_instance_identifier, load_balancers, target_groups):
    """{group of ALARMS: its dimensions}, for the groups whose resources are there."""
    dimensions = {
        "ecs": {"ClusterName": ecs_cluster_name, "ServiceName": ecs_service_name},
        "db": {"DBInstanceIdentifier": db_instance_identifier},
    }
    lb_arn = _first_arn(load_balancers, "load_balancer_arn", "load_balancers")
    if lb_arn is None:
        return dimensions
    if ":loadbalancer/" not in lb_arn:
        raise AnsibleFilterError(f"alarm_specs: {lb_arn!r} is not a load balancer ARN")
    lb = lb_arn.split(":loadbalancer/")[1]
    dimensions["alb"] = {"LoadBalancer": lb}
    tg_arn = _first_arn(target_groups, "target_group_arn", "target_groups")
    if tg_arn is not None:
        dimensions["target"] = {"LoadBalancer": lb, "TargetGroup": tg_arn.split(":")[-1]}
    return dimensions


def alarm_specs(
    name_prefix,
    environment,
    ecs_cluster_name,
    ecs_service_name,
    db_instance_identifier,
    alb_name,
    target_group_name,
    thresholds,
    load_balancers=(),
    target_groups=(),
):
    """The metric alarms of one environment, in the order they are made.

    Each is a dict: ``name`` (short, e.g. ``ecs-cpu-high``), ``alarm_name`` (``<prefix>-<environment>-<name>``),
    ``description``, ``namespace``, ``metric``, ``statistic``, ``comparison``, ``threshold`` (as given),
    ``dimensions`` and, for the ALB 5xx alarms only, ``missing`` (their treat_missing_data: notBreaching).

    The ECS and RDS alarms are always there. The ALB alarms need the load balancer's ARN suffix, so they exist
    only when ``load_balancers`` (amazon.aws.elb_application_lb_info's list) names one; the unhealthy-hosts
    alarm also needs the target group's, from ``target_groups`` (community.aws.elb_target_group_info's list).
    ``thresholds`` maps each name of THRESHOLDS to its value.
    """
    _check_alarm_args(name_prefix, environment, thresholds)
    dimensions = _alarm_dimensions(
        ecs_cluster_name, ecs_service_name, db_instance_identifier, load_balancers, target_groups
    )
    names = {"service": ecs_service_name, "db": db_instance_identifier, "alb": alb_name}
    names["target_group"] = target_group_name
    prefix = resource_names(name_prefix, environment)["alarm_prefix"]
    alarms = []
    for name, group, description, namespace, metric, statistic, comparison, key, missing in ALARMS:
        if group not in dimensions:
            continue
        threshold = thresholds[key]
        text = description.format(threshold=threshold, **names)
        alarm = _alarm(
            name, text, namespace, metric, statistic, comparison, threshold, dict(dimensions[group]), missing
        )
        alarms.append({"alarm_name": prefix + name, **alarm})
    return alarms


def metric_alarms(specs, period, evaluation_periods, actions):
    """The ``alarms`` of payments.infra.cloudwatch_metric_alarms for the alarms of ``alarm_specs``: each notifying
    ``actions`` (the alarm topic's ARN) when it goes to ALARM and back to OK, over ``evaluation_periods`` periods of
    ``period`` seconds; treat_missing_data ``missing`` unless the spec says otherwise."""
    for arg, value in (("period", period), ("evaluation_periods", evaluation_periods)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise AnsibleFilterError(f"metric_alarms: {arg} must be a positive integer, got {value!r}")
    if not isinstance(actions, (list, tuple)) or not actions or not all(isinstance(a, str) and a for a in actions):
        raise AnsibleFilterError(f"metric_alarms: actions must be a non-empty list of ARNs, got {actions!r}")
    alarms = []
    for spec in specs or []:
        if not isinstance(spec, Mapping) or not spec.get("alarm_name"):
            raise AnsibleFilterError(f"metric_alarms: {spec!r} is not an alarm of alarm_specs (no alarm_name)")
        alarms.append(
            {
                "name": spec["alarm_name"],
                "description": spec["description"],
                "namespace": spec["namespace"],
                "metric_name": spec["metric"],
                "statistic": spec["statistic"],
                "comparison": spec["comparison"],
                "threshold": float(spec["threshold"]),
                "period": period,
                "evaluation_periods": evaluation_periods,
                "dimensions": dict(spec["dimensions"]),
                "treat_missing_data": spec.get("missing", "missing"),
                "alarm_actions": list(actions),
                "ok_actions": list(actions),
            }
        )
    return alarms


class FilterModule:
    def filters(self):
        return {"alarm_specs": alarm_specs, "metric_alarms": metric_alarms}
