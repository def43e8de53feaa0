"""start/stop/status/calls/reset CLI behaviour, on an emulator of this module's own (it gets stopped here)."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.config import REPO_ROOT
from emulator.config import EmulatorConfig
from emulator.testing import RunningEmulator
from emulator.testing import free_port
from emulator.testing import run_cli
from emulator.testing import running_emulator


def serve_processes(port: int) -> list[int]:
    """Pids of live ``python -m emulator serve --port <port>`` processes (Linux /proc)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z" and b"emulator" in argv and b"serve" in argv and str(port).encode() in argv:
            pids.append(int(proc.name))
    return pids


@pytest.fixture(scope="module")
def own_emu() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


def test_start_is_idempotent(own_emu: RunningEmulator) -> None:
    pid = int((own_emu.state_dir / "emulator.pid").read_text())

    again = own_emu.cli("start")

    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"emulator already running on {own_emu.endpoint}"
    assert int((own_emu.state_dir / "emulator.pid").read_text()) == pid
    assert serve_processes(own_emu.port) == [pid]
    assert own_emu.client.health()["pid"] == pid


def test_state_files_and_health(own_emu: RunningEmulator) -> None:
    assert (own_emu.state_dir / "emulator.pid").is_file()
    assert "serving " + own_emu.endpoint in (own_emu.state_dir / "emulator.log").read_text()
    health = own_emu.client.health()
    assert health["status"] == "ok"
    assert health["port"] == own_emu.port


def test_status_when_running(own_emu: RunningEmulator) -> None:
    status = own_emu.cli("status")

    assert status.returncode == 0
    assert status.stdout.strip() == own_emu.endpoint


def test_calls_and_reset_commands(own_emu: RunningEmulator) -> None:
    own_emu.client.reset_calls()

    as_json = own_emu.cli("calls", "--json", "--mutating")
    reset = own_emu.cli("reset")

    assert as_json.returncode == 0
    assert json.loads(as_json.stdout) == []
    assert reset.returncode == 0
    table = own_emu.cli("calls")
    assert table.stdout.split() == ["seq", "time", "service", "operation", "region", "status", "mutating"]


def test_stop_is_idempotent_then_restart(own_emu: RunningEmulator) -> None:
    pid = int((own_emu.state_dir / "emulator.pid").read_text())

    first, second = own_emu.cli("stop"), own_emu.cli("stop")

    assert (first.returncode, second.returncode) == (0, 0)
    assert first.stdout.strip() == f"emulator stopped (pid {pid})"
    assert second.stdout.strip() == "emulator not running"
    assert not (own_emu.state_dir / "emulator.pid").exists()
    assert serve_processes(own_emu.port) == []
    assert own_emu.cli("status").returncode == 3
    assert own_emu.cli("calls").returncode == 3

    restarted = own_emu.cli("start")

    assert restarted.returncode == 0, restarted.stderr
    assert own_emu.cli("status").returncode == 0


def test_status_never_started(tmp_path: Path) -> None:
    status = run_cli("status", port=free_port(), state_dir=tmp_path)

    assert status.returncode == 3
    assert "not running" in status.stderr


def test_start_refuses_port_held_by_another_program(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        started = run_cli("start", port=port, state_dir=tmp_path)

    assert started.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use by another program" in started.stderr
    assert not (tmp_path / "emulator.pid").exists()


def test_start_refuses_port_held_by_another_emulator(own_emu: RunningEmulator, tmp_path: Path) -> None:
    started = run_cli("start", "--port", str(own_emu.port), port=free_port(), state_dir=tmp_path)

    assert started.returncode == 1
    assert "already in use by another payments emulator" in started.stderr


def test_start_on_another_port_than_the_running_one_fails_fast(own_emu: RunningEmulator) -> None:
    other_port = free_port()

    started = own_emu.cli("start", "--port", str(other_port))

    assert started.returncode == 1
    assert f"already running on port {own_emu.port}" in started.stderr
    assert serve_processes(other_port) == []


def test_start_reports_a_server_that_dies_with_the_log_tail(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    (broken / "moto").mkdir(parents=True)
    (broken / "moto" / "__init__.py").write_text("raise ImportError('moto is broken on purpose')\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(broken),
        "PAYMENTS_EMULATOR_PORT": str(free_port()),
        "PAYMENTS_EMULATOR_STATE_DIR": str(tmp_path / "state"),
    }

    started = subprocess.run(
        [sys.executable, "-m", "emulator", "start"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert started.returncode == 1
    assert "did not become healthy" in started.stderr
    assert "moto is broken on purpose" in started.stderr
    assert not (tmp_path / "state" / "emulator.pid").exists()


def test_invalid_port_is_a_usage_error(tmp_path: Path) -> None:
    status = run_cli("status", "--port", "70000", port=free_port(), state_dir=tmp_path)

    assert status.returncode == 2
    assert "'70000' is not a TCP port number" in status.stderr


def test_each_port_has_its_own_state_dir_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two emulators on two ports never share a pid file: stop of one port leaves the other running."""
    monkeypatch.delenv("PAYMENTS_EMULATOR_STATE_DIR", raising=False)
    first, second = EmulatorConfig.resolve(4611), EmulatorConfig.resolve(4612)
    assert first.state_dir != second.state_dir
    assert first.state_dir == (REPO_ROOT / ".emulator" / "4611").resolve()
    monkeypatch.setenv("PAYMENTS_EMULATOR_STATE_DIR", str(tmp_path))
    assert EmulatorConfig.resolve(4611).state_dir == EmulatorConfig.resolve(4612).state_dir == tmp_path.resolve()


def test_start_waits_for_a_child_that_has_not_exec_d_yet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """On a loaded machine the child's /proc cmdline is still the parent's (``emulator start``) for a moment after
    the fork: start must wait for it by its own liveness, not take it for dead and kill it (a molecule create step
    failed so, "did not become healthy" after 0.1 s with an empty log)."""
    from emulator import cli

    port = free_port()
    monkeypatch.setenv("PAYMENTS_EMULATOR_PORT", str(port))
    monkeypatch.setenv("PAYMENTS_EMULATOR_STATE_DIR", str(tmp_path))
    with monkeypatch.context() as during_exec:
        during_exec.setattr(cli, "_is_emulator_process", lambda pid: False)  # every look at /proc sees no serve yet
        started = cli.main(["start"])
    try:
        assert started == 0
        assert run_cli("status", port=port, state_dir=tmp_path).returncode == 0
    finally:
        assert run_cli("stop", port=port, state_dir=tmp_path).returncode == 0


def test_a_busy_emulator_is_still_found_running(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commands on a running emulator (calls, reset, status, faults) give a live emulator process time to answer
    its health check: under load one 1 s probe timed out and `calls` printed nothing (a fresh-clone unit run)."""
    from emulator import cli

    monkeypatch.setenv("PAYMENTS_EMULATOR_STATE_DIR", str(tmp_path))
    config = EmulatorConfig.resolve(free_port())
    monkeypatch.setattr(cli, "_read_pid", lambda _config: 4242)
    monkeypatch.setattr(cli, "_is_emulator_process", lambda pid: pid == 4242)
    answers = iter([None, None, None, {"status": "ok", "pid": 4242}])
    monkeypatch.setattr(cli, "_health", lambda _config: next(answers))

    client = cli._running_client(config)

    assert client is not None
    assert next(answers, "every answer read") == "every answer read"
    monkeypatch.setattr(cli, "_is_emulator_process", lambda pid: False)  # no emulator process: not running, at once
    monkeypatch.setattr(cli, "_health", lambda _config: None)
    assert cli._running_client(config) is None
