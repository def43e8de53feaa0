"""Data flows one way (issue 14): a tier's outputs (the fact ``<role>_outputs`` it publishes) reach the tiers after it
through playbooks/vars/tier_inputs.yml, which the plays converging tiers load, and never through group_vars reading an
output back. Generated over every group_vars file, every variable of tier_inputs.yml and every playbook's tier list.
"""

import re
from pathlib import Path

import pytest
import yaml
from jinja2 import Environment
from jinja2 import nodes

ROOT = Path(__file__).resolve().parents[2]
INPUTS_FILE = "vars/tier_inputs.yml"
TIER_INPUTS = yaml.safe_load((ROOT / "playbooks" / INPUTS_FILE).read_text())
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").exists())
GROUP_VARS = sorted(
    str(p.relative_to(ROOT))
    for p in [*ROOT.glob("group_vars/**/*.yml"), *ROOT.glob("inventories/*/group_vars/**/*.yml")]
    if p.is_file()
)
OUTPUTS = re.compile(r"^(?P<role>[a-z0-9_]+)_outputs$")
# An input the consuming play finds by name itself instead of running its producer: the entry point that does.
FOUND_BY_THE_CONSUMER = {"ecs_alb_image_repository_uri": "release_check"}
# An input that only saves the consumer a lookup: empty (its producer did not run), the role looks it up itself, in
# the task file named, under `when: <input> | length == 0`.
LOOKED_UP_WHEN_EMPTY = {
    "s3_account_id": "roles/s3/tasks/main.yml",
    "observability_alb_arn": "roles/observability/tasks/topic_and_alarms.yml",
    "observability_target_group_arn": "roles/observability/tasks/topic_and_alarms.yml",
}


def variables_read(value):
    """The variables a (possibly nested) value's templates read."""
    if isinstance(value, dict):
        return set().union(set(), *(variables_read(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(variables_read(v) for v in value))
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return {node.name for node in Environment().parse(value).find_all(nodes.Name) if node.ctx == "load"}
    return set()


def outputs_read(value):
    """The roles whose outputs a value reads back ({'network'} for "{{ network_outputs.vpc_id }}")."""
    return {m["role"] for m in map(OUTPUTS.match, variables_read(value)) if m}


def role_of(variable):
    """The role whose option a variable is (its prefix), or None."""
    return next((role for role in sorted(ROLES, key=len, reverse=True) if variable.startswith(role + "_")), None)


def spec_options(role):
    specs = yaml.safe_load((ROOT / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    return {name for entry in specs.values() for name in (entry.get("options") or {})}


def tier_lists():
    """{(playbook, label): [tier entry, ...]} of every play that converges tiers (tier.yml: one list per tier)."""
    found = {}
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(path.read_text()) or []:
            play_vars = play.get("vars") or {}
            tiers = play_vars.get("payments_tiers")
            if isinstance(tiers, list):
                found[(path.name, "")] = (play, tiers)
            elif tiers is not None:
                for tier, steps in play_vars["__tier_steps"].items():
                    found[(path.name, tier)] = (play, steps)
    return found


def test_the_detector_finds_an_output_read_back():
    assert outputs_read("{{ network_outputs.vpc_id | default('', true) }}") == {"network"}
    assert outputs_read({"a": ["{{ [x] if rds_outputs is defined else [] }}"]}) == {"rds"}
    assert outputs_read(">-\n  {{ payments_extra_tags | combine({'Project': payments_project}) }}") == set()
    assert outputs_read("{{ payments_artifacts_dir }}/outputs.json") == set()


@pytest.mark.parametrize("path", GROUP_VARS)
def test_group_vars_read_no_output_back(path):
    assert "group_vars/all/main.yml" in GROUP_VARS
    values = yaml.safe_load((ROOT / path).read_text()) or {}
    read_back = {name: sorted(outputs_read(value)) for name, value in values.items() if outputs_read(value)}
    assert read_back == {}, f"{path} reads tier outputs back (hand them over in playbooks/{INPUTS_FILE}): {read_back}"


@pytest.mark.parametrize("name", sorted(TIER_INPUTS))
def test_each_input_is_an_option_of_its_role_fed_by_another_tier(name):
    consumer = role_of(name)
    assert consumer is not None and name in spec_options(consumer), f"{name} is not an option of a role's spec"
    producers = outputs_read(TIER_INPUTS[name])
    assert producers, f"{name} reads no tier's outputs: a project-wide value belongs in group_vars/all"
    assert consumer not in producers, f"{name} reads its own role's outputs back"
    assert not set(TIER_INPUTS) & variables_read(TIER_INPUTS[name]), f"{name} is made from another input"


@pytest.mark.parametrize(("playbook", "label"), sorted(tier_lists()))
def test_each_consumer_runs_after_its_producers_and_gets_the_inputs(playbook, label):
    """A tier that takes inputs runs after the tiers (or their read-only lookups) that publish them, in a play that
    loads tier_inputs.yml: the outputs flow forward through the tier list, never backward."""
    play, tiers = tier_lists()[(playbook, label)]
    text = (ROOT / "playbooks" / playbook).read_text()
    for position, tier in enumerate(tiers):
        if tier.get("tasks_from", "main") in ("absent", "outputs", "await", "report"):
            continue
        inputs = [name for name in TIER_INPUTS if role_of(name) == tier["role"]]
        if not inputs:
            continue
        assert INPUTS_FILE in (play.get("vars_files") or []), f"{playbook} converges {tier} without {INPUTS_FILE}"
        before = {earlier["role"] for earlier in tiers[:position]}
        for name in inputs:
            missing = outputs_read(TIER_INPUTS[name]) - before
            if missing and FOUND_BY_THE_CONSUMER.get(name) and f"tasks_from: {FOUND_BY_THE_CONSUMER[name]}" in text:
                continue
            if missing and name in LOOKED_UP_WHEN_EMPTY:
                continue
            assert not missing, f"{playbook} {label}: {tier} takes {name} from {sorted(missing)}, which runs after it"


@pytest.mark.parametrize("name", sorted(LOOKED_UP_WHEN_EMPTY))
def test_an_input_that_saves_a_lookup_is_looked_up_when_empty(name):
    """Left empty (a play without its producer), the role looks the value up itself: its default is empty and a
    task of the file named runs only then."""
    role = role_of(name)
    assert name in TIER_INPUTS
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults/main.yml").read_text())
    assert defaults[name] == ""
    tasks = yaml.safe_load((ROOT / LOOKED_UP_WHEN_EMPTY[name]).read_text())
    guards = [task for task in tasks if f"{name} | length == 0" in str(task.get("when", ""))]
    assert guards, f"no task of {LOOKED_UP_WHEN_EMPTY[name]} looks {name} up when it is empty"
    assert all("register" in task for task in guards)
