# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counts what a playbook run executes, for `make bench` (bench/): module runs, local tasks, changed."""

from __future__ import annotations

import json
import os
from collections import Counter

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: payments_bench
type: aggregate
short_description: Count the module runs, local tasks and changes of a run for make bench
description:
  - Writes one JSON object to the file named by C(PAYMENTS_BENCH_RESULT) when the playbook ends, adding to
    what is there (a measured run of several playbooks adds up), so bench can read the counts.
  - A module run is a task result (one per loop item) of an action that executes a module; a local task is
    one the controller answers itself (set_fact, assert, include_tasks, ...). Skipped results count as neither.
requirements: [enabled in callbacks_enabled, PAYMENTS_BENCH_RESULT set]
"""

# Actions the controller answers without running a module (short names).
LOCAL_ACTIONS = frozenset(
    {
        "add_host",
        "assert",
        "debug",
        "fail",
        "group_by",
        "import_role",
        "import_tasks",
        "include_role",
        "include_tasks",
        "include_vars",
        "meta",
        "pause",
        "plan",
        "set_fact",
        "set_stats",
        "validate_argument_spec",
    }
)


def short_action(action: str) -> str:
    """`ansible.builtin.set_fact` -> `set_fact`."""
    return action.rsplit(".", 1)[-1]


class Tally:
    """The counts of one run: module runs per module, local tasks, changed results, failed results."""

    def __init__(self) -> None:
        self.modules: Counter[str] = Counter()
        self.local_tasks = 0

    def count(self, action: str) -> None:
        if short_action(action) in LOCAL_ACTIONS:
            self.local_tasks += 1
        else:
            self.modules[action] += 1

    def merged_into(self, previous: dict, changed: int, failed: int) -> dict:
        """This run's counts added to ``previous`` (what earlier playbooks of the same measured run wrote)."""
        modules = Counter(previous.get("modules", {}))
        modules.update(self.modules)
        return {
            "module_runs": sum(modules.values()),
            "local_tasks": previous.get("local_tasks", 0) + self.local_tasks,
            "changed": previous.get("changed", 0) + changed,
            "failed": previous.get("failed", 0) + failed,
            "playbooks": previous.get("playbooks", 0) + 1,
            "modules": dict(sorted(modules.items())),
        }


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "payments_bench"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.tally = Tally()

    def _result(self, result, looped: bool) -> None:
        # A loop's per-item results come first, then one aggregate result holding `results`: count the items.
        if looped or "results" not in result._result:
            self.tally.count(result._task.action)

    def v2_runner_on_ok(self, result) -> None:
        self._result(result, looped=False)

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        self._result(result, looped=False)

    def v2_runner_item_on_ok(self, result) -> None:
        self._result(result, looped=True)

    def v2_runner_item_on_failed(self, result) -> None:
        self._result(result, looped=True)

    def v2_playbook_on_stats(self, stats) -> None:
        path = os.environ.get("PAYMENTS_BENCH_RESULT")
        if not path:
            return
        changed = sum(stats.summarize(host)["changed"] for host in stats.processed)
        failed = sum(stats.summarize(host)["failures"] for host in stats.processed)
        previous = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                previous = json.load(handle)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.tally.merged_into(previous, changed, failed), handle)
