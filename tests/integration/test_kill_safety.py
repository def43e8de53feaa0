"""Kill-safety: site.yml killed with SIGKILL at random points of a run, run again each time, ends with exactly the
resources one environment consists of (every one counted, tagged or not: an orphan has no tag to find it by),
and the run after that changes nothing.

The kill points are tasks of the window of a run that can write (from the lock bucket's task to the release of
the lock, found by name): the n-th task header from the first of it, drawn at random over the whole window and
killed a random fraction of a second after the task started, so that they land inside AWS calls. They are
taken in increasing order: each run goes further than the one before (it re-checks what earlier runs made, then
is killed in work no run has done yet), so one chain of runs puts every kill point into new work.
``PAYMENTS_CHAOS_SEED`` replays a chain; the report (.cache/chaos-report.json) lists the points and the tasks hit.

Every killed run uses Mitogen's strategy (as ``make`` runs it) and must leave no process of its own on the
controller a few seconds after the kill (plugins/callback/process_guard.py); the last killed run of site.yml is
cancelled through ansible-runner, as AWX cancels a job.
"""

import json
import os
import random
import signal
import subprocess
import time

import ansible_runner
import pytest
from conftest import BIN
from conftest import ROOT
from headcount import census
from headcount import expected_counts
from headcount import final_snapshots
from headcount import leftovers
from headcount import shared_counts
from run_processes import RUN_MARK
from run_processes import mitogen_env
from run_processes import new_mark
from run_processes import wait_until_gone
from secrets_check import assert_no_secret_in

pytestmark = pytest.mark.integration

ENV = "dev"
KILLS = 10
# AWX's cancel flag is polled (pexpect_timeout 0.2 s): a few quick tasks can start before the cancel lands, so the
# job is cancelled at a point drawn short of the window's last CANCEL_LAG tasks (the SIGKILL points cover them).
CANCEL_LAG = 5
DESTROY = "playbooks/destroy.yml"
# The kill points are tasks of the window of a run that can change something: from the task that makes the lock
# bucket (after the inventory check and the preflight) to the release of the lock, both found by name. A kill
# point n is the n-th task header from the first of them. WINDOW is the window's length in a run on a converged
# dev (site.yml, then the teardown); the test measures it again by name in the runs it makes and fails with the
# new length when the playbooks moved it, rather than drawing kill points from a stale range.
FIRST_CHANGE = "Lock bucket (shared"
LAST_CHANGE = "Release the run lock of"
WINDOW = {"site.yml": 145, DESTROY: 72}
PURGE = {"purge_bucket": True}


def killed_run(emu, kill_at, delay, playbook="site.yml", mark=None):
    """``playbook`` for dev, SIGKILLed (its whole process group) ``delay`` s after the ``kill_at``-th task from the
    first of the window (0: that one) started.

    Returns (the task it was in, seconds run, what it printed); the task is None when the window ended first.
    """
    env = {
        **os.environ,
        **emu.env(),
        **mitogen_env(),
        RUN_MARK: mark or new_mark(),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(BIN / "ansible-playbook"), playbook, "-i", f"inventories/{ENV}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    tasks = None  # headers from the first of the window (1: that one), None before it
    printed = []
    try:
        for line in proc.stdout:
            printed.append(line)
            if line.startswith("TASK ["):
                if tasks is None and FIRST_CHANGE in line:
                    tasks = 0
                if tasks is not None:
                    tasks += 1
                if LAST_CHANGE in line and tasks is not None and tasks <= kill_at:
                    return None, time.monotonic() - started, "".join(printed)  # the window ended before the point
                if tasks is not None and tasks == kill_at + 1:
                    time.sleep(delay)
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return line.strip()[6:].split("]")[0], time.monotonic() - started, "".join(printed)
        proc.wait()
        return None, time.monotonic() - started, "".join(printed)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()


def cancelled_through_runner(emu, cancel_at, private_data_dir, mark):
    """site.yml for dev through ansible-runner as AWX runs a job, cancelled once the ``cancel_at``-th task from the
    first of the window (0: that one) started.

    Returns (the task it was in, its status, what it printed).
    """
    private_data_dir.mkdir()
    (private_data_dir / "project").symlink_to(ROOT)  # AWX checks the project out there and runs in it
    tasks = []

    def _on_event(event):
        if event.get("event") == "playbook_on_task_start":
            name = event["event_data"].get("task", "")
            if tasks or FIRST_CHANGE in name:
                tasks.append(name)

    result = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        playbook="site.yml",
        inventory=str(ROOT / "inventories" / ENV),
        envvars={**emu.env(), **mitogen_env(), RUN_MARK: mark},
        event_handler=_on_event,
        cancel_callback=lambda: len(tasks) > cancel_at,  # stays raised once raised, as AWX's cancel flag
        settings={"pexpect_timeout": 0.2, "suppress_ansible_output": True},
        quiet=True,
    )
    inside = len(tasks) > cancel_at and not any(LAST_CHANGE in name for name in tasks[:-1])
    return (tasks[-1] if inside else None), result.status, result.stdout.read()


def assert_no_process_left(mark, report):
    """No process of the run marked ``mark`` outlives it by more than a few seconds (recorded in ``report``)."""
    left = wait_until_gone(mark)
    report[-1]["processes_left"] = left
    assert left == [], f"processes of the killed run still alive: {left}\n{report}"


def kill_chain(emu, rng, points, playbook, report):
    """Runs of ``playbook`` killed at each of ``points`` in turn; each kill recorded in ``report``."""
    for point in points:
        delay = round(rng.uniform(0.0, 1.5), 2)
        mark = new_mark()
        task, seconds, printed = killed_run(emu, point, delay, playbook, mark)
        assert_no_secret_in(emu, printed)
        report.append(
            {
                "playbook": playbook,
                "window_task": point,
                "delay": delay,
                "task": task,
                "seconds": round(seconds, 1),
                "took_over_lock": "Took over the run lock" in printed,
            }
        )
        assert task is not None, (
            f"the window of {playbook} ({FIRST_CHANGE!r} to {LAST_CHANGE!r}) ended before its task {point}: "
            f"WINDOW is stale, recount it: {report}"
        )
        assert_no_process_left(mark, report)


def test_killed_runs_then_rerun_converge_to_exactly_one_of_each(clean_emulator, ansible, aws, tmp_path, monkeypatch):
    seed = int(os.environ.get("PAYMENTS_CHAOS_SEED") or random.SystemRandom().randrange(10**6))
    rng = random.Random(seed)
    points = sorted(rng.sample(range(WINDOW["site.yml"]), KILLS))
    cancel_point = rng.randrange(WINDOW["site.yml"] - CANCEL_LAG)
    report = {"seed": seed, "kills": []}
    kill_chain(clean_emulator, rng, points, "site.yml", report["kills"])

    # The last one is an AWX-style job cancelled through ansible-runner (a SIGKILL of the job's process group).
    monkeypatch.setenv("PATH", f"{BIN}:{os.environ.get('PATH', '')}")  # runner finds ansible-playbook on its PATH
    mark = new_mark()
    task, status, printed = cancelled_through_runner(clean_emulator, cancel_point, tmp_path / "job", mark)
    assert_no_secret_in(clean_emulator, printed)
    report["kills"].append(
        {
            "playbook": "site.yml via ansible-runner",
            "window_task": cancel_point,
            "task": task,
            "status": status,
            "took_over_lock": "Took over the run lock" in printed,
        }
    )
    assert task is not None and status == "canceled", f"not cancelled mid-run: {report}"
    assert_no_process_left(mark, report["kills"])

    # The next run takes over the lock the last killed run left (its process is gone) and converges.
    converge = ansible("site.yml", ENV)
    assert converge.rc == 0, f"seed {seed}: {converge.messages()}\n{report}"
    report["converge_took_over_lock"] = "Took over the run lock" in json.dumps(converge.output)
    counts = census(aws, ENV)
    expected = expected_counts(ENV)
    report.update(counts=counts, expected=expected, shared=shared_counts(aws))
    write_report(report)
    duplicates = {k: (counts[k], expected[k]) for k in expected if counts[k] != expected[k]}
    assert duplicates == {}, f"seed {seed}: (found, expected) differ: {duplicates}\n{report}"
    assert shared_counts(aws) == {"lock_buckets": 1, "ecr_repositories": 1}
    # Runs killed while holding the lock left it behind; each next run took it over (its holder was gone).
    takeovers = [k["took_over_lock"] for k in report["kills"][1:]] + [report["converge_took_over_lock"]]
    assert any(takeovers), f"seed {seed}: no run took over a killed run's lock: {report}"

    # Converged: the run after changes nothing and makes no mutating call.
    seq = clean_emulator.client.last_seq()
    again = ansible("site.yml", ENV)
    assert again.rc == 0, again.messages()
    assert again.changed == 0, again.changed_tasks()
    assert clean_emulator.client.mutating_calls(since=seq) == []
    # The window the kill points were drawn from, found by name in this run of the converged dev.
    assert window(again) == WINDOW["site.yml"], (
        f"the window of site.yml is now {window(again)} tasks, not {WINDOW['site.yml']}: set WINDOW['site.yml']"
    )

    # Teardown, killed too: destroy.yml killed twice at random points, then run to the end, leaves nothing of
    # dev, tagged or not; the shared repository and lock bucket stay; a second destroy changes nothing.
    destroy_points = sorted(rng.sample(range(WINDOW[DESTROY]), 2))
    kill_chain(clean_emulator, rng, destroy_points, DESTROY, report["kills"])
    # purge_bucket: the access-log bucket always holds ELB's test file, which a teardown without it keeps
    # (test_destroy proves that keep); here the teardown runs to nothing left.
    destroyed = ansible(DESTROY, ENV, extra_vars=PURGE)
    assert destroyed.rc == 0, f"seed {seed}: {destroyed.messages()}\n{report}"
    gone = census(aws, ENV)
    report["after_destroy"] = gone
    write_report(report)
    assert {k: n for k, n in gone.items() if n} == {}, f"seed {seed}: left after the teardown: {gone}"
    assert leftovers(aws, ENV) == {}
    assert shared_counts(aws) == {"lock_buckets": 1, "ecr_repositories": 1}
    assert final_snapshots(aws, ENV) == []  # rds_final_snapshot: false in dev
    seq = clean_emulator.client.last_seq()
    again = ansible(DESTROY, ENV, extra_vars=PURGE)
    assert again.rc == 0, again.messages()
    assert again.changed == 0, again.changed_tasks()
    assert clean_emulator.client.mutating_calls(since=seq) == []


def window(run):
    """Tasks from the first of the window to the release of the lock (both counted) in ``run`` (PlaybookRun)."""
    names = [task["task"]["name"] for play in run.output.get("plays", []) for task in play.get("tasks", [])]
    first = next(i for i, name in enumerate(names) if FIRST_CHANGE in name)
    last = next(i for i, name in enumerate(names) if LAST_CHANGE in name and i > first)
    return last - first + 1


def write_report(report):
    (ROOT / ".cache").mkdir(exist_ok=True)
    (ROOT / ".cache" / "chaos-report.json").write_text(json.dumps(report, indent=2))
