# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end of a plan (--check): each resource that would change, and a line counting them."""

from __future__ import annotations

DOCUMENTATION = r"""
name: plan_summary
type: aggregate
short_description: Ends a plan (--check) with the resources it would change and a count of them
description:
  - >-
    In check mode, collects every changed result (each loop item on its own) and, at the end of the run, lists
    per host each resource a real run would create (+), change (~), replace (-/+) or destroy (-), then one line
    such as C(plan: 2 to create, 3 to change, 0 to replace, 0 to destroy), or C(plan: no changes); a plan that
    stopped on a failure ends C(plan: incomplete, it stopped on a failure (hosts)) instead.
  - What is done to a resource is read from the result's diff (nothing before is a creation, nothing after a
    deletion) or stated by C(payments.infra.plan); run the plan with C(--diff). A changed result without a diff
    is counted as a change and marked C((no diff)).
  - Written to standard error, so that a machine-readable stdout callback (json) stays parseable. Nothing is
    printed outside check mode.
  - >-
    Each host's plan is also kept, as it grows, in C(artifacts/plan/<host>.json) beside site.yml (written afresh at the
    host's first result of a plan, so that a file left by an earlier plan never stands for this one), so that the last
    play of site.yml can fail a drift check whose plan is not empty (C(payments_plan_fail_on_changes)).
"""

import json
import os
from pathlib import Path

from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.payments.infra.plugins.module_utils.plan import SYMBOLS
from ansible_collections.payments.infra.plugins.module_utils.plan import action_of
from ansible_collections.payments.infra.plugins.module_utils.plan import count
from ansible_collections.payments.infra.plugins.module_utils.plan import has_diff
from ansible_collections.payments.infra.plugins.module_utils.plan import summary_line


def _payload(result):
    return result.result if hasattr(type(result), "result") else result._result


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "payments.infra.plan_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._changes = {}  # host -> [(action, n, label, diff shown)]
        self._plan_dir = None  # artifacts/plan beside the playbook, in check mode

    def v2_playbook_on_start(self, playbook):
        if not context.CLIARGS.get("check"):
            return
        # artifacts/ beside site.yml, as group_vars' payments_artifacts_dir (a playbook under playbooks/ too).
        base = Path(playbook._basedir)
        self._plan_dir = (base.parent if base.name == "playbooks" else base) / "artifacts" / "plan"

    def _keep(self, host):
        if self._plan_dir is None:
            return
        self._plan_dir.mkdir(parents=True, exist_ok=True)
        changes = [
            {"action": a, "count": n, "label": label, "line": f"{SYMBOLS[a]} {label}"}
            for a, n, label, _ in self._changes[host]
        ]
        path = self._plan_dir / f"{host}.json"
        partial = path.with_name(f".{host}.{os.getpid()}.partial")  # one writer per file, renamed whole
        partial.write_text(json.dumps({"host": host, "changes": changes}, indent=2))
        partial.replace(path)

    def _record(self, result, item=None):
        payload = _payload(result)
        host = result._host.get_name()
        if host not in self._changes:  # the host's first result: its plan starts empty, written now
            self._changes[host] = []
            self._keep(host)
        if not payload.get("changed"):
            return
        task = result._task.get_name()
        label = task if item is None else f"{task} ({item})"
        if payload.get("plan_resources"):
            label = f"{label}: {', '.join(payload['plan_resources'])}"
        entry = (action_of(payload), count(payload), label, has_diff(payload))
        self._changes[host].append(entry)
        self._keep(host)

    def v2_runner_on_ok(self, result):
        if "results" not in _payload(result):  # a loop's items were recorded one by one
            self._record(result)

    def v2_runner_item_on_ok(self, result):
        self._record(result, item=self._get_item_label(_payload(result)))

    def v2_playbook_on_stats(self, stats):
        if not context.CLIARGS.get("check"):
            return
        stopped = sorted(set(stats.failures) | set(stats.dark))
        totals = {}
        for host in sorted(h for h in self._changes if self._changes[h]):
            self._display.display(f"plan for {host}:", stderr=True)
            for action, n, label, shown in self._changes[host]:
                totals[action] = totals.get(action, 0) + n
                self._display.display(f"  {SYMBOLS[action]} {label}{'' if shown else ' (no diff)'}", stderr=True)
        if stopped:  # what it would do after the failure is unknown: no count that looks complete
            self._display.display(f"plan: incomplete, it stopped on a failure ({', '.join(stopped)})", stderr=True)
        else:
            self._display.display(summary_line(totals), stderr=True)
