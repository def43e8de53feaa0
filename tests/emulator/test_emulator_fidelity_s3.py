"""S3 fidelity patches: the emulator answers bucket lifecycle calls as AWS does where stock moto does not."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.fidelity import PATCHES
from emulator.fidelity import patch_name
from emulator.fidelity import s3 as s3_fidelity
from emulator.testing import RunningEmulator

S3_PATCHES = [
    s3_fidelity.lifecycle_rule_validation,
    s3_fidelity.lifecycle_object_size_filters,
    s3_fidelity.lifecycle_noncurrent_expiration_newer_versions,
]
# A valid rule the bucket holds before each rejected call: a refused configuration must leave it in place.
KEPT_RULE = {"ID": "kept", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365}}


@pytest.fixture
def bucket(aws: Callable[..., Any]) -> str:
    """A fresh bucket holding KEPT_RULE."""
    name = f"lifecycle-{uuid.uuid4().hex[:12]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [KEPT_RULE]})
    return name


def put(aws: Callable[..., Any], bucket: str, *rules: dict[str, Any]) -> None:
    aws("s3").put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)})


def rules_of(aws: Callable[..., Any], bucket: str) -> list[dict[str, Any]]:
    return aws("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]


def rule(rule_id: str = "r1", **parts: Any) -> dict[str, Any]:
    return {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": ""}, **parts}


def test_s3_patches_are_registered_and_applied(emu: RunningEmulator) -> None:
    applied = emu.client.health()["fidelity"]
    for patch in S3_PATCHES:
        assert patch in PATCHES
        assert patch.__doc__
        assert patch_name(patch) in applied


REJECTED = [
    pytest.param(
        [rule(Transitions=[{"Days": 10, "StorageClass": "STANDARD_IA"}])],
        "InvalidArgument",
        "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
        id="standard-ia-before-30-days",
    ),
    pytest.param(
        [rule(Transitions=[{"Days": 29, "StorageClass": "ONEZONE_IA"}])],
        "InvalidArgument",
        "for storageClass 'ONEZONE_IA'",
        id="onezone-ia-before-30-days",
    ),
    pytest.param(
        [rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 5, "StorageClass": "STANDARD_IA"}])],
        "InvalidArgument",
        "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30",
        id="noncurrent-ia-before-30-days",
    ),
    pytest.param(
        [
            {
                **rule(Transitions=[{"Days": 90, "StorageClass": "GLACIER"}], Expiration={"Days": 90}),
                "Filter": {"Prefix": "logs/"},
            }
        ],
        "InvalidArgument",
        "'Days' in the Expiration action for filter '(prefix=logs/)' must be greater than 'Days' in the Transition",
        id="expiration-not-after-transition",
    ),
    pytest.param(
        [rule(Expiration={"Days": 0})],
        "InvalidArgument",
        "'Days' for Expiration action must be a positive integer",
        id="expiration-zero-days",
    ),
    pytest.param(
        [rule("same", Expiration={"Days": 5}), rule("same", Expiration={"Days": 9})],
        "InvalidArgument",
        "Rule ID must be unique",
        id="duplicate-ids",
    ),
    pytest.param(
        [rule("x" * 256, Expiration={"Days": 5})],
        "InvalidArgument",
        "ID length should not exceed allowed limit of 255",
        id="id-too-long",
    ),
    pytest.param(
        [rule()],
        "InvalidRequest",
        "At least one action needs to be specified in a rule",
        id="no-action",
    ),
    pytest.param(
        [
            {
                **rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7}),
                "Filter": {"Tag": {"Key": "k", "Value": "v"}},
            }
        ],
        "InvalidRequest",
        "AbortIncompleteMultipartUpload cannot be specified with Tags.",
        id="abort-multipart-with-tag-filter",
    ),
    pytest.param(
        [
            {
                **rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7}),
                "Filter": {"And": {"Prefix": "big/", "ObjectSizeGreaterThan": 1024}},
            }
        ],
        "InvalidRequest",
        "AbortIncompleteMultipartUpload cannot be specified with Object Size.",
        id="abort-multipart-with-size-filter",
    ),
    pytest.param(
        [{**rule(Expiration={"ExpiredObjectDeleteMarker": True}), "Filter": {"Tag": {"Key": "k", "Value": "v"}}}],
        "InvalidRequest",
        "ExpiredObjectDeleteMarker cannot be specified with Tags.",
        id="delete-marker-with-tag-filter",
    ),
    pytest.param(
        [rule(f"r{i}", Expiration={"Days": 5}) for i in range(1001)],
        "MalformedXML",
        "",
        id="more-than-1000-rules",
    ),
]


@pytest.mark.parametrize(("rules", "code", "message"), REJECTED)
def test_invalid_lifecycle_is_refused_and_changes_nothing(
    aws: Callable[..., Any], bucket: str, rules: list[dict[str, Any]], code: str, message: str
) -> None:
    with pytest.raises(ClientError) as refused:
        put(aws, bucket, *rules)

    error = refused.value.response["Error"]
    assert error["Code"] == code
    assert message in error["Message"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert [r["ID"] for r in rules_of(aws, bucket)] == ["kept"]


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param([rule(Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}])], id="standard-ia-at-30-days"),
        pytest.param([rule(Transitions=[{"Days": 0, "StorageClass": "GLACIER"}])], id="glacier-at-day-0"),
        pytest.param(
            [
                rule(
                    Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
                    Expiration={"Days": 365},
                    NoncurrentVersionExpiration={"NoncurrentDays": 90},
                    AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7},
                )
            ],
            id="seed-dev-policy",
        ),
        pytest.param(
            [rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "ONEZONE_IA"}])],
            id="noncurrent-onezone-ia-at-30-days",
        ),
        pytest.param([rule(f"r{i}", Expiration={"Days": 5}) for i in range(1000)], id="exactly-1000-rules"),
    ],
)
def test_valid_lifecycle_is_accepted(aws: Callable[..., Any], bucket: str, rules: list[dict[str, Any]]) -> None:
    put(aws, bucket, *rules)
    assert len(rules_of(aws, bucket)) == len(rules)


def test_object_size_conditions_are_kept(aws: Callable[..., Any], bucket: str) -> None:
    put(
        aws,
        bucket,
        {**rule("small", Expiration={"Days": 30}), "Filter": {"ObjectSizeLessThan": 1024}},
        {
            **rule("large", Transitions=[{"Days": 0, "StorageClass": "DEEP_ARCHIVE"}]),
            "Filter": {"And": {"Prefix": "exports/", "ObjectSizeGreaterThan": 1048576, "ObjectSizeLessThan": 10**9}},
        },
        {
            **rule("size-range", Expiration={"Days": 3}),
            "Filter": {"And": {"ObjectSizeGreaterThan": 0, "ObjectSizeLessThan": 4096}},
        },
    )

    filters = {r["ID"]: r["Filter"] for r in rules_of(aws, bucket)}

    assert filters == {
        "small": {"ObjectSizeLessThan": 1024},
        "large": {"And": {"Prefix": "exports/", "ObjectSizeGreaterThan": 1048576, "ObjectSizeLessThan": 10**9}},
        "size-range": {"And": {"ObjectSizeGreaterThan": 0, "ObjectSizeLessThan": 4096}},
    }


def test_noncurrent_expiration_keeps_newer_noncurrent_versions(aws: Callable[..., Any], bucket: str) -> None:
    put(aws, bucket, rule(NoncurrentVersionExpiration={"NoncurrentDays": 30, "NewerNoncurrentVersions": 3}))

    [stored] = rules_of(aws, bucket)

    assert stored["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30, "NewerNoncurrentVersions": 3}


def test_a_new_configuration_replaces_the_remembered_fields(aws: Callable[..., Any], bucket: str) -> None:
    put(aws, bucket, {**rule("r", Expiration={"Days": 3}), "Filter": {"ObjectSizeGreaterThan": 5}})
    put(aws, bucket, rule("r", Expiration={"Days": 3}))

    [stored] = rules_of(aws, bucket)

    assert stored["Filter"] == {"Prefix": ""}
