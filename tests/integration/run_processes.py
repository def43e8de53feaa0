"""The processes of one ansible-playbook run, found by a marker in their environment.

Every process a run makes (workers, module processes, Mitogen's multiplexers and contexts) inherits the
environment of the run's main process, whatever session or process group it moves to: a run started with
``RUN_MARK=<mark>`` is found again, or its leftovers are, by reading /proc/<pid>/environ.
"""

import os
import time
import uuid
from pathlib import Path

import ansible_mitogen

RUN_MARK = "PAYMENTS_TEST_RUN_MARK"
# Ended processes get a few seconds: a worker ends its module's process group on the parent-death signal.
GRACE_S = 10.0


def new_mark():
    """A marker value for one run: pass it as ``{RUN_MARK: mark}`` in the run's environment."""
    return uuid.uuid4().hex


def mitogen_env():
    """The environment that runs ansible-playbook with Mitogen's strategy, as ``make`` does."""
    strategies = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(strategies), "ANSIBLE_STRATEGY": "mitogen_linear"}


def marked_processes(mark):
    """[(pid, command line)] of the live processes whose environment carries ``mark`` (zombies left out)."""
    needle = f"{RUN_MARK}={mark}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes():
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        found.append((int(entry.name), command))
    return found


def wait_until_gone(mark, grace=GRACE_S):
    """The processes of the run marked ``mark`` still alive ``grace`` seconds from now ([] as soon as none)."""
    deadline = time.monotonic() + grace
    while True:
        left = marked_processes(mark)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)
