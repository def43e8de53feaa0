"""payments.infra.run_summary: the table at the end of a run and the progress lines, driven with results."""

import time

import pytest
from callback_stubs import Display
from callback_stubs import Host
from callback_stubs import Task
from callback_stubs import result

from ansible_collections.payments.infra.plugins.callback import run_summary


@pytest.fixture
def callback(monkeypatch):
    monkeypatch.setattr(run_summary.context, "CLIARGS", {"check": False})
    cb = run_summary.CallbackModule(display=Display())
    options = {"summary": True, "progress_interval": 0}
    cb.get_option = options.get
    cb.options = options
    return cb


def run(cb, host, task, **payload):
    cb.v2_runner_on_start(host, task)
    cb.v2_runner_on_ok(result(host, task, **payload))


def test_the_table_counts_tasks_and_resources_per_tier(callback):
    dev = Host("payments-dev")
    callback.v2_playbook_on_start(None)
    run(callback, dev, Task("Refuse bad inputs"))
    run(callback, dev, Task("VPC", "payments.infra.network"), changed=True)
    run(callback, dev, Task("Subnets", "payments.infra.network"), changed=False)
    run(callback, dev, Task("Bucket", "payments.infra.s3"), changed=True)
    callback.v2_runner_on_skipped(result(dev, Task("Skipped", "payments.infra.s3")))
    run(
        callback,
        dev,
        Task("Adopt", "payments.infra.adoption"),
        ansible_facts={"adoption_outputs": {"adopted": ["vpc payment-vpc-dev", "s3_bucket payment-logs-dev-1"]}},
    )
    run(
        callback,
        dev,
        Task("Count"),
        ansible_facts={"payments_run_resources": {"network": {"created": 7, "destroyed": 1}}},
    )
    callback.v2_playbook_on_stats(None)
    lines = callback._display.lines
    assert lines[0].startswith("run summary (")
    rows = {line.split()[0]: line.split()[1:6] for line in lines[1:-1]}
    assert rows["payments-dev"] == ["created", "destroyed", "changed", "unchanged", "adopted"]
    assert rows["run"] == ["0", "0", "0", "2", "0"]
    assert rows["network"] == ["7", "1", "1", "1", "1"]
    assert rows["s3"] == ["0", "0", "1", "0", "1"]
    assert rows["adoption"] == ["0", "0", "0", "1", "0"]
    assert rows["total"] == ["7", "1", "2", "4", "2"]


def test_a_plan_prints_no_table_and_the_switch_turns_it_off(callback, monkeypatch):
    dev = Host("payments-dev")
    run(callback, dev, Task("VPC", "payments.infra.network"), changed=True)
    monkeypatch.setattr(run_summary.context, "CLIARGS", {"check": True})
    callback.v2_playbook_on_stats(None)
    assert callback._display.lines == []
    monkeypatch.setattr(run_summary.context, "CLIARGS", {"check": False})
    callback.options["summary"] = False
    callback.v2_playbook_on_stats(None)
    assert callback._display.lines == []


def test_a_run_without_a_tier_prints_no_summary(callback):
    run(callback, Host("localhost"), Task("A slow task"))
    callback.v2_playbook_on_stats(None)
    assert callback._display.lines == []


def test_a_host_of_the_playbooks_checks_only_has_no_table(callback):
    run(callback, Host("localhost"), Task("Hosts selected"))
    run(callback, Host("payments-dev"), Task("VPC", "payments.infra.network"), changed=True)
    callback.v2_playbook_on_stats(None)
    assert not any("localhost" in line for line in callback._display.lines)


def test_a_long_task_is_reported_every_interval_until_it_ends(callback):
    callback.options["progress_interval"] = 1
    dev, staging = Host("payments-dev"), Host("payments-staging")
    wait = Task("Wait for the database", "payments.infra.rds")
    callback.v2_playbook_on_start(None)
    callback.v2_runner_on_start(dev, wait)
    callback.v2_runner_on_start(staging, wait)
    deadline = time.monotonic() + 10
    while sum("payments-dev" in line for line in callback._display.lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    callback.v2_runner_on_ok(result(dev, wait, changed=False))
    reported = list(callback._display.lines)
    assert sum("payments-dev: still on 'Wait for the database' after" in line for line in reported) >= 2
    assert any("payments-staging: still on 'Wait for the database'" in line for line in reported)
    # Once it ended, no more lines for it (the staging host still runs).
    time.sleep(2.5)
    later = callback._display.lines[len(reported) :]
    assert not any("payments-dev" in line for line in later)
    assert any("payments-staging" in line for line in later)
    callback.v2_playbook_on_stats(None)
