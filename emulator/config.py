"""Where the emulator listens and keeps its files: port, state directory and the paths inside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
DEFAULT_PORT = 4566
PORT_ENV = "PAYMENTS_EMULATOR_PORT"
STATE_DIR_ENV = "PAYMENTS_EMULATOR_STATE_DIR"
# "off": moto as it is, without the fidelity patches (the call recorder stays): what `make bench` runs the
# stock build on.
FIDELITY_ENV = "PAYMENTS_EMULATOR_FIDELITY"
REPO_ROOT = Path(__file__).resolve().parent.parent


def parse_port(value: str, source: str | None = None) -> int:
    """A TCP port number from text; ValueError (naming ``source`` if given) if it is not one."""
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        prefix = f"{source}: " if source else ""
        raise ValueError(f"{prefix}{value!r} is not a TCP port number (1-65535)")
    return port


@dataclass(frozen=True)
class EmulatorConfig:
    """Port and state directory of one emulator instance."""

    port: int
    state_dir: Path

    @classmethod
    def resolve(cls, port: int | None = None) -> EmulatorConfig:
        """Build the config from an explicit port (``--port``), else the environment, else the defaults."""
        if port is None:
            port = parse_port(os.environ.get(PORT_ENV) or str(DEFAULT_PORT), source=PORT_ENV)
        # One state dir per port by default: emulators on two ports are two emulators (start, stop and status
        # of one never act on the other's pid file).
        state_dir = Path(os.environ.get(STATE_DIR_ENV) or REPO_ROOT / ".emulator" / str(port))
        return cls(port=port, state_dir=state_dir.resolve())

    @property
    def endpoint(self) -> str:
        """Base URL clients use as ``AWS_ENDPOINT_URL``."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid_file(self) -> Path:
        """File holding the pid of the detached server started by ``start``."""
        return self.state_dir / "emulator.pid"

    @property
    def log_file(self) -> Path:
        """Server stdout/stderr (appended by every ``start``)."""
        return self.state_dir / "emulator.log"

    @property
    def calls_file(self) -> Path:
        """Append-only JSON-lines log of the calls recorded by the running server (truncated at server start)."""
        return self.state_dir / "calls.jsonl"

    @property
    def lock_file(self) -> Path:
        """Lock serialising concurrent ``start``/``stop`` invocations on the same state directory."""
        return self.state_dir / "emulator.lock"
