"""The change matrix (issue 12), generated from the variables themselves: every role's argument spec, group_vars
and change_matrix.yml (how each variable behaves on a live environment).

Used by tests/unit/test_change_matrix.py (every variable classified, every generated value valid for its spec)
and tests/integration/test_change_matrix.py (the steps run on a live dev).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENV = "dev"
CLASSES = ("in_place", "refused", "grow_only", "not_a_resource_state")


@cache
def matrix():
    return yaml.safe_load((Path(__file__).with_name("change_matrix.yml")).read_text())


@cache
def specs():
    """{variable: its option spec} over every entry point of every role (the first spec found wins)."""
    found = {}
    for path in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        for entry in yaml.safe_load(path.read_text())["argument_specs"].values():
            for name, option in (entry.get("options") or {}).items():
                found.setdefault(name, option)
    return found


@cache
def group_vars():
    common = yaml.safe_load((ROOT / "group_vars/all/main.yml").read_text())
    envs = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((ROOT / "group_vars").glob("*.yml"))}
    return common, envs


def _templated(value):
    if isinstance(value, dict):
        return any(_templated(v) for v in value.values())
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return isinstance(value, str) and "{{" in value


@cache
def wired():
    """Variables whose value is a template of others: group_vars/all, and the vars of the playbooks' plays (their
    vars and their vars_files, such as playbooks/vars/tier_inputs.yml: a tier's inputs from another's outputs)."""
    common, _ = group_vars()
    names = {name for name, value in common.items() if _templated(value)}
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(path.read_text()) or []:
            found = dict(play.get("vars") or {})
            for name in play.get("vars_files") or []:
                found.update(yaml.safe_load((path.parent / name).read_text()) or {})
            names |= {name for name, value in found.items() if _templated(value)}
    return names


def public_variables():
    """Every variable an operator may set: the roles' options and the keys of group_vars, less the wiring."""
    common, envs = group_vars()
    names = set(specs()) | set(common) | {k for env in envs.values() for k in env}
    return sorted(names - wired())


def classified():
    """{variable: class} from change_matrix.yml (a variable may be both refused and grow_only)."""
    found = {}
    for cls in CLASSES:
        for name in matrix().get(cls) or {}:
            found.setdefault(name, cls)
    return found


def value_in(env_name, name):
    """The variable's value in an environment: its group_vars, else group_vars/all, else the role default."""
    common, envs = group_vars()
    if name in envs[env_name]:
        return envs[env_name][name]
    if name in common:
        return common[name]
    return specs()[name].get("default")


def generated_values(name, current, spec):
    """The values a variable visits, from its spec and current value (change_matrix.yml's null)."""
    kind = (spec or {}).get("type") or type(current).__name__
    choices = (spec or {}).get("choices")
    if choices and len(choices) > 1 and kind == "str":
        start = choices.index(current)
        return [choices[(start + i) % len(choices)] for i in range(1, len(choices))]
    if kind == "bool":
        return [not current]
    if kind in ("int", "float"):
        return [current * 2 if current else 1]
    if kind == "dict":
        return [{**(current or {}), "MatrixKey": "matrix"}]
    raise ValueError(f"{name}: no rule generates values of a {kind}; give them in change_matrix.yml")


def in_place_values():
    """{variable: [value of step 1, value of step 2, ...]} of every in_place variable."""
    values = {}
    for name, entry in matrix()["in_place"].items():
        given = entry.get("values") if isinstance(entry, dict) else entry
        generated = given is None
        values[name] = generated_values(name, value_in(ENV, name), specs().get(name)) if generated else list(given)
    return values


def kept_when_removed(name):
    """True for a variable whose removed entries are kept on purpose (a log group and its events)."""
    entry = matrix()["in_place"].get(name)
    return bool(entry.get("kept_when_removed")) if isinstance(entry, dict) else False


def shown_under(name, values):
    """False while a variable's feature is switched off by the step's values (its needs), True otherwise."""
    entry = matrix()["in_place"].get(name)
    needs = entry.get("needs", {}) if isinstance(entry, dict) else {}
    return all(values.get(var, value_in(ENV, var)) == value for var, value in needs.items())


def planned_as(name):
    """The pattern the plan's changed resources must match for a variable that is no field of a resource."""
    given = matrix()["in_place"].get(name, matrix()["grow_only"].get(name))
    return given.get("planned_as") if isinstance(given, dict) else None


def grown():
    """The extra vars of the grow step: each grow_only variable's larger value."""
    return {name: given["values"][0] for name, given in matrix()["grow_only"].items()}


def first_step(name):
    """The step a variable starts changing at (from_step, default 1): a switch that turns a feature off waits
    until the variables of that feature have been changed with it on."""
    entry = matrix()["in_place"].get(name)
    return entry.get("from_step", 1) if isinstance(entry, dict) else 1


def steps():
    """The extra vars of each step: step k gives every in_place variable its k-th value (the others stay as in
    dev's group_vars); the last step gives none, putting the environment back as provisioned."""
    values = {name: [None] * (first_step(name) - 1) + v for name, v in in_place_values().items()}
    count = max(len(v) for v in values.values())
    changes = [
        {name: v[k] for name, v in values.items() if k < len(v) and k >= first_step(name) - 1} for k in range(count)
    ]
    for step in changes:  # a value that needs another one (a rule of the inputs) brings it along
        for name in list(step):
            entry = matrix()["in_place"].get(name)
            step.update(entry.get("with", {}) if isinstance(entry, dict) else {})
    return changes + [{}]


# ---------------------------------------------------------------------------------------------------------------
# Attribution: which changed results of a plan show a variable's change. A value is broken into atoms, (key, text)
# pairs of its leaves (key "" for a bare scalar); a result's diff into the same pairs on each side.
# ---------------------------------------------------------------------------------------------------------------
def norm(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if re.fullmatch(r"-?\d+\.0+", text):
        return text.split(".")[0]
    return text.lower() if text in ("True", "False") else text


def leaves(value, key=""):
    if isinstance(value, dict):
        return {pair for k, v in value.items() for pair in leaves(v, str(k))}
    if isinstance(value, (list, tuple)):
        return {pair for v in value for pair in leaves(v, key)}
    if value is None:
        return set()
    return {(key, norm(value))}


def diff_sides(result):
    """(before, after) atoms of each diff of a result: a module converging a set (the alarms) returns one diff per
    resource, and two resources changing the same field (two thresholds) must not cancel out in one set."""
    diff = result.get("diff")
    diffs = diff if isinstance(diff, list) else [diff] if isinstance(diff, dict) else []
    return [(leaves(d.get("before")), leaves(d.get("after"))) for d in diffs]


def sides(result):
    before, after = set(), set()
    for b, a in diff_sides(result):
        before |= b
        after |= a
    return before, after


def _empty(value):
    """None, "" or the number 0 (a bool is never empty: False is a value)."""
    return value is None or value == "" or (type(value) in (int, float) and value == 0)


def shows_change(results, old, new):
    """True when the changed results, together, show old -> new: every atom new adds among what an after adds,
    every atom it removes among what a before loses, and a scalar's new value at a key whose old value goes."""
    added_sides = [pair for r in results for pair in diff_sides(r)]
    gained = set().union(*(a - b for b, a in added_sides)) if added_sides else set()
    lost = set().union(*(b - a for b, a in added_sides)) if added_sides else set()
    if not isinstance(new, (dict, list, tuple)) and not isinstance(old, (dict, list, tuple)):
        if _empty(new):  # switched off or emptied: the old value goes
            return any(v == norm(old) for _, v in lost)
        before_keys = {k for b, _ in added_sides for k, _ in b}
        lost_keys = {k for k, _ in lost}
        return any(
            value == norm(new) and (key in lost_keys or key not in before_keys or _empty(old)) for key, value in gained
        ) and (_empty(old) or any(v == norm(old) for _, v in lost))
    old_atoms, new_atoms = leaves(old), leaves(new)

    def among(atoms, pairs):
        return all(any(v == value and (k == key or not k) for key, value in pairs) for k, v in atoms)

    return among(new_atoms - old_atoms, gained) and among(old_atoms - new_atoms, lost)
