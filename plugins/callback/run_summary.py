# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run's account per tier at its end, and what a long task is waiting on while it runs."""

from __future__ import annotations

DOCUMENTATION = r"""
name: run_summary
type: aggregate
short_description: Per tier at the end of a run what it created, changed and adopted, and progress while a task waits
description:
  - >-
    At the end of a run (not a plan: C(plan_summary) ends those), prints for each host (environment) one row per
    tier (C(run) for the preflight, the run lock and the outputs; then each role): the resources the tier created
    and destroyed (the census before the run compared with the census after it, see
    C(payments.infra.tier_changes)), its tasks that changed and that were already as wanted, the resources it
    adopted, and the time its tasks took on that host.
  - >-
    While a task runs longer than O(progress_interval) seconds (the database starting, a NAT gateway becoming
    available, a deployment settling), prints every O(progress_interval) seconds which task each host is on and
    for how long.
  - Written to standard error, so that a machine-readable stdout callback (json) stays parseable; in an AWX job
    both streams are the job's output.
options:
  summary:
    description: Print the table at the end of a run.
    type: bool
    default: true
    env:
      - name: PAYMENTS_RUN_SUMMARY
    ini:
      - section: payments_run_summary
        key: summary
  progress_interval:
    description: Seconds between two progress lines of a running task; V(0) prints none.
    type: int
    default: 15
    env:
      - name: PAYMENTS_PROGRESS_INTERVAL
    ini:
      - section: payments_run_summary
        key: progress_interval
"""

import threading
import time

from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.payments.infra.plugins.module_utils.census import tier_of

RUN_TIER = "run"
COLUMNS = ("created", "destroyed", "changed", "unchanged", "adopted", "elapsed")


def _payload(result):
    return result.result if hasattr(type(result), "result") else result._result


def tier_of_task(task):
    """The role a task belongs to (its last name part), or ``run`` for the playbooks' own tasks."""
    role = getattr(task, "_role", None)
    if role is None:
        return RUN_TIER
    return role.get_name().rsplit(".", 1)[-1]


def duration(seconds):
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def table(host, tiers, resources, adopted):
    """The lines of one host's table: a header, one row per tier in the order they ran, and the total."""
    names = list(tiers) + [t for t in resources if t not in tiers]
    rows = []
    totals = dict.fromkeys(COLUMNS[:-1], 0)
    elapsed = 0.0
    for name in names:
        row = tiers.get(name, {})
        counts = {
            "created": resources.get(name, {}).get("created", 0),
            "destroyed": resources.get(name, {}).get("destroyed", 0),
            "changed": row.get("changed", 0),
            "unchanged": row.get("unchanged", 0),
            "adopted": adopted.get(name, 0),
        }
        for key, value in counts.items():
            totals[key] += value
        elapsed += row.get("elapsed", 0.0)
        rows.append([name, *(str(counts[key]) for key in COLUMNS[:-1]), duration(row.get("elapsed", 0.0))])
    rows.append(["total", *(str(totals[key]) for key in COLUMNS[:-1]), duration(elapsed)])
    header = [host, "created", "destroyed", "changed", "unchanged", "adopted", "elapsed"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        first, *rest = zip(cells, widths, strict=True)
        return "  ".join([first[0].ljust(first[1]), *(c.rjust(w) for c, w in rest)])

    return [line(cells) for cells in [header, *rows]]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "payments.infra.run_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._lock = threading.Lock()
        self._running = {}  # (host, task uuid) -> [started, task name, next report]
        self._tiers = {}  # host -> {tier: {changed, unchanged, elapsed}} in the order tiers first ran
        self._resources = {}  # host -> {tier: {created, destroyed}} (payments_run_resources)
        self._adopted = {}  # host -> {tier: n} (adoption_outputs)
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._ticker = None

    # -- progress ------------------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self._started = time.monotonic()
        if self.get_option("progress_interval") > 0 and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="payments-progress", daemon=True)
            self._ticker.start()

    def _tick(self):
        interval = self.get_option("progress_interval")
        while not self._stop.wait(1.0):
            now = time.monotonic()
            # Said under the lock: once a task's result is in, no line about it follows.
            with self._lock:
                for (host, _), entry in self._running.items():
                    started, name, next_report = entry
                    if now >= next_report:
                        self._display.display(
                            f"  ... {host}: still on '{name}' after {duration(now - started)}", stderr=True
                        )
                        entry[2] = next_report + interval

    def v2_runner_on_start(self, host, task):
        interval = self.get_option("progress_interval") or 0
        now = time.monotonic()
        with self._lock:
            self._running[(host.get_name(), task._uuid)] = [now, task.get_name(), now + interval]

    # -- results -------------------------------------------------------------------------------------------
    def _done(self, result, status):
        host, task = result._host.get_name(), result._task
        with self._lock:
            entry = self._running.pop((host, task._uuid), None)
        elapsed = time.monotonic() - entry[0] if entry else 0.0
        row = self._tiers.setdefault(host, {}).setdefault(
            tier_of_task(task), {"changed": 0, "unchanged": 0, "elapsed": 0.0}
        )
        row["elapsed"] += elapsed
        if status == "ok":
            payload = _payload(result)
            row["changed" if payload.get("changed") else "unchanged"] += 1
            facts = payload.get("ansible_facts") or {}
            if isinstance(facts.get("payments_run_resources"), dict):
                self._resources[host] = facts["payments_run_resources"]
            adopted = (facts.get("adoption_outputs") or {}).get("adopted")
            if isinstance(adopted, list):  # "<type> <name>" of each resource the adoption role took over
                counts = self._adopted[host] = {}
                for entry in adopted:
                    kind, _, name = str(entry).partition(" ")
                    tier = tier_of({"type": kind, "name": name})
                    counts[tier] = counts.get(tier, 0) + 1

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._done(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._done(result, "unreachable")

    # -- the end -------------------------------------------------------------------------------------------
    def v2_playbook_on_stats(self, stats):
        self._stop.set()
        if not self.get_option("summary") or context.CLIARGS.get("check") or not self._tiers:
            return
        # A host that ran none of the roles (localhost's checks, a playbook without a tier) has no table.
        hosts = [host for host in sorted(self._tiers) if not set(self._tiers[host]) <= {RUN_TIER}]
        if not hosts:
            return
        self._display.display(f"run summary ({duration(time.monotonic() - self._started)}):", stderr=True)
        for host in hosts:
            for line in table(host, self._tiers[host], self._resources.get(host, {}), self._adopted.get(host, {})):
                self._display.display(f"  {line}", stderr=True)
        self._display.display(
            "  created/destroyed: resources (the census before and after the run); changed/unchanged: tasks",
            stderr=True,
        )
