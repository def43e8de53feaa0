"""The shared ECR repository, the transaction-log buckets and observability, through site.yml:
dev, staging and prod provisioned together (one fork each), read back from the emulator."""

import json
from functools import cache
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template
from batch import assert_refused

from ansible_collections.payments.infra.plugins.filter.names import resource_names
from ansible_collections.payments.infra.plugins.filter.observability import THRESHOLDS
from ansible_collections.payments.infra.plugins.filter.observability import alarm_specs

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
LIFECYCLE_DAYS = {"dev": (30, 90, 365, 30), "staging": (60, 180, 730, 90)}
ROOT = Path(__file__).resolve().parents[2]


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    return [_trusted(v) for v in value] if isinstance(value, list) else value


@cache
def observability_vars(env_name):
    """The observability role's variables of ``env_name`` as a run resolves them (role defaults, group_vars)."""
    variables = {}
    for path in ("roles/observability/defaults/main.yml", "group_vars/all/main.yml", f"group_vars/{env_name}.yml"):
        variables.update(yaml.safe_load((ROOT / path).read_text()) or {})
    templar = Templar(loader=DataLoader(), variables=_trusted(variables))
    # This collection's filter, as a run resolves it from the checkout (no collection path is loaded here).
    templar.environment.filters["payments.infra.resource_names"] = resource_names
    return {
        key.removeprefix("observability_"): templar.template(_trusted(variables[key]))
        for key in variables
        if key.startswith("observability_") and key != "observability_tags"
    }


def expected_alarms(env_name, load_balancer_arn, target_group_arn):
    """What the role's alarm_specs filter computes for the environment's variables and the load balancer found."""
    v = observability_vars(env_name)
    names = ("ecs_cluster_name", "ecs_service_name", "db_instance_identifier", "alb_name", "target_group_name")
    return alarm_specs(
        v["name_prefix"],
        v["environment"],
        **{name: v[name] for name in names},
        thresholds={key: v[key] for key in THRESHOLDS},
        load_balancers=[{"load_balancer_arn": load_balancer_arn}],
        target_groups=[{"target_group_arn": target_group_arn}],
    )


def test_one_shared_repository_whoever_runs_first(provisioned, emulator, aws):
    """Three environments in one run, one fork each: they reach the shared repository at once."""
    repos = aws("ecr").describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in repos] == ["payment-api"]
    creates = [
        c
        for c in emulator.client.calls(since=provisioned.seq_before_first)
        if c["operation"] == "CreateRepository" and c["seq"] <= provisioned.seq_before_second
    ]
    assert creates, "the first run must have created the repository"


def test_repository_settings_and_lifecycle(provisioned, aws):
    ecr = aws("ecr")
    repo = ecr.describe_repositories(repositoryNames=["payment-api"])["repositories"][0]
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"]["encryptionType"] == "AES256"
    assert repo["imageTagMutability"] == "IMMUTABLE"
    tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
    assert tags == {"Project": "payment-api", "Shared": "true", "ManagedBy": "payments.infra"}
    policy = json.loads(ecr.get_lifecycle_policy(repositoryName="payment-api")["lifecyclePolicyText"])
    rules = sorted(policy["rules"], key=lambda r: r["rulePriority"])
    assert [
        (r["selection"]["tagStatus"], r["selection"]["countType"], r["selection"]["countNumber"]) for r in rules
    ] == [
        ("untagged", "sinceImagePushed", 7),
        ("tagged", "imageCountMoreThan", 10),
    ]
    assert all(r["action"] == {"type": "expire"} for r in rules)


@pytest.mark.parametrize("env_name", ["dev", "staging"])
def test_transaction_log_bucket(provisioned, aws, env_name):
    s3 = aws("s3")
    bucket = f"payment-logs-{env_name}-{ACCOUNT}"
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["Environment"] == env_name

    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    ia, glacier, expire, noncurrent = LIFECYCLE_DAYS[env_name]
    assert all("Filter" in r for r in rules.values()), "every rule carries an explicit filter"
    tiering = rules["transaction-logs-tiering"]
    assert sorted((t["Days"], t["StorageClass"]) for t in tiering["Transitions"]) == [
        (ia, "STANDARD_IA"),
        (glacier, "GLACIER"),
    ]
    assert tiering["Expiration"] == {"Days": expire}
    assert rules["noncurrent-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == noncurrent


@pytest.mark.parametrize("env_name", ["dev", "staging"])
def test_access_log_bucket(provisioned, aws, env_name):
    """The load balancer's access-log bucket: the transaction-log bucket's hardening, SSE-S3, a grant to ELB's
    us-east-1 account under <environment>/AWSLogs/<account>/ only, logs expiring; ELB's test file is there."""
    s3 = aws("s3")
    bucket = f"payment-alb-logs-{env_name}-{ACCOUNT}"
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert len(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]) == 4
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    deny, allow = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    assert allow == {
        "Sid": "AllowElbAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/{env_name}/AWSLogs/{ACCOUNT}/*",
    }
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["Environment"] == env_name and tags["ManagedBy"] == "payments.infra"
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert sorted(rules) == ["abort-incomplete-uploads", "access-logs-expiry", "noncurrent-versions"]
    assert rules["access-logs-expiry"]["Expiration"] == {"Days": 90}
    assert all("Filter" in r for r in rules.values()), "every rule carries an explicit filter"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"{env_name}/AWSLogs/{ACCOUNT}/ELBAccessLogTestFile"]


@pytest.mark.parametrize(("env_name", "retention", "cpu"), [("dev", 14, 90.0), ("staging", 30, 85.0)])
def test_log_groups_topic_and_alarms(provisioned, aws, env_name, retention, cpu):
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"/payment/{env_name}/app")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [(f"/payment/{env_name}/app", retention)]
    topics = [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]]
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:payment-alarms-{env_name}"
    assert topic in topics
    alarms = {
        a["AlarmName"]: a
        for a in aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"payment-{env_name}-")["MetricAlarms"]
    }
    # The load balancer is built before the observability play, so its alarms exist from the first run.
    lb = aws("elbv2").describe_load_balancers(Names=[f"payment-alb-{env_name}"])["LoadBalancers"][0]
    lb_dimension = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg = aws("elbv2").describe_target_groups(Names=[f"payment-tg-{env_name}"])["TargetGroups"][0]
    # Exactly the alarms the role computes for this environment (no more, no fewer), each as computed.
    expected = expected_alarms(env_name, lb["LoadBalancerArn"], tg["TargetGroupArn"])
    assert len(expected) == 9
    assert set(alarms) == {a["alarm_name"] for a in expected}
    for spec in expected:
        alarm = alarms[spec["alarm_name"]]
        assert (
            alarm["AlarmDescription"],
            alarm["Namespace"],
            alarm["MetricName"],
            alarm["Statistic"],
            alarm["ComparisonOperator"],
            alarm["Threshold"],
            {d["Name"]: d["Value"] for d in alarm["Dimensions"]},
            alarm.get("TreatMissingData", "missing"),
        ) == (
            spec["description"],
            spec["namespace"],
            spec["metric"],
            spec["statistic"],
            spec["comparison"],
            float(spec["threshold"]),
            spec["dimensions"],
            spec.get("missing", "missing"),
        ), spec["alarm_name"]
    for name in ("alb-5xx", "alb-target-5xx", "alb-response-time", "alb-unhealthy-hosts"):
        dimensions = {d["Name"]: d["Value"] for d in alarms[f"payment-{env_name}-{name}"]["Dimensions"]}
        assert dimensions["LoadBalancer"] == lb_dimension
    assert all(a["AlarmActions"] == [topic] for a in alarms.values())
    ecs_cpu = alarms[f"payment-{env_name}-ecs-cpu-high"]
    assert ecs_cpu["Threshold"] == cpu
    assert {d["Name"]: d["Value"] for d in ecs_cpu["Dimensions"]} == {
        "ClusterName": f"payment-cluster-{env_name}",
        "ServiceName": f"payment-api-{env_name}",
    }
    # Every alarm carries the project's tags, as every other resource does.
    for name, alarm in alarms.items():
        assert alarm_tags(aws, alarm) == ownership_tags(env_name), name


def ownership_tags(env_name):
    return {"Project": "payment-api", "Environment": env_name, "ManagedBy": "payments.infra"}


def alarm_tags(aws, alarm):
    tags = aws("cloudwatch").list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    return {t["Key"]: t["Value"] for t in tags}


ALARMS_TASK = "Metric alarms, each notifying the alarm topic, tagged"


def alarms_result(run, host="payments-dev"):
    """The result of the one task that converges the alarms (one module run, no loop)."""
    (result,) = [
        task["hosts"][host]
        for play in run.output.get("plays", [])
        for task in play.get("tasks", [])
        if task["task"]["name"].endswith(ALARMS_TASK) and host in task.get("hosts", {})
    ]
    return result


def test_alarm_threshold_and_tags_planned_per_alarm_applied_and_put_back(provisioned, emulator, ansible, aws):
    """A changed threshold and an extra tag (payments_extra_tags): the plan (--check --diff) shows a diff per alarm
    naming it and writes nothing; the run applies both in the one alarms task; a re-run changes nothing; the values
    of group_vars put everything back."""
    tier = {"tier": "observability"}
    change = {**tier, "observability_ecs_cpu_high_percent": 75, "payments_extra_tags": {"CostCentre": "cc-42"}}
    cpu_alarm = "payment-dev-ecs-cpu-high"
    found = ("arn:x:loadbalancer/app/x/1", "arn:x:targetgroup/x/1")
    all_alarms = {a["alarm_name"] for a in expected_alarms("dev", *found)}

    seq = emulator.client.last_seq()
    plan = ansible("playbooks/tier.yml", "dev", extra_vars=change, check=True, diff=True)
    assert plan.rc == 0, plan.messages()
    assert emulator.client.mutating_calls(since=seq) == []
    planned = alarms_result(plan)
    assert planned["changed"] is True and "results" not in planned  # one module run for every alarm
    diffs = {d["after_header"]: d for d in planned["diff"]}
    assert set(diffs) == all_alarms and planned["created"] == []
    assert planned["plan_resources"] == [f"Alarm {d['after_header']}" for d in planned["diff"]]
    assert (diffs[cpu_alarm]["before"]["threshold"], diffs[cpu_alarm]["after"]["threshold"]) == (90.0, 75.0)
    assert all(d["before"]["tags"] == ownership_tags("dev") for d in diffs.values())
    assert all(d["after"]["tags"] == dict(ownership_tags("dev"), CostCentre="cc-42") for d in diffs.values())
    assert planned["updated"] == [cpu_alarm] and set(planned["retagged"]) == all_alarms

    applied = ansible("playbooks/tier.yml", "dev", extra_vars=change)
    assert applied.rc == 0, applied.messages()
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix="payment-dev-")["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} == all_alarms
    for alarm in alarms:
        assert alarm_tags(aws, alarm) == dict(ownership_tags("dev"), CostCentre="cc-42"), alarm["AlarmName"]
    assert next(a for a in alarms if a["AlarmName"] == cpu_alarm)["Threshold"] == 75.0

    seq = emulator.client.last_seq()
    again = ansible("playbooks/tier.yml", "dev", extra_vars=change)
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
    assert emulator.client.mutating_calls(since=seq) == []

    back = ansible("playbooks/tier.yml", "dev", extra_vars=tier)
    assert back.rc == 0, back.messages()
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix="payment-dev-")["MetricAlarms"]
    assert all(alarm_tags(aws, a) == ownership_tags("dev") for a in alarms)
    assert next(a for a in alarms if a["AlarmName"] == cpu_alarm)["Threshold"] == 90.0


def test_kms_variants(clean_emulator, ansible, aws):
    key = aws("kms").create_key(Description="payments test key")["KeyMetadata"]["Arn"]
    run = ansible(
        "playbooks/tier.yml",
        "prod",
        extra_vars={"tier": "s3", "s3_encryption": "aws:kms", "s3_kms_key_id": key},
    )
    assert run.rc == 0, run.messages()
    rule = aws("s3").get_bucket_encryption(Bucket=f"payment-logs-prod-{ACCOUNT}")["ServerSideEncryptionConfiguration"][
        "Rules"
    ][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    # The access-log bucket stays SSE-S3 whatever s3_encryption says: ELB access-log delivery supports no other.
    rule = aws("s3").get_bucket_encryption(Bucket=f"payment-alb-logs-prod-{ACCOUNT}")[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    run = ansible(
        "playbooks/tier.yml",
        "prod",
        extra_vars={
            "tier": "ecr",
            "ecr_repository_name": "payment-api-kms",
            "ecr_encryption_type": "KMS",
            "ecr_kms_key": key,
        },
    )
    assert run.rc == 0, run.messages()
    repo = aws("ecr").describe_repositories(repositoryNames=["payment-api-kms"])["repositories"][0]
    assert repo["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key}


def test_ecr_encryption_change_on_existing_repository_is_refused(provisioned, emulator, ansible):
    seq = emulator.client.last_seq()
    run = ansible("playbooks/tier.yml", "dev", extra_vars={"tier": "ecr", "ecr_encryption_type": "KMS"})
    assert run.rc != 0
    assert "encryption" in run.messages().lower()
    assert emulator.client.mutating_calls(since=seq) == []


REPOSITORY_TASK = "Shared ECR repository with its lifecycle policy"


def repository_task_results(run):
    """The results of the ecr role's repository task (the one module run making the repository and its policy)."""
    return [
        result
        for play in run.output.get("plays", [])
        for task in play.get("tasks", [])
        if task["task"]["name"].endswith(REPOSITORY_TASK)
        for result in task.get("hosts", {}).values()
    ]


def test_a_mutable_repository_of_an_earlier_version_becomes_immutable(provisioned, emulator, ansible, aws):
    """IMMUTABLE is the default: a live repository made MUTABLE is planned, then switched, never refused."""
    ecr = aws("ecr")
    ecr.put_image_tag_mutability(repositoryName="payment-api", imageTagMutability="MUTABLE")
    seq = emulator.client.last_seq()
    plan = ansible("playbooks/tier.yml", "dev", extra_vars={"tier": "ecr"}, check=True, diff=True)
    assert plan.rc == 0, plan.messages()
    assert emulator.client.mutating_calls(since=seq) == []
    (planned,) = repository_task_results(plan)
    assert planned["changed"] is True
    assert planned["diff"]["before"]["image_tag_mutability"] == "MUTABLE"
    assert planned["diff"]["after"]["image_tag_mutability"] == "IMMUTABLE"

    run = ansible("playbooks/tier.yml", "dev", extra_vars={"tier": "ecr"})
    assert run.rc == 0, run.messages()
    assert run.changed_tasks() == [REPOSITORY_TASK]
    repo = ecr.describe_repositories(repositoryNames=["payment-api"])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    again = ansible("playbooks/tier.yml", "dev", extra_vars={"tier": "ecr"})
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()


# ECR's own rules of a lifecycle policy, checked by the preflight in Python (limits.py: _ecr_lifecycle).
BAD_INPUTS = [
    (
        {"ecr_lifecycle_rules": [{"tag_status": "tagged", "keep_last": 5}]},
        "ecr_lifecycle_rules[0]: tag status 'tagged' needs a non-empty tag_prefixes or tag_patterns",
    ),
]


@pytest.mark.parametrize(("extra_vars", "expected"), BAD_INPUTS)
def test_bad_input_fails_in_preflight(bad_inputs, extra_vars, expected):
    assert_refused(bad_inputs, BAD_INPUTS, extra_vars, expected)
