"""``python -m emulator {serve,start,stop,status,calls,reset,faults}``: manage the local AWS emulator.

Exit codes: 0 success, 1 failure, 2 usage error, 3 not running (``status``, ``calls``, ``reset``, ``faults``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emulator.client import EmulatorClient
from emulator.client import EmulatorError
from emulator.config import FIDELITY_ENV
from emulator.config import HOST
from emulator.config import PORT_ENV
from emulator.config import REPO_ROOT
from emulator.config import STATE_DIR_ENV
from emulator.config import EmulatorConfig
from emulator.config import parse_port
from emulator.faults import ERROR_RATE_ENV
from emulator.faults import SEED_ENV
from emulator.faults import SERVICES_ENV
from emulator.faults import THROTTLE_RATE_ENV
from emulator.faults import FaultConfigError
from emulator.faults import FaultSettings
from emulator.faults import describe
from emulator.faults import parse_rate
from emulator.faults import parse_seed
from emulator.faults import parse_services
from emulator.latency import LATENCY_SCALE_ENV
from emulator.latency import LatencyConfigError
from emulator.latency import describe as describe_latency
from emulator.latency import parse_scale
from emulator.latency import scale_from_env

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_LINES = 40
HEALTH_PROBE_TIMEOUT_S = 1.0
BUSY_HEALTH_TIMEOUT_S = 15.0


def _read_pid(config: EmulatorConfig) -> int | None:
    """The pid recorded by ``start``, if the pid file exists and is well-formed."""
    try:
        return int(config.pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _emulator_argv(pid: int) -> list[str] | None:
    """Arguments of ``pid`` if it is a live (non-zombie) ``python -m emulator serve`` process, else None.

    On systems without ``/proc`` only liveness is checked and the arguments are unknown (empty list).
    """
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return None
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return []
    try:
        state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    return argv if state != "Z" and "emulator" in argv and "serve" in argv else None


def _is_emulator_process(pid: int) -> bool:
    """True if ``pid`` is a live ``python -m emulator serve`` process."""
    return _emulator_argv(pid) is not None


def _serving_port(pid: int) -> int | None:
    """The ``--port`` the emulator process ``pid`` was started with, if known."""
    argv = _emulator_argv(pid) or []
    if "--port" in argv[:-1]:
        return int(argv[argv.index("--port") + 1])
    return None


def _health(config: EmulatorConfig) -> dict[str, Any] | None:
    """The health answer on the configured port, or None if nothing healthy answers."""
    try:
        health = EmulatorClient(config.endpoint, timeout=HEALTH_PROBE_TIMEOUT_S).health()
    except EmulatorError:
        return None
    return health if isinstance(health, dict) and health.get("status") == "ok" else None


def _managed_health(config: EmulatorConfig, pid: int) -> dict[str, Any] | None:
    """The health answer if it comes from process ``pid`` (i.e. the emulator this state dir manages)."""
    health = _health(config)
    return health if health is not None and health.get("pid") == pid else None


def _wait_healthy(
    config: EmulatorConfig, pid: int, timeout: float, alive: Callable[[], bool] | None = None
) -> dict[str, Any] | None:
    """Poll until process ``pid`` answers the health check; None if it dies or ``timeout`` passes.

    ``alive`` says whether the process still runs; by default, whether ``pid`` is a live ``emulator serve``
    process. A child ``start`` has just spawned may not have exec'd yet (its /proc cmdline is still the parent's,
    ``emulator start``, for a moment on a loaded machine): ``start`` passes its Popen's own liveness instead.
    """
    alive = alive or (lambda: _is_emulator_process(pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = _managed_health(config, pid)
        if health is not None:
            return health
        if not alive():
            return None
        time.sleep(0.1)
    return None


def _wait_exit(pid: int, timeout: float) -> bool:
    """Poll until process ``pid`` is gone; False if it is still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_emulator_process(pid):
            return True
        time.sleep(0.1)
    return not _is_emulator_process(pid)


def _port_in_use(port: int) -> bool:
    """True if something accepts TCP connections on ``127.0.0.1:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((HOST, port)) == 0


def _log_tail(config: EmulatorConfig) -> str:
    """The last lines of the server log."""
    try:
        lines = config.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log file)"
    return "\n".join(lines[-LOG_TAIL_LINES:])


@contextlib.contextmanager
def _state_lock(config: EmulatorConfig) -> Iterator[None]:
    """Serialise ``start``/``stop`` on one state directory (e.g. parallel test workers)."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    with config.lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _terminate(pid: int) -> None:
    """SIGTERM ``pid``, SIGKILL it if it is still alive after STOP_TIMEOUT_S."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_exit(pid, STOP_TIMEOUT_S):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_exit(pid, STOP_TIMEOUT_S)


def _fault_overrides(args: argparse.Namespace) -> dict[str, str]:
    """The fault environment variables the ``--throttle-rate``/``--error-rate``/``--fault-*`` flags given set."""
    overrides: dict[str, str] = {}
    if args.throttle_rate is not None:
        overrides[THROTTLE_RATE_ENV] = repr(args.throttle_rate)
    if args.error_rate is not None:
        overrides[ERROR_RATE_ENV] = repr(args.error_rate)
    if args.fault_seed is not None:
        overrides[SEED_ENV] = str(args.fault_seed)
    if args.fault_services is not None:
        overrides[SERVICES_ENV] = ",".join(args.fault_services)
    if getattr(args, "plain", False):
        overrides[FIDELITY_ENV] = "off"
    if getattr(args, "latency_scale", None) is not None:
        overrides[LATENCY_SCALE_ENV] = repr(args.latency_scale)
    return overrides


def _fault_settings(overrides: dict[str, str]) -> FaultSettings | None:
    """Fault settings from the environment and the flags (flags win); None, with a message, if not valid."""
    try:
        scale_from_env({**os.environ, **overrides})
    except LatencyConfigError as error:
        print(f"invalid latency profile: {error}", file=sys.stderr)
        return None
    try:
        return FaultSettings.from_env({**os.environ, **overrides})
    except FaultConfigError as error:
        print(f"invalid fault settings: {error}", file=sys.stderr)
        return None


def cmd_serve(config: EmulatorConfig, args: argparse.Namespace) -> int:
    """Run the server in the foreground (what ``start`` spawns)."""
    overrides = _fault_overrides(args)
    if _fault_settings(overrides) is None:
        return EXIT_USAGE
    os.environ.update(overrides)
    # moto reads these settings from the environment, so set them before moto is first imported.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    os.environ["MOTO_PORT"] = str(config.port)
    from emulator import server  # noqa: PLC0415 - imports moto, which must come after the settings above

    try:
        server.serve(config)
    except FaultConfigError as error:  # an unknown service name: known only once the models are loaded
        print(f"emulator: invalid fault settings: {error}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    return EXIT_OK


def cmd_start(config: EmulatorConfig, args: argparse.Namespace) -> int:
    """Start the detached server unless this state dir's emulator is already running and healthy.

    Fault settings come from the environment and the fault flags; on a running emulator, fault flags given
    on the command line are applied at once (as ``PUT /_payments/faults``).
    """
    overrides = _fault_overrides(args)
    fault_settings = _fault_settings(overrides)
    if fault_settings is None:
        return EXIT_USAGE
    with _state_lock(config):
        pid = _read_pid(config)
        if pid is not None and _is_emulator_process(pid):
            return _already_running(
                config,
                pid,
                fault_settings if set(overrides) - {LATENCY_SCALE_ENV} else None,
                args.latency_scale,
            )
        config.pid_file.unlink(missing_ok=True)

        if _port_in_use(config.port):
            health = _health(config)
            owner = (
                f"another payments emulator (pid {health.get('pid')}) not managed by state dir {config.state_dir}"
                if health
                else "another program (not a payments emulator)"
            )
            print(
                f"cannot start the emulator: port {config.port} on {HOST} is already in use by {owner}."
                f" Stop it or choose another port ({PORT_ENV} or --port).",
                file=sys.stderr,
            )
            return EXIT_FAILED

        env = {**os.environ, **overrides, STATE_DIR_ENV: str(config.state_dir), "PYTHONUNBUFFERED": "1"}
        with config.log_file.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter running this package
                [sys.executable, "-m", "emulator", "serve", "--port", str(config.port)],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        config.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
        if _wait_healthy(config, process.pid, START_TIMEOUT_S, alive=lambda: process.poll() is None) is None:
            _terminate(process.pid)
            process.wait()
            config.pid_file.unlink(missing_ok=True)
            print(
                f"emulator did not become healthy on {config.endpoint} within {START_TIMEOUT_S:.0f} s."
                f" Log tail ({config.log_file}):\n{_log_tail(config)}",
                file=sys.stderr,
            )
            return EXIT_FAILED
    print(f"emulator started on {config.endpoint} (pid {process.pid})")
    if fault_settings.active:
        print(f"injecting faults: {describe(EmulatorClient(config.endpoint).faults())}")
    latency = EmulatorClient(config.endpoint).latency()
    if latency.get("active"):
        print(f"latency profile: {describe_latency(latency)}")
    return EXIT_OK


def _already_running(
    config: EmulatorConfig, pid: int, fault_settings: FaultSettings | None, latency_scale: float | None = None
) -> int:
    """``start`` when this state dir's emulator process ``pid`` exists: ok if it answers (fault flags and
    ``--latency-scale`` applied)."""
    port = _serving_port(pid)
    if port not in (None, config.port):
        print(
            f"the emulator of state dir {config.state_dir} is already running on port {port} (pid {pid});"
            " use that port or run `python -m emulator stop` first.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if _wait_healthy(config, pid, START_TIMEOUT_S) is not None:
        print(f"emulator already running on {config.endpoint}")
        if latency_scale is not None:
            try:
                latency = EmulatorClient(config.endpoint).set_latency(latency_scale)
            except EmulatorError as error:
                print(f"could not set the latency profile: {error}", file=sys.stderr)
                return EXIT_FAILED
            print(f"latency profile set: {describe_latency(latency)}")
        return _apply_faults(config, fault_settings) if fault_settings is not None else EXIT_OK
    print(
        f"emulator process {pid} (pid file {config.pid_file}) does not answer on {config.endpoint};"
        f" run `python -m emulator stop` first. Log tail:\n{_log_tail(config)}",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _apply_faults(config: EmulatorConfig, settings: FaultSettings) -> int:
    """Set ``settings`` on the running emulator and say so."""
    try:
        status = EmulatorClient(config.endpoint).set_faults(
            settings.throttle_rate, settings.error_rate, settings.seed, settings.services
        )
    except EmulatorError as error:
        print(f"could not set the fault settings: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"faults set: {describe(status)}")
    return EXIT_OK


def cmd_stop(config: EmulatorConfig, args: argparse.Namespace) -> int:
    """Stop this state dir's emulator; succeed if it is not running."""
    with _state_lock(config):
        pid = _read_pid(config)
        if pid is None or not _is_emulator_process(pid):
            config.pid_file.unlink(missing_ok=True)
            print("emulator not running")
            return EXIT_OK
        _terminate(pid)
        config.pid_file.unlink(missing_ok=True)
    print(f"emulator stopped (pid {pid})")
    return EXIT_OK


def _running_client(config: EmulatorConfig) -> EmulatorClient | None:
    """A client for this state dir's emulator if it is running and healthy, else None (with a message)."""
    pid = _read_pid(config)
    # A live emulator process is given BUSY_HEALTH_TIMEOUT_S to answer: on a loaded machine one probe of
    # HEALTH_PROBE_TIMEOUT_S can time out while the emulator serves other calls (a `calls` once printed nothing).
    if pid is not None and _wait_healthy(config, pid, BUSY_HEALTH_TIMEOUT_S) is not None:
        return EmulatorClient(config.endpoint)
    print(f"emulator not running (port {config.port}, state dir {config.state_dir})", file=sys.stderr)
    return None


def cmd_status(config: EmulatorConfig, args: argparse.Namespace) -> int:
    """Exit 0 and print the endpoint if running and healthy, else exit 3."""
    if _running_client(config) is None:
        return EXIT_NOT_RUNNING
    print(config.endpoint)
    return EXIT_OK


def cmd_calls(config: EmulatorConfig, args: argparse.Namespace) -> int:
    """Print the call record as a table or JSON."""
    client = _running_client(config)
    if client is None:
        return EXIT_NOT_RUNNING
    records = client.calls(since=args.since, mutating=True if args.mutating else None)
    if args.json:
        print(json.dumps(records, indent=2))
        return EXIT_OK
    columns: tuple[str, ...] = ("seq", "time", "service", "operation", "region", "status", "mutating")
    if any(record.get("fault") for record in records):
        columns += ("fault",)
    rows = [columns, *[tuple(_cell(record.get(column)) for column in columns) for record in records]]
    widths = [max(len(row[index]) for row in rows) for index in range(len(columns))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def _cell(value: Any) -> str:
    """A table cell: ``-`` for no value."""
    return "-" if value is None else str(value)


def cmd_reset(config: EmulatorConfig, args: argparse.Namespace) -> int:
    """Reset all moto state and clear the call record."""
    client = _running_client(config)
    if client is None:
        return EXIT_NOT_RUNNING
    client.reset()
    print("emulator state reset, call record cleared (fault settings unchanged)")
    return EXIT_OK


def cmd_faults(config: EmulatorConfig, args: argparse.Namespace) -> int:
    """Show the fault settings and counts; with fault flags replace the settings, with ``--off`` turn them off."""
    overrides = _fault_overrides(args)
    if args.off and overrides:
        print("--off cannot be combined with other fault settings", file=sys.stderr)
        return EXIT_USAGE
    client = _running_client(config)
    if client is None:
        return EXIT_NOT_RUNNING
    try:
        if args.off:
            status = client.clear_faults()
        elif overrides:
            status = client.set_faults(
                args.throttle_rate or 0.0, args.error_rate or 0.0, args.fault_seed, args.fault_services
            )
        else:
            status = client.faults()
    except EmulatorError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(status, indent=2))
    return EXIT_OK


COMMANDS: dict[str, tuple[Callable[[EmulatorConfig, argparse.Namespace], int], str]] = {
    "serve": (cmd_serve, "run the server in the foreground (used by start)"),
    "start": (cmd_start, "start the server in the background (idempotent)"),
    "stop": (cmd_stop, "stop the background server (idempotent)"),
    "status": (cmd_status, "exit 0 and print the endpoint if running, else exit 3"),
    "calls": (cmd_calls, "print the recorded AWS API calls"),
    "reset": (cmd_reset, "reset all moto state and clear the call record (fault settings stay)"),
    "faults": (cmd_faults, "show, set (fault flags) or turn off (--off) fault injection"),
}
FAULT_FLAG_COMMANDS = ("serve", "start", "faults")


def _port_argument(value: str) -> int:
    """argparse type for ``--port``."""
    try:
        return parse_port(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _rate_argument(value: str) -> float:
    """argparse type for ``--throttle-rate``/``--error-rate``."""
    try:
        return parse_rate(value, "the rate")
    except FaultConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _scale_argument(value: str) -> float:
    """argparse type for ``--latency-scale``."""
    try:
        return parse_scale(value, "the latency scale")
    except LatencyConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _seed_argument(value: str) -> int:
    """argparse type for ``--fault-seed``."""
    try:
        seed = parse_seed(value, "the seed")
    except FaultConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    if seed is None:
        raise argparse.ArgumentTypeError("the seed must be an integer, got ''")
    return seed


def _services_argument(value: str) -> list[str]:
    """argparse type for ``--fault-services``."""
    try:
        services = parse_services(value, "the services")
    except FaultConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    if services is None:
        raise argparse.ArgumentTypeError("name at least one service, e.g. ec2,logs")
    return list(services)


def _add_fault_flags(parser: argparse.ArgumentParser) -> None:
    """The fault-injection flags of ``serve``, ``start`` and ``faults``."""
    group = parser.add_argument_group("fault injection")
    group.add_argument(
        "--throttle-rate",
        type=_rate_argument,
        metavar="RATE",
        help=f"share of AWS calls answered with throttling, 0..1 (default: ${THROTTLE_RATE_ENV} or 0)",
    )
    group.add_argument(
        "--error-rate",
        type=_rate_argument,
        metavar="RATE",
        help=f"share of AWS calls answered with a 5xx error, 0..1 (default: ${ERROR_RATE_ENV} or 0)",
    )
    group.add_argument(
        "--fault-seed", type=_seed_argument, metavar="N", help=f"random seed (default: ${SEED_ENV} or random)"
    )
    group.add_argument(
        "--fault-services",
        type=_services_argument,
        metavar="LIST",
        help=f"comma-separated services that get faults, e.g. ec2,logs (default: ${SERVICES_ENV} or all)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--port", type=_port_argument, help=f"port on {HOST} (default: ${PORT_ENV} or 4566)")
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description=f"Local AWS emulator (moto server + call recorder + fidelity patches). State dir: ${STATE_DIR_ENV}"
        " or <repo>/.emulator/<port>.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (_handler, help_text) in COMMANDS.items():
        subparser = subparsers.add_parser(name, parents=[common], help=help_text, description=help_text)
        if name == "calls":
            subparser.add_argument("--mutating", action="store_true", help="only calls that change state")
            subparser.add_argument("--json", action="store_true", help="print JSON instead of a table")
            subparser.add_argument("--since", type=int, help="only calls with a sequence number above this")
        if name in FAULT_FLAG_COMMANDS:
            _add_fault_flags(subparser)
        if name in ("serve", "start"):
            subparser.add_argument(
                "--plain",
                action="store_true",
                help=f"moto as it is: no fidelity patches, the call recorder stays (or ${FIDELITY_ENV}=off)",
            )
            subparser.add_argument(
                "--latency-scale",
                type=_scale_argument,
                metavar="F",
                help="latency profile: RDS instances, load balancers, NAT gateways and ECS deployments stay pending"
                " for F times AWS's duration (e.g. 0.01: an RDS instance is available after 5.7 s); 0 is off"
                f" (default: ${LATENCY_SCALE_ENV} or 0)",
            )
        if name == "faults":
            subparser.add_argument("--off", action="store_true", help="turn fault injection off")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = EmulatorConfig.resolve(args.port)
    except ValueError as error:
        parser.error(str(error))
    handler, _help = COMMANDS[args.command]
    return handler(config, args)
