"""payments.infra.cloudwatch_metric_alarms against moto in-process, and the gap of the stock module it replaces
(amazon.aws.cloudwatch_metric_alarm, amazon.aws 10.1.2): no tags, one alarm per run, a bare "changed" in check mode."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.modules import cloudwatch_metric_alarm as stock

from ansible_collections.payments.infra.plugins.module_utils import cloudwatch as cw
from ansible_collections.payments.infra.plugins.modules import cloudwatch_metric_alarms

REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:payment-alarms-dev"
WRITE_OPS = {"PutMetricAlarm", "DeleteAlarms", "TagResource", "UntagResource"}
TAGS = {"Project": "payment-api", "Environment": "dev", "ManagedBy": "payments.infra", "CostCentre": "42"}


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


@pytest.fixture
def cloudwatch(aws):
    return boto3.client("cloudwatch", region_name=REGION)


def spec(name, **extra):
    alarm = {
        "name": name,
        "description": f"{name} above 80",
        "namespace": "AWS/ECS",
        "metric_name": "CPUUtilization",
        "statistic": "Average",
        "comparison": "GreaterThanThreshold",
        "threshold": 80,
        "period": 300,
        "evaluation_periods": 2,
        "dimensions": {"ClusterName": "payment-cluster-dev", "ServiceName": "payment-api-dev"},
        "alarm_actions": [TOPIC],
        "ok_actions": [TOPIC],
    }
    alarm.update(extra)
    return alarm


NAMES = [f"payment-dev-alarm-{i}" for i in range(9)]


def args(alarms=None, **extra):
    base = {"alarms": alarms if alarms is not None else [spec(n) for n in NAMES], "tags": dict(TAGS)}
    base.update(extra)
    return base


def live(client, name):
    found = client.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found[0] if found else None


def live_tags(client, name):
    arn = live(client, name)["AlarmArn"]
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceARN=arn)["Tags"]}


# ------------------------------------------------------------------------------------------------
# The stock module's gap (why this module exists)
# ------------------------------------------------------------------------------------------------
def test_stock_module_has_no_tags_and_converges_one_alarm_per_run(cloudwatch, run_module, api_calls):
    from ansible.module_utils import basic

    captured = {}
    original = basic.AnsibleModule.__init__

    def capture(self, argument_spec, **kwargs):
        captured.update(argument_spec)
        original(self, argument_spec, **kwargs)

    basic.AnsibleModule.__init__, saved = capture, original
    try:
        stock_args = {k: v for k, v in spec(NAMES[0]).items() if k != "metric_name"}
        stock_args["metric"] = "CPUUtilization"
        result = run_module(stock, dict(stock_args, tags=TAGS))
    finally:
        basic.AnsibleModule.__init__ = saved
    # No tags option: the project's tags are refused, and the alarm cannot carry them.
    assert "tags" not in captured and "resource_tags" not in captured
    assert "alarms" not in captured and captured["name"]["type"] == "str"  # one alarm per run
    assert result["failed"] is True and "tags" in result["msg"]
    assert writes(api_calls) == [] and live(cloudwatch, NAMES[0]) is None
    # Without tags it makes the alarm, untagged; in check mode a change is a bare "changed".
    made = run_module(stock, stock_args)
    assert made["changed"] is True and live_tags(cloudwatch, NAMES[0]) == {}
    plan = run_module(stock, dict(stock_args, threshold=90.0), check_mode=True, diff=True)
    assert plan["changed"] is True and "diff" not in plan


# ------------------------------------------------------------------------------------------------
# Ours
# ------------------------------------------------------------------------------------------------
def test_nine_alarms_created_tagged_in_one_run_then_rerun_unchanged(cloudwatch, run_module, api_calls):
    plan = run_module(cloudwatch_metric_alarms, args(), check_mode=True, diff=True)
    assert plan["changed"] is True and plan["created"] == NAMES
    assert writes(api_calls) == [] and live(cloudwatch, NAMES[0]) is None
    assert [d["after_header"] for d in plan["diff"]] == NAMES
    assert all(d["before"] == {} and d["after"]["tags"] == TAGS for d in plan["diff"])
    assert plan["plan_resources"] == [f"Alarm {n}" for n in NAMES]

    api_calls.clear()
    result = run_module(cloudwatch_metric_alarms, args(), diff=True)
    assert result["changed"] is True and result["created"] == NAMES
    # Tags go with the create call: a killed run never leaves an untagged alarm. One DescribeAlarms finds all.
    assert writes(api_calls) == ["PutMetricAlarm"] * 9
    assert all(p.get("Tags") for n, p in api_calls if n == "PutMetricAlarm")
    assert [n for n, _ in api_calls].count("DescribeAlarms") == 2  # the lookup, and the new alarms' ARNs
    for name in NAMES:
        assert live_tags(cloudwatch, name) == TAGS
    assert result["diff"] == plan["diff"]
    assert all(a["alarm_arn"] == live(cloudwatch, a["name"])["AlarmArn"] for a in result["alarms"])

    api_calls.clear()
    again = run_module(cloudwatch_metric_alarms, args(), check_mode=True, diff=True)
    assert again["changed"] is False and again["diff"] == [] and "plan_resources" not in again
    again = run_module(cloudwatch_metric_alarms, args(), diff=True)
    assert again["changed"] is False and again["diff"] == []
    assert writes(api_calls) == []
    assert [n for n, _ in api_calls].count("DescribeAlarms") == 2  # one per run


def test_a_changed_threshold_is_planned_per_alarm_then_put_alone(cloudwatch, run_module, api_calls):
    run_module(cloudwatch_metric_alarms, args())
    changed = [spec(n, threshold=90 if n == NAMES[3] else 80, period=60 if n == NAMES[5] else 300) for n in NAMES]
    api_calls.clear()
    plan = run_module(cloudwatch_metric_alarms, args(changed), check_mode=True, diff=True)
    assert plan["changed"] is True and plan["updated"] == [NAMES[3], NAMES[5]] and plan["retagged"] == []
    assert writes(api_calls) == []
    assert live(cloudwatch, NAMES[3])["Threshold"] == 80.0
    first, second = plan["diff"]
    assert first["before_header"] == NAMES[3] and (first["before"]["threshold"], first["after"]["threshold"]) == (
        80.0,
        90.0,
    )
    assert second["after_header"] == NAMES[5] and (second["before"]["period"], second["after"]["period"]) == (300, 60)
    assert plan["plan_resources"] == [f"Alarm {NAMES[3]}", f"Alarm {NAMES[5]}"]

    applied = run_module(cloudwatch_metric_alarms, args(changed), diff=True)
    assert applied["diff"] == plan["diff"]
    puts = [p for n, p in api_calls if n == "PutMetricAlarm"]
    assert [p["AlarmName"] for p in puts] == [NAMES[3], NAMES[5]]
    assert all("Tags" not in p for p in puts)  # AWS ignores the Tags of an update
    assert live(cloudwatch, NAMES[3])["Threshold"] == 90.0 and live(cloudwatch, NAMES[5])["Period"] == 60
    assert live_tags(cloudwatch, NAMES[3]) == TAGS  # an update keeps the tags

    api_calls.clear()
    assert run_module(cloudwatch_metric_alarms, args(changed))["changed"] is False
    assert writes(api_calls) == []


def test_tags_converge_with_purge_and_aws_keys_kept(cloudwatch, run_module, api_calls):
    run_module(cloudwatch_metric_alarms, args([spec(NAMES[0])], tags={"Environment": "dev", "Old": "x"}))
    arn = live(cloudwatch, NAMES[0])["AlarmArn"]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "s"}])
    api_calls.clear()
    plan = run_module(cloudwatch_metric_alarms, args([spec(NAMES[0])]), check_mode=True, diff=True)
    assert plan["changed"] is True and plan["retagged"] == [NAMES[0]] and plan["updated"] == []
    (entry,) = plan["diff"]
    assert entry["before"]["tags"]["Old"] == "x" and "Old" not in entry["after"]["tags"]
    assert {k: v for k, v in entry["before"].items() if k != "tags"} == {
        k: v for k, v in entry["after"].items() if k != "tags"
    }
    assert writes(api_calls) == []

    run_module(cloudwatch_metric_alarms, args([spec(NAMES[0])]))
    assert writes(api_calls) == ["UntagResource", "TagResource"]
    assert live_tags(cloudwatch, NAMES[0]) == dict(TAGS, **{"aws:cloudformation:stack-name": "s"})

    # purge_tags=false adds and keeps; tags not given leaves them alone.
    api_calls.clear()
    kept = run_module(cloudwatch_metric_alarms, args([spec(NAMES[0])], tags={"Owner": "team"}, purge_tags=False))
    assert kept["changed"] is True and live_tags(cloudwatch, NAMES[0])["Owner"] == "team"
    assert live_tags(cloudwatch, NAMES[0])["ManagedBy"] == "payments.infra"
    api_calls.clear()
    untouched = run_module(cloudwatch_metric_alarms, {"alarms": [spec(NAMES[0])]})
    assert untouched["changed"] is False and writes(api_calls) == []


def test_what_aws_returns_differently_is_no_change(cloudwatch, run_module, api_calls):
    """Dimensions and actions in another order, an integer threshold, fields AWS leaves out: the same alarm."""
    cloudwatch.put_metric_alarm(
        AlarmName=NAMES[0],
        AlarmDescription=f"{NAMES[0]} above 80",
        Namespace="AWS/ECS",
        MetricName="CPUUtilization",
        Statistic="Average",
        ComparisonOperator="GreaterThanThreshold",
        Threshold=80.0,
        Period=300,
        EvaluationPeriods=2,
        Dimensions=[
            {"Name": "ServiceName", "Value": "payment-api-dev"},
            {"Name": "ClusterName", "Value": "payment-cluster-dev"},
        ],
        AlarmActions=[TOPIC, TOPIC + "-2"],
        OKActions=[TOPIC],
        Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
    )
    api_calls.clear()
    result = run_module(
        cloudwatch_metric_alarms, args([spec(NAMES[0], alarm_actions=[TOPIC + "-2", TOPIC])]), diff=True
    )
    assert result["changed"] is False and result["diff"] == [] and writes(api_calls) == []
    # An explicit "N out of N" is what AWS does without DatapointsToAlarm.
    same = run_module(
        cloudwatch_metric_alarms, args([spec(NAMES[0], datapoints_to_alarm=2, alarm_actions=[TOPIC, TOPIC + "-2"])])
    )
    assert same["changed"] is False


def test_a_field_left_out_goes_back_to_its_default(cloudwatch, run_module):
    """PutMetricAlarm replaces the whole alarm: an option left out of the list means its default, compared as such."""
    run_module(cloudwatch_metric_alarms, args([spec(NAMES[0], treat_missing_data="notBreaching", unit="Percent")]))
    plan = run_module(cloudwatch_metric_alarms, args([spec(NAMES[0])]), check_mode=True, diff=True)
    (entry,) = plan["diff"]
    assert (entry["before"]["treat_missing_data"], entry["after"]["treat_missing_data"]) == ("notBreaching", "missing")
    assert (entry["before"]["unit"], entry["after"]["unit"]) == ("Percent", None)
    run_module(cloudwatch_metric_alarms, args([spec(NAMES[0])]))
    alarm = live(cloudwatch, NAMES[0])
    assert alarm.get("TreatMissingData", "missing") == "missing" and "Unit" not in alarm


def test_more_than_a_hundred_alarms_are_looked_up_in_batches(cloudwatch, run_module, api_calls):
    names = [f"payment-dev-many-{i:03d}" for i in range(120)]
    run_module(cloudwatch_metric_alarms, args([spec(n) for n in names]))
    describes = [p for n, p in api_calls if n == "DescribeAlarms"]
    assert [len(p["AlarmNames"]) for p in describes] == [100, 20, 100, 20]
    api_calls.clear()
    assert run_module(cloudwatch_metric_alarms, args([spec(n) for n in names]))["changed"] is False
    assert writes(api_calls) == []
    gone = run_module(cloudwatch_metric_alarms, {"state": "absent", "names": names})
    assert gone["changed"] is True and len(gone["deleted"]) == 120
    assert [len(p["AlarmNames"]) for n, p in api_calls if n == "DeleteAlarms"] == [100, 20]
    assert cloudwatch.describe_alarms(AlarmNamePrefix="payment-dev-many-")["MetricAlarms"] == []


def test_delete_by_name_check_mode_first_other_alarms_left_alone(cloudwatch, run_module, api_calls):
    run_module(cloudwatch_metric_alarms, args([spec(n) for n in NAMES[:3]]))
    cloudwatch.put_metric_alarm(**cw.put_request(cw.alarm_view("payment-dev-eu-alarm-0", spec("x"))))
    absent = {"state": "absent", "names": [NAMES[0], NAMES[1], "payment-dev-never-made"]}
    api_calls.clear()
    plan = run_module(cloudwatch_metric_alarms, absent, check_mode=True, diff=True)
    assert plan["changed"] is True and plan["deleted"] == NAMES[:2]
    assert [(d["before_header"], d["after"]) for d in plan["diff"]] == [(NAMES[0], {}), (NAMES[1], {})]
    assert plan["plan_resources"] == [f"Alarm {NAMES[0]}", f"Alarm {NAMES[1]}"]
    assert writes(api_calls) == [] and live(cloudwatch, NAMES[0]) is not None

    assert run_module(cloudwatch_metric_alarms, absent)["deleted"] == NAMES[:2]
    assert live(cloudwatch, NAMES[0]) is None and live(cloudwatch, NAMES[1]) is None
    assert live(cloudwatch, NAMES[2]) is not None and live(cloudwatch, "payment-dev-eu-alarm-0") is not None
    api_calls.clear()
    assert run_module(cloudwatch_metric_alarms, absent)["changed"] is False
    assert writes(api_calls) == []


def test_a_name_given_twice_fails_before_any_call(cloudwatch, run_module, api_calls):
    result = run_module(cloudwatch_metric_alarms, args([spec(NAMES[0]), spec(NAMES[1]), spec(NAMES[0], threshold=1)]))
    assert result["failed"] is True
    assert f"alarms names the alarm(s) {NAMES[0]} more than once" in result["msg"]
    assert api_calls == []


def test_an_alarm_missing_a_field_is_refused(cloudwatch, run_module, api_calls):
    broken = spec(NAMES[0])
    del broken["threshold"]
    result = run_module(cloudwatch_metric_alarms, args([broken]))
    assert result["failed"] is True and "threshold" in result["msg"]
    assert api_calls == []


def test_throttling_is_retried(cloudwatch, run_module, monkeypatch):
    import botocore.client
    from botocore.exceptions import ClientError

    original = botocore.client.BaseClient._make_api_call
    throttled = []

    def once(self, operation_name, api_params):
        if operation_name == "DescribeAlarms" and not throttled:
            throttled.append(operation_name)
            raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", once)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    result = run_module(cloudwatch_metric_alarms, args([spec(NAMES[0])]))
    assert throttled and result.get("failed") is not True, result
    assert live(cloudwatch, NAMES[0]) is not None
