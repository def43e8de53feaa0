# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run lock held as one S3 object, the way Terraform's S3 backend ``use_lockfile`` holds its lock.

Every decision is made by S3's conditional requests, never by a read followed by a plain write:

- acquire: ``PutObject`` with ``IfNoneMatch='*'``; S3 answers 412 ``PreconditionFailed`` when the
  key already exists, so of two runs racing for a free lock exactly one write lands;
- take over a stale lock: ``PutObject`` with ``IfMatch=<ETag of the stale lock as read>``; a 412
  (or 404 ``NoSuchKey``: deleted meanwhile) means someone else got there first, and the lock is read
  again instead of overwriting a lock that is no longer the stale one;
- release: ``DeleteObject`` with ``IfMatch=<ETag of our lock as read>``, so a lock that changed hands
  after it was read is never deleted.

S3 answers 409 ``ConditionalRequestConflict`` when a conflicting operation on the key is in progress;
the API reference says to retry it, so it is retried like throttling (``AWSRetry.jittered_backoff``).

The lock document (JSON): ``run_id``, ``holder``, ``acquired_at`` and ``expires_at`` (UTC ISO 8601)
and, when given, ``purpose`` and ``process``: the controller's ``ansible-playbook`` process holding the
lock (``host``, ``boot_id``, ``pid``, ``started``: its start time in clock ticks after boot). A lock whose
process ran on this very controller (same host name and boot) and is gone (no such PID, or a PID reused by
a process started at another time) is the lock of a killed run: it is taken over at once, as a stale one.
A lock is stale once it is older than the reader's ``stale_after`` *and* past the ``expires_at`` its holder
wrote (whichever is later): a live run is never taken over
because a later run was configured with a shorter ``stale_after``.
"""

import datetime
import json
import os
import socket
import time

from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.s3 import S3ErrorHandler

# 409: "a conflicting operation occurred during the upload ... retry" (PutObject API reference).
_RETRY_CODES = ["ConditionalRequestConflict"]
# Conflicts (412 after a read) in a row before giving up: each one means another run changed the lock
# between our read and our write, so this only ends a loop where the key changes at every attempt.
MAX_CONFLICTS = 20
UNLOCK_HINT = "ansible-playbook playbooks/unlock.yml -i inventories/<env>"

# Outcomes of a conditional write or delete.
DONE = "done"
CONFLICT = "conflict"  # 412 PreconditionFailed: the key is not in the state the condition names
GONE = "gone"  # 404 NoSuchKey on an If-Match request: the object was deleted meanwhile


class RunLockHeld(Exception):
    """Another live run holds the lock (still, once wait_timeout has passed)."""

    def __init__(self, message, lock, waited):
        super().__init__(message)
        self.message = message
        self.lock = lock
        self.waited = waited


class RunLockNotOurs(Exception):
    """Release refused: the lock belongs to another run (and force is not set)."""

    def __init__(self, message, lock):
        super().__init__(message)
        self.message = message
        self.lock = lock


class RunLockConflict(Exception):
    """The lock changed under every one of MAX_CONFLICTS attempts."""


class RunLockErrorHandler(S3ErrorHandler):
    """A missing key is "missing" (no lock); a missing bucket is an error (raised)."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchKey")


# ---------------------------------------------------------------------------------------------
# S3 calls
# ---------------------------------------------------------------------------------------------
@RunLockErrorHandler.list_error_handler("read the run lock object", None)
@AWSRetry.jittered_backoff(catch_extra_error_codes=_RETRY_CODES)
def get_lock_object(client, bucket, key):
    """GetObject: ``{"body": text, "etag": ..., "last_modified": datetime}``, None when there is no lock."""
    response = client.get_object(Bucket=bucket, Key=key)
    return {
        "body": to_text(response["Body"].read(), errors="surrogate_or_replace"),
        "etag": response["ETag"],
        "last_modified": response.get("LastModified"),
    }


@RunLockErrorHandler.common_error_handler("write the run lock object")
@AWSRetry.jittered_backoff(catch_extra_error_codes=_RETRY_CODES)
def put_lock_object(client, bucket, key, document, if_match=None):
    """A conditional PutObject of the lock document: ``(DONE, etag)``, ``(CONFLICT, None)`` or ``(GONE, None)``.

    Without ``if_match`` the write is create-only (``IfNoneMatch='*'``); with it, the write replaces
    exactly the object with that ETag.
    """
    params = {
        "Bucket": bucket,
        "Key": key,
        "Body": to_bytes(json.dumps(document, sort_keys=True)),
        "ContentType": "application/json",
        "ServerSideEncryption": "AES256",
    }
    if if_match:
        params["IfMatch"] = if_match
    else:
        params["IfNoneMatch"] = "*"
    try:
        response = client.put_object(**params)
    except is_boto3_error_code("PreconditionFailed"):
        return CONFLICT, None
    except is_boto3_error_code("NoSuchKey"):  # pylint: disable=duplicate-except
        return GONE, None
    return DONE, response.get("ETag")


@RunLockErrorHandler.common_error_handler("delete the run lock object")
@AWSRetry.jittered_backoff(catch_extra_error_codes=_RETRY_CODES)
def delete_lock_object(client, bucket, key, etag):
    """DeleteObject with ``IfMatch=etag``: DONE, CONFLICT (the lock changed) or GONE (already deleted)."""
    try:
        client.delete_object(Bucket=bucket, Key=key, IfMatch=etag)
    except is_boto3_error_code("PreconditionFailed"):
        return CONFLICT
    except is_boto3_error_code("NoSuchKey"):  # pylint: disable=duplicate-except
        return GONE
    return DONE


# ---------------------------------------------------------------------------------------------
# The lock document
# ---------------------------------------------------------------------------------------------
def _sleep(seconds):
    time.sleep(seconds)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    """A timezone-aware datetime of an ISO 8601 text, None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def new_lock_document(run_id, holder, stale_after, purpose=None, now=None, process=None):
    now = (now or utcnow()).replace(microsecond=0)
    document = {
        "run_id": run_id,
        "holder": holder,
        "acquired_at": format_time(now),
        "expires_at": format_time(now + datetime.timedelta(seconds=stale_after)),
    }
    if purpose:
        document["purpose"] = purpose
    if process:
        document["process"] = process
    return document


# ---------------------------------------------------------------------------------------------
# The process holding a lock (Linux /proc; elsewhere unknown, and only staleness frees a lock)
# ---------------------------------------------------------------------------------------------
PROC = "/proc"


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def process_stat(pid, proc=None):
    """``(parent pid, start time in clock ticks after boot)`` of a live process; None when there is none."""
    data = _read(os.path.join(proc or PROC, str(pid), "stat"))
    if not data:
        return None
    # "pid (comm) state ppid ... starttime(22nd)": comm may hold spaces and parentheses.
    fields = to_text(data, errors="surrogate_or_replace").rsplit(")", 1)[-1].split()
    try:
        return int(fields[1]), int(fields[19])
    except (IndexError, ValueError):
        return None


def _is_ansible_playbook(pid, proc):
    argv = (_read(os.path.join(proc, str(pid), "cmdline")) or b"").split(b"\0")[:3]
    return any(os.path.basename(to_text(arg)).startswith("ansible-playbook") for arg in argv)


def controller_process(pid=None, proc=None, hostname=None):
    """The outermost ``ansible-playbook`` process above ``pid`` (this process by default).

    ``{"host", "boot_id", "pid", "started"}``, or {} when there is none or /proc cannot tell (then a
    killed run's lock is freed by staleness or an unlock only). Ansible's workers and Mitogen's helpers
    are forks of the ``ansible-playbook`` process with the same command line, hence the outermost one.
    """
    proc = proc or PROC
    boot_id = to_text(_read(os.path.join(proc, "sys", "kernel", "random", "boot_id")) or b"").strip()
    found = {}
    current = pid or os.getpid()
    for _depth in range(64):
        stat = process_stat(current, proc)
        if stat is None:
            break
        if _is_ansible_playbook(current, proc):
            found = {"pid": current, "started": stat[1]}
        if stat[0] <= 1:
            break
        current = stat[0]
    if not found or not boot_id:
        return {}
    return {"host": hostname or socket.gethostname(), "boot_id": boot_id, **found}


def holder_is_gone(document, here, proc=None):
    """True when the lock's process ran on this controller (``here``) and is gone: a killed run."""
    theirs = document.get("process")
    if not here or not isinstance(theirs, dict):
        return False
    if theirs.get("host") != here.get("host") or theirs.get("boot_id") != here.get("boot_id"):
        return False  # another machine (or another boot): cannot tell, staleness decides
    if not isinstance(theirs.get("pid"), int):
        return False
    stat = process_stat(theirs["pid"], proc)
    return stat is None or stat[1] != theirs.get("started")


def lock_document(found):
    """The lock document of a GetObject result; an object that is not one is reported as it is."""
    try:
        document = json.loads(found["body"])
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return {"run_id": None, "holder": None, "unreadable_body": found["body"][:256]}
    return document


def stale_at(document, last_modified, stale_after):
    """When a lock becomes stale: ``stale_after`` after it was acquired, and not before its ``expires_at``.

    A document without a readable ``acquired_at`` is dated by the object's LastModified.
    """
    # S3 always answers a LastModified; without either date the lock is dated now, i.e. never stale
    # (taking over a live lock is the failure to avoid; an unlock is the way out).
    acquired = parse_time(document.get("acquired_at")) or last_modified or utcnow()
    moment = acquired + datetime.timedelta(seconds=stale_after)
    expires = parse_time(document.get("expires_at"))
    if expires and expires > moment:
        moment = expires
    return moment


def describe(document):
    """``holder (run_id ..., since ...)`` for messages."""
    if "unreadable_body" in document:
        return "an object that is not a run lock document"
    holder = document.get("holder") or "an unknown holder"
    details = [f"run_id {document.get('run_id')!r}", f"since {document.get('acquired_at') or 'an unknown time'}"]
    if document.get("purpose"):
        details.append(f"purpose {document['purpose']!r}")
    process = document.get("process")
    if isinstance(process, dict) and process.get("pid"):
        details.append(f"pid {process['pid']} on {process.get('host')}")
    return f"{holder} ({', '.join(details)})"


def _held_message(bucket, key, document, stale_moment, waited, wait_timeout):
    waiting = (
        f"after waiting {waited:.0f}s (wait_timeout={wait_timeout})"
        if wait_timeout
        else "(wait_timeout=0: not waiting)"
    )
    return (
        f"Run lock s3://{bucket}/{key} is held by {describe(document)}; still held {waiting}. "
        f"It becomes stale at {format_time(stale_moment)}, when the next run takes it over. If that run "
        f"is no longer running, remove the lock on purpose with: {UNLOCK_HINT} (or set wait_timeout to "
        "wait for it)."
    )


# ---------------------------------------------------------------------------------------------
# Acquire and release
# ---------------------------------------------------------------------------------------------
class _Attempts:
    """What one acquire_lock call last tried to write, over which lock and why; the conflicts in a row."""

    def __init__(self, client, bucket, key, check_mode):
        self.client, self.bucket, self.key, self.check_mode = client, bucket, key, check_mode
        self.document, self.over, self.because = None, {}, None
        self.conflicts = 0

    def write(self, result, if_match=None):
        """Write ``result["lock"]`` (create-only, or replacing ``if_match``); ``result`` once written, else None."""
        if self.check_mode:
            return result
        self.document, self.over, self.because = result["lock"], result["replaced"], result["replaced_because"]
        if if_match is None:
            outcome, _ = put_lock_object(self.client, self.bucket, self.key, result["lock"])
        else:
            outcome, _ = put_lock_object(self.client, self.bucket, self.key, result["lock"], if_match=if_match)
        if outcome == DONE:
            return result
        self.conflicts += 1  # created, taken over, renewed or released by another run since we read it
        return None

    def reentrant(self, result, current):
        """Ours already. Unless it is the very document this call wrote (a write that reached S3 but whose
        answer was lost and retried into a 412), it was acquired by an earlier task."""
        if current == self.document:
            result.update(lock=current, changed=True, replaced=self.over, replaced_because=self.because)
        else:
            result["lock"] = current
        return result

    def check_conflicts(self):
        if self.conflicts >= MAX_CONFLICTS:
            raise RunLockConflict(
                f"Run lock s3://{self.bucket}/{self.key} changed between reading and writing it {self.conflicts} "
                "times in a row; another process keeps rewriting it. Run again."
            )


def _wait_for_holder(bucket, key, current, stale_moment, started, deadline, wait_timeout, poll_interval):
    """Sleep until the next read (at most until the lock goes stale); RunLockHeld once the wait is over."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        # Measured now, after the last read: a slow read (retries, load) is part of the wait.
        waited = round(time.monotonic() - started, 3)
        raise RunLockHeld(_held_message(bucket, key, current, stale_moment, waited, wait_timeout), current, waited)
    until_stale = max((stale_moment - utcnow()).total_seconds(), 0.0)
    _sleep(min(poll_interval, remaining, until_stale + 0.01))


def acquire_lock(
    client,
    bucket,
    key,
    run_id,
    holder,
    stale_after=3600,
    wait_timeout=0,
    poll_interval=5,
    purpose=None,
    check_mode=False,
    process=None,
    is_gone=holder_is_gone,
):
    """Take the lock for ``run_id``.

    ``process``: this run's ``controller_process()``, written into the lock; with it, the lock of a run
    whose process on this controller is gone (``is_gone``) is taken over at once, as a stale one.

    Returns ``{"changed", "lock", "replaced", "replaced_because", "before", "waited"}``: ``lock`` is the
    document held after the call, ``replaced`` the lock taken over ({} if none) and ``replaced_because``
    why (``stale`` or ``holder process gone``; None if none), ``before`` the lock found ({} if none).
    Raises RunLockHeld when another live run still holds it after ``wait_timeout`` seconds, AnsibleS3Error on
    an AWS error (a missing bucket among them).
    """
    started = time.monotonic()
    deadline = started + wait_timeout
    attempts = _Attempts(client, bucket, key, check_mode)
    while True:
        waited = round(time.monotonic() - started, 3)
        found = get_lock_object(client, bucket, key)
        result = {"changed": False, "replaced": {}, "replaced_because": None, "waited": waited}
        if found is None:
            document = new_lock_document(run_id, holder, stale_after, purpose, process=process)
            result.update(before={}, lock=document, changed=True)
            if attempts.write(result) is not None:
                return result
            attempts.check_conflicts()
            continue
        current = lock_document(found)
        result["before"] = current
        if current.get("run_id") == run_id:
            return attempts.reentrant(result, current)
        stale_moment = stale_at(current, found["last_modified"], stale_after)
        stale = utcnow() >= stale_moment
        if stale or is_gone(current, process):
            document = new_lock_document(run_id, holder, stale_after, purpose, process=process)
            because = "stale" if stale else "holder process gone"
            result.update(lock=document, replaced=current, replaced_because=because, changed=True)
            if attempts.write(result, if_match=found["etag"]) is not None:
                return result
            attempts.check_conflicts()
            continue
        _wait_for_holder(bucket, key, current, stale_moment, started, deadline, wait_timeout, poll_interval)
        attempts.conflicts = 0


def release_lock(client, bucket, key, run_id, force=False, check_mode=False):
    """Delete the lock if ``run_id`` holds it (any holder with ``force``).

    Returns ``{"changed", "lock": {}, "released", "before"}``; ``released`` is the lock deleted ({} if
    none). Raises RunLockNotOurs when another run holds it and ``force`` is not set.
    """
    for _attempt in range(MAX_CONFLICTS):
        found = get_lock_object(client, bucket, key)
        if found is None:
            return {"changed": False, "lock": {}, "released": {}, "before": {}}
        current = lock_document(found)
        if current.get("run_id") != run_id and not force:
            raise RunLockNotOurs(
                f"Run lock s3://{bucket}/{key} is held by {describe(current)}, not by run_id {run_id!r}; "
                f"it was not released. To remove another run's lock on purpose: {UNLOCK_HINT} (force=true).",
                current,
            )
        result = {"changed": True, "lock": {}, "released": current, "before": current}
        if check_mode:
            return result
        outcome = delete_lock_object(client, bucket, key, found["etag"])
        if outcome == DONE:
            return result
        if outcome == GONE:
            # Deleted by someone else between our read and our delete: nothing left to release.
            return {"changed": False, "lock": {}, "released": {}, "before": current}
        # CONFLICT: rewritten since we read it (taken over as stale): decide again on what is there now.
    raise RunLockConflict(
        f"Run lock s3://{bucket}/{key} changed between reading and deleting it {MAX_CONFLICTS} times in a row; "
        "another process keeps rewriting it. Run again."
    )
