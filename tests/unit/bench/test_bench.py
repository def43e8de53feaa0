"""make bench's counting, its table and its reading of the stock build (bench/)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.measure import CALLBACK_DIR
from bench.measure import STOCK_BUILD
from bench.measure import STOCK_PLAYBOOKS
from bench.measure import Run
from bench.measure import stock_commands
from bench.report import rows

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        items: [1, 2, 3]
    - ansible.builtin.command: "true"
      changed_when: item != 2
      when: item != 3
      loop: "{{ items }}"
    - ansible.builtin.assert:
        that: items | length == 3
    - ansible.builtin.command: "true"
      changed_when: false
    - ansible.builtin.command: "true"
      when: false
"""


def run_counted(tmp_path: Path, result: Path) -> None:
    playbook = tmp_path / "counted.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    (tmp_path / "ansible.cfg").write_text("[defaults]\n", encoding="utf-8")
    env = {
        **os.environ,
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_CALLBACKS_ENABLED": "payments_bench",
        "ANSIBLE_STRATEGY": "linear",
        "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),  # Ansible's defaults, not the project's
        "PAYMENTS_BENCH_RESULT": str(result),
    }
    env.pop("ANSIBLE_STRATEGY_PLUGINS", None)
    subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
        + ["-e", f"ansible_python_interpreter={sys.executable}"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )


def test_the_callback_counts_module_runs_per_item_local_tasks_and_changes(tmp_path: Path) -> None:
    result = tmp_path / "counts.json"

    run_counted(tmp_path, result)
    once = json.loads(result.read_text(encoding="utf-8"))
    run_counted(tmp_path, result)
    twice = json.loads(result.read_text(encoding="utf-8"))

    # 2 loop items run (the third skipped) + 1 plain command; the skipped task counts as nothing
    assert once["module_runs"] == 3
    assert once["modules"] == {"ansible.builtin.command": 3}
    assert once["local_tasks"] == 2  # set_fact, assert
    assert once["changed"] == 1  # the loop task (item 1 changed); the second command is not
    assert (once["failed"], once["playbooks"]) == (0, 1)
    # one measured run of several playbooks adds up
    assert (twice["module_runs"], twice["local_tasks"], twice["changed"], twice["playbooks"]) == (6, 4, 2, 2)


def test_the_stock_playbooks_are_the_ones_full_run_sh_runs_with_its_workarounds() -> None:
    if not STOCK_BUILD.is_dir():
        pytest.skip(f"no stock build at {STOCK_BUILD}")
    script = (STOCK_BUILD / "full_run.sh").read_text(encoding="utf-8")
    listed = [
        (match[1], tuple(match[2].replace("$W", "").split()))
        for match in re.finditer(r"^\./run\.sh (\S+)(.*)$", script, re.MULTILINE)
    ]

    assert list(STOCK_PLAYBOOKS) == listed
    commands = stock_commands(STOCK_BUILD, "prod", "plan", 4999)
    assert [argv[1] for argv, _, _ in commands] == [f"playbooks/{name}.yml" for name, _ in listed]
    assert all({"stage=prod", "moto_port=4999", "--check"} <= set(argv) for argv, _, _ in commands)


def run(side: str, phase: str, mitogen: bool, wall: float, module_runs: int, rc: int = 0) -> Run:
    return Run(side, "dev", phase, mitogen, rc, wall, 0, module_runs, 0, 10, 0, {})


def test_the_table_puts_each_phase_of_ours_beside_the_stock_build() -> None:
    measured = [
        run("stock", "cold", False, 80.0, 70),
        run("ours", "cold", True, 40.0, 60),
        run("ours", "cold", False, 60.0, 60),
        run("stock", "noop", False, 50.0, 70),
        run("ours", "noop", True, 15.0, 50),
        run("stock", "plan", False, 30.0, 20, rc=2),
        run("ours", "plan", True, 12.0, 50),
    ]

    table = {(row[0], row[1]): row for row in rows(measured)}

    assert table["dev", "cold"][2:8] == ("80.0", "40.0", "0.50", "60.0", "0.75", "70/60")
    assert table["dev", "noop"][2:7] == ("50.0", "15.0", "0.30", "-", "-")
    # a failed run is shown as failed and compared with nothing
    assert table["dev", "plan"][2:5] == ("30.0 (failed, rc=2)", "12.0", "-")


def test_every_slow_resource_of_the_latency_profile_is_on_a_chain_and_ends_in_the_ecs_deployment():
    from bench.latency import CHAINS
    from emulator.latency import DURATIONS

    assert {kind for chain in CHAINS for kind in chain} == set(DURATIONS)
    assert all(chain[-1] == "ecs_deployment" for chain in CHAINS)


def test_the_critical_path_is_the_work_plus_the_longest_chain_of_waits():
    from bench.latency import critical_path
    from bench.latency import latency_row
    from emulator.latency import DURATIONS

    rds, alb, nat, ecs = (
        DURATIONS[kind][0] for kind in ("rds_db_instance", "load_balancer", "nat_gateway", "ecs_deployment")
    )
    figures = critical_path(60.0, 0.5)

    assert figures["chain"] == ["rds_db_instance", "ecs_deployment"]
    assert figures["chain_wait_s"] == (rds + ecs) * 0.5
    assert figures["critical_path_s"] == 60.0 + (rds + ecs) * 0.5
    assert figures["sequential_s"] == 60.0 + (rds + alb + nat + ecs) * 0.5
    row = latency_row({"env": "dev", "wall_s": 500.0, "ratio": 1.2, "sequential_ratio": 1.4, **figures})
    assert "rds_db_instance -> ecs_deployment" in row and "ratio 1.2" in row
