"""The emulator refuses what AWS refuses, at each documented limit: a value just outside the limit is refused with
AWS's error code (HTTP 400), the limit itself is accepted.

Each test is one API with a table of (parameters, expected error code or None for accepted). The limits come from
the AWS API references (quoted in the docstrings of the fidelity patches named in ``emulator/README.md``); the ones
moto already enforced are kept here as documentation of its native fidelity. The clients skip botocore's client-side
checks (``parameter_validation=False``) so that a value below a model minimum reaches the emulator, as it does from a
client that does not validate. They run on an emulator of their own (same server, same fidelity layer).
"""

import uuid
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.testing import RunningEmulator
from emulator.testing import running_emulator

Aws = Callable[..., Any]
ACCEPTED = None
LOGS_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922)
LOGS_RETENTION_DAYS += (3288, 3653)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def limits_emu() -> Iterator[RunningEmulator]:
    """An emulator of this module's own: its tables create a few hundred resources, which would otherwise slow down
    the resets of the shared emulator other tests time."""
    with running_emulator() as running:
        yield running


@pytest.fixture(scope="module")
def raw(limits_emu: RunningEmulator) -> Aws:
    """Like the ``aws`` fixture (on this module's emulator), without botocore's client-side parameter validation."""

    def _client(service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=limits_emu.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(parameter_validation=False),
        )

    return _client


def outcome(call: Callable[[], Any]) -> str | None:
    """None when the call succeeds, else the error code (after checking the answer is HTTP 400)."""
    try:
        call()
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
        return str(error.response["Error"]["Code"])
    return None


@pytest.fixture(scope="module")
def network(raw: Aws) -> dict[str, Any]:
    ec2 = raw("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName=unique("limits"), Description="limits", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


# ---- ELBv2 -----------------------------------------------------------------------------------------------------------
LB_NAME_CASES = [
    pytest.param("a" * 32, ACCEPTED, id="32-chars"),
    pytest.param("a" * 33, "ValidationError", id="33-chars"),
    pytest.param("lb-0-Z", ACCEPTED, id="alnum-and-hyphen"),
    pytest.param("a_b", "ValidationError", id="underscore"),
    pytest.param("-ab", "ValidationError", id="leading-hyphen"),
    pytest.param("ab-", "ValidationError", id="trailing-hyphen"),
    pytest.param("internal-ab", "ValidationError", id="internal-prefix"),
]


@pytest.mark.parametrize(("name", "expected"), LB_NAME_CASES)
def test_create_load_balancer_name(raw: Aws, network: dict[str, Any], name: str, expected: str | None) -> None:
    # a unique name of the same shape: the suffix keeps the property tested (length, characters, ends)
    if expected is ACCEPTED and len(name) == 32:
        name = uuid.uuid4().hex
    elif expected is ACCEPTED:
        name = f"{name}-{uuid.uuid4().hex[:6]}"
    assert outcome(lambda: raw("elbv2").create_load_balancer(Name=name, Subnets=network["subnets"])) == expected


@pytest.fixture(scope="module")
def load_balancer(raw: Aws, network: dict[str, Any]) -> str:
    return raw("elbv2").create_load_balancer(Name=unique("limits"), Subnets=network["subnets"])["LoadBalancers"][0][
        "LoadBalancerArn"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "ValidationError"), ("1", ACCEPTED), ("4000", ACCEPTED), ("4001", "ValidationError")],
)
def test_modify_load_balancer_idle_timeout(raw: Aws, load_balancer: str, value: str, expected: str | None) -> None:
    attributes = [{"Key": "idle_timeout.timeout_seconds", "Value": value}]
    call = lambda: raw("elbv2").modify_load_balancer_attributes(LoadBalancerArn=load_balancer, Attributes=attributes)  # noqa: E731
    assert outcome(call) == expected


TARGET_GROUP_CASES = [
    pytest.param({"Name": "a" * 33}, "ValidationError", id="name-33-chars"),
    pytest.param({"Name": "a_b"}, "ValidationError", id="name-underscore"),
    pytest.param({"Name": "ab-"}, "ValidationError", id="name-trailing-hyphen"),
    pytest.param({"Port": 0}, "ValidationError", id="port-0"),
    pytest.param({"Port": 1}, ACCEPTED, id="port-1"),
    pytest.param({"Port": 65535}, ACCEPTED, id="port-65535"),
    pytest.param({"Port": 65536}, "ValidationError", id="port-65536"),
    pytest.param({"HealthCheckIntervalSeconds": 4, "HealthCheckTimeoutSeconds": 2}, "ValidationError", id="interval-4"),
    pytest.param({"HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2}, ACCEPTED, id="interval-5"),
    pytest.param({"HealthCheckIntervalSeconds": 300}, ACCEPTED, id="interval-300"),
    pytest.param({"HealthCheckIntervalSeconds": 301}, "ValidationError", id="interval-301"),
    pytest.param({"HealthCheckTimeoutSeconds": 1}, "ValidationError", id="timeout-1"),
    pytest.param({"HealthCheckTimeoutSeconds": 2}, ACCEPTED, id="timeout-2"),
    pytest.param({"HealthCheckTimeoutSeconds": 120, "HealthCheckIntervalSeconds": 300}, ACCEPTED, id="timeout-120"),
    pytest.param(
        {"HealthCheckTimeoutSeconds": 121, "HealthCheckIntervalSeconds": 300}, "ValidationError", id="timeout-121"
    ),
    pytest.param(
        {"HealthCheckTimeoutSeconds": 10, "HealthCheckIntervalSeconds": 10}, "ValidationError", id="timeout-eq-interval"
    ),
    pytest.param(
        {"HealthCheckTimeoutSeconds": 9, "HealthCheckIntervalSeconds": 10}, ACCEPTED, id="timeout-below-interval"
    ),
    pytest.param({"HealthyThresholdCount": 1}, "ValidationError", id="healthy-1"),
    pytest.param({"HealthyThresholdCount": 2}, ACCEPTED, id="healthy-2"),
    pytest.param({"HealthyThresholdCount": 10}, ACCEPTED, id="healthy-10"),
    pytest.param({"HealthyThresholdCount": 11}, "ValidationError", id="healthy-11"),
    pytest.param({"UnhealthyThresholdCount": 1}, "ValidationError", id="unhealthy-1"),
    pytest.param({"UnhealthyThresholdCount": 2}, ACCEPTED, id="unhealthy-2"),
    pytest.param({"UnhealthyThresholdCount": 10}, ACCEPTED, id="unhealthy-10"),
    pytest.param({"UnhealthyThresholdCount": 11}, "ValidationError", id="unhealthy-11"),
    pytest.param({"HealthCheckPath": ""}, "ValidationError", id="path-empty"),
    pytest.param({"HealthCheckPath": "health"}, "ValidationError", id="path-no-slash"),
    pytest.param({"HealthCheckPath": "/" + "a" * 1023}, ACCEPTED, id="path-1024"),
    pytest.param({"HealthCheckPath": "/" + "a" * 1024}, "ValidationError", id="path-1025"),
    pytest.param({"Matcher": {"HttpCode": "200"}}, ACCEPTED, id="matcher-200"),
    pytest.param({"Matcher": {"HttpCode": "200,202"}}, ACCEPTED, id="matcher-list"),
    pytest.param({"Matcher": {"HttpCode": "200-499"}}, ACCEPTED, id="matcher-range-499"),
    pytest.param({"Matcher": {"HttpCode": "199"}}, "ValidationError", id="matcher-199"),
    pytest.param({"Matcher": {"HttpCode": "200-500"}}, "ValidationError", id="matcher-range-500"),
    pytest.param({"Matcher": {"HttpCode": "200,500"}}, "ValidationError", id="matcher-list-500"),
]


@pytest.mark.parametrize(("params", "expected"), TARGET_GROUP_CASES)
def test_create_target_group_limits(
    raw: Aws, network: dict[str, Any], params: dict[str, Any], expected: str | None
) -> None:
    request = {"Name": unique("tg"), "Protocol": "HTTP", "Port": 80, "VpcId": network["vpc"], **params}
    assert outcome(lambda: raw("elbv2").create_target_group(**request)) == expected


@pytest.fixture(scope="module")
def target_group(raw: Aws, network: dict[str, Any]) -> str:
    """An HTTP target group with interval 30, timeout 5."""
    return raw("elbv2").create_target_group(
        Name=unique("tg"),
        Protocol="HTTP",
        Port=80,
        VpcId=network["vpc"],
        HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=5,
    )["TargetGroups"][0]["TargetGroupArn"]


MODIFY_TARGET_GROUP_CASES = [
    pytest.param({"HealthCheckIntervalSeconds": 4, "HealthCheckTimeoutSeconds": 2}, "ValidationError", id="interval-4"),
    pytest.param({"HealthCheckIntervalSeconds": 300}, ACCEPTED, id="interval-300"),
    pytest.param({"HealthCheckIntervalSeconds": 301}, "ValidationError", id="interval-301"),
    pytest.param({"HealthCheckTimeoutSeconds": 1}, "ValidationError", id="timeout-1"),
    pytest.param({"HealthCheckTimeoutSeconds": 121}, "ValidationError", id="timeout-121"),
    pytest.param(
        {"HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 5}, "ValidationError", id="timeout-eq-interval"
    ),
    pytest.param({"HealthyThresholdCount": 11}, "ValidationError", id="healthy-11"),
    pytest.param({"UnhealthyThresholdCount": 1}, "ValidationError", id="unhealthy-1"),
    pytest.param({"HealthyThresholdCount": 10, "UnhealthyThresholdCount": 2}, ACCEPTED, id="thresholds-edges"),
    pytest.param({"HealthCheckPath": "health"}, "ValidationError", id="path-no-slash"),
    pytest.param({"Matcher": {"HttpCode": "500"}}, "ValidationError", id="matcher-500"),
    pytest.param({"Matcher": {"HttpCode": "499"}}, ACCEPTED, id="matcher-499"),
]


@pytest.mark.parametrize(("params", "expected"), MODIFY_TARGET_GROUP_CASES)
def test_modify_target_group_limits(raw: Aws, target_group: str, params: dict[str, Any], expected: str | None) -> None:
    elbv2 = raw("elbv2")
    before = elbv2.describe_target_groups(TargetGroupArns=[target_group])["TargetGroups"][0]
    assert outcome(lambda: elbv2.modify_target_group(TargetGroupArn=target_group, **params)) == expected
    if expected is not ACCEPTED:
        after = elbv2.describe_target_groups(TargetGroupArns=[target_group])["TargetGroups"][0]
        assert after == before  # a refused change changes nothing
    else:  # put the interval back for the timeout cases
        elbv2.modify_target_group(
            TargetGroupArn=target_group, HealthCheckIntervalSeconds=30, HealthCheckTimeoutSeconds=5
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-1", "ValidationError"), ("0", ACCEPTED), ("3600", ACCEPTED), ("3601", "ValidationError")],
)
def test_modify_target_group_deregistration_delay(
    raw: Aws, target_group: str, value: str, expected: str | None
) -> None:
    elbv2 = raw("elbv2")
    attributes = [{"Key": "deregistration_delay.timeout_seconds", "Value": value}]
    assert outcome(
        lambda: elbv2.modify_target_group_attributes(TargetGroupArn=target_group, Attributes=attributes)
    ) == (expected)
    if expected is ACCEPTED:
        stored = elbv2.describe_target_group_attributes(TargetGroupArn=target_group)["Attributes"]
        assert {"Key": "deregistration_delay.timeout_seconds", "Value": value} in stored


# ---- ECS and Application Auto Scaling --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ecs_service(raw: Aws) -> dict[str, str]:
    ecs = raw("ecs")
    cluster = unique("limits")
    ecs.create_cluster(clusterName=cluster)
    definition = ecs.register_task_definition(
        family=unique("limits"), containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    service = unique("svc")
    ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=definition, desiredCount=1)
    return {"cluster": cluster, "service": service, "taskDefinition": definition}


ECS_SERVICE_CASES = [
    pytest.param({"desiredCount": -1}, "InvalidParameterException", id="desired-minus-1"),
    pytest.param({"desiredCount": 0}, ACCEPTED, id="desired-0"),
    pytest.param({"healthCheckGracePeriodSeconds": -1}, "InvalidParameterException", id="grace-minus-1"),
    pytest.param({"healthCheckGracePeriodSeconds": 0}, ACCEPTED, id="grace-0"),
    pytest.param({"healthCheckGracePeriodSeconds": 2_147_483_647}, ACCEPTED, id="grace-max"),
    pytest.param({"healthCheckGracePeriodSeconds": 2_147_483_648}, "InvalidParameterException", id="grace-max-plus-1"),
]


@pytest.mark.parametrize("operation", ["create_service", "update_service"])
@pytest.mark.parametrize(("params", "expected"), ECS_SERVICE_CASES)
def test_ecs_service_limits(
    raw: Aws, ecs_service: dict[str, str], operation: str, params: dict[str, Any], expected: str | None
) -> None:
    ecs = raw("ecs")
    if operation == "create_service":
        request = {"desiredCount": 1, **params}
        call = lambda: ecs.create_service(  # noqa: E731
            cluster=ecs_service["cluster"],
            serviceName=unique("svc"),
            taskDefinition=ecs_service["taskDefinition"],
            **request,
        )
    else:
        call = lambda: ecs.update_service(cluster=ecs_service["cluster"], service=ecs_service["service"], **params)  # noqa: E731
    assert outcome(call) == expected


SCALABLE_TARGET_CASES = [
    pytest.param({"MinCapacity": -1, "MaxCapacity": 2}, "ValidationException", id="min-minus-1"),
    pytest.param({"MinCapacity": 0, "MaxCapacity": -1}, "ValidationException", id="max-minus-1"),
    pytest.param({"MinCapacity": 0, "MaxCapacity": 0}, ACCEPTED, id="zero-zero"),
    pytest.param({"MinCapacity": 3, "MaxCapacity": 2}, "ValidationException", id="min-above-max"),
    pytest.param({"MinCapacity": 2, "MaxCapacity": 2}, ACCEPTED, id="min-equals-max"),
]


@pytest.mark.parametrize(("params", "expected"), SCALABLE_TARGET_CASES)
def test_register_scalable_target_capacity(
    raw: Aws, ecs_service: dict[str, str], params: dict[str, Any], expected: str | None
) -> None:
    target = {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": f"service/{ecs_service['cluster']}/{ecs_service['service']}",
    }
    assert outcome(lambda: raw("application-autoscaling").register_scalable_target(**target, **params)) == expected


def test_register_scalable_target_update_compares_with_the_registered_capacity(
    raw: Aws, ecs_service: dict[str, str]
) -> None:
    scaling = raw("application-autoscaling")
    target = {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": f"service/{ecs_service['cluster']}/{ecs_service['service']}",
    }
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    assert outcome(lambda: scaling.register_scalable_target(**target, MinCapacity=5)) == "ValidationException"
    assert outcome(lambda: scaling.register_scalable_target(**target, MaxCapacity=1)) is ACCEPTED


TARGET_TRACKING_CASES = [
    pytest.param({"ScaleInCooldown": -1}, "ValidationException", id="scale-in-minus-1"),
    pytest.param({"ScaleInCooldown": 0}, ACCEPTED, id="scale-in-0"),
    pytest.param({"ScaleOutCooldown": -1}, "ValidationException", id="scale-out-minus-1"),
    pytest.param({"ScaleOutCooldown": 0}, ACCEPTED, id="scale-out-0"),
    pytest.param({"TargetValue": 2.0**360}, ACCEPTED, id="target-2^360"),
    pytest.param({"TargetValue": 2.0**361}, "ValidationException", id="target-2^361"),
    pytest.param({"TargetValue": -(2.0**361)}, "ValidationException", id="target-minus-2^361"),
]


@pytest.mark.parametrize(("params", "expected"), TARGET_TRACKING_CASES)
def test_put_target_tracking_policy_limits(
    raw: Aws, ecs_service: dict[str, str], params: dict[str, Any], expected: str | None
) -> None:
    scaling = raw("application-autoscaling")
    target = {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": f"service/{ecs_service['cluster']}/{ecs_service['service']}",
    }
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    configuration = {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        **params,
    }
    call = lambda: scaling.put_scaling_policy(  # noqa: E731
        **target,
        PolicyName=unique("cpu"),
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=configuration,
    )
    assert outcome(call) == expected


# ---- CloudWatch Logs, CloudWatch, SNS --------------------------------------------------------------------------------
LOG_GROUP_CASES = [
    pytest.param("", "InvalidParameterException", id="empty"),
    pytest.param("/payments/._-#Az09", ACCEPTED, id="every-allowed-character"),
    pytest.param("a b", "InvalidParameterException", id="space"),
    pytest.param("a:b", "InvalidParameterException", id="colon"),
    pytest.param("a*b", "InvalidParameterException", id="asterisk"),
    pytest.param(512, ACCEPTED, id="512-chars"),
    pytest.param(513, "InvalidParameterException", id="513-chars"),
]


@pytest.mark.parametrize(("name", "expected"), LOG_GROUP_CASES)
def test_create_log_group_name(raw: Aws, name: str | int, expected: str | None) -> None:
    if isinstance(name, int):
        name = unique("/payments/long").ljust(name, "x")
    elif expected is ACCEPTED:
        name = unique(name)
    assert outcome(lambda: raw("logs").create_log_group(logGroupName=name)) == expected


@pytest.fixture(scope="module")
def log_group(raw: Aws) -> str:
    name = unique("/payments/limits")
    raw("logs").create_log_group(logGroupName=name)
    return name


RETENTION_CASES = [pytest.param(days, ACCEPTED, id=f"{days}") for days in LOGS_RETENTION_DAYS] + [
    pytest.param(days, "InvalidParameterException", id=f"{days}") for days in (0, 2, 4, 364, 3654)
]


@pytest.mark.parametrize(("days", "expected"), RETENTION_CASES)
def test_put_retention_policy_days(raw: Aws, log_group: str, days: int, expected: str | None) -> None:
    logs = raw("logs")
    assert outcome(lambda: logs.put_retention_policy(logGroupName=log_group, retentionInDays=days)) == expected
    if expected is ACCEPTED:
        described = logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"][0]
        assert described["retentionInDays"] == days


ALARM_CASES = [
    pytest.param({"AlarmName": ""}, "ValidationError", id="name-empty"),
    pytest.param({"AlarmName": 255}, ACCEPTED, id="name-255"),
    pytest.param({"AlarmName": 256}, "ValidationError", id="name-256"),
    pytest.param({"Period": 10}, ACCEPTED, id="period-10"),
    pytest.param({"Period": 20}, ACCEPTED, id="period-20"),
    pytest.param({"Period": 30}, ACCEPTED, id="period-30"),
    pytest.param({"Period": 15}, "ValidationError", id="period-15"),
    pytest.param({"Period": 90}, "ValidationError", id="period-90"),
    pytest.param({"Period": 120}, ACCEPTED, id="period-120"),
    pytest.param({"EvaluationPeriods": 0}, "ValidationError", id="evaluation-periods-0"),
    pytest.param({"Period": 60, "EvaluationPeriods": 1440}, ACCEPTED, id="one-day"),
    pytest.param({"Period": 60, "EvaluationPeriods": 1441}, "ValidationError", id="one-day-plus-a-period"),
    pytest.param({"Period": 3600, "EvaluationPeriods": 168}, ACCEPTED, id="seven-days"),
    pytest.param({"Period": 3600, "EvaluationPeriods": 169}, "ValidationError", id="seven-days-plus-a-period"),
    pytest.param({"EvaluationPeriods": 3, "DatapointsToAlarm": 3}, ACCEPTED, id="datapoints-eq-periods"),
    pytest.param({"EvaluationPeriods": 3, "DatapointsToAlarm": 4}, "ValidationError", id="datapoints-above-periods"),
    pytest.param({"DatapointsToAlarm": 0}, "ValidationError", id="datapoints-0"),
]


@pytest.mark.parametrize(("params", "expected"), ALARM_CASES)
def test_put_metric_alarm_limits(raw: Aws, params: dict[str, Any], expected: str | None) -> None:
    request = {
        "AlarmName": unique("limits"),
        "Namespace": "Payments",
        "MetricName": "Errors",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
        **params,
    }
    if isinstance(request["AlarmName"], int):
        request["AlarmName"] = unique("limits").ljust(request["AlarmName"], "x")
    assert outcome(lambda: raw("cloudwatch").put_metric_alarm(**request)) == expected


@pytest.fixture(scope="module")
def topic(raw: Aws) -> str:
    return raw("sns").create_topic(Name=unique("limits"))["TopicArn"]


SUBSCRIBE_CASES = [
    pytest.param("http", "http://hooks.example.com/sns", ACCEPTED, id="http"),
    pytest.param("https", "https://hooks.example.com/sns", ACCEPTED, id="https"),
    pytest.param("email", "ops@example.com", ACCEPTED, id="email"),
    pytest.param("email-json", "ops@example.com", ACCEPTED, id="email-json"),
    pytest.param("sms", "+15555550100", ACCEPTED, id="sms"),
    pytest.param("sqs", "arn:aws:sqs:us-east-1:123456789012:limits", ACCEPTED, id="sqs"),
    pytest.param("lambda", "arn:aws:lambda:us-east-1:123456789012:function:limits", ACCEPTED, id="lambda"),
    pytest.param("ftp", "ftp://hooks.example.com", "InvalidParameter", id="unknown-protocol"),
    pytest.param("email", "ops.example.com", "InvalidParameter", id="email-not-an-address"),
    pytest.param("email-json", "ops", "InvalidParameter", id="email-json-not-an-address"),
    pytest.param("https", "http://hooks.example.com/sns", "InvalidParameter", id="https-with-http-url"),
    pytest.param("http", "https://hooks.example.com/sns", "InvalidParameter", id="http-with-https-url"),
]


@pytest.mark.parametrize(("protocol", "endpoint", "expected"), SUBSCRIBE_CASES)
def test_subscribe_protocol_and_endpoint(
    raw: Aws, topic: str, protocol: str, endpoint: str, expected: str | None
) -> None:
    assert outcome(lambda: raw("sns").subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)) == expected


# ---- S3 --------------------------------------------------------------------------------------------------------------
BUCKET_CASES = [
    pytest.param("ab", "InvalidBucketName", id="2-chars"),
    pytest.param(3, ACCEPTED, id="3-chars"),
    pytest.param(63, ACCEPTED, id="63-chars"),
    pytest.param(64, "InvalidBucketName", id="64-chars"),
    pytest.param("Payments-logs", "InvalidBucketName", id="uppercase"),
    pytest.param("payments_logs", "InvalidBucketName", id="underscore"),
    pytest.param("-payments", "InvalidBucketName", id="leading-hyphen"),
    pytest.param("payments-", "InvalidBucketName", id="trailing-hyphen"),
    pytest.param("payments.", "InvalidBucketName", id="trailing-dot"),
    pytest.param("payments..logs", "InvalidBucketName", id="adjacent-dots"),
    pytest.param("192.168.5.4", "InvalidBucketName", id="ip-address"),
    pytest.param("sthree-payments", "InvalidBucketName", id="reserved-prefix"),
    pytest.param("payments-s3alias", "InvalidBucketName", id="reserved-suffix"),
    pytest.param("payments.logs-1", ACCEPTED, id="dots-hyphens-digits"),
]


@pytest.mark.parametrize(("name", "expected"), BUCKET_CASES)
def test_create_bucket_name(raw: Aws, name: str | int, expected: str | None) -> None:
    if isinstance(name, int):  # a unique name of that length
        name = uuid.uuid4().hex[:3] if name == 3 else uuid.uuid4().hex.ljust(name, "0")
    elif expected is ACCEPTED:
        name = f"{name}-{uuid.uuid4().hex[:8]}"
    assert outcome(lambda: raw("s3").create_bucket(Bucket=name)) == expected


@pytest.fixture(scope="module")
def bucket(raw: Aws) -> str:
    name = unique("limits")
    raw("s3").create_bucket(Bucket=name)
    return name


LIFECYCLE_CASES = [
    pytest.param({"Expiration": {"Days": 0}}, "InvalidArgument", id="expiration-0"),
    pytest.param({"Expiration": {"Days": 1}}, ACCEPTED, id="expiration-1"),
    pytest.param(
        {"Transitions": [{"Days": -1, "StorageClass": "GLACIER"}]}, "InvalidArgument", id="transition-minus-1"
    ),
    pytest.param({"Transitions": [{"Days": 0, "StorageClass": "GLACIER"}]}, ACCEPTED, id="transition-glacier-0"),
    pytest.param({"Transitions": [{"Days": 29, "StorageClass": "STANDARD_IA"}]}, "InvalidArgument", id="ia-29"),
    pytest.param({"Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]}, ACCEPTED, id="ia-30"),
    pytest.param({"NoncurrentVersionExpiration": {"NoncurrentDays": 0}}, "InvalidArgument", id="noncurrent-exp-0"),
    pytest.param({"NoncurrentVersionExpiration": {"NoncurrentDays": 1}}, ACCEPTED, id="noncurrent-exp-1"),
    pytest.param(
        {"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 0}}, "InvalidArgument", id="abort-multipart-0"
    ),
    pytest.param({"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}, ACCEPTED, id="abort-multipart-1"),
]


@pytest.mark.parametrize(("actions", "expected"), LIFECYCLE_CASES)
def test_put_bucket_lifecycle_days(raw: Aws, bucket: str, actions: dict[str, Any], expected: str | None) -> None:
    rule = {"ID": "limits", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, **actions}
    call = lambda: raw("s3").put_bucket_lifecycle_configuration(  # noqa: E731
        Bucket=bucket, LifecycleConfiguration={"Rules": [rule]}
    )
    assert outcome(call) == expected


# ---- EC2 -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        pytest.param("10.78.0.0/15", "InvalidVpc.Range", id="prefix-15"),
        pytest.param("10.78.0.0/16", ACCEPTED, id="prefix-16"),
        pytest.param("10.79.0.0/28", ACCEPTED, id="prefix-28"),
        pytest.param("10.79.1.0/29", "InvalidVpc.Range", id="prefix-29"),
        pytest.param("10.300.0.0/16", "InvalidParameterValue", id="not-an-address"),
        pytest.param("10.78.0.0", "InvalidVpc.Range", id="no-prefix"),
    ],
)
def test_create_vpc_cidr(raw: Aws, cidr: str, expected: str | None) -> None:
    assert outcome(lambda: raw("ec2").create_vpc(CidrBlock=cidr)) == expected


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        pytest.param("10.80.0.0/15", "InvalidSubnet.Range", id="prefix-15-beyond-the-vpc"),
        pytest.param("10.80.0.0/16", ACCEPTED, id="prefix-16"),
        pytest.param("10.80.0.0/28", ACCEPTED, id="prefix-28"),
        pytest.param("10.80.0.0/29", "InvalidSubnet.Range", id="prefix-29"),
        pytest.param("10.81.0.0/24", "InvalidSubnet.Range", id="outside-the-vpc"),
        pytest.param("bad", "InvalidParameterValue", id="not-a-cidr"),
    ],
)
def test_create_subnet_cidr(raw: Aws, cidr: str, expected: str | None) -> None:
    ec2 = raw("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]  # a VPC per case: no conflicts between cases
    assert outcome(lambda: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)) == expected


def test_vpc_and_subnet_blocks_are_stored_in_canonical_form(raw: Aws) -> None:
    ec2 = raw("ec2")
    vpc = ec2.create_vpc(CidrBlock="100.68.0.18/18")["Vpc"]
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="100.68.1.7/24")["Subnet"]
    assert (vpc["CidrBlock"], subnet["CidrBlock"]) == ("100.68.0.0/18", "100.68.1.0/24")
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["CidrBlock"] == "100.68.0.0/18"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("", "MissingParameter", id="empty"),
        pytest.param(255, ACCEPTED, id="255-chars"),
        pytest.param(256, "InvalidParameterValue", id="256-chars"),
        pytest.param("sg-payments", "InvalidParameterValue", id="sg-prefix"),
    ],
)
def test_create_security_group_name(raw: Aws, network: dict[str, Any], name: str | int, expected: str | None) -> None:
    if isinstance(name, int):
        name = unique("limits").ljust(name, "x")
    call = lambda: raw("ec2").create_security_group(GroupName=name, Description="limits", VpcId=network["vpc"])  # noqa: E731
    assert outcome(call) == expected


INGRESS_CASES = [
    pytest.param({"FromPort": 0, "ToPort": 65535}, "10.0.0.0/8", ACCEPTED, id="all-tcp-ports"),
    pytest.param({"FromPort": -1, "ToPort": 80}, "10.0.0.0/8", "InvalidParameterValue", id="from-minus-1"),
    pytest.param({"FromPort": 443, "ToPort": 65536}, "10.0.0.0/8", "InvalidParameterValue", id="to-65536"),
    pytest.param({"FromPort": 8080, "ToPort": 8000}, "10.0.0.0/8", "InvalidParameterValue", id="reversed-range"),
    pytest.param({"FromPort": 22, "ToPort": 22}, "10.0.0.1/33", "InvalidParameterValue", id="prefix-33"),
    pytest.param({"FromPort": 22, "ToPort": 22}, "10.0.0.256/32", "InvalidParameterValue", id="octet-256"),
    pytest.param({"FromPort": 22, "ToPort": 22}, "office", "InvalidParameterValue", id="not-a-cidr"),
]


@pytest.mark.parametrize(("ports", "cidr", "expected"), INGRESS_CASES)
def test_authorize_security_group_ingress_limits(
    raw: Aws, network: dict[str, Any], ports: dict[str, int], cidr: str, expected: str | None
) -> None:
    ec2 = raw("ec2")
    group = ec2.create_security_group(GroupName=unique("limits"), Description="limits", VpcId=network["vpc"])["GroupId"]
    permission = {"IpProtocol": "tcp", **ports, "IpRanges": [{"CidrIp": cidr}]}
    assert outcome(lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])) == expected


# ---- RDS, IAM, ECR ---------------------------------------------------------------------------------------------------
RDS_INSTANCE_CASES = [
    pytest.param({"DBName": "a" * 63}, ACCEPTED, id="db-name-63"),
    pytest.param({"DBName": "a" * 64}, "InvalidParameterValue", id="db-name-64"),
    pytest.param({"DBName": "payments_2"}, ACCEPTED, id="db-name-underscore-digit"),
    pytest.param({"DBName": "2payments"}, "InvalidParameterValue", id="db-name-leading-digit"),
    pytest.param({"DBName": "pay-ments"}, "InvalidParameterValue", id="db-name-hyphen"),
    pytest.param({"DBName": "select"}, "InvalidParameterValue", id="db-name-reserved"),
    pytest.param({"MasterUsername": "a" * 63}, ACCEPTED, id="master-63"),
    pytest.param({"MasterUsername": "a" * 64}, "InvalidParameterValue", id="master-64"),
    pytest.param({"MasterUsername": "1admin"}, "InvalidParameterValue", id="master-leading-digit"),
    pytest.param({"MasterUsername": "rdsadmin"}, "InvalidParameterValue", id="master-rdsadmin"),
    pytest.param({"MasterUsername": "user"}, "InvalidParameterValue", id="master-reserved-word"),
    pytest.param({"MasterUsername": "postgres"}, ACCEPTED, id="master-postgres-console-default"),
    pytest.param({"Port": 1149}, "InvalidParameterValue", id="port-1149"),
    pytest.param({"Port": 1150}, ACCEPTED, id="port-1150"),
    pytest.param({"Port": 65535}, ACCEPTED, id="port-65535"),
    pytest.param({"Port": 65536}, "InvalidParameterValue", id="port-65536"),
    pytest.param({"AllocatedStorage": 19}, "InvalidParameterValue", id="gp2-19"),
    pytest.param({"AllocatedStorage": 65536}, ACCEPTED, id="gp2-65536"),
    pytest.param({"AllocatedStorage": 65537}, "InvalidParameterValue", id="gp2-65537"),
    pytest.param({"StorageType": "gp3", "AllocatedStorage": 19}, "InvalidParameterValue", id="gp3-19"),
    pytest.param({"StorageType": "gp3", "AllocatedStorage": 20}, ACCEPTED, id="gp3-20"),
    pytest.param({"BackupRetentionPeriod": 0}, ACCEPTED, id="backup-0"),
    pytest.param({"BackupRetentionPeriod": 35}, ACCEPTED, id="backup-35"),
    pytest.param({"BackupRetentionPeriod": 36}, "InvalidParameterValue", id="backup-36"),
    pytest.param({"MaxAllocatedStorage": 19}, "InvalidParameterCombination", id="max-storage-below"),
    pytest.param({"MaxAllocatedStorage": 21}, "InvalidParameterValue", id="max-storage-under-10-percent-more"),
    pytest.param({"MaxAllocatedStorage": 22}, ACCEPTED, id="max-storage-10-percent-more"),
]


@pytest.mark.parametrize(("params", "expected"), RDS_INSTANCE_CASES)
def test_create_postgres_instance_limits(raw: Aws, params: dict[str, Any], expected: str | None) -> None:
    request = {
        "DBInstanceIdentifier": unique("limits"),
        "Engine": "postgres",
        "EngineVersion": "16",
        "DBInstanceClass": "db.t3.micro",
        "AllocatedStorage": 20,
        "MasterUsername": "payments",
        "MasterUserPassword": "correct-horse-battery",
        **params,
    }
    assert outcome(lambda: raw("rds").create_db_instance(**request)) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"BackupRetentionPeriod": 36}, "InvalidParameterValue", id="backup-36"),
        pytest.param({"BackupRetentionPeriod": 35}, ACCEPTED, id="backup-35"),
        pytest.param({"MaxAllocatedStorage": 21}, "InvalidParameterValue", id="max-storage-under-10-percent-more"),
        pytest.param({"MaxAllocatedStorage": 20}, ACCEPTED, id="max-storage-equal-autoscaling-off"),
    ],
)
def test_modify_postgres_instance_limits(raw: Aws, params: dict[str, Any], expected: str | None) -> None:
    rds = raw("rds")
    identifier = unique("limits")
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        EngineVersion="16",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="payments",
        MasterUserPassword="correct-horse-battery",
    )
    call = lambda: rds.modify_db_instance(DBInstanceIdentifier=identifier, ApplyImmediately=True, **params)  # noqa: E731
    assert outcome(call) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("", "ValidationError", id="empty"),
        pytest.param(64, ACCEPTED, id="64-chars"),
        pytest.param(65, "ValidationError", id="65-chars"),
        pytest.param("payments_+=,.@-role", ACCEPTED, id="every-allowed-symbol"),
        pytest.param("payments role", "ValidationError", id="space"),
        pytest.param("payments/role", "ValidationError", id="slash"),
    ],
)
def test_create_role_name(raw: Aws, name: str | int, expected: str | None) -> None:
    if isinstance(name, int):
        name = unique("limits").ljust(name, "x")
    elif expected is ACCEPTED:
        name = unique(name)
    policy = '{"Version": "2012-10-17", "Statement": []}'
    assert outcome(lambda: raw("iam").create_role(RoleName=name, AssumeRolePolicyDocument=policy)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("a", "InvalidParameterException", id="1-char"),
        pytest.param(2, ACCEPTED, id="2-chars"),
        pytest.param(256, ACCEPTED, id="256-chars"),
        pytest.param(257, "InvalidParameterException", id="257-chars"),
        pytest.param("payments/api", ACCEPTED, id="namespace"),
        pytest.param("pay__ments", ACCEPTED, id="double-underscore"),
        pytest.param("pay--ments", ACCEPTED, id="hyphens"),
        pytest.param("Payments", "InvalidParameterException", id="uppercase"),
        pytest.param("pay___ments", "InvalidParameterException", id="triple-underscore"),
        pytest.param("payments/", "InvalidParameterException", id="trailing-slash"),
        pytest.param("-payments", "InvalidParameterException", id="leading-hyphen"),
    ],
)
def test_create_repository_name(raw: Aws, name: str | int, expected: str | None) -> None:
    if isinstance(name, int):
        name = uuid.uuid4().hex[:2] if name == 2 else uuid.uuid4().hex.ljust(name, "0")
    elif expected is ACCEPTED:
        name = f"{name}-{uuid.uuid4().hex[:8]}"
    assert outcome(lambda: raw("ecr").create_repository(repositoryName=name)) == expected
