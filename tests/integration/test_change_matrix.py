"""The change matrix on a live dev (issue 12): every in_place variable of change_matrix.yml changed, planned,
applied, run again and put back; every refused one refused before any write; every grow_only one grown.

Generated from the variables (matrix.py): a variable added to a role or to group_vars is classified in
change_matrix.yml (tests/unit/test_change_matrix.py) and then changed here without a line of this file changing.
The steps batch the variables (step k gives each its k-th value), so the whole matrix costs a few runs:

- the plan (--check --diff) makes no mutating call; every changed result shows a diff whose two sides differ
  (no bare "changed", no false change such as '80' against 80); and each variable changed by the step is
  shown by the plan (its old value leaves a before, its new value enters an after, or for a variable that is
  no field of a resource, a resource matching its planned_as changes);
- the apply converges with exactly one of each resource (headcount.census against what group_vars and the
  step's values make), and playbooks/verify.yml passes: every subnet on its tier's route table with its
  default route, the security-group chain, and every posture rule the step does not switch off on purpose;
- a re-run reports changed=0 and makes no mutating call;
- the last step puts every value back: the environment reads back as it was provisioned (snapshot()).
"""

import re

import pytest
from batch import run_bad_inputs
from headcount import census
from headcount import expected_counts
from matrix import ENV
from matrix import grown as grow_values
from matrix import kept_when_removed
from matrix import matrix
from matrix import planned_as
from matrix import shown_under
from matrix import shows_change
from matrix import sides
from matrix import steps
from matrix import value_in

from emulator.testing import self_signed

pytestmark = pytest.mark.integration

HOST = f"payments-{ENV}"
VERIFY = "playbooks/verify.yml"
CONNECTIVITY_RULES = {"subnet-routing", "security-group-chain"}


def changed_results(run):
    """(label, result) of every changed task or loop item: the task's name, the item's label, the resources."""
    found = []
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"]
            for result in task.get("hosts", {}).values():
                for item in result.get("results") or [result]:
                    if item.get("changed"):
                        label = " ".join(
                            [name, str(item.get("_ansible_item_label", "")), *map(str, item.get("plan_resources", []))]
                        )
                        found.append((label, item))
    return found


def plan_problems(run, previous, values):
    """What makes the plan untruthful: a changed result without a diff or with two equal sides, and a variable
    changed by the step (from ``previous`` to ``values``) that no changed result shows."""
    problems = []
    results = changed_results(run)
    for label, result in results:
        before, after = sides(result)
        if not before and not after and not (result.get("diff") or {}).get("prepared"):
            problems.append(f"changed without a diff: {label}")
        elif before == after and not result.get("plan_action"):
            problems.append(f"changed with two equal sides (a false change): {label}")
    tested = set(matrix()["in_place"]) | set(matrix()["grow_only"])
    for name in sorted((set(previous) | set(values)) & tested):
        old = previous.get(name, value_in(ENV, name))
        new = values.get(name, value_in(ENV, name))
        if old == new or (kept_when_removed(name) and new == value_in(ENV, name)) or not shown_under(name, values):
            continue
        pattern = planned_as(name)
        if pattern:
            if not any(re.search(pattern, label) for label, _ in results):
                problems.append(f"{name} {old!r} -> {new!r}: no changed resource matches {pattern!r}")
        elif not shows_change([r for _, r in results], old, new):
            problems.append(f"{name} {old!r} -> {new!r}: not shown by the plan")
    return problems


def verify_problems(run, values):
    """The rules of verify.yml that failed, less those the step's values switch off on purpose."""
    off = {
        rule for name, rules in (matrix().get("posture_rules_off") or {}).items() if name in values for rule in rules
    }
    # The violations verify.yml fails with ("- [rule] resource: ..."), or the table it prints when none.
    failed = set(re.findall(r"- \[([a-z0-9-]+)\]", run.messages(HOST))) if run.rc != 0 else set()
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            result = task.get("hosts", {}).get(HOST)
            if task["task"]["name"].endswith("Show the rules checked") and result:
                for line in result["msg"][1:]:
                    rule, *_, ok = line.split()
                    if ok != "True":
                        failed.add(rule)
    unexpected = sorted(failed - off)
    if run.rc != 0 and not failed:
        return [f"verify.yml failed: {run.messages()}"]
    return [f"verify.yml: rule {rule} fails" for rule in unexpected] + [
        f"verify.yml: rule {rule} is off by a value of the step" for rule in sorted(failed & off & CONNECTIVITY_RULES)
    ]


def expected_after(values, kept_log_groups=0):
    """The headcount of dev with the step's values (the NAT strategy and AZ count change it); kept_log_groups:
    the extra log groups an earlier step made and this one no longer lists (kept with their events)."""
    counts = expected_counts(ENV)
    strategy = values.get("network_nat_gateway_strategy", value_in(ENV, "network_nat_gateway_strategy"))
    azs = int(values.get("network_az_count", value_in(ENV, "network_az_count")))
    nats = {"single": 1, "one_per_az": azs, "none": 0}[strategy]
    counts.update(
        subnets=3 * azs,
        nat_gateways=nats,
        elastic_ips=nats,
        route_tables=1 + 1 + (azs if strategy == "one_per_az" else 1) + 1,
        flow_logs=1 if values.get("network_flow_logs_enabled", True) else 0,
        iam_roles=3 if values.get("network_flow_logs_enabled", True) else 2,
        log_groups=2 + max(len(values.get("observability_extra_log_groups", [])), kept_log_groups),
        certificates=0 if values.get("payments_certificate_arn") else 1,
        scalable_targets=1 if values.get("ecs_alb_autoscaling_enabled", True) else 0,
        scaling_policies=1 if values.get("ecs_alb_autoscaling_enabled", True) else 0,
    )
    return counts


def snapshot(aws):
    """What dev is, read back field by field: ids of what must survive a change (VPC, subnets, route tables, load
    balancer, database, bucket), and every setting the matrix changes. Volatile fields (times, revisions, running
    counts) left out."""
    ec2 = aws("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-vpc-{ENV}"]}])["Vpcs"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    tags = lambda item: {t["Key"]: t["Value"] for t in item.get("Tags", []) or []}  # noqa: E731
    tables = {
        tags(t).get("Name", "main"): sorted((a.get("SubnetId") or "main") for a in t["Associations"])
        for t in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    }
    groups = {
        g["GroupName"]: sorted(str(p) for p in g["IpPermissions"])
        for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    }
    flow_logs = [(f["TrafficType"], f["LogGroupName"]) for f in ec2.describe_flow_logs()["FlowLogs"]]
    elbv2 = aws("elbv2")
    (lb,) = elbv2.describe_load_balancers(Names=[f"payment-alb-{ENV}"])["LoadBalancers"]
    lb_attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    acm = aws("acm")

    def certificate(arn):  # a self-signed certificate imported again is the same one: its domain and tags
        found = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        return found["DomainName"], str(
            sorted((t["Key"], t["Value"]) for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"])
        )

    listeners = sorted(
        (x["Port"], x.get("SslPolicy"), [certificate(c["CertificateArn"]) for c in x.get("Certificates") or []])
        for x in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    )
    (tg,) = elbv2.describe_target_groups(Names=[f"payment-tg-{ENV}"])["TargetGroups"]
    tg_attributes = elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
    ecs = aws("ecs")
    (cluster,) = ecs.describe_clusters(clusters=[f"payment-cluster-{ENV}"], include=["SETTINGS", "TAGS"])["clusters"]
    (service,) = ecs.describe_services(cluster=f"payment-cluster-{ENV}", services=[f"payment-api-{ENV}"])["services"]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"], include=["TAGS"])
    task = {k: v for k, v in definition["taskDefinition"].items() if k not in ("revision", "taskDefinitionArn")}
    task = {k: v for k, v in task.items() if "registered" not in k.lower() and "deregistered" not in k.lower()}
    scaling = aws("application-autoscaling")
    targets = [
        (t["MinCapacity"], t["MaxCapacity"])
        for t in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    ]
    policies = [
        str(p.get("TargetTrackingScalingPolicyConfiguration"))
        for p in scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    ]
    logs = aws("logs")
    log_groups = {
        g["logGroupName"]: (g.get("retentionInDays"), logs.list_tags_log_group(logGroupName=g["logGroupName"])["tags"])
        for g in logs.describe_log_groups(logGroupNamePrefix=f"/payment/{ENV}/")["logGroups"]
    }
    cloudwatch = aws("cloudwatch")

    def alarm_tags(arn):  # the alarms follow a tag change (payments_extra_tags) and go back with it
        return str(sorted((t["Key"], t["Value"]) for t in cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]))

    alarms = {
        a["AlarmName"]: (a["Threshold"], a["Period"], a["EvaluationPeriods"], alarm_tags(a["AlarmArn"]))
        for a in cloudwatch.describe_alarms(AlarmNamePrefix=f"payment-{ENV}-")["MetricAlarms"]
    }
    sns = aws("sns")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f"payment-alarms-{ENV}"))
    subscriptions = sorted(s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
    rds = aws("rds")
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=f"payment-db-{ENV}")["DBInstances"]
    database = {
        k: db.get(k)
        for k in (
            "DbiResourceId",
            "DBInstanceClass",
            "AllocatedStorage",
            "MaxAllocatedStorage",
            "StorageType",
            "BackupRetentionPeriod",
            "MultiAZ",
            "DeletionProtection",
            "EngineVersion",
        )
    }
    database["TagList"] = tags({"Tags": db.get("TagList")})
    group = db["DBParameterGroups"][0]["DBParameterGroupName"]
    parameters = {
        p["ParameterName"]: p.get("ParameterValue")
        for page in rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, Source="user")
        for p in page["Parameters"]
    }
    s3 = aws("s3")
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"payment-logs-{ENV}-")]
    ecr = aws("ecr")
    (repository,) = ecr.describe_repositories()["repositories"]
    iam = aws("iam")
    roles = {
        r["RoleName"]: iam.list_role_tags(RoleName=r["RoleName"])["Tags"]
        for r in iam.list_roles()["Roles"]
        if r["RoleName"].endswith(f"-{ENV}")
    }
    return {
        "vpc": (vpc["VpcId"], vpc["CidrBlock"], tags(vpc)),
        "subnets": sorted(
            (s["SubnetId"], s["CidrBlock"], str(sorted(tags(s).items())))
            for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]
        ),
        "route_tables": tables,
        "security_groups": groups,
        "flow_logs": flow_logs,
        "load_balancer": (lb["LoadBalancerArn"], sorted(str(a) for a in lb_attributes), listeners),
        "target_group": (
            tg["TargetGroupArn"],
            tg["HealthCheckPath"],
            tg["HealthCheckIntervalSeconds"],
            str(tg["Matcher"]),
        ),
        "target_group_attributes": sorted(str(a) for a in tg_attributes),
        "cluster": (str(cluster.get("settings")), str(sorted(str(t) for t in cluster.get("tags", [])))),
        "service": (
            service["deploymentConfiguration"].get("minimumHealthyPercent"),
            service["deploymentConfiguration"].get("maximumPercent"),
            service.get("healthCheckGracePeriodSeconds"),
            str(service.get("loadBalancers")),
        ),
        "task_definition": task,
        "autoscaling": (targets, policies),
        "log_groups": log_groups,
        "alarms": alarms,
        "subscriptions": subscriptions,
        "database": database,
        "parameters": parameters,
        "bucket": (
            bucket,
            s3.get_bucket_versioning(Bucket=bucket).get("Status"),
            str(s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]),
            str(s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]),
            str(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]),
        ),
        "repository": (
            repository["imageTagMutability"],
            str(repository["imageScanningConfiguration"]),
            ecr.get_lifecycle_policy(repositoryName=repository["repositoryName"])["lifecyclePolicyText"],
        ),
        "roles": roles,
    }


def differences(before, after):
    return sorted(key for key in before if before[key] != after.get(key))


def resolve(values, certificate_arn):
    return {name: certificate_arn if value == "@certificate" else value for name, value in values.items()}


def test_every_variable_changes_on_a_live_environment(clean_emulator, ansible, aws, tmp_path):
    emu = clean_emulator
    site = ansible("site.yml", ENV)
    assert site.rc == 0, site.messages()
    provisioned = snapshot(aws)
    certificate, key = self_signed("matrix.payment.example")
    certificate_arn = aws("acm").import_certificate(Certificate=certificate, PrivateKey=key)["CertificateArn"]

    problems = []
    previous = {}
    extra_log_groups = set()
    for number, step in enumerate(steps(), start=1):
        values = resolve(step, certificate_arn)
        where = f"step {number}/{len(steps())}"

        seq = emu.client.last_seq()
        plan = ansible("site.yml", ENV, extra_vars=values, check=True, diff=True)
        if plan.rc != 0:
            problems.append(f"{where}: the plan failed: {plan.messages()}")
        problems += [f"{where}: {p}" for p in plan_problems(plan, previous, values)]
        writes = emu.client.mutating_calls(since=seq)
        if writes:
            problems.append(f"{where}: the plan wrote {writes}")

        applied = ansible("site.yml", ENV, extra_vars=values)
        if applied.rc != 0:
            problems.append(f"{where}: the apply failed: {applied.messages()}")
            break
        extra_log_groups |= {g["name"] for g in values.get("observability_extra_log_groups", [])}
        counts, expected = census(aws, ENV), expected_after(values, len(extra_log_groups))
        if counts != expected:
            problems.append(f"{where}: headcount {differences(expected, counts)}: {counts} != {expected}")
        verified = ansible(VERIFY, ENV, extra_vars=values)
        problems += [f"{where}: {p}" for p in verify_problems(verified, values)]

        seq = emu.client.last_seq()
        again = ansible("site.yml", ENV, extra_vars=values)
        if again.rc != 0 or again.changed:
            problems.append(f"{where}: the re-run changed {again.changed_tasks()} (rc {again.rc})")
        writes = emu.client.mutating_calls(since=seq)
        if writes:
            problems.append(f"{where}: the re-run wrote {writes}")
        previous = values

    if not any("apply failed" in p for p in problems):
        reverted = snapshot(aws)
        # Kept on purpose (with their events): the extra log groups a step made, and no other.
        kept = sorted(set(reverted["log_groups"]) - set(provisioned["log_groups"]))
        if kept != sorted(extra_log_groups):
            problems.append(f"put back: log groups kept {kept}, expected {sorted(extra_log_groups)}")
        reverted["log_groups"] = {k: v for k, v in reverted["log_groups"].items() if k in provisioned["log_groups"]}
        for key in differences(provisioned, reverted):
            problems.append(f"put back: {key} differs: {provisioned[key]} != {reverted[key]}")

    # Grown (not reverted): more storage, more AZs.
    grown = grow_values()
    seq = emu.client.last_seq()
    plan = ansible("site.yml", ENV, extra_vars=grown, check=True, diff=True)
    problems += [f"grow: {p}" for p in plan_problems(plan, {}, grown)]
    if emu.client.mutating_calls(since=seq):
        problems.append("grow: the plan wrote")
    applied = ansible("site.yml", ENV, extra_vars=grown)
    if applied.rc != 0:
        problems.append(f"grow: the apply failed: {applied.messages()}")
    elif census(aws, ENV) != expected_after(grown, len(extra_log_groups)):
        problems.append(f"grow: headcount {census(aws, ENV)} != {expected_after(grown, len(extra_log_groups))}")

    # Refused before any write, one host each, against the live (grown) dev: the message names the variable.
    cases = [({**grown, name: value}, name) for name, value in matrix()["refused"].items()]
    refused = run_bad_inputs(emu, ansible, cases, tmp_path, reset=False)
    for index, (_, name) in enumerate(cases):
        if not refused.failed(index):
            problems.append(f"refused: {name}={matrix()['refused'][name]!r} was not refused")
        elif name not in refused.messages(index):
            problems.append(f"refused: {name}: the message does not name it: {refused.messages(index)[:300]}")
    if refused.mutating_calls:
        problems.append(f"refused: wrote {refused.mutating_calls}")

    assert problems == [], "\n".join(problems)
