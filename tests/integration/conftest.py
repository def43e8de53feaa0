"""Integration harness: one emulator for the session, ansible-playbook as users run it."""

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from emulator.testing import running_emulator

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


@dataclass
class PlaybookRun:
    rc: int
    stats: dict  # ok / changed / failures / skipped ... per host (payments-<env>)
    output: dict  # the json callback's whole document
    stderr: str

    @property
    def changed(self):
        """Changed tasks over every host of the run."""
        return sum(host.get("changed", 0) for host in self.stats.values())

    @property
    def failed(self):
        return self.rc != 0

    def messages(self):
        """The messages of failed tasks (and failed loop items), to assert on error texts."""
        found = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                for result in task.get("hosts", {}).values():
                    if result.get("failed"):
                        found.append(f"{task['task']['name']}: {result.get('msg', '')}")
                    for item in result.get("results", []) or []:
                        if item.get("failed"):
                            found.append(f"{task['task']['name']}: {item.get('msg', '')}")
        return "\n".join(found) or self.stderr

    def changed_tasks(self):
        names = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                if any(r.get("changed") for r in task.get("hosts", {}).values()):
                    names.append(task["task"]["name"])
        return names


@pytest.fixture(scope="session")
def emulator():
    with running_emulator() as emu:
        yield emu


@pytest.fixture
def clean_emulator(emulator):
    """An emulator with no resources and an empty call record."""
    emulator.client.reset()
    return emulator


@pytest.fixture(scope="session")
def ansible(emulator):
    """ansible(playbook, envs, extra_vars=None, check=False, diff=False, forks=None) -> PlaybookRun.

    envs: one environment name, or a list of them run together in one ansible-playbook call.
    """

    def _run(playbook, envs, extra_vars=None, check=False, diff=False, forks=None):
        envs = [envs] if isinstance(envs, str) else list(envs)
        cmd = [str(BIN / "ansible-playbook"), playbook]
        for env_name in envs:
            cmd += ["-i", f"inventories/{env_name}"]
        if forks:
            cmd += ["--forks", str(forks)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        env = {
            **os.environ,
            **emulator.env(),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        }
        env.pop("AWS_PROFILE", None)
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
        try:
            output = json.loads(proc.stdout)
        except json.JSONDecodeError as error:
            raise AssertionError(
                f"ansible-playbook printed no JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            ) from error
        return PlaybookRun(proc.returncode, output.get("stats", {}), output, proc.stderr)

    return _run


@pytest.fixture(scope="session")
def aws(emulator):
    """aws(service) -> a boto3 client on the emulator."""

    def _client(service, region="us-east-1"):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=emulator.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return _client
