"""Many bad inputs checked by one site.yml run: one inventory host per input.

Each host is a copy of one environment (in its inventory group, so its group_vars apply, with its region) whose
bad values are host variables (which take precedence over group_vars). Every host must fail in the preflight
with its own message, and the run must make no mutating call: what one ansible-playbook run per input proved,
at the cost of one run.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BadInputs:
    run: object  # conftest.PlaybookRun
    hosts: dict  # case index -> inventory host
    mutating_calls: list  # during the run

    def messages(self, index):
        return " ".join(self.run.messages(self.hosts[index]).split())

    def failed(self, index):
        return self.run.stats.get(self.hosts[index], {}).get("failures", 0) > 0


def run_bad_inputs(emu, runner, cases, directory, env_name="dev", playbook="site.yml", reset=True):
    """cases: [(host variables, expected message)]; every case a host of one run (``runner``) on an emptied ``emu``
    (or, reset=False, on what it holds: refusals that depend on a live environment)."""
    inventory = yaml.safe_load((ROOT / "inventories" / env_name / "hosts.yml").read_text())
    [base] = inventory[env_name]["hosts"].values()
    hosts = {index: f"bad-{index:02d}" for index in range(len(cases))}
    path = directory / "bad-inputs.yml"
    path.write_text(
        yaml.safe_dump({env_name: {"hosts": {hosts[i]: {**base, **values} for i, (values, _) in enumerate(cases)}}})
    )
    if reset:
        emu.client.reset()
    seq = emu.client.last_seq()
    run = runner(playbook, [str(path)], forks=min(len(cases), 8))
    return BadInputs(run, hosts, emu.client.mutating_calls(since=seq))


def assert_refused(bad_inputs, cases, extra_vars, expected):
    """The case failed in the preflight with its message, and the run changed nothing."""
    index = cases.index((extra_vars, expected))
    assert bad_inputs.failed(index), f"{extra_vars} did not fail"
    assert expected in bad_inputs.messages(index)
    assert bad_inputs.mutating_calls == []
