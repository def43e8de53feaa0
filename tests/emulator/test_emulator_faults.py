"""Fault injection: AWS-shaped throttling and 5xx answers, retried by botocore, reproducible, controllable.

These tests run on an emulator of this module's own, started with fault settings from the environment and the
command line, so the faults they turn on never reach the shared emulator of the other test modules.
"""

import contextlib
import json
import types
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.client import EmulatorError
from emulator.faults import ERROR_RATE_ENV
from emulator.faults import SEED_ENV
from emulator.faults import SERVICES_ENV
from emulator.faults import THROTTLE_RATE_ENV
from emulator.testing import RunningEmulator
from emulator.testing import free_port
from emulator.testing import run_cli
from emulator.testing import running_emulator

NO_RETRIES = Config(retries={"total_max_attempts": 1})
MAX_ATTEMPTS = {"legacy": 5, "standard": 3}  # botocore's defaults per retry mode


@pytest.fixture(scope="module")
def started() -> Iterator[tuple[RunningEmulator, dict[str, Any]]]:
    """An emulator started with faults from the environment, one overridden by a flag; its fault status then."""
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:
            env.setenv(THROTTLE_RATE_ENV, "0.5")
            env.setenv(ERROR_RATE_ENV, "0.3")
            env.setenv(SEED_ENV, "42")
            env.setenv(SERVICES_ENV, "sts")
            running = stack.enter_context(running_emulator(start_args=["--error-rate", "0.25"]))
        yield running, running.client.faults()


@pytest.fixture
def femu(started: tuple[RunningEmulator, dict[str, Any]]) -> Iterator[RunningEmulator]:
    """The module's emulator, faults turned off after each test."""
    running, _status = started
    yield running
    running.client.clear_faults()


@pytest.fixture
def client(femu: RunningEmulator) -> Callable[..., Any]:
    """client(service, config=None) -> a boto3 client on the module's emulator."""

    def _client(service: str, config: Config | None = None) -> Any:
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=femu.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return _client


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry back-off delays, recorded instead of slept (keeps the retry tests fast)."""
    delays: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=delays.append))
    return delays


def raw_responses(aws_client: Any) -> list[dict[str, Any]]:
    """Collects the raw HTTP responses (status, headers, body) the client receives."""
    seen: list[dict[str, Any]] = []

    def on_response(response_dict: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if response_dict is not None:
            seen.append(response_dict)

    aws_client.meta.events.register("response-received", on_response)
    return seen


def test_start_time_settings_come_from_the_environment_and_flags(
    started: tuple[RunningEmulator, dict[str, Any]],
) -> None:
    running, status = started

    assert {key: status[key] for key in ("throttle_rate", "error_rate", "seed", "services", "active")} == {
        "throttle_rate": 0.5,  # PAYMENTS_EMULATOR_THROTTLE_RATE
        "error_rate": 0.25,  # --error-rate wins over PAYMENTS_EMULATOR_5XX_RATE
        "seed": 42,
        "services": ["sts"],
        "active": True,
    }
    assert (
        "injecting faults: throttle 0.5, 5xx 0.25, seed 42, services: sts"
        in (running.state_dir / "emulator.log").read_text()
    )


def test_bad_start_settings_are_refused_before_starting(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()

    flag = run_cli("start", "--throttle-rate", "1.5", port=port, state_dir=tmp_path)
    monkeypatch.setenv(ERROR_RATE_ENV, "-0.1")
    env = run_cli("start", port=port, state_dir=tmp_path)
    monkeypatch.setenv(ERROR_RATE_ENV, "0.6")
    total = run_cli("start", "--throttle-rate", "0.5", port=port, state_dir=tmp_path)

    assert flag.returncode == 2
    assert "argument --throttle-rate: the rate must be a number from 0 to 1, got '1.5'" in flag.stderr
    assert env.returncode == 2
    assert f"{ERROR_RATE_ENV} must be a number from 0 to 1, got '-0.1'" in env.stderr
    assert total.returncode == 2
    assert "throttle_rate + error_rate must be at most 1, got 0.5 + 0.6" in total.stderr
    assert not (tmp_path / "emulator.pid").exists()


# service, call, throttle (code, HTTP status), 5xx (code, HTTP status), a piece of the raw throttle answer
PROTOCOLS = {
    "ec2": (
        lambda c: c.describe_vpcs(),
        ("RequestLimitExceeded", 503),
        ("InternalError", 500),
        b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>",
    ),
    "ecs": (
        lambda c: c.list_clusters(),
        ("ThrottlingException", 400),
        ("InternalFailure", 500),
        b'{"__type": "ThrottlingException", "message": "Rate exceeded"}',
    ),
    "s3": (
        lambda c: c.list_buckets(),
        ("SlowDown", 503),
        ("InternalError", 500),
        b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>",
    ),
    "rds": (
        lambda c: c.describe_db_instances(),
        ("Throttling", 400),
        ("InternalFailure", 500),
        b'<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>'
        b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>",
    ),
    "logs": (
        lambda c: c.describe_log_groups(),
        ("ThrottlingException", 400),
        ("InternalFailure", 500),
        b'"__type": "ThrottlingException"',
    ),
    # smithy-rpc-v2-cbor, query compatible: botocore reports the query code from x-amzn-query-error
    "cloudwatch": (lambda c: c.describe_alarms(), ("Throttling", 400), ("InternalFailure", 500), b"__type"),
}


@pytest.mark.parametrize("service", PROTOCOLS)
def test_throttling_looks_like_aws_and_botocore_retries_it(
    femu: RunningEmulator, client: Callable[..., Any], sleeps: list[float], service: str
) -> None:
    call, (code, status), _error, raw_piece = PROTOCOLS[service]
    femu.client.set_faults(throttle_rate=1.0, services=[service])
    once = client(service, NO_RETRIES)
    raw = raw_responses(once)
    since = femu.client.last_seq()

    with pytest.raises(ClientError) as throttled:
        call(once)

    error = throttled.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert error["ResponseMetadata"]["RequestId"]
    assert raw_piece in raw[0]["body"]
    if service in ("ecs", "logs"):
        assert raw[0]["headers"]["x-amzn-ErrorType"] == "ThrottlingException"
    [record] = femu.client.calls(since=since)
    assert (record["status"], record["fault"]) == (status, "throttle")

    for mode, attempts in MAX_ATTEMPTS.items():
        since = femu.client.last_seq()
        with pytest.raises(ClientError) as exhausted:
            call(client(service, Config(retries={"mode": mode})))
        assert exhausted.value.response["Error"]["Code"] == code
        assert len(femu.client.calls(since=since)) == attempts, f"{mode} mode did not retry {code}"


@pytest.mark.parametrize("service", PROTOCOLS)
def test_5xx_looks_like_aws_and_botocore_retries_it(
    femu: RunningEmulator, client: Callable[..., Any], sleeps: list[float], service: str
) -> None:
    call, _throttle, (code, status), _raw = PROTOCOLS[service]
    femu.client.set_faults(error_rate=1.0, services=[service])
    since = femu.client.last_seq()

    with pytest.raises(ClientError) as failed:
        call(client(service, NO_RETRIES))
    with pytest.raises(ClientError):
        call(client(service, Config(retries={"mode": "standard"})))

    error = failed.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    records = femu.client.calls(since=since)
    assert [(record["status"], record["fault"]) for record in records] == [(status, "error")] * 4
    assert femu.client.faults()["injected"] == {"throttle": 0, "error": 4}


@pytest.mark.parametrize("mode", MAX_ATTEMPTS)
def test_default_retries_get_through_30_percent_throttling_creating_each_resource_once(
    femu: RunningEmulator, client: Callable[..., Any], sleeps: list[float], mode: str
) -> None:
    prefix = f"/faults/{mode}/{uuid.uuid4().hex[:8]}/"
    logs = client("logs", Config(retries={"mode": mode}))
    since = femu.client.last_seq()
    # Seed 14: 11 of the calls are throttled, never more than twice in a row (standard mode tries 3 times).
    with femu.injecting_faults(throttle_rate=0.3, seed=14, services=["logs"]):
        for index in range(20):
            logs.create_log_group(logGroupName=f"{prefix}{index:02d}")
        injected = femu.client.faults()["injected"]

    names = [group["logGroupName"] for group in logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]]
    assert sorted(names) == [f"{prefix}{index:02d}" for index in range(20)]
    creates = [record for record in femu.client.calls(since=since) if record["operation"] == "CreateLogGroup"]
    assert [record["status"] for record in creates if record["fault"] is None] == [200] * 20  # no AlreadyExists
    throttled = [record for record in creates if record["fault"] == "throttle"]
    assert {record["status"] for record in throttled} == {400}
    assert len(throttled) == injected["throttle"] == len(sleeps) > 0
    assert injected["error"] == 0


def test_a_faulted_call_changes_nothing(femu: RunningEmulator, client: Callable[..., Any]) -> None:
    ec2, s3 = client("ec2", NO_RETRIES), client("s3", NO_RETRIES)
    bucket = f"faults-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    since = femu.client.last_seq()

    with femu.injecting_faults(throttle_rate=1.0, services=["ec2", "s3"]):
        with pytest.raises(ClientError, match="RequestLimitExceeded"):
            ec2.create_vpc(CidrBlock="10.77.0.0/16")
        with pytest.raises(ClientError, match="SlowDown"):
            s3.put_object(Bucket=bucket, Key="blob", Body=b"x" * 200_000)

    assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.77.0.0/16"]}])["Vpcs"] == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    records = femu.client.calls(since=since)
    assert [(r["operation"], r["mutating"], r["status"], r["fault"]) for r in records[:2]] == [
        ("CreateVpc", True, 503, "throttle"),
        ("PutObject", True, 503, "throttle"),
    ]


def test_same_seed_same_faults(femu: RunningEmulator, client: Callable[..., Any]) -> None:
    sts = client("sts", NO_RETRIES)

    def run(seed: int) -> list[str | None]:
        femu.client.set_faults(throttle_rate=0.4, error_rate=0.2, seed=seed, services=["sts"])
        since = femu.client.last_seq()
        for _ in range(25):
            with contextlib.suppress(ClientError):
                sts.get_caller_identity()
        return [record["fault"] for record in femu.client.calls(since=since)]

    first, again, other = run(1234), run(1234), run(1235)

    assert first == again
    assert first != other
    assert {"throttle", "error", None} == set(first)
    status = femu.client.faults()
    assert status["seed"] == 1235
    assert status["eligible_calls"] == 25
    assert status["injected"] == {"throttle": other.count("throttle"), "error": other.count("error")}


def test_settings_are_validated(femu: RunningEmulator) -> None:
    femu.client.set_faults(throttle_rate=0.1, seed=5)
    refused = {
        "throttle_rate must be a number from 0 to 1, got 1.5": {"throttle_rate": 1.5},
        "error_rate must be a number from 0 to 1, got -0.1": {"error_rate": -0.1},
        "throttle_rate must be a number from 0 to 1, got True": {"throttle_rate": True},
        "throttle_rate + error_rate must be at most 1, got 0.7 + 0.5": {"throttle_rate": 0.7, "error_rate": 0.5},
        "seed must be an integer, got 'x'": {"seed": "x"},
        "unknown field(s) 'throtle_rate'": {"throtle_rate": 0.1},
        "unknown service 'ec3' in services": {"services": ["ec3"]},
    }
    for message, body in refused.items():
        request = urllib.request.Request(
            f"{femu.endpoint}/_payments/faults", data=json.dumps(body).encode(), method="PUT"
        )
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(request)
        assert bad.value.code == 400
        assert message in json.loads(bad.value.read())["error"]

    with pytest.raises(EmulatorError, match=r"HTTP 400: throttle_rate must be a number from 0 to 1, got 2"):
        femu.client.set_faults(throttle_rate=2)
    status = femu.client.faults()
    assert (status["throttle_rate"], status["seed"]) == (0.1, 5)  # unchanged
    named = femu.client.set_faults(throttle_rate=0.1, services=["cloudwatch", "elbv2", "elasticloadbalancing"])
    assert named["services"] == ["monitoring", "elasticloadbalancing"]  # as the call record names them


def test_control_endpoints_are_never_faulted_and_clearing_stops_faults(
    femu: RunningEmulator, client: Callable[..., Any]
) -> None:
    sts = client("sts", NO_RETRIES)
    femu.client.set_faults(throttle_rate=1.0)

    for _ in range(5):
        femu.client.health()
        femu.client.calls()
        femu.client.faults()
        seeded = urllib.request.Request(f"{femu.endpoint}/moto-api/seed?a=42", method="POST")
        with urllib.request.urlopen(seeded) as response:
            assert response.status == 200
    femu.client.reset_calls()  # reset() is POST /moto-api/reset + this; neither touches the fault settings
    with pytest.raises(ClientError, match="Throttling"):
        sts.get_caller_identity()

    status = femu.client.faults()
    assert (status["active"], status["eligible_calls"], status["injected"]) == (True, 1, {"throttle": 1, "error": 0})
    cleared = femu.client.clear_faults()
    assert (cleared["active"], cleared["throttle_rate"], cleared["injected"]["throttle"]) == (False, 0.0, 1)
    for _ in range(5):
        sts.get_caller_identity()
    assert [record["fault"] for record in femu.client.calls()] == ["throttle", None, None, None, None, None]


def test_cli_faults_command_start_flags_and_calls_table(femu: RunningEmulator, client: Callable[..., Any]) -> None:
    femu.client.reset_calls()

    shown = femu.cli("faults", "--throttle-rate", "1", "--fault-seed", "9", "--fault-services", "sts")
    with pytest.raises(ClientError):
        client("sts", NO_RETRIES).get_caller_identity()
    table = femu.cli("calls").stdout.splitlines()
    as_json = json.loads(femu.cli("calls", "--json").stdout)
    again = femu.cli("start", "--error-rate", "0.5", "--fault-seed", "3")
    off = femu.cli("faults", "--off")

    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["services"] == ["sts"]
    assert table[0].split()[-1] == "fault"
    assert table[1].split()[-3:] == ["400", "False", "throttle"]
    assert [(record["operation"], record["fault"]) for record in as_json] == [("GetCallerIdentity", "throttle")]
    assert again.returncode == 0, again.stderr
    assert "faults set: throttle 0, 5xx 0.5, seed 3, services: all" in again.stdout  # flags + (empty) environment
    assert off.returncode == 0
    assert json.loads(off.stdout)["active"] is False
