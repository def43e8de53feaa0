"""Fault injection: answer a share of the AWS API calls with throttling or 5xx errors, as AWS does.

A fault is decided before the request reaches moto, so a faulted call changes nothing (AWS does not execute a
throttled request either) and the client's retry is the first execution. Decisions come from one
``random.Random(seed)`` under a lock: one draw per call that faults apply to, so the same seed and the same order
of calls give the same faults.

Importing this module does not import moto (the CLI uses the settings part); the answers load botocore models
through :mod:`emulator.operations` in the server process.

The answer has the shape the service's wire protocol uses for errors, with the codes botocore's retry handlers
treat as retryable (``botocore/data/_retry.json`` for the legacy mode, ``botocore/retries/standard.py`` for the
standard mode):

========================  =========================================  ============================================
protocol                   throttle                                   error (5xx)
========================  =========================================  ============================================
ec2                        503 ``RequestLimitExceeded``               500 ``InternalError``
query, rest-xml (not S3)   400 ``Throttling`` (``<ErrorResponse>``)   500 ``InternalFailure``
json, rest-json, CBOR      400 ``ThrottlingException``                500 ``InternalFailure``
S3                         503 ``SlowDown``                           500 ``InternalError``
========================  =========================================  ============================================
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import re
import secrets
import threading
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

THROTTLE = "throttle"
ERROR = "error"
KINDS = (THROTTLE, ERROR)

THROTTLE_RATE_ENV = "PAYMENTS_EMULATOR_THROTTLE_RATE"
ERROR_RATE_ENV = "PAYMENTS_EMULATOR_5XX_RATE"
SEED_ENV = "PAYMENTS_EMULATOR_FAULT_SEED"
SERVICES_ENV = "PAYMENTS_EMULATOR_FAULT_SERVICES"
FIELDS = ("throttle_rate", "error_rate", "seed", "services")

_CBOR_PATH_RE = re.compile(r"^/service/[^/]+/operation/[^/]+$")


class FaultConfigError(ValueError):
    """A fault setting is not valid; the message names the setting and the value."""


def parse_rate(value: Any, name: str) -> float:
    """A probability from 0 to 1 (number, or text from the environment/command line)."""
    rate: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
    elif isinstance(value, str):
        try:
            rate = float(value.strip())
        except ValueError:
            rate = None
    if rate is None or not math.isfinite(rate) or not 0.0 <= rate <= 1.0:
        raise FaultConfigError(f"{name} must be a number from 0 to 1, got {value!r}")
    return rate


def parse_seed(value: Any, name: str) -> int | None:
    """An integer seed (number or text); None/empty means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise FaultConfigError(f"{name} must be an integer, got {value!r}")


def parse_services(value: Any, name: str) -> tuple[str, ...] | None:
    """Service names (a list, or comma-separated text); None means every service."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()] or None
        if value is None:
            return None
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) and item for item in value):
        raise FaultConfigError(f"{name} must be a list of service names, got {value!r}")
    if not value:
        raise FaultConfigError(f"{name} must name at least one service (leave it out for every service)")
    return tuple(dict.fromkeys(value))


@dataclass(frozen=True)
class FaultSettings:
    """What to inject: the share of calls throttled and answered 5xx, the seed, the services (None: all)."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    seed: int | None = None
    services: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.throttle_rate + self.error_rate > 1.0 + 1e-9:
            raise FaultConfigError(
                f"throttle_rate + error_rate must be at most 1, got {self.throttle_rate!r} + {self.error_rate!r}"
            )

    @property
    def active(self) -> bool:
        """True if any call can be faulted."""
        return self.throttle_rate > 0 or self.error_rate > 0

    @classmethod
    def from_mapping(cls, data: Any) -> FaultSettings:
        """Settings from the JSON body of ``PUT /_payments/faults`` (left-out fields: 0, no seed, all services)."""
        if not isinstance(data, dict):
            raise FaultConfigError(f"the body must be a JSON object with the fields {', '.join(FIELDS)}")
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise FaultConfigError(f"unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(FIELDS)}")
        return cls(
            throttle_rate=parse_rate(data.get("throttle_rate", 0), "throttle_rate"),
            error_rate=parse_rate(data.get("error_rate", 0), "error_rate"),
            seed=parse_seed(data.get("seed"), "seed"),
            services=parse_services(data.get("services"), "services"),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FaultSettings:
        """Settings from ``PAYMENTS_EMULATOR_THROTTLE_RATE``, ``_5XX_RATE``, ``_FAULT_SEED``, ``_FAULT_SERVICES``."""
        environ = os.environ if environ is None else environ
        return cls(
            throttle_rate=parse_rate(environ.get(THROTTLE_RATE_ENV) or "0", THROTTLE_RATE_ENV),
            error_rate=parse_rate(environ.get(ERROR_RATE_ENV) or "0", ERROR_RATE_ENV),
            seed=parse_seed(environ.get(SEED_ENV), SEED_ENV),
            services=parse_services(environ.get(SERVICES_ENV) or None, SERVICES_ENV),
        )

    def to_env(self) -> dict[str, str]:
        """The environment variables that give these settings (inverse of :meth:`from_env`)."""
        return {
            THROTTLE_RATE_ENV: repr(self.throttle_rate),
            ERROR_RATE_ENV: repr(self.error_rate),
            SEED_ENV: "" if self.seed is None else str(self.seed),
            SERVICES_ENV: ",".join(self.services or ()),
        }

    def to_json(self) -> dict[str, Any]:
        """The settings as the control endpoint shows them."""
        return {
            "throttle_rate": self.throttle_rate,
            "error_rate": self.error_rate,
            "seed": self.seed,
            "services": list(self.services) if self.services is not None else None,
        }


def canonical_services(settings: FaultSettings) -> FaultSettings:
    """``settings`` with its services as call-record names (signing names); botocore names are accepted too.

    ``cloudwatch`` becomes ``monitoring``, ``elbv2`` ``elasticloadbalancing``; an unknown name is refused.
    """
    if settings.services is None:
        return settings
    from emulator.operations import botocore_signing_name  # noqa: PLC0415 - imports moto: server process only
    from emulator.operations import signing_names  # noqa: PLC0415 - imports moto: server process only

    canonical = []
    for name in settings.services:
        # A botocore name first (one model to load): "cloudwatch" is CloudWatch, not another service signed so.
        signing_name = botocore_signing_name(name)
        if signing_name is None and name in signing_names():  # loads every model's metadata (about 3 s, once)
            signing_name = name
        if signing_name is None:
            raise FaultConfigError(
                f"unknown service {name!r} in services: use the service of the call record (e.g. monitoring,"
                " elasticloadbalancing) or the botocore client name (e.g. cloudwatch, elbv2)"
            )
        canonical.append(signing_name)
    return replace(settings, services=tuple(dict.fromkeys(canonical)))


class FaultInjector:
    """Decides, thread-safely and reproducibly, which calls get a fault; counts what it injected."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._rng = random.Random(0)  # noqa: S311 - simulation, not security
        self._injected = dict.fromkeys(KINDS, 0)
        self._eligible = 0
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> dict[str, Any]:
        """Apply new settings: the generator restarts from the seed (a random one if None) and the counts from 0."""
        if settings.seed is None and settings.active:
            settings = replace(settings, seed=secrets.randbits(32))
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)  # noqa: S311 - simulation, not security
            self._injected = dict.fromkeys(KINDS, 0)
            self._eligible = 0
        return self.status()

    def clear(self) -> dict[str, Any]:
        """Turn faults off; the counts of what was injected stay readable until the next :meth:`configure`."""
        with self._lock:
            self._settings = FaultSettings()
        return self.status()

    def decide(self, service: str) -> str | None:
        """``THROTTLE``, ``ERROR`` or None for the next call to ``service`` (one draw per call faults apply to)."""
        with self._lock:
            settings = self._settings
            if not settings.active or (settings.services is not None and service not in settings.services):
                return None
            self._eligible += 1
            draw = self._rng.random()
            if draw < settings.throttle_rate:
                kind = THROTTLE
            elif draw < settings.throttle_rate + settings.error_rate:
                kind = ERROR
            else:
                return None
            self._injected[kind] += 1
            return kind

    def status(self) -> dict[str, Any]:
        """Settings plus counts: ``eligible_calls`` (calls drawn for) and ``injected`` per kind."""
        with self._lock:
            return {
                **self._settings.to_json(),
                "active": self._settings.active,
                "eligible_calls": self._eligible,
                "injected": dict(self._injected),
            }


# --- the answers --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AwsError:
    status: int
    code: str
    message: str
    fault_type: str  # "Sender" or "Receiver", as query-protocol errors say


_INTERNAL_FAILURE = "The request processing has failed because of an unknown error, exception or failure."
_ERRORS: dict[tuple[str, str], _AwsError] = {
    (THROTTLE, "ec2"): _AwsError(503, "RequestLimitExceeded", "Request limit exceeded.", "Sender"),
    (ERROR, "ec2"): _AwsError(500, "InternalError", "An internal error has occurred.", "Receiver"),
    (THROTTLE, "s3"): _AwsError(503, "SlowDown", "Please reduce your request rate.", "Sender"),
    (ERROR, "s3"): _AwsError(500, "InternalError", "We encountered an internal error. Please try again.", "Receiver"),
    (THROTTLE, "query"): _AwsError(400, "Throttling", "Rate exceeded", "Sender"),
    (ERROR, "query"): _AwsError(500, "InternalFailure", _INTERNAL_FAILURE, "Receiver"),
    (THROTTLE, "json"): _AwsError(400, "ThrottlingException", "Rate exceeded", "Sender"),
    (ERROR, "json"): _AwsError(500, "InternalFailure", _INTERNAL_FAILURE, "Receiver"),
}
_REASONS = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True)
class FaultAnswer:
    """The HTTP answer to a faulted call."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    protocol: str
    code: str

    @property
    def status_line(self) -> str:
        """``"503 Service Unavailable"``."""
        return f"{self.status} {_REASONS.get(self.status, 'Error')}"


def wire_protocol(environ: Mapping[str, Any], form: Mapping[str, list[str]], service: str) -> str:
    """The protocol of this request: what the request shows, else the service's botocore model metadata.

    A service can speak several (CloudWatch: smithy-rpc-v2-cbor, json, query); the client picked one and expects
    errors in it: CBOR path or ``smithy-protocol`` header, ``X-Amz-Target`` (json), ``Action`` (query, or ec2 if
    the model says so). Otherwise the request is REST and the model tells rest-xml from rest-json.
    """
    path = environ.get("PATH_INFO", "") or "/"
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor" or _CBOR_PATH_RE.match(path):
        return "smithy-rpc-v2-cbor"
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    metadata = _model_metadata(service)
    protocols = metadata.get("protocols") or [metadata.get("protocol")]
    if form.get("Action") or parse_qs(environ.get("QUERY_STRING", "")).get("Action"):
        return "ec2" if "ec2" in protocols else "query"
    return next((protocol for protocol in protocols if protocol in ("rest-xml", "rest-json")), "rest-json")


def _model_metadata(service: str) -> dict[str, Any]:
    """Metadata of the botocore model of the service signed as ``service`` (empty if none)."""
    from emulator.operations import primary_service_model  # noqa: PLC0415 - imports moto: server process only

    model = primary_service_model(service)
    return dict(model.metadata) if model is not None else {}


def fault_answer(kind: str, environ: Mapping[str, Any], form: Mapping[str, list[str]], service: str) -> FaultAnswer:
    """The error AWS would send for a ``kind`` fault on this request, in the request's protocol."""
    protocol = wire_protocol(environ, form, service)
    metadata = _model_metadata(service)
    request_id = str(uuid.uuid4())
    head = environ.get("REQUEST_METHOD") == "HEAD"
    if protocol == "ec2":
        error = _ERRORS[kind, "ec2"]
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?>\n<Response><Errors><Error><Code>{error.code}</Code>"
            f"<Message>{escape(error.message)}</Message></Error></Errors><RequestID>{request_id}</RequestID>"
            "</Response>"
        ).encode()
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
    elif protocol == "rest-xml" and service == "s3":
        error = _ERRORS[kind, "s3"]
        host_id = base64.b64encode(os.urandom(48)).decode()
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{error.code}</Code>'
            f"<Message>{escape(error.message)}</Message><RequestId>{request_id}</RequestId>"
            f"<HostId>{host_id}</HostId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id), ("x-amz-id-2", host_id)]
    elif protocol in ("query", "rest-xml"):
        error = _ERRORS[kind, "query"]
        namespace = metadata.get("xmlNamespace") if protocol == "query" else None
        xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
        body = (
            f"<ErrorResponse{xmlns}><Error><Type>{error.fault_type}</Type><Code>{error.code}</Code>"
            f"<Message>{escape(error.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    else:
        error = _ERRORS[kind, "json"]
        headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", error.code)]
        if metadata.get("awsQueryCompatible") is not None:
            # Services that moved from the query protocol also say the query protocol's code and type.
            query_error = _ERRORS[kind, "query"]
            headers.append(("x-amzn-query-error", f"{query_error.code};{query_error.fault_type}"))
        if protocol == "smithy-rpc-v2-cbor":
            body = _cbor_text_map({"__type": error.code, "message": error.message})
            headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        elif protocol == "json":
            body = json.dumps({"__type": error.code, "message": error.message}).encode()
            content_type = environ.get("CONTENT_TYPE", "")
            if not content_type.startswith("application/x-amz-json"):
                content_type = f"application/x-amz-json-{metadata.get('jsonVersion', '1.1')}"
            headers.append(("Content-Type", content_type))
        else:  # rest-json: the code is in the header
            body = json.dumps({"message": error.message}).encode()
            headers.append(("Content-Type", "application/json"))
    if head:
        body = b""
    headers.append(("Content-Length", str(len(body))))
    return FaultAnswer(status=error.status, headers=headers, body=body, protocol=protocol, code=error.code)


def _cbor_text_map(items: Mapping[str, str]) -> bytes:
    """CBOR encoding (RFC 8949) of a map of text strings to text strings."""
    out = bytearray(_cbor_head(5, len(items)))
    for key, value in items.items():
        for text in (key, value):
            encoded = text.encode("utf-8")
            out += _cbor_head(3, len(encoded)) + encoded
    return bytes(out)


def _cbor_head(major: int, length: int) -> bytes:
    """Initial byte(s) of a CBOR data item of major type ``major`` and argument ``length``."""
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise ValueError(f"CBOR item too long: {length}")


def drain(environ: dict[str, Any], chunk_size: int = 1 << 16) -> None:
    """Read and discard the request body a faulted call does not use (keeps the connection in sync)."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit():
        remaining = int(length)
        while remaining > 0:
            chunk = stream.read(min(chunk_size, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
    elif environ.get("wsgi.input_terminated"):
        while stream.read(chunk_size):
            pass


def describe(settings: FaultSettings | Mapping[str, Any]) -> str:
    """One line for humans: ``throttle 0.1, 5xx 0.02, seed 42, services: all``."""
    data = settings.to_json() if isinstance(settings, FaultSettings) else settings
    services: Iterable[str] | None = data.get("services")
    return (
        f"throttle {data['throttle_rate']:g}, 5xx {data['error_rate']:g}, seed {data['seed']},"
        f" services: {', '.join(services) if services else 'all'}"
    )
