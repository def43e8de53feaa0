# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every process a run forks ends when the run's main process ends, however it ends."""

from __future__ import annotations

DOCUMENTATION = r"""
name: process_guard
type: aggregate
short_description: Processes forked by a run end with the run, even when it is killed with SIGKILL
description:
  - C(ansible-playbook) forks a worker process per running task; since ansible-core 2.17 each worker
    calls C(setsid) and leads a process group of its own, and a module it runs lives in that group.
    Mitogen's strategy also forks multiplexer processes. A signal sent to the run's process group
    (a cancelled AWX job, C(kill -9 -PGID), an OOM kill of the main process) therefore misses the
    workers; with Mitogen they then wait forever on a multiplexer that is gone.
  - This callback ties every process the main C(ansible-playbook) process forks to its life. At load
    (before the first fork) it registers an C(os.register_at_fork) hook; in each child forked from the
    main thread of the main process it asks the kernel (C(prctl PR_SET_PDEATHSIG)) to send SIGTERM when
    the main process ends. A worker answers SIGTERM with Ansible's own handler, which ends the worker's
    whole process group (its module included); a multiplexer ends and its Mitogen children see the end
    of their stream and exit.
  - Nothing changes while the main process lives. Enabled in this project's C(ansible.cfg), so it holds
    in a terminal, under C(make), in molecule and in an AWX execution environment.
requirements:
  - Linux (the kernel's parent-death signal); elsewhere the callback does nothing.
"""

import ctypes
import ctypes.util
import os
import signal
import threading

from ansible.plugins.callback import CallbackBase

PR_SET_PDEATHSIG = 1
# SIGTERM, not SIGKILL: a worker's SIGTERM handler ends its process group, so the module it runs ends too.
DEATH_SIGNAL = signal.SIGTERM

_state = {"main_pid": None, "from_main_thread": False, "prctl": None}


def descendants(pid):
    """Every live process descending from ``pid`` (children first found, then theirs), read from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _on_death_signal(signum, frame):
    """The main process ended: end every process this one started, then this one."""
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(128 + signum)


def _prctl():
    """libc's prctl, or None where there is none (not Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


def _before_fork():
    _state["from_main_thread"] = (
        os.getpid() == _state["main_pid"] and threading.current_thread() is threading.main_thread()
    )


def _after_fork_in_child():
    # Only direct children of the main process, forked by its main thread: the parent-death signal fires
    # when the forking *thread* ends, and the main thread lives as long as the run.
    if not _state["from_main_thread"]:
        return
    _state["from_main_thread"] = False
    signal.signal(DEATH_SIGNAL, _on_death_signal)
    _state["prctl"](PR_SET_PDEATHSIG, int(DEATH_SIGNAL), 0, 0, 0)
    if os.getppid() != _state["main_pid"]:  # the main process ended before the request took effect
        os.kill(os.getpid(), DEATH_SIGNAL)


def install():
    """Register the fork hook once per process (idempotent); True when the guard is active."""
    if _state["main_pid"] is not None:
        return _state["main_pid"] == os.getpid()
    _state["prctl"] = _prctl()
    if _state["prctl"] is None:
        return False
    _state["main_pid"] = os.getpid()
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
    return True


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "payments.infra.process_guard"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        if not install():
            self._display.vvv("process_guard: no parent-death signal on this platform; not active")
