"""S3 fidelity patches: the emulator answers bucket lifecycle calls and conditional writes as AWS does where stock
moto does not."""

import contextlib
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.fidelity import PATCHES
from emulator.fidelity import patch_name
from emulator.fidelity import s3 as s3_fidelity
from emulator.testing import RunningEmulator
from emulator.testing import running_emulator

S3_PATCHES = [
    s3_fidelity.lifecycle_rule_validation,
    s3_fidelity.lifecycle_object_size_filters,
    s3_fidelity.lifecycle_noncurrent_expiration_newer_versions,
    s3_fidelity.conditional_writes_atomic,
    s3_fidelity.bucket_policy_conditions,
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


# ---------------------------------------------------------------------------------------------
# Conditional writes racing on one key (s3.conditional_writes_atomic)
# ---------------------------------------------------------------------------------------------
WRITERS = 16
ROUNDS = 30
KEY = "locks/dev.lock"
# What S3 answers the writers that lose a race: the condition no longer holds (412), or another write of the key
# was in progress (409, "retry"). An If-Match write or delete of an object deleted meanwhile gets NoSuchKey (404).
LOST = {"PreconditionFailed", "ConditionalRequestConflict"}


@pytest.fixture(scope="module")
def store_emu() -> Iterator[RunningEmulator]:
    """An emulator of its own whose moto keeps every object in a file (``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE=1``).

    With moto's default (objects under 5 MB in memory) nothing between the check and the write of a PutObject lets
    another of the server's threads run (GIL), so over HTTP stock moto almost never shows its race (no round of 200
    with 32 writers); the file write, I/O as any store does, lets other requests in between, and without
    ``s3.conditional_writes_atomic`` several writers win in about one round of four.
    """
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "1")
            running = stack.enter_context(running_emulator())
        yield running


def client_of(emu: RunningEmulator, session: boto3.session.Session | None = None) -> Any:
    """An S3 client on ``emu`` that sends every request once: no retry hides an answer."""
    return (session or boto3.session.Session()).client(
        "s3",
        region_name="us-east-1",
        endpoint_url=emu.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def racers(store_emu: RunningEmulator) -> list[Any]:
    """WRITERS clients, each with connections of its own."""
    session = boto3.session.Session()
    return [client_of(store_emu, session) for _ in range(WRITERS)]


@pytest.fixture
def store(store_emu: RunningEmulator) -> Any:
    return client_of(store_emu)


@pytest.fixture
def race_bucket(store: Any) -> str:
    name = f"race-{uuid.uuid4().hex[:12]}"
    store.create_bucket(Bucket=name)
    return name


def race(racers: list[Any], request: Callable[[int, Any], Any]) -> list[str]:
    """Run ``request(index, client)`` in every racer at once (released by a barrier): "ok" or the error code each."""
    start = threading.Barrier(len(racers))

    def attempt(index: int) -> str:
        start.wait(timeout=30)
        try:
            request(index, racers[index])
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(max_workers=len(racers)) as pool:
        return list(pool.map(attempt, range(len(racers))))


def body_of(store: Any, bucket: str, key: str = KEY) -> bytes | None:
    try:
        return store.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        return None


def verdict(outcomes: list[str], stored: bytes | None, bodies: list[bytes | None], lost: set[str] = LOST) -> str:
    """How a round ended: ``one winner`` when exactly one request won, every other lost as S3 answers a loser,
    and the key holds what the winner wrote (``bodies[i]``: what racer i's success leaves, None for a delete)."""
    winners = [i for i, outcome in enumerate(outcomes) if outcome == "ok"]
    unexpected = sorted(set(outcomes) - {"ok"} - lost)
    if len(winners) != 1:
        return f"{len(winners)} winners" + (f", others {unexpected}" if unexpected else "")
    if unexpected:
        return f"one winner, others {unexpected}"
    return "one winner" if stored == bodies[winners[0]] else "one winner, then overwritten"


def test_the_race_tests_run_on_an_emulator_with_the_patch(store_emu: RunningEmulator) -> None:
    assert patch_name(s3_fidelity.conditional_writes_atomic) in store_emu.client.health()["fidelity"]


def test_of_concurrent_create_only_writes_exactly_one_succeeds(store: Any, racers: list[Any], race_bucket: str) -> None:
    verdicts = []
    for round_no in range(ROUNDS):
        bodies: list[bytes | None] = [f"round {round_no} writer {i}".encode() for i in range(WRITERS)]
        outcomes = race(
            racers,
            lambda i, client, bodies=bodies: client.put_object(
                Bucket=race_bucket, Key=KEY, Body=bodies[i], IfNoneMatch="*"
            ),
        )
        verdicts.append(verdict(outcomes, body_of(store, race_bucket), bodies))
        store.delete_object(Bucket=race_bucket, Key=KEY)
    assert Counter(verdicts) == {"one winner": ROUNDS}, dict(Counter(verdicts))


def test_of_concurrent_takeovers_of_one_etag_exactly_one_succeeds(
    store: Any, racers: list[Any], race_bucket: str
) -> None:
    verdicts = []
    for round_no in range(ROUNDS):
        stale = store.put_object(Bucket=race_bucket, Key=KEY, Body=f"stale lock {round_no}".encode())["ETag"]
        bodies: list[bytes | None] = [f"round {round_no} writer {i}".encode() for i in range(WRITERS)]
        outcomes = race(
            racers,
            lambda i, client, bodies=bodies, etag=stale: client.put_object(
                Bucket=race_bucket, Key=KEY, Body=bodies[i], IfMatch=etag
            ),
        )
        verdicts.append(verdict(outcomes, body_of(store, race_bucket), bodies))
    assert Counter(verdicts) == {"one winner": ROUNDS}, dict(Counter(verdicts))


def test_a_conditional_release_racing_takeovers_has_one_winner(store: Any, racers: list[Any], race_bucket: str) -> None:
    """Racer 0 deletes the lock it read (If-Match), the others take it over with the same ETag: one of them wins."""

    def release_or_take_over(index: int, client: Any, etag: str, bodies: list[bytes | None]) -> None:
        if index == 0:
            client.delete_object(Bucket=race_bucket, Key=KEY, IfMatch=etag)
        else:
            client.put_object(Bucket=race_bucket, Key=KEY, Body=bodies[index], IfMatch=etag)

    verdicts = []
    for round_no in range(ROUNDS):
        stale = store.put_object(Bucket=race_bucket, Key=KEY, Body=f"stale lock {round_no}".encode())["ETag"]
        bodies: list[bytes | None] = [None] + [f"round {round_no} writer {i}".encode() for i in range(1, WRITERS)]
        outcomes = race(
            racers, lambda i, client, etag=stale, bodies=bodies: release_or_take_over(i, client, etag, bodies)
        )
        verdicts.append(verdict(outcomes, body_of(store, race_bucket), bodies, LOST | {"NoSuchKey"}))
    assert Counter(verdicts) == {"one winner": ROUNDS}, dict(Counter(verdicts))


def test_of_concurrent_create_only_multipart_completions_exactly_one_succeeds(
    store: Any, racers: list[Any], race_bucket: str
) -> None:
    key, rounds = "state/terraform.tfstate", ROUNDS // 3
    verdicts = []
    for round_no in range(rounds):
        bodies: list[bytes | None] = [f"round {round_no} writer {i}".encode() for i in range(WRITERS)]
        uploads = []
        for i, client in enumerate(racers):
            upload = client.create_multipart_upload(Bucket=race_bucket, Key=key)["UploadId"]
            part = client.upload_part(Bucket=race_bucket, Key=key, UploadId=upload, PartNumber=1, Body=bodies[i])
            parts = [{"PartNumber": 1, "ETag": part["ETag"]}]
            uploads.append({"UploadId": upload, "MultipartUpload": {"Parts": parts}})
        outcomes = race(
            racers,
            lambda i, client, uploads=uploads: client.complete_multipart_upload(
                Bucket=race_bucket, Key=key, IfNoneMatch="*", **uploads[i]
            ),
        )
        verdicts.append(verdict(outcomes, body_of(store, race_bucket, key), bodies))
        store.delete_object(Bucket=race_bucket, Key=key)
    assert Counter(verdicts) == {"one winner": rounds}, dict(Counter(verdicts))


def test_writes_of_other_keys_are_not_held_up(racers: list[Any], race_bucket: str) -> None:
    """Serialized per key: every racer writing a key of its own succeeds."""
    outcomes = race(
        racers,
        lambda i, client: client.put_object(Bucket=race_bucket, Key=f"locks/env-{i}.lock", Body=b"x", IfNoneMatch="*"),
    )
    assert outcomes == ["ok"] * WRITERS


# ---------------------------------------------------------------------------------------------
# Bucket policy conditions
# ---------------------------------------------------------------------------------------------
def tls_only(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def test_a_tls_only_policy_lets_requests_over_tls_through(aws: Callable[..., Any]) -> None:
    """AWS denies only plain-HTTP requests; every request here stands for one over TLS (stock moto: 403)."""
    s3 = aws("s3")
    name = f"tls-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=tls_only(name))
    s3.put_object(Bucket=name, Key="record.json", Body=b"{}")
    assert s3.get_object(Bucket=name, Key="record.json")["Body"].read() == b"{}"
    s3.delete_object(Bucket=name, Key="record.json")


@pytest.mark.parametrize(
    ("condition", "denied"),
    [
        (None, True),  # unconditional deny
        ({"Bool": {"aws:SecureTransport": "true"}}, True),  # holds: requests come over TLS
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": ["false"]}}, False),
        ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, False),  # key absent from the request: no match
        ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, True),  # negated operator on an absent key: holds
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, True),
        ({"Null": {"aws:SourceVpce": "true"}}, True),
        ({"Null": {"aws:SecureTransport": "true"}}, False),
    ],
)
def test_a_deny_statement_applies_only_when_its_condition_holds(
    aws: Callable[..., Any], condition: dict[str, Any] | None, denied: bool
) -> None:
    s3 = aws("s3")
    name = f"cond-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{name}/*",
    }
    if condition:
        statement["Condition"] = condition
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    if denied:
        with pytest.raises(ClientError) as error:
            s3.put_object(Bucket=name, Key="k", Body=b"x")
        assert error.value.response["Error"]["Code"] == "AccessDenied"
    else:
        s3.put_object(Bucket=name, Key="k", Body=b"x")
