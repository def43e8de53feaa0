"""WSGI middleware in front of moto: the ``/_payments/*`` control endpoints and the call recorder."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from emulator.operations import identify
from emulator.recorder import CallRecorder

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CONTROL_PREFIX = "/_payments/"
UNRECORDED_PREFIXES = (CONTROL_PREFIX, "/moto-api")


class PaymentsMiddleware:
    """Serves ``GET /_payments/health``, ``GET|DELETE /_payments/calls``; records every other AWS API call."""

    def __init__(self, app: WSGIApp, recorder: CallRecorder, port: int, fidelity: list[str]) -> None:
        self.app = app
        self.recorder = recorder
        self.port = port
        self.fidelity = fidelity

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        if path.startswith(UNRECORDED_PREFIXES):
            return self.app(environ, start_response)

        identity = identify(environ, _read_form(environ))
        if identity is None:
            return self.app(environ, start_response)
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
        if path == "/_payments/health" and method == "GET":
            return _json(
                start_response,
                {
                    "status": "ok",
                    "port": self.port,
                    "pid": os.getpid(),
                    "fidelity": self.fidelity,
                    "last_seq": self.recorder.last_seq,
                },
            )
        if path == "/_payments/calls" and method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            since = query.get("since", [""])[0]
            if since and not since.isdigit():
                return _json(start_response, {"error": "since must be a sequence number"}, "400 Bad Request")
            mutating_only = query.get("mutating", ["0"])[0].lower() in ("1", "true", "yes")
            return _json(start_response, self.recorder.list(int(since) if since else None, mutating_only))
        if path == "/_payments/calls" and method == "DELETE":
            self.recorder.clear()
            return _json(start_response, {"status": "cleared"})
        if path in ("/_payments/health", "/_payments/calls"):
            return _json(start_response, {"error": f"{method} not allowed"}, "405 Method Not Allowed")
        return _json(start_response, {"error": f"unknown endpoint {path}"}, "404 Not Found")


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


def _json(start_response: Callable[..., Any], payload: Any, status: str = "200 OK") -> list[bytes]:
    """Send ``payload`` as a JSON response."""
    body = json.dumps(payload).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
