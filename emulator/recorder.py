"""Thread-safe in-memory record of the AWS API calls the emulator served, mirrored to a JSON-lines file."""

from __future__ import annotations

import json
import threading
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator.operations import CallIdentity


class CallRecorder:
    """Keeps call records in memory and appends each one to ``calls_file``.

    Sequence numbers increase monotonically for the life of the server and are not reused after :meth:`clear`,
    so a ``since`` cursor taken before a clear stays valid. The file is truncated when the recorder is created
    (i.e. at server start) and is never cleared afterwards: it is the full log of this server's lifetime.
    """

    def __init__(self, calls_file: Path) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._last_seq = 0
        self._calls_file = calls_file
        calls_file.parent.mkdir(parents=True, exist_ok=True)
        calls_file.write_text("", encoding="utf-8")

    @property
    def last_seq(self) -> int:
        """Sequence number of the most recent record (0 before the first)."""
        with self._lock:
            return self._last_seq

    def record(self, identity: CallIdentity, status: int, fault: str | None = None) -> dict[str, Any]:
        """Append one call and return its record; ``fault`` is the injected fault's kind (None: served by moto)."""
        with self._lock:
            self._last_seq += 1
            entry = {
                "seq": self._last_seq,
                "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "service": identity.service,
                "operation": identity.operation,
                "region": identity.region,
                "status": status,
                "mutating": identity.mutating,
                "path": identity.path,
                "fault": fault,
            }
            self._records.append(entry)
            with self._calls_file.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
        return entry

    def list(self, since: int | None = None, mutating_only: bool = False) -> list[dict[str, Any]]:
        """Records with ``seq > since`` (all if None), optionally only the mutating ones."""
        with self._lock:
            records = list(self._records)
        return [
            entry
            for entry in records
            if (since is None or entry["seq"] > since) and (not mutating_only or entry["mutating"])
        ]

    def clear(self) -> None:
        """Forget all in-memory records (the sequence keeps counting)."""
        with self._lock:
            self._records.clear()
