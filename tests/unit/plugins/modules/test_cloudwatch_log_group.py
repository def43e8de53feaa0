"""payments.infra.cloudwatch_log_group against moto in-process, and the gaps of the stock module it replaces
(amazon.aws.cloudwatchlogs_log_group, amazon.aws 10.1.2) shown on the same mock."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.modules import cloudwatchlogs_log_group as stock

from ansible_collections.payments.infra.plugins.modules import cloudwatch_log_group

NAME = "/payment/dev/app"
REGION = "us-east-1"
WRITE_OPS = {
    "CreateLogGroup",
    "DeleteLogGroup",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "TagResource",
    "UntagResource",
    "TagLogGroup",
    "UntagLogGroup",
}
# What AWS accepts beyond amazon.aws 10.1.2's list.
MISSING_FROM_STOCK = [1096, 2192, 2557, 2922, 3288]


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


@pytest.fixture
def logs(aws):
    return boto3.client("logs", region_name=REGION)


def live(client, name=NAME):
    found = [g for g in client.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    return found[0] if found else None


def live_tags(client, name=NAME):
    return client.list_tags_log_group(logGroupName=name)["tags"]


def args(**extra):
    base = {"name": NAME, "retention_days": 14, "tags": {"Environment": "dev"}}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


# ------------------------------------------------------------------------------------------------
# The stock module's gaps (why this module exists)
# ------------------------------------------------------------------------------------------------
def test_stock_module_changes_retention_in_check_mode(logs, run_module, api_calls):
    logs.create_log_group(logGroupName=NAME)
    logs.put_retention_policy(logGroupName=NAME, retentionInDays=14)
    api_calls.clear()
    result = run_module(stock, {"log_group_name": NAME, "retention": 30}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert "PutRetentionPolicy" in writes(api_calls)  # a plan that writes
    assert live(logs)["retentionInDays"] == 30
    assert "diff" not in result


@pytest.mark.parametrize("days", MISSING_FROM_STOCK)
def test_stock_module_creates_then_deletes_a_group_with_a_retention_aws_accepts(logs, run_module, api_calls, days):
    result = run_module(stock, {"log_group_name": NAME, "retention": days})
    assert result["failed"] is True and "Invalid retention value" in result["msg"]
    assert writes(api_calls) == ["CreateLogGroup", "DeleteLogGroup"]
    assert live(logs) is None


# ------------------------------------------------------------------------------------------------
# Ours
# ------------------------------------------------------------------------------------------------
def test_create_in_one_call_then_rerun_unchanged(logs, run_module, api_calls):
    check = run_module(cloudwatch_log_group, args(), check_mode=True, diff=True)
    assert check["changed"] and check["created"]
    assert check["diff"] == {
        "before": {},
        "after": {
            "log_group_name": NAME,
            "log_group_arn": None,
            "retention_days": 14,
            "kms_key_id": None,
            "tags": {"Environment": "dev"},
        },
    }
    assert writes(api_calls) == [] and live(logs) is None

    result = run_module(cloudwatch_log_group, args(), diff=True)
    assert result["changed"] and result["created"]
    group = live(logs)
    assert group["retentionInDays"] == 14 and live_tags(logs) == {"Environment": "dev"}
    assert result["log_group"]["log_group_arn"] == group["arn"][:-2]
    assert result["log_group"]["retention_days"] == 14
    # Tags go with the create call: a killed run never leaves an untagged group.
    assert writes(api_calls) == ["CreateLogGroup", "PutRetentionPolicy"]
    create = next(params for name, params in api_calls if name == "CreateLogGroup")
    assert create["tags"] == {"Environment": "dev"}

    api_calls.clear()
    again = run_module(cloudwatch_log_group, args(), diff=True)
    assert again["changed"] is False and again["diff"]["before"] == again["diff"]["after"]
    assert writes(api_calls) == []


@pytest.mark.parametrize("days", MISSING_FROM_STOCK)
def test_every_retention_aws_accepts(logs, run_module, days):
    result = run_module(cloudwatch_log_group, args(retention_days=days))
    assert result["changed"] and live(logs)["retentionInDays"] == days


def test_retention_and_tags_converge_check_mode_first(logs, run_module, api_calls):
    run_module(cloudwatch_log_group, args(tags={"Environment": "dev", "Old": "x"}))
    change = args(retention_days=2557, tags={"Environment": "dev", "CostCentre": "payments"})
    api_calls.clear()
    plan = run_module(cloudwatch_log_group, change, check_mode=True, diff=True)
    assert plan["changed"] is True and plan["created"] is False
    assert plan["diff"]["before"]["retention_days"] == 14 and plan["diff"]["after"]["retention_days"] == 2557
    assert plan["diff"]["before"]["tags"] == {"Environment": "dev", "Old": "x"}
    assert plan["diff"]["after"]["tags"] == {"Environment": "dev", "CostCentre": "payments"}
    assert writes(api_calls) == []
    assert live(logs)["retentionInDays"] == 14 and live_tags(logs) == {"Environment": "dev", "Old": "x"}

    applied = run_module(cloudwatch_log_group, change, diff=True)
    assert applied["changed"] is True and applied["diff"] == plan["diff"]
    assert live(logs)["retentionInDays"] == 2557
    assert live_tags(logs) == {"Environment": "dev", "CostCentre": "payments"}

    api_calls.clear()
    assert run_module(cloudwatch_log_group, change)["changed"] is False
    assert writes(api_calls) == []


def test_unset_options_are_left_alone_and_zero_keeps_events_forever(logs, run_module, api_calls):
    run_module(cloudwatch_log_group, args())
    api_calls.clear()
    untouched = run_module(cloudwatch_log_group, {"name": NAME})
    assert untouched["changed"] is False and writes(api_calls) == []
    assert live(logs)["retentionInDays"] == 14 and live_tags(logs) == {"Environment": "dev"}

    forever = run_module(cloudwatch_log_group, args(retention_days=0), diff=True)
    assert forever["changed"] is True and forever["diff"]["after"]["retention_days"] is None
    assert "retentionInDays" not in live(logs)
    api_calls.clear()
    assert run_module(cloudwatch_log_group, args(retention_days=0))["changed"] is False
    assert writes(api_calls) == []


def test_exact_name_only(logs, run_module):
    logs.create_log_group(logGroupName=NAME + "-old")
    result = run_module(cloudwatch_log_group, args(), check_mode=True)
    assert result["created"] is True  # a group whose name only starts with ours is not ours


def test_kms_key_given_at_create(logs, run_module):
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    run_module(cloudwatch_log_group, args(kms_key_id=key))
    assert live(logs)["kmsKeyId"] == key
    assert run_module(cloudwatch_log_group, args(kms_key_id=key))["changed"] is False


def test_kms_key_of_an_existing_group_is_not_changed_but_warned(logs, run_module, api_calls, monkeypatch):
    warnings = []
    monkeypatch.setattr(cloudwatch_log_group.AnsibleAWSModule, "warn", lambda self, msg: warnings.append(msg))
    run_module(cloudwatch_log_group, args())
    api_calls.clear()
    result = run_module(cloudwatch_log_group, args(kms_key_id="arn:aws:kms:us-east-1:123456789012:key/abc"))
    assert result["changed"] is False and writes(api_calls) == []
    assert len(warnings) == 1 and "only when it creates a group" in warnings[0]


@pytest.mark.parametrize("days", [2, 4, 366, 2555, 5000, -1])
def test_a_retention_aws_refuses_fails_before_any_call(logs, run_module, api_calls, days):
    result = run_module(cloudwatch_log_group, args(retention_days=days))
    assert result["failed"] is True
    assert f"retention_days={days} is not a retention CloudWatch Logs accepts" in result["msg"]
    assert "1096, 1827, 2192, 2557, 2922, 3288, 3653" in result["msg"]
    assert api_calls == []


def test_delete_check_mode_first_then_gone_then_no_change(logs, run_module, api_calls):
    run_module(cloudwatch_log_group, args())
    api_calls.clear()
    plan = run_module(cloudwatch_log_group, {"name": NAME, "state": "absent"}, check_mode=True, diff=True)
    assert plan["changed"] is True and plan["diff"]["after"] == {} and plan["diff"]["before"]["retention_days"] == 14
    assert writes(api_calls) == [] and live(logs) is not None
    assert run_module(cloudwatch_log_group, {"name": NAME, "state": "absent"})["changed"] is True
    assert live(logs) is None
    api_calls.clear()
    assert run_module(cloudwatch_log_group, {"name": NAME, "state": "absent"})["changed"] is False
    assert writes(api_calls) == []


def test_a_group_created_meanwhile_is_converged_not_failed(logs, run_module, monkeypatch):
    """Another run created the group between our describe and our create: ResourceAlreadyExists is adopted."""
    real = cloudwatch_log_group.describe_log_group
    seen = []

    def first_time_missing(client, name):
        seen.append(name)
        if len(seen) == 1:
            client.create_log_group(logGroupName=name, tags={"Environment": "dev"})
            return None
        return real(client, name)

    monkeypatch.setattr(cloudwatch_log_group, "describe_log_group", first_time_missing)
    result = run_module(cloudwatch_log_group, args(retention_days=30))
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["created"] is False
    assert live(logs)["retentionInDays"] == 30
