"""Day-2 changes of the ecs_alb and observability tiers on a live dev (issue 12): the plan
(``--check --diff``) makes no mutating call and shows every change before -> after; the apply lands
the value in AWS; a re-run changes nothing; reverting is planned and applied the same way.

One provisioning of dev on an empty emulator, then independent variable changes batched per run.
"""

import json

import pytest

pytestmark = pytest.mark.integration

ENV = "dev"
HOST = f"payments-{ENV}"
# payments_extra_tags reaches these two tiers through ecs_alb_tags / observability_tags (group_vars/all): the
# added tag is given there, so that this test stays within them (an added tag in the network tier is the network
# role's own test: amazon.aws.ec2_vpc_route_table finds route tables by their whole tag set, see FINDINGS).
TAGS = {"Project": "payment-api", "Environment": ENV, "ManagedBy": "payments.infra", "CostCentre": "payments"}
CHANGES = {
    "ecs_alb_tags": TAGS,
    "observability_tags": TAGS,
    # 2557 days: accepted by AWS, refused by amazon.aws.cloudwatchlogs_log_group after creating the group.
    "ecs_alb_log_retention_days": 2557,
    "ecs_alb_task_cpu": 512,
    "ecs_alb_task_memory": 1024,
    # Ignored by community.aws.application_autoscaling_policy without override_task_capacity.
    "ecs_alb_autoscaling_min_capacity": 2,
    "ecs_alb_autoscaling_max_capacity": 4,
    "ecs_alb_desired_count": 2,
    "ecs_alb_autoscaling_cpu_target_percent": 60,
    "observability_ecs_cpu_high_percent": 75,
    "observability_alarm_subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}],
}
# Changed tasks that are plans themselves (a debug naming each change before -> after).
PLAN_TASKS = ("Plan ",)


def changed_results(run):
    """(task name, result) of every changed task or loop item, role prefix removed."""
    found = []
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"].split(" : ", 1)[-1]
            for result in task.get("hosts", {}).values():
                for item in result.get("results") or [result]:
                    if item.get("changed"):
                        found.append((name, item))
    return found


def has_diff(result):
    diff = result.get("diff")
    diffs = diff if isinstance(diff, list) else [diff] if diff else []
    return any(d.get("before") != d.get("after") or d.get("prepared") for d in diffs if isinstance(d, dict))


def plan_messages(run):
    return [str(item.get("msg", "")) for name, item in changed_results(run) if name.startswith(PLAN_TASKS)]


# Stock modules that write nothing in check mode but return no diff: each is preceded by a plan task
# (read with the *_info module, then "would change <field>: <before> -> <after>").
PLANNED_ELSEWHERE = {
    "Task execution role": "IAM role payment-task-execution-dev: would change",
    "Task role": "IAM role payment-task-dev: would change",
    "Internet-facing load balancer, HTTP answering 301 to HTTPS": "Load balancer payment-alb-dev: would change",
    "Tags of the imported self-signed certificate": "Certificate payment-cert-dev: would change",
    "Alarm topic": "SNS topic payment-alarms-dev: would change",
    "Metric alarms, each notifying the alarm topic": "Alarm payment-dev-ecs-cpu-high: would change",
}
TIERS_OF_OTHERS = ("network", "ecr", "s3", "rds")


def assert_truthful_plan(plan, emu, seq):
    """No mutating call; every changed task of ecs_alb / observability shows a diff or is planned by a Plan task."""
    assert plan.rc == 0, plan.messages()
    assert emu.client.mutating_calls(since=seq) == []
    messages = plan_messages(plan)
    bare = []
    for play in plan.output.get("plays", []):
        for task in play.get("tasks", []):
            full = task["task"]["name"]
            if not full.startswith(("payments.infra.ecs_alb", "payments.infra.observability")):
                continue
            name = full.split(" : ", 1)[-1]
            for result in task.get("hosts", {}).values():
                for item in result.get("results") or [result]:
                    if not item.get("changed") or has_diff(item) or name.startswith(PLAN_TASKS):
                        continue
                    expected = PLANNED_ELSEWHERE.get(name)
                    if expected is None or not any(m.startswith(expected) for m in messages):
                        bare.append(name)
    assert bare == [], f"changed without a diff or a plan: {bare}"


def diff_of(run, task_name):
    for name, result in changed_results(run):
        if name == task_name:
            return result["diff"]
    raise AssertionError(f"{task_name} did not change: {[n for n, _ in changed_results(run)]}")


def live(aws):
    logs = aws("logs")
    (group,) = [g for g in logs.describe_log_groups(logGroupNamePrefix="/payment/dev/app")["logGroups"]]
    ecs = aws("ecs")
    (service,) = ecs.describe_services(cluster="payment-cluster-dev", services=["payment-api-dev"])["services"]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    scaling = aws("application-autoscaling")
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    (policy,) = scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    (alarm,) = aws("cloudwatch").describe_alarms(AlarmNames=["payment-dev-ecs-cpu-high"])["MetricAlarms"]
    sns = aws("sns")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":payment-alarms-dev"))
    subscriptions = sorted(s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
    iam = aws("iam")
    role_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="payment-task-dev")["Tags"]}
    elbv2 = aws("elbv2")
    (lb,) = elbv2.describe_load_balancers(Names=["payment-alb-dev"])["LoadBalancers"]
    (lb_tags,) = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    acm = aws("acm")
    (certificate,) = acm.list_certificates(Includes={"keyTypes": ["EC_secp384r1"]})["CertificateSummaryList"]
    certificate_tags = {
        t["Key"]: t["Value"]
        for t in acm.list_tags_for_certificate(CertificateArn=certificate["CertificateArn"])["Tags"]
    }
    return {
        "retention": group.get("retentionInDays"),
        "log_group_tags": aws("logs").list_tags_log_group(logGroupName="/payment/dev/app")["tags"].get("CostCentre"),
        "cpu_memory": (definition["cpu"], definition["memory"]),
        "bounds": (target["MinCapacity"], target["MaxCapacity"]),
        "desired_count": service["desiredCount"],
        "cpu_target": policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"],
        "alarm_threshold": alarm["Threshold"],
        "subscriptions": subscriptions,
        "role_tag": role_tags.get("CostCentre"),
        "lb_tag": {t["Key"]: t["Value"] for t in lb_tags["Tags"]}.get("CostCentre"),
        "certificate_tag": certificate_tags.get("CostCentre"),
    }


AS_PROVISIONED = {
    "retention": 14,
    "log_group_tags": None,
    "cpu_memory": ("256", "512"),
    "bounds": (1, 2),
    "desired_count": 1,
    "cpu_target": 70.0,
    "alarm_threshold": 90.0,
    "subscriptions": [],
    "role_tag": None,
    "lb_tag": None,
    "certificate_tag": None,
}
CHANGED = {
    "retention": 2557,
    "log_group_tags": "payments",
    "cpu_memory": ("512", "1024"),
    "bounds": (2, 4),
    "desired_count": 2,
    "cpu_target": 60.0,
    "alarm_threshold": 75.0,
    "subscriptions": ["oncall@example.com"],
    "role_tag": "payments",
    "lb_tag": "payments",
    "certificate_tag": "payments",
}


def test_day2_changes_are_planned_without_writes_applied_and_reverted(clean_emulator, ansible, aws):
    emu = clean_emulator
    site = ansible("site.yml", ENV)
    assert site.rc == 0, site.messages()
    assert live(aws) == AS_PROVISIONED

    # The plan: nothing written, every change shown.
    seq = emu.client.last_seq()
    plan = ansible("site.yml", ENV, extra_vars=CHANGES, check=True, diff=True)
    assert_truthful_plan(plan, emu, seq)
    assert live(aws) == AS_PROVISIONED
    log_diff = diff_of(plan, "Application log group")
    assert (log_diff["before"]["retention_days"], log_diff["after"]["retention_days"]) == (14, 2557)
    assert log_diff["after"]["tags"]["CostCentre"] == "payments"
    scaling = diff_of(plan, "Auto scaling on average CPU (scalable target and target tracking policy)")
    assert (scaling["before"]["min_capacity"], scaling["before"]["max_capacity"]) == (1, 2)
    assert (scaling["after"]["min_capacity"], scaling["after"]["max_capacity"]) == (2, 4)
    assert scaling["before"]["target_tracking_policy"]["target_value"] == 70.0
    assert scaling["after"]["target_tracking_policy"]["target_value"] == 60.0
    messages = " | ".join(plan_messages(plan))
    assert "threshold: 90.0 -> 75.0" in messages
    assert '"endpoint": "oncall@example.com"' in messages
    assert "Certificate payment-cert-dev: would change tags" in messages

    # The apply lands every value; a re-run changes nothing and writes nothing.
    applied = ansible("site.yml", ENV, extra_vars=CHANGES)
    assert applied.rc == 0, applied.messages()
    assert live(aws) == CHANGED
    seq = emu.client.last_seq()
    again = ansible("site.yml", ENV, extra_vars=CHANGES)
    assert again.rc == 0, again.messages()
    assert again.changed == 0, again.changed_tasks()
    assert emu.client.mutating_calls(since=seq) == []

    # Reverted: planned the same way (no write), then applied back to the provisioned values.
    seq = emu.client.last_seq()
    back_plan = ansible("site.yml", ENV, check=True, diff=True)
    assert_truthful_plan(back_plan, emu, seq)
    assert live(aws) == CHANGED
    back = ansible("site.yml", ENV)
    assert back.rc == 0, back.messages()
    reverted = live(aws)
    # Auto scaling owns the task count: lowering the bounds keeps the 2 tasks it runs (within 1-2).
    assert reverted == {**AS_PROVISIONED, "desired_count": 2, "subscriptions": []}, json.dumps(reverted)
