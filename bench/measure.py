"""The measured runs of `make bench`: one playbook set, one phase, on an emulator; the result as figures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

from emulator import selfsigned
from emulator.testing import RunningEmulator

REPO_ROOT = Path(__file__).resolve().parent.parent
CALLBACK_DIR = REPO_ROOT / "bench" / "callback_plugins"
STOCK_BUILD = REPO_ROOT.parent / "shared" / "bench" / "stock_build"
# On the emulator there is no public name to certify (the Makefile's EMULATOR_VARS).
EMULATOR_VARS = ("-e", "payments_self_signed_certificate_allowed=true")
# ../shared/bench/stock_build/full_run.sh: its playbooks in order, with the moto workarounds it runs them with.
STOCK_PLAYBOOKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("01_network", ()),
    ("02_security_groups", ()),
    ("03_ecr", ()),
    ("04_rds", ("-e", "moto_pg_workaround=true", "-e", "gp3_explicit=true")),
    ("05_ecs_alb", ("-e", "ecs_grace=false")),
    ("06_s3", ()),
    ("07_alarms", ()),
)
PHASES = ("cold", "noop", "plan")


@dataclass
class Run:
    """What one measured run did: the figures make bench prints."""

    side: str  # "ours" or "stock"
    env: str
    phase: str  # cold | noop | plan
    mitogen: bool
    rc: int
    wall_s: float
    changed: int
    module_runs: int
    local_tasks: int
    api_calls: int
    mutating_calls: int
    modules: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def summary(self) -> str:
        """One line, printed as the run ends (a long bench shows its figures as it goes)."""
        mitogen = "" if self.side == "stock" else (" Mitogen" if self.mitogen else " plain")
        return (
            f"{self.side}{mitogen} {self.env} {self.phase}: {self.wall_s} s, rc={self.rc}, changed={self.changed},"
            f" {self.module_runs} module runs, {self.local_tasks} local tasks, {self.api_calls} API calls"
            f" ({self.mutating_calls} mutating)"
        )


def mitogen_strategy_env(on: bool) -> dict[str, str | None]:
    """ANSIBLE_STRATEGY(_PLUGINS) for Mitogen's linear strategy, or unset (None) for Ansible's own."""
    if not on:
        return {"ANSIBLE_STRATEGY": None, "ANSIBLE_STRATEGY_PLUGINS": None}
    import ansible_mitogen  # noqa: PLC0415 - only when Mitogen is asked for

    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY": "mitogen_linear", "ANSIBLE_STRATEGY_PLUGINS": str(plugins)}


def run_env(emulator: RunningEmulator, extra: dict[str, str | None], result_file: Path) -> dict[str, str]:
    """The environment of a measured ansible-playbook: the emulator, the counting callback, ``extra``."""
    env = {**os.environ, **emulator.env(), "PAYMENTS_BENCH_RESULT": str(result_file)}
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def measured(
    side: str,
    env_name: str,
    phase: str,
    mitogen: bool,
    emulator: RunningEmulator,
    commands: list[tuple[list[str], Path, dict[str, str | None]]],
) -> Run:
    """Run ``commands`` (argv, cwd, environment changes) in order as one measured run and count it."""
    with tempfile.TemporaryDirectory(prefix="payments-bench-") as scratch:
        result_file = Path(scratch) / "counts.json"
        seq = emulator.client.last_seq()
        rc, wall = 0, 0.0
        for argv, cwd, extra in commands:
            env = run_env(emulator, {**mitogen_strategy_env(mitogen), **extra}, result_file)
            start = time.monotonic()
            done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
            wall += time.monotonic() - start
            rc = rc or done.returncode
            if done.returncode != 0:
                log = Path(scratch).parent / f"payments-bench-{side}-{env_name}-{phase}.log"
                log.write_text(done.stdout + done.stderr, encoding="utf-8")
                print(f"  {side} {env_name} {phase}: {' '.join(argv[:2])} rc={done.returncode}, output in {log}")
        counts = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else {}
        calls = emulator.client.calls(since=seq)
    run = Run(
        side=side,
        env=env_name,
        phase=phase,
        mitogen=mitogen,
        rc=rc,
        wall_s=round(wall, 2),
        changed=counts.get("changed", 0),
        module_runs=counts.get("module_runs", 0),
        local_tasks=counts.get("local_tasks", 0),
        api_calls=len(calls),
        mutating_calls=sum(1 for call in calls if call["mutating"]),
        modules=counts.get("modules", {}),
    )
    print(f"  {run.summary()}", flush=True)
    return run


def ours_commands(env_name: str, phase: str) -> list[tuple[list[str], Path, dict[str, str | None]]]:
    """site.yml of one environment, as `make demo` (cold, noop) or `make plan` (plan) runs it."""
    argv = [str(REPO_ROOT / ".venv" / "bin" / "ansible-playbook"), "site.yml", "-i", f"inventories/{env_name}"]
    argv += [*EMULATOR_VARS, *(["--check", "--diff"] if phase == "plan" else [])]
    callbacks = "payments.infra.process_guard,payments.infra.plan_summary,payments.infra.run_summary,payments_bench"
    extra = {
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_CALLBACKS_ENABLED": callbacks,
    }
    return [(argv, REPO_ROOT, extra)]


def stock_copy(destination: Path) -> Path:
    """A writable copy of the stock build with its certificates (it writes beside itself)."""
    copy = destination / "stock_build"
    shutil.copytree(STOCK_BUILD, copy, ignore=shutil.ignore_patterns("logs", "moto.pid", "port"))
    certificate, key, chain = selfsigned.issue("payment.example.test")
    for name, data in {"leaf.crt": certificate, "leaf.key": key, "ca.crt": chain}.items():
        (copy / "files" / name).write_bytes(data)
    return copy


def stock_commands(
    copy: Path, env_name: str, phase: str, port: int
) -> list[tuple[list[str], Path, dict[str, str | None]]]:
    """The stock build's playbooks 01..07 in order, as its full_run.sh runs them (plan: --check --diff)."""
    base = [str(REPO_ROOT / ".venv" / "bin" / "ansible-playbook")]
    common = ["-e", f"moto_port={port}", "-e", "state=present", "-e", f"stage={env_name}"]
    extra = {
        "ANSIBLE_CONFIG": str(copy / "ansible.cfg"),
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_CALLBACKS_ENABLED": "payments_bench",
    }
    plan = ["--check", "--diff"] if phase == "plan" else []
    return [
        ([*base, f"playbooks/{playbook}.yml", *common, *workarounds, *plan], copy, extra)
        for playbook, workarounds in STOCK_PLAYBOOKS
    ]
