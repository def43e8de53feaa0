#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: run_lock
short_description: Acquire or release a per-environment run lock held as an S3 object
version_added: 0.1.0
description:
  - Keeps two runs from changing the same environment at the same time. The lock is one S3 object,
    O(key) in O(bucket), holding a JSON document that says who holds it (O(holder)), for which run
    (O(run_id)), since when and until when, as Terraform's S3 backend does with C(use_lockfile).
  - O(state=acquired) creates the object with a conditional write (C(PutObject) with C(If-None-Match
    *)), so of two runs racing for a free lock exactly one gets it; the other sees the winner's lock.
  - Acquiring again with the same O(run_id) is not a change (the lock is re-entrant), so every play of
    a run can take it.
  - A lock held by another run is waited for, up to O(wait_timeout) seconds, reading it again every
    O(poll_interval) seconds. When it is still held then, the module fails and says who holds it, for
    which run, since when, when it becomes stale, and how to remove it on purpose.
  - A lock older than O(stale_after) (and past the C(expires_at) its holder wrote) is stale and is
    taken over; the lock taken over is returned as RV(replaced). The take-over is itself a conditional
    write (C(PutObject) with C(If-Match) the ETag of the stale lock as read), so when two runs find the
    same stale lock only one takes it over.
  - The lock also records the controller's C(ansible-playbook) process holding it (host name, boot ID,
    PID and start time, read from C(/proc)). A run that finds a lock whose process ran on the same
    controller and is gone (a run killed with SIGKILL, a crashed AWX job on a reused node) takes it over at
    once, as a stale lock, unless O(take_over_dead_holder=false). A lock taken on another machine is only
    freed by staleness or on purpose (its process cannot be seen from here).
  - O(state=released) deletes the lock when O(run_id) holds it, with a conditional delete
    (C(DeleteObject) with C(If-Match) the ETag read), so a lock that changed hands meanwhile is not
    deleted. A lock held by another run is not released unless O(force=true). No lock is not a change.
  - The bucket must exist; this module does not create it. A missing bucket fails, naming the bucket.
author:
  - payments.infra maintainers
options:
  bucket:
    description:
      - The S3 bucket holding the lock object. It must exist.
    type: str
    required: true
  key:
    description:
      - The key of the lock object, one per environment, for example V(locks/dev.lock).
    type: str
    required: true
  state:
    description:
      - V(acquired) takes the lock for O(run_id), waiting for it up to O(wait_timeout) seconds.
      - V(released) deletes the lock held by O(run_id) (by any run with O(force=true)).
    type: str
    choices: [acquired, released]
    default: acquired
  run_id:
    description:
      - A unique ID of this run, the same in every task of the run (set it once, for example with
        M(ansible.builtin.set_fact) at the start of the run).
      - Acquiring a lock that this O(run_id) already holds is not a change. Releasing a lock that
        another O(run_id) holds is refused unless O(force=true).
    type: str
    required: true
  holder:
    description:
      - Who holds the lock, written into the lock document and shown to the runs that find it held.
      - Defaults to V(user@host) of the user and host running the module (the controller, for a task
        delegated to localhost).
      - Used with O(state=acquired) only.
    type: str
  purpose:
    description:
      - What the run is doing (for example the playbook name), written into the lock document as
        C(purpose) and shown to the runs that find it held.
      - Used with O(state=acquired) only.
    type: str
  stale_after:
    description:
      - Seconds after which a lock is stale and is taken over by the next run that asks for it.
      - The lock written records C(expires_at), O(stale_after) seconds after it was acquired. A lock
        found is stale once it is older than this run's O(stale_after) B(and) past its C(expires_at),
        so a run that declared it needs longer is not taken over early by a run configured with less.
      - Choose it longer than the longest run. Used with O(state=acquired) only.
    type: int
    default: 3600
  wait_timeout:
    description:
      - How many seconds to wait while another live run holds the lock. V(0) fails at once.
      - Used with O(state=acquired) only.
    type: int
    default: 0
  poll_interval:
    description:
      - Seconds between two reads of the lock while waiting for it (a fraction of a second is allowed).
      - Used with O(state=acquired) only.
    type: float
    default: 5
  take_over_dead_holder:
    description:
      - Take over, at once, a lock whose C(ansible-playbook) process ran on this controller (same host name
        and boot) and no longer runs (a killed run), as if it were stale. The lock taken over is returned as
        RV(replaced), with RV(replaced_because=holder process gone).
      - Needs C(/proc) (Linux); elsewhere only staleness frees such a lock.
      - Used with O(state=acquired) only.
    type: bool
    default: true
  force:
    description:
      - With O(state=released), release the lock whoever holds it (for an unlock playbook, when the run
        holding it is known to be gone). The lock released is returned as RV(released).
      - Only valid with O(state=released).
    type: bool
    default: false
notes:
  - Check mode is supported; RV(changed), RV(lock), RV(replaced) and the diff report what would be done
    and no write API is called. A check-mode run waits for a held lock as a real run would (it only reads).
  - The lock object is written with C(ServerSideEncryption=AES256) and C(ContentType=application/json).
  - Requires conditional writes (C(If-None-Match) and C(If-Match) on C(PutObject)) and conditional deletes
    (C(If-Match) on C(DeleteObject)), which Amazon S3 supports on general purpose buckets.
  - "Permissions: C(s3:GetObject), C(s3:PutObject) and C(s3:DeleteObject) on the lock object."
  - S3 answers C(409 ConditionalRequestConflict) when conflicting writes to the key are in progress;
    it is retried, as throttling is.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One ID for the whole run
  ansible.builtin.set_fact:
    payments_run_id: "{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}-{{ 1000000 | random }}"
  run_once: true

- name: Take the environment's run lock, waiting up to 10 minutes for a run that holds it
  payments.infra.run_lock:
    bucket: payments-dev-state
    key: locks/dev.lock
    run_id: "{{ payments_run_id }}"
    purpose: site.yml
    wait_timeout: 600
    poll_interval: 10
  delegate_to: localhost
  run_once: true

- name: Release it at the end of the run
  payments.infra.run_lock:
    bucket: payments-dev-state
    key: locks/dev.lock
    run_id: "{{ payments_run_id }}"
    state: released
  delegate_to: localhost
  run_once: true

- name: Remove the lock of a run that is known to be gone (playbooks/unlock.yml)
  payments.infra.run_lock:
    bucket: payments-dev-state
    key: locks/dev.lock
    run_id: unlock
    state: released
    force: true
  register: unlock

- name: Say whose lock was removed
  ansible.builtin.debug:
    msg: "Removed the lock of {{ unlock.released.holder | default('nobody') }}"
"""

RETURN = r"""
lock:
  description:
    - The lock document held after the call (in check mode, as it would be). Empty after O(state=released).
    - After a re-entrant acquire, the document written when O(run_id) first acquired the lock.
    - A lock object that is not a JSON document is reported with C(run_id) and C(holder) null and
      C(unreadable_body) (its first 256 characters).
  returned: always
  type: dict
  contains:
    run_id:
      description: The ID of the run holding the lock.
      type: str
      sample: 20250301T101500Z-48213
    holder:
      description: Who holds the lock.
      type: str
      sample: deploy@ci-runner-3
    acquired_at:
      description: When the lock was acquired (UTC, ISO 8601).
      type: str
      sample: "2025-03-01T10:15:02Z"
    expires_at:
      description: When the lock becomes stale, by the O(stale_after) of the run that acquired it (UTC, ISO 8601).
      type: str
      sample: "2025-03-01T11:15:02Z"
    purpose:
      description: The O(purpose) given by the run holding the lock; absent when none was given.
      type: str
      sample: site.yml
    process:
      description:
        - The controller's C(ansible-playbook) process holding the lock; absent when it could not be read
          (no C(/proc)).
      type: dict
      sample: {"host": "ci-runner-3", "boot_id": "7c1d9f0e-...", "pid": 48213, "started": 912345}
replaced:
  description:
    - The stale lock that was taken over (in check mode, would be), with the same fields as RV(lock).
      Empty when no lock was taken over.
  returned: always
  type: dict
  sample:
    run_id: 20250301T081500Z-1123
    holder: alice@laptop
    acquired_at: "2025-03-01T08:15:00Z"
    expires_at: "2025-03-01T09:15:00Z"
released:
  description:
    - The lock that was deleted (in check mode, would be), with the same fields as RV(lock). Empty
      when there was no lock.
  returned: when O(state=released)
  type: dict
  sample:
    run_id: 20250301T101500Z-48213
    holder: deploy@ci-runner-3
    acquired_at: "2025-03-01T10:15:02Z"
    expires_at: "2025-03-01T11:15:02Z"
replaced_because:
  description:
    - Why the lock in RV(replaced) was taken over, V(stale) or V(holder process gone); null when none was.
  returned: when O(state=acquired)
  type: str
  sample: holder process gone
waited:
  description: Seconds spent waiting for another run's lock before this run got it.
  returned: when O(state=acquired)
  type: float
  sample: 12.5
"""

import getpass
import socket

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.run_lock import RunLockConflict
from ansible_collections.payments.infra.plugins.module_utils.run_lock import RunLockHeld
from ansible_collections.payments.infra.plugins.module_utils.run_lock import RunLockNotOurs
from ansible_collections.payments.infra.plugins.module_utils.run_lock import acquire_lock
from ansible_collections.payments.infra.plugins.module_utils.run_lock import controller_process
from ansible_collections.payments.infra.plugins.module_utils.run_lock import holder_is_gone
from ansible_collections.payments.infra.plugins.module_utils.run_lock import release_lock
from ansible_collections.payments.infra.plugins.module_utils.s3 import is_missing_bucket


def default_holder():
    """``user@host`` of the process running the module."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError, ImportError):  # no name for the uid (containers), no pwd module
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def validation_error(params):
    """A message for option values that cannot work, checked before any AWS call; None when fine."""
    checks = [
        (
            not params["run_id"].strip(),
            "run_id must not be empty: give every run a unique ID (the same in all of its tasks).",
        ),
        (
            not params["key"].strip() or params["key"].endswith("/"),
            f"key={params['key']!r} is not an object key: give the lock object's key, e.g. locks/dev.lock.",
        ),
        (
            params["force"] and params["state"] != "released",
            "force=true is only valid with state=released. A live lock is not taken over: release it on "
            "purpose first (ansible-playbook playbooks/unlock.yml -i inventories/<env>), or wait for it "
            "(wait_timeout).",
        ),
        (
            params["stale_after"] < 1,
            f"stale_after={params['stale_after']} must be at least 1 (seconds): 0 would take over every lock.",
        ),
        (
            params["wait_timeout"] < 0,
            f"wait_timeout={params['wait_timeout']} must be 0 (do not wait) or more seconds.",
        ),
        (
            params["poll_interval"] <= 0,
            f"poll_interval={params['poll_interval']} must be more than 0 seconds.",
        ),
    ]
    return next((message for failed, message in checks if failed), None)


def argument_spec():
    return dict(
        bucket=dict(type="str", required=True),
        key=dict(type="str", required=True, no_log=False),
        state=dict(type="str", choices=["acquired", "released"], default="acquired"),
        run_id=dict(type="str", required=True),
        holder=dict(type="str"),
        purpose=dict(type="str"),
        stale_after=dict(type="int", default=3600),
        wait_timeout=dict(type="int", default=0),
        poll_interval=dict(type="float", default=5),
        force=dict(type="bool", default=False),
        take_over_dead_holder=dict(type="bool", default=True),
    )


def _acquire(client, module):
    params = module.params
    return acquire_lock(
        client,
        params["bucket"],
        params["key"],
        run_id=params["run_id"],
        holder=params["holder"] or default_holder(),
        stale_after=params["stale_after"],
        wait_timeout=params["wait_timeout"],
        poll_interval=params["poll_interval"],
        purpose=params["purpose"],
        check_mode=module.check_mode,
        process=controller_process(),
        is_gone=holder_is_gone if params["take_over_dead_holder"] else (lambda _document, _here: False),
    )


def _release(client, module):
    params = module.params
    return release_lock(
        client,
        params["bucket"],
        params["key"],
        run_id=params["run_id"],
        force=params["force"],
        check_mode=module.check_mode,
    )


def _fail_aws_error(module, error):
    if is_missing_bucket(error):
        module.fail_json(
            msg=(
                f"S3 bucket {module.params['bucket']!r} for the run lock {module.params['key']!r} does not exist "
                "(NoSuchBucket). The lock bucket must exist before a run takes its lock (this module does not "
                "create it): create it first, or check the bucket name, the account and the region."
            )
        )
    module.fail_json_aws_error(error)


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    error = validation_error(module.params)
    if error:
        module.fail_json(msg=error)
    client = module.client("s3")
    try:
        result = (_acquire if module.params["state"] == "acquired" else _release)(client, module)
    except RunLockHeld as e:
        module.fail_json(msg=e.message, lock=e.lock, replaced={}, waited=e.waited)
    except RunLockNotOurs as e:
        module.fail_json(msg=e.message, lock=e.lock)
    except RunLockConflict as e:
        module.fail_json(msg=str(e))
    except AnsibleAWSError as e:
        _fail_aws_error(module, e)

    before = result.pop("before")
    result.setdefault("replaced", {})
    if module._diff:
        result["diff"] = make_diff(before, result["lock"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
