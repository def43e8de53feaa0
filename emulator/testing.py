"""Test helpers: run an emulator for the duration of a ``with`` block (pytest fixtures, molecule, scripts).

Example::

    with running_emulator() as emu:
        seq = emu.client.last_seq()
        subprocess.run(["ansible-playbook", ...], env={**os.environ, **emu.env()}, check=True)
        assert emu.client.mutating_calls(since=seq) == []

    with running_emulator() as emu, emu.injecting_faults(throttle_rate=0.3, seed=7):
        ...  # 30 % of the AWS calls are throttled until the block ends
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emulator.client import EmulatorClient
from emulator.client import EmulatorError
from emulator.config import HOST
from emulator.config import PORT_ENV
from emulator.config import REPO_ROOT
from emulator.config import STATE_DIR_ENV

CLI_TIMEOUT_S = 90.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, port: int, state_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m emulator <args>`` for the emulator on ``port`` with state in ``state_dir``."""
    env = {**os.environ, PORT_ENV: str(port), STATE_DIR_ENV: str(state_dir)}
    return subprocess.run(  # noqa: S603 - fixed argv: this interpreter running this package
        [sys.executable, "-m", "emulator", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


@dataclass
class RunningEmulator:
    """Handle on an emulator started by :func:`running_emulator`."""

    port: int
    state_dir: Path
    client: EmulatorClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = EmulatorClient(self.endpoint)

    @property
    def endpoint(self) -> str:
        """Base URL of the emulator."""
        return f"http://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment that points AWS SDKs, Ansible and ``python -m emulator`` at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            PORT_ENV: str(self.port),
            STATE_DIR_ENV: str(self.state_dir),
        }

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``python -m emulator <args>`` against this emulator."""
        return run_cli(*args, port=self.port, state_dir=self.state_dir)

    @contextlib.contextmanager
    def injecting_faults(
        self,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        seed: int | None = None,
        services: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Inject faults for the duration of the block (see :meth:`EmulatorClient.set_faults`), then turn them off.

        Yields the settings as the emulator reports them (``seed`` is the one used, also when chosen at random).
        """
        status = self.client.set_faults(throttle_rate, error_rate, seed, services)
        try:
            yield status
        finally:
            self.client.clear_faults()


@contextlib.contextmanager
def running_emulator(
    port: int | None = None, state_dir: str | Path | None = None, start_args: Sequence[str] = ()
) -> Iterator[RunningEmulator]:
    """Start an emulator via the CLI (free port and temporary state dir by default); stop it on exit.

    ``start_args`` are extra ``python -m emulator start`` options, e.g. ``["--throttle-rate", "0.1"]``.
    Raises :class:`EmulatorError` with the CLI output if it does not start.
    """
    with contextlib.ExitStack() as stack:
        if state_dir is None:
            state_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="payments-emulator-"))
        # A port free_port() found free can be taken before the server binds it (by another test's emulator,
        # or as the local port of an outgoing connection): a chosen port is chosen again, up to 3 times.
        tries = 1 if port is not None else 3
        for _ in range(tries):
            emulator = RunningEmulator(
                port=port if port is not None else free_port(),
                state_dir=Path(state_dir).resolve(),
            )
            started = emulator.cli("start", *start_args)
            if started.returncode == 0:
                break
            emulator.cli("stop")
        if started.returncode != 0:
            raise EmulatorError(
                f"emulator start failed ({started.returncode}, {tries} port(s) tried):\n"
                f"{started.stdout}{started.stderr}"
            )
        stack.callback(emulator.cli, "stop")
        yield emulator


def run_local_play(emu: RunningEmulator, play: Path, extra_vars: dict[str, Any]) -> list[dict[str, Any]]:
    """ansible-playbook of a one-play ``hosts: localhost`` playbook on ``emu``; every task's result.

    Asserts that the run succeeded (its output is the failure message).
    """
    env = {
        **os.environ,
        **emu.env(),
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_INVENTORY_ENABLED": "host_list",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    env.pop("AWS_PROFILE", None)
    proc = subprocess.run(  # noqa: S603 - fixed argv: this venv's ansible-playbook
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(play)]
        + ["-e", json.dumps(extra_vars)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return [task["hosts"]["localhost"] for task in json.loads(proc.stdout)["plays"][0]["tasks"]]


def self_signed(common_name: str, key: Any = None) -> tuple[bytes, bytes]:
    """A self-signed (certificate, key) PEM pair for ``common_name`` (also its DNS name), valid 30 days; RSA 2048
    unless another private key is given (tests importing certificates into ACM)."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
