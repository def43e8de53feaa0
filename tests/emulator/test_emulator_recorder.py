"""The call recorder: what boto3 calls are recorded as, the /_payments/calls API, and operation identification."""

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.operations import identify
from emulator.testing import RunningEmulator


def summary(records: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return [(record["service"], record["operation"], record["mutating"]) for record in records]


def test_boto3_calls_are_recorded_with_service_operation_and_mutating(
    emu: RunningEmulator, aws: Callable[..., Any]
) -> None:
    ec2, s3, ecr, logs = aws("ec2"), aws("s3"), aws("ecr"), aws("logs")
    bucket = f"rec-{uuid.uuid4().hex[:12]}"
    since = emu.client.last_seq()

    ec2.create_vpc(CidrBlock="10.9.0.0/16")
    ec2.describe_vpcs()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/object.txt", Body=b"payload")
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 7}}]
        },
    )
    s3.list_objects_v2(Bucket=bucket)
    ecr.create_repository(repositoryName=f"repo-{bucket}")
    logs.describe_log_groups()

    records = emu.client.calls(since=since)
    assert summary(records) == [
        ("ec2", "CreateVpc", True),
        ("ec2", "DescribeVpcs", False),
        ("s3", "CreateBucket", True),
        ("s3", "PutObject", True),
        ("s3", "PutBucketLifecycleConfiguration", True),
        ("s3", "ListObjectsV2", False),
        ("ecr", "CreateRepository", True),
        ("logs", "DescribeLogGroups", False),
    ]
    assert {record["region"] for record in records} == {"us-east-1"}
    assert {record["status"] for record in records} == {200}
    assert [record["seq"] for record in records] == list(range(since + 1, since + 9))
    assert all(record["time"].endswith("Z") for record in records)
    assert summary(emu.client.mutating_calls(since=since)) == [entry for entry in summary(records) if entry[2]]


def test_request_bodies_reach_moto_intact(emu: RunningEmulator, aws: Callable[..., Any]) -> None:
    s3, ec2 = aws("s3"), aws("ec2")
    bucket = f"body-{uuid.uuid4().hex[:12]}"
    payload = bytes(range(256)) * 64
    s3.create_bucket(Bucket=bucket)

    s3.put_object(Bucket=bucket, Key="blob", Body=payload)
    vpc = ec2.create_vpc(
        CidrBlock="10.42.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "with spaces & symbols=+"}]}],
    )["Vpc"]

    assert s3.get_object(Bucket=bucket, Key="blob")["Body"].read() == payload
    assert vpc["CidrBlock"] == "10.42.0.0/16"
    assert vpc["Tags"] == [{"Key": "Name", "Value": "with spaces & symbols=+"}]


def test_error_status_is_recorded(emu: RunningEmulator, aws: Callable[..., Any]) -> None:
    since = emu.client.last_seq()

    with pytest.raises(ClientError):
        aws("ec2").describe_vpcs(VpcIds=["vpc-00000000000000000"])

    [record] = emu.client.calls(since=since)
    assert (record["operation"], record["status"], record["mutating"]) == ("DescribeVpcs", 400, False)


def test_since_reset_calls_and_the_calls_file(emu: RunningEmulator, aws: Callable[..., Any]) -> None:
    sts = aws("sts")
    sts.get_caller_identity()
    before = emu.client.last_seq()

    sts.get_caller_identity()
    emu.client.health()  # control endpoints are not recorded

    assert [record["seq"] for record in emu.client.calls(since=before)] == [before + 1]
    emu.client.reset_calls()
    assert emu.client.calls() == []
    sts.get_caller_identity()
    assert [record["seq"] for record in emu.client.calls()] == [before + 2]  # sequence keeps counting
    lines = (emu.state_dir / "calls.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["seq"] == before + 2
    assert len(lines) == before + 2  # the file keeps everything


def test_calls_endpoint_filters_and_errors(emu: RunningEmulator, aws: Callable[..., Any]) -> None:
    since = emu.client.last_seq()
    aws("iam").list_roles()
    aws("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}")

    with urllib.request.urlopen(f"{emu.endpoint}/_payments/calls?since={since}&mutating=1") as response:
        records = json.loads(response.read())

    assert summary(records) == [("iam", "CreateRole", True)]
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(f"{emu.endpoint}/_payments/calls?since=abc")
    assert bad.value.code == 400


def test_reset_clears_moto_state_and_calls(emu: RunningEmulator, aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket = f"reset-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)

    emu.client.reset()

    assert emu.client.calls() == []
    assert bucket not in [entry["Name"] for entry in s3.list_buckets()["Buckets"]]


def test_managed_iam_policies_are_loaded(aws: Callable[..., Any]) -> None:
    policy = aws("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]

    assert policy["PolicyName"] == "ReadOnlyAccess"


def environ(method: str, path: str, query: str = "", service: str = "s3", **headers: str) -> dict[str, Any]:
    """A WSGI environ as botocore would produce it (SigV4 signed for ``service``), without a body."""
    scope = f"Credential=testing/20250101/eu-west-1/{service}/aws4_request"
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=00",
    }
    env.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    return env


@pytest.mark.parametrize(
    ("env", "form", "expected"),
    [
        (environ("PUT", "/b/k", "partNumber=1&uploadId=u"), {}, "UploadPart"),
        (environ("PUT", "/b/k", "partNumber=1&uploadId=u", X_AMZ_COPY_SOURCE="b/src"), {}, "UploadPartCopy"),
        (environ("PUT", "/b/k", X_AMZ_COPY_SOURCE="b/src"), {}, "CopyObject"),
        (environ("GET", "/b/k", "uploadId=u"), {}, "ListParts"),
        (environ("POST", "/b/k", "uploads"), {}, "CreateMultipartUpload"),
        (environ("GET", "/b", "lifecycle"), {}, "GetBucketLifecycleConfiguration"),
        (environ("GET", "/b", "list-type=2&prefix=x"), {}, "ListObjectsV2"),
        (environ("GET", "/b", "x-id=ListObjectsV2"), {}, "ListObjectsV2"),
        (environ("GET", "/b"), {}, "ListObjects"),
        (environ("GET", "/"), {}, "ListBuckets"),
        (environ("DELETE", "/b/a/deep/key"), {}, "DeleteObject"),
        (environ("GET", "/2015-03-31/functions/f/configuration", service="lambda"), {}, "GetFunctionConfiguration"),
        (
            environ("POST", "/service/GraniteServiceVersion20100801/operation/PutMetricData", service="monitoring"),
            {},
            "PutMetricData",
        ),
        (environ("POST", "/", service="ec2"), {"Action": ["CreateNatGateway"]}, "CreateNatGateway"),
        (
            environ("POST", "/", service="ecs", X_AMZ_TARGET="AmazonEC2ContainerServiceV20141113.ListClusters"),
            {},
            "ListClusters",
        ),
    ],
)
def test_operation_identification(env: dict[str, Any], form: dict[str, list[str]], expected: str) -> None:
    identity = identify(env, form)

    assert identity is not None
    assert identity.operation == expected
    assert identity.region == "eu-west-1"


def test_identification_of_unsigned_and_presigned_requests() -> None:
    presigned = identify(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/b/k",
            "QUERY_STRING": "X-Amz-Credential=testing%2F20250101%2Fus-east-2%2Fs3%2Faws4_request&X-Amz-Signature=0",
        },
        {},
    )
    web_identity = identify({"REQUEST_METHOD": "POST", "PATH_INFO": "/"}, {"Action": ["AssumeRoleWithWebIdentity"]})
    not_aws = identify({"REQUEST_METHOD": "GET", "PATH_INFO": "/favicon.ico"}, {})

    assert presigned is not None and (presigned.service, presigned.region, presigned.operation) == (
        "s3",
        "us-east-2",
        "GetObject",
    )
    assert web_identity is not None and (web_identity.service, web_identity.operation, web_identity.mutating) == (
        "sts",
        "AssumeRoleWithWebIdentity",
        True,
    )
    assert not_aws is None
