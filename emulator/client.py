"""Client for the emulator's control endpoints (``/_payments/*`` and moto's ``/moto-api/reset``), stdlib only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

# The emulator is always local: never route its requests through an HTTP(S)_PROXY from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EmulatorError(RuntimeError):
    """The emulator could not be reached or answered with an error."""


class EmulatorClient:
    """Talks to one running emulator, e.g. ``EmulatorClient("http://127.0.0.1:4566")``."""

    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def _request(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        """Send a request (``body`` as JSON if given) and decode the JSON answer."""
        url = f"{self.endpoint_url}{path}"
        if query:
            url += "?" + urlencode(query)
        if not url.startswith(("http://", "https://")):
            raise EmulatorError(f"not an http(s) endpoint: {self.endpoint_url}")
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - scheme checked above
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise EmulatorError(f"{method} {url}: HTTP {error.code}: {_error_text(error)}") from error
        except (OSError, ValueError) as error:
            raise EmulatorError(f"{method} {url}: {error}") from error

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "port", "pid", "fidelity": [patch names], "last_seq"}``."""
        return self._request("GET", "/_payments/health")

    def calls(self, since: int | None = None, mutating: bool | None = None) -> list[dict[str, Any]]:
        """Recorded calls with ``seq > since``; ``mutating`` True/False keeps only mutating/read-only ones."""
        query: dict[str, Any] = {}
        if since is not None:
            query["since"] = since
        if mutating:
            query["mutating"] = 1
        records: list[dict[str, Any]] = self._request("GET", "/_payments/calls", query)
        if mutating is False:
            records = [record for record in records if not record["mutating"]]
        return records

    def mutating_calls(self, since: int | None = None, run_locks: bool = False) -> list[dict[str, Any]]:
        """Recorded mutating calls with ``seq > since`` (the idempotence check: empty on a clean re-run).

        The writes of run-lock objects (``PutObject``/``DeleteObject`` of a ``locks/`` key in a
        ``*-infra-state-*`` bucket: every run takes and releases its environment's lock) are a run's
        bookkeeping, not a change to an environment: left out unless ``run_locks``.
        """
        calls = self.calls(since=since, mutating=True)
        return calls if run_locks else [call for call in calls if not is_run_lock_call(call)]

    def last_seq(self) -> int:
        """Sequence number of the latest recorded call; pass it as ``since`` to see only later calls."""
        return int(self.health()["last_seq"])

    def reset_calls(self) -> None:
        """Clear the call record (sequence numbers keep counting)."""
        self._request("DELETE", "/_payments/calls")

    def reset(self) -> None:
        """Reset all moto state (every service, every region), the failing images and the call record.

        Fault settings are configuration, not state: they stay as they are (see :meth:`clear_faults`).
        """
        self._request("POST", "/moto-api/reset")
        self.reset_calls()

    def faults(self) -> dict[str, Any]:
        """Fault settings and counts: ``{"throttle_rate", "error_rate", "seed", "services", "active",
        "eligible_calls", "injected": {"throttle": n, "error": n}}``."""
        return self._request("GET", "/_payments/faults")

    def set_faults(
        self,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        seed: int | None = None,
        services: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Replace the fault settings (what is not given: 0 / a random seed / every service) and restart the
        generator and the counts. ``services`` are call-record names (``monitoring``) or botocore names
        (``cloudwatch``). Raises :class:`EmulatorError` naming the bad value if the server refuses them.
        """
        body: dict[str, Any] = {"throttle_rate": throttle_rate, "error_rate": error_rate, "seed": seed}
        if services is not None:
            body["services"] = list(services)
        return self._request("PUT", "/_payments/faults", body=body)

    def clear_faults(self) -> dict[str, Any]:
        """Turn fault injection off (the counts stay readable until the next :meth:`set_faults`)."""
        return self._request("DELETE", "/_payments/faults")

    def latency(self) -> dict[str, Any]:
        """The latency profile: ``{"scale", "active", "durations_s": {kind: s}, "aws_durations_s": {kind: s}}``."""
        return self._request("GET", "/_payments/latency")

    def set_latency(self, scale: float) -> dict[str, Any]:
        """Set the latency scale (0: off) for the resources made from now on; :class:`EmulatorError` if refused."""
        return self._request("PUT", "/_payments/latency", body={"scale": scale})

    def failing_images(self) -> list[str]:
        """The images whose ECS tasks fail to start (see :meth:`set_failing_images`)."""
        return list(self._request("GET", "/_payments/ecs/failing-images")["images"])

    def set_failing_images(self, images: Sequence[str]) -> list[str]:
        """From now on, tasks whose essential containers run one of ``images`` (exact image strings, as the task
        definitions name them) never start: new ECS deployments of them fail (the circuit breaker fails or rolls them
        back). Replaces the list; returns it. Raises :class:`EmulatorError` naming a bad value if refused.
        """
        # A lone string is sent as it is, so that the server refuses it instead of taking each character as an image.
        body = {"images": images if isinstance(images, str) else list(images)}
        return list(self._request("PUT", "/_payments/ecs/failing-images", body=body)["images"])

    def clear_failing_images(self) -> list[str]:
        """Every image starts again (what :meth:`reset` does too); returns the empty list."""
        return list(self._request("DELETE", "/_payments/ecs/failing-images")["images"])


def _error_text(error: urllib.error.HTTPError) -> str:
    """The ``error`` field of a JSON error answer, else the raw body."""
    text = error.read().decode(errors="replace")
    try:
        payload = json.loads(text)
    except ValueError:
        return text
    return str(payload["error"]) if isinstance(payload, dict) and "error" in payload else text


def is_run_lock_call(call: dict[str, Any]) -> bool:
    """A call on a run-lock object: S3 Put/Get/DeleteObject of ``/<*-infra-state-*>/locks/*``."""
    bucket, _, key = call.get("path", "").lstrip("/").partition("/")
    return (
        call.get("service") == "s3"
        and call.get("operation") in ("PutObject", "GetObject", "DeleteObject")
        and "-infra-state-" in bucket
        and key.startswith("locks/")
    )
