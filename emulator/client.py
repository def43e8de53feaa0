"""Client for the emulator's control endpoints (``/_payments/*`` and moto's ``/moto-api/reset``), stdlib only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
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

    def _request(self, method: str, path: str, query: dict[str, Any] | None = None) -> Any:
        """Send a request and decode the JSON answer."""
        url = f"{self.endpoint_url}{path}"
        if query:
            url += "?" + urlencode(query)
        if not url.startswith(("http://", "https://")):
            raise EmulatorError(f"not an http(s) endpoint: {self.endpoint_url}")
        request = urllib.request.Request(url, method=method)  # noqa: S310 - scheme checked above
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise EmulatorError(
                f"{method} {url}: HTTP {error.code}: {error.read().decode(errors='replace')}"
            ) from error
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

    def mutating_calls(self, since: int | None = None) -> list[dict[str, Any]]:
        """Recorded mutating calls with ``seq > since`` (the idempotence check: empty on a clean re-run)."""
        return self.calls(since=since, mutating=True)

    def last_seq(self) -> int:
        """Sequence number of the latest recorded call; pass it as ``since`` to see only later calls."""
        return int(self.health()["last_seq"])

    def reset_calls(self) -> None:
        """Clear the call record (sequence numbers keep counting)."""
        self._request("DELETE", "/_payments/calls")

    def reset(self) -> None:
        """Reset all moto state (every service, every region) and clear the call record."""
        self._request("POST", "/moto-api/reset")
        self.reset_calls()
