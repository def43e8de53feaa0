"""WSGI middleware in front of moto: the ``/_payments/*`` control endpoints, fault injection and the call recorder.

Imported by the server process only (it imports moto through the ECS fidelity module's failing-images setting).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from emulator import latency
from emulator.faults import FaultConfigError
from emulator.faults import FaultInjector
from emulator.faults import FaultSettings
from emulator.faults import canonical_services
from emulator.faults import drain
from emulator.faults import fault_answer
from emulator.fidelity.ecs import FailingImagesError
from emulator.fidelity.ecs import clear_failing_images
from emulator.fidelity.ecs import get_failing_images
from emulator.fidelity.ecs import parse_failing_images
from emulator.fidelity.ecs import set_failing_images
from emulator.operations import identify
from emulator.recorder import CallRecorder

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CONTROL_PREFIX = "/_payments/"
UNRECORDED_PREFIXES = (CONTROL_PREFIX, "/moto-api")
FAILING_IMAGES_PATH = "/_payments/ecs/failing-images"
LATENCY_PATH = "/_payments/latency"
CONTROL_PATHS = ("/_payments/health", "/_payments/calls", "/_payments/faults", FAILING_IMAGES_PATH, LATENCY_PATH)
MOTO_RESET_PATH = "/moto-api/reset"
MAX_CONTROL_BODY = 64 * 1024


class PaymentsMiddleware:
    """Serves ``GET /_payments/health``, ``GET|DELETE /_payments/calls``, ``GET|PUT|DELETE /_payments/faults``,
    ``GET|PUT|DELETE /_payments/ecs/failing-images`` and ``GET|PUT|DELETE /_payments/latency``; injects the configured
    faults into AWS API calls and records every AWS API call (faulted ones too). moto's reset
    (``POST /moto-api/reset``) clears the failing images too (not the fault settings, nor the latency scale).
    """

    def __init__(
        self,
        app: WSGIApp,
        recorder: CallRecorder,
        port: int,
        fidelity: list[str],
        faults: FaultInjector | None = None,
    ) -> None:
        self.app = app
        self.recorder = recorder
        self.port = port
        self.fidelity = fidelity
        self.faults = faults or FaultInjector()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        if path.startswith(UNRECORDED_PREFIXES):
            if path.rstrip("/") == MOTO_RESET_PATH and environ.get("REQUEST_METHOD") == "POST":
                # The images that fail to start are state of the account's images, not configuration: reset them.
                clear_failing_images()
            return self.app(environ, start_response)

        form = _read_form(environ)
        identity = identify(environ, form)
        if identity is None:
            return self.app(environ, start_response)
        fault = self.faults.decide(identity.service)
        if fault is not None:
            # Answered here: moto never sees the request, so a faulted call changes nothing.
            drain(environ)
            answer = fault_answer(fault, environ, form, identity.service)
            self.recorder.record(identity, answer.status, fault=fault)
            start_response(answer.status_line, answer.headers)
            return [answer.body]
        status: list[int] = []

        def recording_start_response(status_line: str, headers: list[Any], exc_info: Any = None) -> Any:
            status.append(int(status_line.split(" ", 1)[0]))
            return start_response(status_line, headers, exc_info)

        try:
            response = self.app(environ, recording_start_response)
        except Exception:
            self.recorder.record(identity, 500)
            raise
        self.recorder.record(identity, status[-1])
        return response

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Dispatch a ``/_payments/*`` request."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ["PATH_INFO"].rstrip("/")
        routes = {
            ("/_payments/health", "GET"): self._health,
            ("/_payments/calls", "GET"): self._calls,
            ("/_payments/calls", "DELETE"): self._clear_calls,
            ("/_payments/faults", "GET"): self._faults,
            ("/_payments/faults", "PUT"): self._faults,
            ("/_payments/faults", "DELETE"): self._faults,
            (FAILING_IMAGES_PATH, "GET"): self._failing_images,
            (FAILING_IMAGES_PATH, "PUT"): self._failing_images,
            (FAILING_IMAGES_PATH, "DELETE"): self._failing_images,
            (LATENCY_PATH, "GET"): self._latency,
            (LATENCY_PATH, "PUT"): self._latency,
            (LATENCY_PATH, "DELETE"): self._latency,
        }
        handler = routes.get((path, method))
        if handler is not None:
            return handler(environ, start_response)
        if path in CONTROL_PATHS:
            return _json(start_response, {"error": f"{method} not allowed"}, "405 Method Not Allowed")
        return _json(start_response, {"error": f"unknown endpoint {path}"}, "404 Not Found")

    def _health(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``GET /_payments/health``."""
        return _json(
            start_response,
            {
                "status": "ok",
                "port": self.port,
                "pid": os.getpid(),
                "fidelity": self.fidelity,
                "last_seq": self.recorder.last_seq,
                "latency": latency.status(),
            },
        )

    def _calls(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``GET /_payments/calls[?since=SEQ][&mutating=1]``."""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        since = query.get("since", [""])[0]
        if since and not since.isdigit():
            return _json(start_response, {"error": "since must be a sequence number"}, "400 Bad Request")
        mutating_only = query.get("mutating", ["0"])[0].lower() in ("1", "true", "yes")
        return _json(start_response, self.recorder.list(int(since) if since else None, mutating_only))

    def _clear_calls(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``DELETE /_payments/calls``."""
        self.recorder.clear()
        return _json(start_response, {"status": "cleared"})

    def _faults(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``GET`` the fault settings and counts, ``PUT`` new settings (JSON body), ``DELETE`` to turn faults off."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return _json(start_response, self.faults.status())
        if method == "DELETE":
            return _json(start_response, self.faults.clear())
        try:
            body = _read_body(environ)
            data = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError) as error:
            return _json(start_response, {"error": f"the body is not JSON: {error}"}, "400 Bad Request")
        try:
            settings = canonical_services(FaultSettings.from_mapping(data))
        except FaultConfigError as error:
            return _json(start_response, {"error": str(error)}, "400 Bad Request")
        return _json(start_response, self.faults.configure(settings))

    def _failing_images(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``GET`` the images whose ECS tasks fail to start, ``PUT`` a new list (``{"images": [...]}``), ``DELETE``
        to clear it; every answer is ``{"images": [...]}``."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return _json(start_response, {"images": get_failing_images()})
        if method == "DELETE":
            return _json(start_response, {"images": clear_failing_images()})
        try:
            body = _read_body(environ)
            data = json.loads(body) if body.strip() else None
        except (ValueError, UnicodeDecodeError) as error:
            return _json(start_response, {"error": f"the body is not JSON: {error}"}, "400 Bad Request")
        try:
            images = parse_failing_images(data)
        except FailingImagesError as error:
            return _json(start_response, {"error": str(error)}, "400 Bad Request")
        return _json(start_response, {"images": set_failing_images(images)})

    def _latency(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``GET`` the latency profile, ``PUT`` a new scale (``{"scale": 0.01}``, for resources made from now on),
        ``DELETE`` to turn it off (scale 0); every answer is the profile."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return _json(start_response, latency.status())
        if method == "DELETE":
            return _json(start_response, latency.set_scale(0.0))
        try:
            body = _read_body(environ)
            data = json.loads(body) if body.strip() else None
        except (ValueError, UnicodeDecodeError) as error:
            return _json(start_response, {"error": f"the body is not JSON: {error}"}, "400 Bad Request")
        if not isinstance(data, dict) or set(data) != {"scale"}:
            problem = f'the body must be {{"scale": <0 to 1>}}, got {data!r}'
            return _json(start_response, {"error": problem}, "400 Bad Request")
        try:
            return _json(start_response, latency.set_scale(data["scale"]))
        except latency.LatencyConfigError as error:
            return _json(start_response, {"error": str(error)}, "400 Bad Request")


def _read_form(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Parse a url-encoded body (query protocol), putting an identical buffered copy back for moto."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _read_body(environ: dict[str, Any]) -> bytes:
    """The body of a control request (at most MAX_CONTROL_BODY bytes)."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit():
        return stream.read(min(int(length), MAX_CONTROL_BODY))
    if environ.get("wsgi.input_terminated"):
        return stream.read(MAX_CONTROL_BODY)
    return b""


def _json(start_response: Callable[..., Any], payload: Any, status: str = "200 OK") -> list[bytes]:
    """Send ``payload`` as a JSON response."""
    body = json.dumps(payload).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
