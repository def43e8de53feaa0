"""Integration harness: one emulator for the session, ansible-playbook as users run it."""

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from batch import run_bad_inputs
from lanes import pytest_collection_finish  # noqa: F401 - the lanes' hooks (lanes.py)
from lanes import pytest_collection_modifyitems  # noqa: F401
from secrets_check import assert_no_secret_in

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

    def messages(self, host=None):
        """The messages of failed tasks (and failed loop items), to assert on error texts; of one host if given."""
        found = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                for name, result in task.get("hosts", {}).items():
                    if host is not None and name != host:
                        continue
                    if result.get("failed"):
                        found.append(f"{task['task']['name']}: {result.get('msg', '')}")
                    for item in result.get("results", []) or []:
                        if item.get("failed"):
                            found.append(f"{task['task']['name']}: {item.get('msg', '')}")
        return "\n".join(found) or self.stderr

    def changed_tasks(self):
        """Names of the changed tasks, without their role prefix ("payments.infra.<role> : ")."""
        names = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                if any(r.get("changed") for r in task.get("hosts", {}).values()):
                    names.append(task["task"]["name"].split(" : ", 1)[-1])
        return names


ENVIRONMENTS = ["dev", "staging", "prod"]
# On the emulator there is no public name to certify: prod runs with the self-signed certificate it refuses on
# real AWS, as make demo runs it (test_ecs_alb.py proves the refusal with this set to false).
EMULATOR_VARS = {"payments_self_signed_certificate_allowed": True}


def make_runner(emu):
    """runner(playbook, envs, extra_vars=None, check=False, diff=False, forks=None, emulator_vars=True) -> PlaybookRun.

    On ``emu``, with EMULATOR_VARS unless ``emulator_vars`` is false (the group_vars as on real AWS).

    envs: one environment name, or a list of them run together in one ansible-playbook call (an entry with a
    "/" is an inventory path).
    """

    def _run(playbook, envs, extra_vars=None, check=False, diff=False, forks=None, emulator_vars=True):
        envs = [envs] if isinstance(envs, str) else list(envs)
        cmd = [str(BIN / "ansible-playbook"), playbook]
        for env_name in envs:
            cmd += ["-i", env_name if "/" in env_name else f"inventories/{env_name}"]
        cmd += ["--forks", str(forks or len(envs))]
        cmd += ["-e", json.dumps({**(EMULATOR_VARS if emulator_vars else {}), **(extra_vars or {})})]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        env = {
            **os.environ,
            **emu.env(),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        }
        env.pop("AWS_PROFILE", None)
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
        assert_no_secret_in(emu, proc.stdout + proc.stderr)
        try:
            output = json.loads(proc.stdout)
        except json.JSONDecodeError as error:
            raise AssertionError(
                f"ansible-playbook printed no JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            ) from error
        return PlaybookRun(proc.returncode, output.get("stats", {}), output, proc.stderr)

    return _run


def make_clients(emu):
    """clients(service) -> a boto3 client on ``emu``."""

    def _client(service, region="us-east-1"):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=emu.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return _client


@pytest.fixture(scope="session")
def emulator():
    """The emulator holding the three provisioned environments (see ``provisioned``)."""
    with running_emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def scratch_emulator():
    """A second emulator for tests that need an empty account; the provisioned one is left alone."""
    with running_emulator() as emu:
        yield emu


@pytest.fixture
def clean_emulator(scratch_emulator):
    """An empty emulator with an empty call record. ``ansible`` and ``aws`` of the same test talk to it."""
    scratch_emulator.client.reset()
    return scratch_emulator


def _target(request):
    # A test on the empty emulator names clean_emulator (emptied for it) or a module fixture built on
    # scratch_emulator (cases in turn on one environment, e.g. test_destroy.py).
    scratch = {"clean_emulator", "scratch_emulator"} & set(request.fixturenames)
    name = "scratch_emulator" if scratch else "emulator"
    return request.getfixturevalue(name)


@pytest.fixture
def ansible(request):
    """ansible(playbook, envs, extra_vars=None, check=False, diff=False, forks=None) -> PlaybookRun.

    Runs against the provisioned emulator, or against the empty one when the test uses ``clean_emulator`` or
    ``scratch_emulator``.
    """
    return make_runner(_target(request))


@pytest.fixture
def aws(request):
    """aws(service) -> a boto3 client on the same emulator as ``ansible``."""
    return make_clients(_target(request))


@dataclass
class Provisioned:
    first: PlaybookRun  # dev, staging and prod provisioned together from nothing
    second: PlaybookRun  # the same run again
    seq_before_first: int  # the call record before the first run
    seq_before_second: int  # the call record before the second run
    seq_after_second: int  # the call record after it


@pytest.fixture(scope="session")
def provisioned(emulator):
    """dev, staging and prod provisioned together by one site.yml run (one fork each), then run again.

    Session-wide: the read-back tests of every tier share it. Tests that change an environment put it
    back as it was before they end, so that the tests after them read the environments as provisioned.
    """
    run = make_runner(emulator)
    emulator.client.reset()
    seq_first = emulator.client.last_seq()
    first = run("site.yml", ENVIRONMENTS)
    assert first.rc == 0, first.messages()
    seq = emulator.client.last_seq()
    second = run("site.yml", ENVIRONMENTS)
    assert second.rc == 0, second.messages()
    return Provisioned(first, second, seq_first, seq, emulator.client.last_seq())


def _outputs_of(run, host):
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            result = task.get("hosts", {}).get(host)
            if result and "payments_outputs" in result:
                return result["payments_outputs"]
    raise AssertionError(f"no payments_outputs printed for {host}")


@pytest.fixture(scope="module")
def bad_inputs(request, scratch_emulator, tmp_path_factory):
    """Every case of the test module's BAD_INPUTS in one site.yml run, one inventory host each (batch.py)."""
    return run_bad_inputs(
        scratch_emulator, make_runner(scratch_emulator), request.module.BAD_INPUTS, tmp_path_factory.mktemp("bad")
    )


@pytest.fixture(scope="session")
def outputs_of():
    """outputs_of(run, host) -> the payments_outputs the run printed for one host (payments-<env>)."""
    return _outputs_of
