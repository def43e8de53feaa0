# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a plan (--check --diff) would do to each resource, read from task results: the plan_summary callback."""

from __future__ import annotations

CREATE = "create"
CHANGE = "change"
REPLACE = "replace"
DESTROY = "destroy"
ACTIONS = (CREATE, CHANGE, REPLACE, DESTROY)
SYMBOLS = {CREATE: "+", CHANGE: "~", REPLACE: "-/+", DESTROY: "-"}


def _empty(side):
    if side is None:
        return True
    if isinstance(side, str):
        return side.strip() in ("", "absent", "{}")
    if isinstance(side, dict):
        return not side or side.get("state") == "absent"
    if isinstance(side, (list, tuple)):
        return not side
    return False


def _diffs(result):
    """The result's diffs as a list of dicts (a module returns one dict or a list)."""
    diffs = result.get("diff")
    if isinstance(diffs, dict):
        diffs = [diffs]
    return [d for d in diffs or [] if isinstance(d, dict)]


def action_of(result):
    """create / change / replace / destroy for one changed result (a task's, or one loop item's).

    A result may say it (``plan_action``, as payments.infra.plan does); else its diff does: nothing before
    is a creation, nothing after a deletion, both a change. A result without a diff is a change.
    """
    if result.get("plan_action") in ACTIONS:
        return result["plan_action"]
    sides = [(d.get("before"), d.get("after")) for d in _diffs(result) if "before" in d or "after" in d]
    if not sides:
        return CHANGE
    if all(_empty(before) and not _empty(after) for before, after in sides):
        return CREATE
    if all(_empty(after) and not _empty(before) for before, after in sides):
        return DESTROY
    return CHANGE


def has_diff(result):
    """True when the result shows what changes (a before/after diff, or a prepared text diff)."""
    return any("before" in d or "after" in d or d.get("prepared") for d in _diffs(result))


def count(result):
    """How many resources one changed result stands for (payments.infra.plan may name several)."""
    resources = result.get("plan_resources")
    return len(resources) if isinstance(resources, list) and resources else 1


def summary_line(counts):
    """The plan's last line: 'plan: 2 to create, 3 to change, 0 to replace, 0 to destroy' or 'plan: no changes'."""
    if not any(counts.get(action, 0) for action in ACTIONS):
        return "plan: no changes"
    return "plan: " + ", ".join(f"{counts.get(action, 0)} to {action}" for action in ACTIONS)


def field_plan(live, desired):
    """What converging ``live`` to ``desired`` would do, field by field: {action, before, after}.

    live None (nothing exists): a creation, before {} and after the whole of desired. Otherwise the fields of
    desired whose value differs from live's, as they are (before) and as they would be (after), and action
    "change"; action None when none differs. A field only live has is not managed and not compared.
    """
    if not isinstance(desired, dict) or not (live is None or isinstance(live, dict)):
        raise TypeError(f"field_plan: live (a dict or None) and desired (a dict) are needed, got {live!r}, {desired!r}")
    if live is None:
        return {"action": CREATE, "before": {}, "after": dict(desired)}
    changed = sorted(k for k in desired if live.get(k) != desired[k])
    if not changed:
        return {"action": None, "before": {}, "after": {}}
    return {"action": CHANGE, "before": {k: live.get(k) for k in changed}, "after": {k: desired[k] for k in changed}}


def differing_sides(before, after):
    """A change's two sides, dicts of fields, reduced to the fields that differ (a field on one side only
    included); both whole when none differs, so that a change reported without a difference shows as one."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return before, after
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not keys:
        return before, after
    return {k: before[k] for k in keys if k in before}, {k: after[k] for k in keys if k in after}


# The arguments of payments.infra.plan (its action plugin validates them; its module file documents them).
PLAN_ARGUMENT_SPEC = {
    "action": {"type": "str", "required": True, "choices": list(ACTIONS)},
    "resources": {"type": "list", "elements": "str", "required": True},
    "msg": {"type": "str"},
    "before": {"type": "raw"},
    "after": {"type": "raw"},
}
