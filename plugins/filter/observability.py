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
    for arg, value in (("name_prefix", name_prefix), ("environment", environment)):
        if not isinstance(value, str) or not value:
            raise AnsibleFilterError(f"alarm_specs: {arg} must be a non-empty string, got {value!r}")
    if not isinstance(thresholds, Mapping):
        raise AnsibleFilterError(f"alarm_specs: thresholds must be a dict, got {thresholds!r}")
    missing = [key for key in THRESHOLDS if thresholds.get(key) is None]
    if missing:
        raise AnsibleFilterError(f"alarm_specs: thresholds lack {', '.join(missing)}")
    t = thresholds
    ecs = {"ClusterName": ecs_cluster_name, "ServiceName": ecs_service_name}
    db = {"DBInstanceIdentifier": db_instance_identifier}
    alarms = [
        _alarm(
            "ecs-cpu-high",
            f"ECS service {ecs_service_name} CPU above {t['ecs_cpu_high_percent']}%",
            "AWS/ECS",
            "CPUUtilization",
            "Average",
            "GreaterThanThreshold",
            t["ecs_cpu_high_percent"],
            dict(ecs),
        ),
        _alarm(
            "ecs-memory-high",
            f"ECS service {ecs_service_name} memory above {t['ecs_memory_high_percent']}%",
            "AWS/ECS",
            "MemoryUtilization",
            "Average",
            "GreaterThanThreshold",
            t["ecs_memory_high_percent"],
            dict(ecs),
        ),
        _alarm(
            "rds-cpu-high",
            f"Database {db_instance_identifier} CPU above {t['rds_cpu_high_percent']}%",
            "AWS/RDS",
            "CPUUtilization",
            "Average",
            "GreaterThanThreshold",
            t["rds_cpu_high_percent"],
            dict(db),
        ),
        _alarm(
            "rds-free-storage-low",
            f"Database {db_instance_identifier} free storage below {t['rds_free_storage_low_bytes']} bytes",
            "AWS/RDS",
            "FreeStorageSpace",
            "Minimum",
            "LessThanThreshold",
            t["rds_free_storage_low_bytes"],
            dict(db),
        ),
        _alarm(
            "rds-connections-high",
            f"Database {db_instance_identifier} connections above {t['rds_connections_high']}",
            "AWS/RDS",
            "DatabaseConnections",
            "Maximum",
            "GreaterThanThreshold",
            t["rds_connections_high"],
            dict(db),
        ),
    ]
    lb_arn = _first_arn(load_balancers, "load_balancer_arn", "load_balancers")
    if lb_arn is not None:
        if ":loadbalancer/" not in lb_arn:
            raise AnsibleFilterError(f"alarm_specs: {lb_arn!r} is not a load balancer ARN")
        lb = lb_arn.split(":loadbalancer/")[1]
        alarms += [
            _alarm(
                "alb-5xx",
                f"Load balancer {alb_name} 5xx responses above {t['alb_5xx_count']} per period",
                "AWS/ApplicationELB",
                "HTTPCode_ELB_5XX_Count",
                "Sum",
                "GreaterThanThreshold",
                t["alb_5xx_count"],
                {"LoadBalancer": lb},
                missing="notBreaching",
            ),
            _alarm(
                "alb-target-5xx",
                f"Targets of {alb_name} answered 5xx more than {t['alb_5xx_count']} times per period",
                "AWS/ApplicationELB",
                "HTTPCode_Target_5XX_Count",
                "Sum",
                "GreaterThanThreshold",
                t["alb_5xx_count"],
                {"LoadBalancer": lb},
                missing="notBreaching",
            ),
            _alarm(
                "alb-response-time",
                f"Average target response time of {alb_name} above {t['alb_response_time_seconds']} s",
                "AWS/ApplicationELB",
                "TargetResponseTime",
                "Average",
                "GreaterThanThreshold",
                t["alb_response_time_seconds"],
                {"LoadBalancer": lb},
            ),
        ]
        tg_arn = _first_arn(target_groups, "target_group_arn", "target_groups")
        if tg_arn is not None:
            alarms.append(
                _alarm(
                    "alb-unhealthy-hosts",
                    f"Unhealthy targets in {target_group_name} at or above {t['alb_unhealthy_hosts']}",
                    "AWS/ApplicationELB",
                    "UnHealthyHostCount",
                    "Maximum",
                    "GreaterThanOrEqualToThreshold",
                    t["alb_unhealthy_hosts"],
                    {"LoadBalancer": lb, "TargetGroup": tg_arn.split(":")[-1]},
                )
            )
    prefix = resource_names(name_prefix, environment)["alarm_prefix"]
    return [{"alarm_name": prefix + alarm["name"], **alarm} for alarm in alarms]


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
