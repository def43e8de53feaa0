"""payments.infra.plan_summary: the plan file a drift check reads, driven with results."""

import json
from types import SimpleNamespace

import pytest
from callback_stubs import Display
from callback_stubs import Host
from callback_stubs import Task
from callback_stubs import result

from ansible_collections.payments.infra.plugins.callback import plan_summary


@pytest.fixture
def plan(monkeypatch, tmp_path):
    monkeypatch.setattr(plan_summary.context, "CLIARGS", {"check": True})
    cb = plan_summary.CallbackModule(display=Display())
    (tmp_path / "playbooks").mkdir()
    cb.v2_playbook_on_start(SimpleNamespace(_basedir=str(tmp_path / "playbooks")))  # a playbook under playbooks/
    return cb, tmp_path / "artifacts" / "plan"


def read(directory, host):
    return json.loads((directory / f"{host}.json").read_text())["changes"]


def test_a_host_plan_is_written_afresh_at_its_first_result_and_grows(plan):
    cb, directory = plan
    directory.mkdir(parents=True)
    (directory / "payments-dev.json").write_text(json.dumps({"changes": [{"line": "~ an earlier plan"}]}))
    dev = Host("payments-dev")
    cb.v2_runner_on_ok(result(dev, Task("Read the VPC"), changed=False))
    assert read(directory, "payments-dev") == []  # the earlier plan's file does not stand for this one
    diff = {"before": {"retention": 14}, "after": {"retention": 30}}
    cb.v2_runner_on_ok(result(dev, Task("Application log group", "payments.infra.ecs_alb"), changed=True, diff=diff))
    [change] = read(directory, "payments-dev")
    assert change["action"] == "change" and change["line"] == "~ Application log group"


def test_the_summary_lists_only_hosts_with_changes(plan):
    cb, _ = plan
    cb.v2_runner_on_ok(result(Host("localhost"), Task("Hosts selected"), changed=False))
    cb.v2_runner_on_ok(result(Host("payments-dev"), Task("Read"), changed=False))
    cb.v2_playbook_on_stats(SimpleNamespace(failures={}, dark={}))
    assert cb._display.lines == ["plan: no changes"]


def test_outside_a_plan_no_file_is_written(monkeypatch, tmp_path):
    monkeypatch.setattr(plan_summary.context, "CLIARGS", {"check": False})
    cb = plan_summary.CallbackModule(display=Display())
    cb.v2_playbook_on_start(SimpleNamespace(_basedir=str(tmp_path)))
    cb.v2_runner_on_ok(result(Host("payments-dev"), Task("VPC"), changed=True))
    assert not (tmp_path / "artifacts").exists()
