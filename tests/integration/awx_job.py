"""A job run as AWX runs it: ansible-runner over a private data directory, with none of the Makefile's environment.

What AWX hands ansible-runner (awx/main/tasks/jobs.py, docs/collections.md), reproduced here:

- ``project/``: the project as its SCM checkout holds it (the files git tracks, symlinks kept), run from there
  with its own ansible.cfg (AWX sets no ANSIBLE_CONFIG);
- ``inventory/hosts``: an executable script printing the inventory as JSON, made from what AWX's inventory
  source imported (``ansible-inventory --list`` of ``inventories/<env>`` in the project);
- ``env/envvars``: what the job's credentials inject (AWS keys; here the emulator's endpoint and test keys) and
  what AWX itself sets: the collections and roles paths (``requirements_collections`` first), unparsed inventory
  failing, retry files off, the job's id;
- ``env/extravars``: the job's extra variables (a survey's answers, a workflow's artifacts);
- ``artifacts/<ident>/``: what the job leaves (events, stdout, rc, status), read by the test.

The process gets a minimal environment (PATH to the interpreter's bin, HOME, LANG): no ANSIBLE_* of the Makefile,
no Mitogen strategy (the execution environment does not carry it).
"""

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def checkout(destination):
    """The project as its SCM checkout holds it: every file git tracks or would track (uncommitted work too)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source, target = ROOT / name, destination / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return destination


def inventory_script(project, inventories):
    """AWX's job inventory: one executable printing what the inventory source imported from ``inventories``."""
    merged = {"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}
    for inventory in inventories:
        listed = json.loads(
            subprocess.run(
                [BIN / "ansible-inventory", "-i", inventory, "--list"],
                cwd=project,
                env=minimal_env(),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        merged["_meta"]["hostvars"].update(listed["_meta"]["hostvars"])
        for group, body in listed.items():
            if group in ("_meta", "all"):
                continue
            merged.setdefault(group, {}).update(body)
            if group not in merged["all"]["children"]:
                merged["all"]["children"].append(group)
    # Called with --list (hostvars are in _meta, so never with --host), as AWX's script is.
    return f"#!{sys.executable}\nimport sys\nsys.stdout.write({json.dumps(merged)!r})\n"


def minimal_env():
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
    }


@dataclass
class Job:
    rc: int
    status: str
    events: list
    stdout: str
    private_data_dir: Path

    @property
    def stats(self):
        """The playbook_on_stats event's data: per-host ok/changed/failures/... and the set_stats artifacts."""
        [event] = [e for e in self.events if e.get("event") == "playbook_on_stats"] or [{}]
        return event.get("event_data", {})

    @property
    def changed(self):
        return sum(self.stats.get("changed", {}).values())

    @property
    def artifact_data(self):
        return self.stats.get("artifact_data", {})

    def failures(self):
        return [
            f"{e['event_data'].get('task')}: {e['event_data'].get('res', {}).get('msg')}"
            for e in self.events
            if e.get("event") == "runner_on_failed" and not e["event_data"].get("ignore_errors")
        ]


class AwxJobs:
    """Launch jobs of one project checkout as AWX would, each in its own private data directory."""

    def __init__(self, base, emulator_env, collections_path_as_awx=True):
        self.base = base
        self.project = checkout(base / "project")
        self.emulator_env = emulator_env
        self.collections_path_as_awx = collections_path_as_awx
        self.count = 0

    def launch(self, playbook, inventories, extra_vars=None, check=False, diff=False):
        self.count += 1
        pdd = self.base / f"job-{self.count}"
        (pdd / "env").mkdir(parents=True)
        (pdd / "inventory").mkdir()
        (pdd / "project").symlink_to(self.project)
        script = pdd / "inventory" / "hosts"
        script.write_text(inventory_script(self.project, [f"inventories/{env}" for env in inventories]))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        envvars = {
            **self.emulator_env,
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_FORCE_COLOR": "False",
            "JOB_ID": str(self.count),
            "AWX_HOST": "https://awx.example.invalid",
        }
        if self.collections_path_as_awx:
            envvars["ANSIBLE_COLLECTIONS_PATH"] = (
                f"{pdd}/requirements_collections:~/.ansible/collections:/usr/share/ansible/collections"
            )
            envvars["ANSIBLE_ROLES_PATH"] = (
                f"{pdd}/requirements_roles:~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles"
            )
        (pdd / "env" / "envvars").write_text(json.dumps(envvars))
        (pdd / "env" / "extravars").write_text(json.dumps(extra_vars or {}))
        cmdline = " ".join(flag for flag, wanted in (("--check", check), ("--diff", diff)) if wanted)
        if cmdline:
            (pdd / "env" / "cmdline").write_text(cmdline)
        done = subprocess.run(
            [BIN / "ansible-runner", "run", pdd, "-p", playbook, "--ident", "job"],
            env=minimal_env(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        artifacts = pdd / "artifacts" / "job"
        events = [
            json.loads(path.read_text())
            for path in sorted((artifacts / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-", 1)[0]))
        ]
        status = (artifacts / "status").read_text() if (artifacts / "status").exists() else "missing"
        stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else done.stdout
        return Job(done.returncode, status, events, stdout + done.stderr, pdd)
