"""playbooks/awx_configure.yml without an AWX server: every awx.awx task's arguments, rendered for every loop item,
are validated against that module's own argument spec as installed (a wrong option name, type or choice fails
here); every job template names a playbook of this repository that reads its survey's variables; the promotion
workflow runs in order; the playbook passes a syntax check."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.payments.infra.plugins.filter.awx import promotion_nodes
from ansible_collections.payments.infra.plugins.lookup.input_refusals import _trusted as trusted

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOK = ROOT / "playbooks" / "awx_configure.yml"


# Its strings as ansible-playbook treats them: templates it trusts and renders (the preflight's lookup does the same).
[PLAY] = trusted(yaml.safe_load(PLAYBOOK.read_text()))
TASKS = PLAY["tasks"]
KEYWORDS = {"name", "loop", "loop_control", "when", "register", "vars", "no_log", "changed_when", "tags"}


class Captured(Exception):
    pass


def argument_spec(module_name):
    """The argument spec module ``awx.awx.<module_name>`` builds in its main(), as installed."""
    from ansible_collections.awx.awx.plugins.module_utils import controller_api

    module = __import__(f"ansible_collections.awx.awx.plugins.modules.{module_name}", fromlist=["main"])
    captured = {}

    def capture(self, argument_spec=None, **kwargs):
        full = dict(controller_api.ControllerModule.AUTH_ARGSPEC)
        full.update(argument_spec or {})
        captured["spec"] = full
        captured["kwargs"] = kwargs
        raise Captured

    original = controller_api.ControllerAPIModule.__init__
    controller_api.ControllerAPIModule.__init__ = capture
    try:
        module.main()
    except Captured:
        pass
    finally:
        controller_api.ControllerAPIModule.__init__ = original
    return captured


def templar(**variables):
    variables = {**PLAY["vars"], "awx_project_scm_url": "https://git/x", **variables}
    templar = Templar(loader=DataLoader(), variables=variables)
    # This collection's filter, as a run resolves it from the checkout (the unit tests load no collection path).
    templar.environment.filters["payments.infra.promotion_nodes"] = promotion_nodes
    return templar


def module_of(task):
    [name] = [key for key in task if key not in KEYWORDS]
    return name, task[name]


def rendered_calls():
    """(task name, module, rendered arguments) for every awx.awx task and loop item."""
    calls = []
    for task in TASKS:
        module, args = module_of(task)
        if not module.startswith("awx.awx."):
            continue
        items = templar().template(task["loop"]) if "loop" in task else [None]
        for item in items:
            calls.append((task["name"], module.split(".")[-1], templar(item=item).template(args)))
    return calls


CALLS = rendered_calls()


def test_the_calls_cover_every_awx_task():
    awx_tasks = [t for t in TASKS if module_of(t)[0].startswith("awx.awx.")]
    assert {name for name, _, _ in CALLS} == {t["name"] for t in awx_tasks}
    environments, kinds = PLAY["vars"]["awx_environments"], PLAY["vars"]["awx_job_templates"]
    assert sum(module == "job_template" for _, module, _ in CALLS) == len(environments) * len(kinds)


@pytest.mark.parametrize(("task", "module", "args"), CALLS, ids=[f"{m}:{i}" for i, (_, m, _) in enumerate(CALLS)])
def test_arguments_are_valid_for_the_installed_module(task, module, args):
    captured = argument_spec(module)
    validator = ArgumentSpecValidator(
        captured["spec"],
        mutually_exclusive=captured["kwargs"].get("mutually_exclusive"),
        required_together=captured["kwargs"].get("required_together"),
        required_one_of=captured["kwargs"].get("required_one_of"),
        required_if=captured["kwargs"].get("required_if"),
    )
    result = validator.validate(args)
    assert not result.error_messages, f"{task}: {result.error_messages}"
    # No secret and no controller address in the playbook: awx.awx reads them from CONTROLLER_* variables.
    assert not {"controller_host", "controller_oauthtoken", "controller_password", "tower_host"} & set(args)


def test_a_wrong_option_would_fail_this_test():
    captured = argument_spec("job_template")
    result = ArgumentSpecValidator(captured["spec"]).validate({"name": "x", "playbok": "site.yml"})
    assert any("playbok" in message for message in result.error_messages)
    result = ArgumentSpecValidator(captured["spec"]).validate({"name": "x", "job_type": "plan"})
    assert any("job_type" in message for message in result.error_messages)


def test_every_job_template_names_a_playbook_that_reads_its_survey():
    for _, module, args in CALLS:
        if module != "job_template":
            continue
        playbook = ROOT / args["playbook"]
        assert playbook.is_file(), args["playbook"]
        text = playbook.read_text()
        for question in (args.get("survey_spec") or {}).get("spec", []):
            variable = question["variable"]
            assert re.search(rf"\b{variable}\b", text), f"{args['playbook']} does not read {variable}"
        for variable in args.get("extra_vars") or {}:
            readers = [playbook, *(ROOT / "playbooks").glob("*.yml"), *(ROOT / "group_vars").rglob("*.yml")]
            assert any(re.search(rf"\b{variable}\b", p.read_text()) for p in readers if p != PLAYBOOK), variable
        assert args["allow_simultaneous"] is False
        assert args["credentials"] == [PLAY["vars"]["awx_aws_credential"]]


def test_plan_and_drift_check_templates_are_check_mode_with_diff():
    by_name = {args["name"]: args for _, module, args in CALLS if module == "job_template"}
    for environment in PLAY["vars"]["awx_environments"]:
        for kind in ("plan", "drift check"):
            args = by_name[f"payments {environment} {kind}"]
            assert (args["job_type"], args["diff_mode"], args["playbook"]) == ("check", True, "site.yml")
        assert by_name[f"payments {environment} drift check"]["extra_vars"] == {"payments_plan_fail_on_changes": True}
        assert by_name[f"payments {environment} provision"]["job_type"] == "run"


def test_the_drift_check_notifies_when_a_notification_template_is_named():
    [task] = [t for t in TASKS if module_of(t)[0] == "awx.awx.job_template"]
    _, args = module_of(task)
    items = templar().template(task["loop"])
    notified = {
        f"{item[0]} {item[1]['kind']}": templar(item=item, awx_notification_template="oncall").template(args)[
            "notification_templates_error"
        ]
        for item in items
    }
    assert {k for k, v in notified.items() if v == ["oncall"]} == {
        f"{e} drift check" for e in PLAY["vars"]["awx_environments"]
    }


def test_the_promotion_workflow_runs_in_order_with_an_approval_before_prod():
    [args] = [a for _, module, a in CALLS if module == "workflow_job_template" and a["name"] == "payments promotion"]
    nodes = {node["identifier"]: node for node in args["workflow_nodes"]}
    order, current = [], args["workflow_nodes"][0]["identifier"]
    while current:
        order.append(current)
        following = nodes[current].get("related", {}).get("success_nodes", [])
        current = following[0]["identifier"] if following else None
    assert order == [
        "dev-provision",
        "dev-verify",
        "staging-provision",
        "staging-verify",
        "prod-approval",
        "prod-provision",
        "prod-verify",
    ]
    assert len(order) == len(nodes)  # every node on the one chain
    assert nodes["prod-approval"]["unified_job_template"]["type"] == "workflow_approval"
    templates = {a["name"] for _, m, a in CALLS if m == "job_template"}
    for node in nodes.values():
        if node["unified_job_template"]["type"] == "job_template":
            assert node["unified_job_template"]["name"] in templates


def test_destroy_of_an_approval_environment_waits_for_the_approval():
    workflows = {a["name"]: a for _, m, a in CALLS if m == "workflow_job_template"}
    args = workflows["payments prod destroy (approved)"]
    [approval, destroy] = args["workflow_nodes"]
    assert approval["unified_job_template"]["type"] == "workflow_approval"
    assert approval["related"]["success_nodes"] == [{"identifier": destroy["identifier"]}]
    assert destroy["unified_job_template"]["name"] == "payments prod destroy"
    assert [q["variable"] for q in args["survey_spec"]["spec"]] == ["confirm"]


def test_a_nightly_drift_check_per_environment():
    schedules = {a["unified_job_template"]: a for _, m, a in CALLS if m == "schedule"}
    assert set(schedules) == {f"payments {e} drift check" for e in PLAY["vars"]["awx_environments"]}
    assert all("FREQ=DAILY" in a["rrule"] for a in schedules.values())


def test_inventories_come_from_the_project():
    sources = [a for _, m, a in CALLS if m == "inventory_source"]
    for args in sources:
        assert args["source"] == "scm"
        assert (ROOT / args["source_path"]).is_file(), args["source_path"]


def test_the_filter_refuses_an_approval_environment_that_is_not_promoted():
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError, match="qa"):
        promotion_nodes(["dev", "prod"], ["qa"])


def test_syntax_check():
    done = subprocess.run(
        [BIN / "ansible-playbook", "--syntax-check", PLAYBOOK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
