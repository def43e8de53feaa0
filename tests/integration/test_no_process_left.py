"""A killed run leaves no process behind on the controller (plugins/callback/process_guard.py).

ansible-core's workers each lead a session of their own, so a signal to the run's process group (a SIGKILL of
the group, an AWX cancel through ansible-runner, which SIGKILLs the job's group) or the death of the main process
alone missed them: with Mitogen they waited forever on a multiplexer that was gone; without it the module went on
to the end of its task. Each case here starts a run whose task runs ``sleep 600`` in a module process, kills it
while that process runs, and finds no process of the run (by the marker in its environment) a few seconds later.
The killed runs of the kill-safety test (site.yml at random points) are checked the same way.
"""

import os
import signal
import subprocess
import sys
import time

import ansible_runner
import pytest
from conftest import BIN
from conftest import ROOT
from run_processes import RUN_MARK
from run_processes import marked_processes
from run_processes import mitogen_env
from run_processes import new_mark
from run_processes import wait_until_gone

pytestmark = pytest.mark.integration

PLAYBOOK = "tests/integration/playbooks/long_task.yml"
STRATEGIES = {"mitogen": mitogen_env(), "linear": {}}


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "hosts.ini"
    path.write_text(f"guarded ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return path


def run_env(mark, strategy, guard=True):
    env = {
        **os.environ,
        **STRATEGIES[strategy],
        RUN_MARK: mark,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    if not strategy == "mitogen":
        env.pop("ANSIBLE_STRATEGY", None)
        env.pop("ANSIBLE_STRATEGY_PLUGINS", None)
    if not guard:  # another callback instead of the guard (an empty list is refused)
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.timer"
    return env


def module_running(mark):
    return any(command.startswith("sleep 600") for _, command in marked_processes(mark))


def wait_for_module(mark, proc=None, timeout=90):
    deadline = time.monotonic() + timeout
    while not module_running(mark):
        assert proc is None or proc.poll() is None, f"the run ended (rc={proc.returncode}) before its task started"
        assert time.monotonic() < deadline, "the long task never started"
        time.sleep(0.2)


def started(inventory, mark, strategy, guard=True):
    log = (inventory.parent / "stderr.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "ansible-playbook"), PLAYBOOK, "-i", str(inventory)],
        cwd=ROOT,
        env=run_env(mark, strategy, guard),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    wait_for_module(mark, proc)
    return proc


def cancel_once_running(mark):
    """A cancel flag as AWX keeps it: raised once the task runs, and raised from then on (runner asks again)."""
    cancelled = []

    def _cancel():
        if not cancelled and module_running(mark):
            cancelled.append(True)
        return bool(cancelled)

    return _cancel


def kill_everything_marked(mark):
    for pid, _ in marked_processes(mark):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
@pytest.mark.parametrize("kill", ["process group", "main process"])
def test_sigkill_leaves_no_process(inventory, strategy, kill):
    mark = new_mark()
    proc = started(inventory, mark, strategy)
    try:
        before = marked_processes(mark)
        if kill == "process group":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        left = wait_until_gone(mark)
        assert left == [], f"{strategy}, SIGKILL of the {kill}: left alive {left} (the run had {before})"
    finally:
        kill_everything_marked(mark)


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_job_cancelled_through_ansible_runner_leaves_no_process(inventory, tmp_path, monkeypatch, strategy):
    """As AWX cancels a job: ansible-runner's cancel callback says so, runner SIGKILLs the job's process group.

    The private data directory is laid out as AWX lays it out (the project checkout in ``project/``, the job's cwd).
    """
    mark = new_mark()
    env = run_env(mark, strategy)
    monkeypatch.setenv("PATH", env["PATH"])  # runner finds ansible-playbook on its own PATH
    private = tmp_path / "runner"
    private.mkdir()
    (private / "project").symlink_to(ROOT)
    try:
        result = ansible_runner.run(
            private_data_dir=str(private),
            playbook=PLAYBOOK,
            inventory=str(inventory),
            envvars={k: v for k, v in env.items() if k.startswith(("ANSIBLE_", "PAYMENTS_"))},
            cancel_callback=cancel_once_running(mark),
            settings={"pexpect_timeout": 0.5, "suppress_ansible_output": True},
            quiet=True,
        )
        assert result.status == "canceled", (result.status, result.rc)
        left = wait_until_gone(mark)
        assert left == [], f"{strategy}, cancelled through ansible-runner: left alive {left}"
    finally:
        kill_everything_marked(mark)


def test_without_the_guard_a_killed_run_leaves_its_worker_behind(inventory):
    """The control: the same SIGKILL of the process group with the guard turned off leaves the task running."""
    mark = new_mark()
    proc = started(inventory, mark, "linear", guard=False)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(2)
        left = marked_processes(mark)
        assert any(command.startswith("sleep 600") for _, command in left), left
    finally:
        kill_everything_marked(mark)
