"""payments.infra.run_lock (and module_utils.run_lock) against moto in-process.

moto 5.2.5 evaluates ``If-None-Match: *`` and ``If-Match`` on PutObject and ``If-Match`` on DeleteObject
(412 PreconditionFailed; 404 NoSuchKey for If-Match on a missing key), but alone it checks the condition and then
writes without holding any lock. The emulator's fidelity layer, applied here by tests/unit/conftest.py, makes the
check and the write of a key one step as on S3 (``s3.conditional_writes_atomic``;
``test_a_request_arriving_between_our_check_and_our_write_waits_and_loses`` proves it), so the tests where S3 calls
really run at the same time see S3's answers.
"""

import datetime
import getpass
import json
import re
import socket
import threading
import time

import boto3
import botocore.client
import botocore.exceptions
import pytest

from ansible_collections.payments.infra.plugins.module_utils import run_lock as lock_utils
from ansible_collections.payments.infra.plugins.modules import run_lock

REGION = "us-east-1"
BUCKET = "payments-dev-state"
KEY = "locks/dev.lock"
UNLOCK = "ansible-playbook playbooks/unlock.yml -i inventories/<env>"
WRITE_OPS = {"PutObject", "DeleteObject"}


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


def new_client():
    return boto3.session.Session().client("s3", region_name=REGION)


def args(**extra):
    base = {"bucket": BUCKET, "key": KEY, "run_id": "run-b", "holder": "bob@ci-2"}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def lock_body(run_id="run-a", holder="alice@laptop", age=60, lifetime=3600, **extra):
    """A lock document acquired ``age`` seconds ago that expires ``lifetime`` seconds after that."""
    acquired = now() - datetime.timedelta(seconds=age)
    body = {
        "run_id": run_id,
        "holder": holder,
        "acquired_at": stamp(acquired),
        "expires_at": stamp(acquired + datetime.timedelta(seconds=lifetime)),
    }
    body.update(extra)
    return body


def put_lock(client, body):
    """Another run's lock, written as the module writes one; returns its ETag."""
    data = body if isinstance(body, bytes) else json.dumps(body, sort_keys=True).encode()
    return client.put_object(Bucket=BUCKET, Key=KEY, Body=data, ContentType="application/json")["ETag"]


def stored(client):
    try:
        return json.loads(client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    except client.exceptions.NoSuchKey:
        return None


def calls(api_calls, operation):
    return [params for name, params in api_calls if name == operation]


def writes(api_calls):
    return [name for name, _ in api_calls if name in WRITE_OPS]


# ---------------------------------------------------------------------------------------------
# acquire
# ---------------------------------------------------------------------------------------------
def test_acquire_a_free_lock_with_a_create_only_write(run_module, s3, api_calls, monkeypatch):
    slept = []
    monkeypatch.setattr(lock_utils, "_sleep", slept.append)
    result = run_module(run_lock, args(purpose="site.yml", stale_after=1800), diff=True)
    assert result["changed"] is True, result
    lock = result["lock"]
    assert set(lock) == {"run_id", "holder", "acquired_at", "expires_at", "purpose"}
    assert lock["run_id"] == "run-b" and lock["holder"] == "bob@ci-2" and lock["purpose"] == "site.yml"
    acquired = datetime.datetime.fromisoformat(lock["acquired_at"].replace("Z", "+00:00"))
    expires = datetime.datetime.fromisoformat(lock["expires_at"].replace("Z", "+00:00"))
    assert lock["acquired_at"].endswith("Z") and abs((now() - acquired).total_seconds()) < 5
    assert expires - acquired == datetime.timedelta(seconds=1800)
    assert result["replaced"] == {} and slept == []  # a free lock is taken at once, no wait
    assert result["diff"] == {"before": {}, "after": lock}

    # The body is the document returned; written create-only, encrypted, as JSON.
    assert stored(s3) == lock
    [put] = calls(api_calls, "PutObject")
    assert put["IfNoneMatch"] == "*" and "IfMatch" not in put
    assert put["ServerSideEncryption"] == "AES256" and put["ContentType"] == "application/json"
    head = s3.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/json"


def test_holder_defaults_to_user_at_host(run_module, s3):
    result = run_module(run_lock, args(holder=None))
    assert result["lock"]["holder"] == f"{getpass.getuser()}@{socket.gethostname()}"
    assert "purpose" not in result["lock"]


def test_acquire_again_with_the_same_run_id_is_no_change(run_module, s3, api_calls):
    first = run_module(run_lock, args())
    api_calls.clear()
    again = run_module(run_lock, args(holder="bob@another-host"), diff=True)
    assert again["changed"] is False, again
    assert again["lock"] == first["lock"] == stored(s3)
    assert again["diff"]["before"] == again["diff"]["after"]
    assert writes(api_calls) == []


def test_a_live_lock_of_another_run_fails_at_once_by_default(run_module, s3, api_calls):
    theirs = lock_body(purpose="site.yml")
    put_lock(s3, theirs)
    api_calls.clear()
    result = run_module(run_lock, args())
    assert result["failed"] is True
    msg = result["msg"]
    assert f"s3://{BUCKET}/{KEY}" in msg and "alice@laptop" in msg and "'run-a'" in msg
    assert f"since {theirs['acquired_at']}" in msg and "purpose 'site.yml'" in msg
    assert f"becomes stale at {theirs['expires_at']}" in msg and UNLOCK in msg
    assert result["lock"] == theirs
    assert [name for name, _ in api_calls] == ["GetObject"]
    assert stored(s3) == theirs


def test_a_live_lock_is_polled_until_wait_timeout_then_fails_naming_the_holder(run_module, s3, api_calls):
    theirs = lock_body()
    put_lock(s3, theirs)
    api_calls.clear()
    started = time.monotonic()
    result = run_module(run_lock, args(wait_timeout=1, poll_interval=0.2))
    elapsed = time.monotonic() - started
    assert result["failed"] is True
    assert elapsed >= 1
    assert result["waited"] >= 1
    assert "alice@laptop (run_id 'run-a'" in result["msg"] and "after waiting 1s (wait_timeout=1)" in result["msg"]
    assert UNLOCK in result["msg"]
    assert len(calls(api_calls, "GetObject")) >= 4  # polled, not slept once
    assert writes(api_calls) == []
    assert stored(s3) == theirs


def test_the_wait_reported_includes_a_slow_last_read(run_module, s3, api_calls, monkeypatch):
    # Under faults and load a read can take longer than the time left: the failure reports the whole wait,
    # never less than wait_timeout (it once reported the time before its last read: "waited 4s" of 5).
    theirs = lock_body()
    put_lock(s3, theirs)
    read = lock_utils.get_lock_object

    def slow_read(*a, **kw):
        time.sleep(0.6)
        return read(*a, **kw)

    monkeypatch.setattr(lock_utils, "get_lock_object", slow_read)
    result = run_module(run_lock, args(wait_timeout=1, poll_interval=0.2))
    assert result["failed"] is True
    assert result["waited"] >= 1, result
    said = re.search(r"after waiting (\d+)s \(wait_timeout=1\)", result["msg"])
    assert said and int(said.group(1)) >= 1, result["msg"]


def test_the_waiting_run_gets_the_lock_when_the_holder_releases_it(run_module, s3, api_calls):
    holder_client = new_client()
    lock_utils.acquire_lock(holder_client, BUCKET, KEY, run_id="run-a", holder="alice@laptop")
    api_calls.clear()

    def holder_finishes():
        # Once the waiting run has found the lock held and read it again after a poll interval, the holder
        # releases it. (Releasing at its first read raced that read: a release served before it left
        # nothing to wait for.)
        deadline = time.monotonic() + 10
        while len(calls(api_calls, "GetObject")) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        lock_utils.release_lock(holder_client, BUCKET, KEY, run_id="run-a")

    release = threading.Thread(target=holder_finishes)
    release.start()
    try:
        result = run_module(run_lock, args(wait_timeout=10, poll_interval=0.1))
    finally:
        release.join()
    assert result["changed"] is True, result
    assert result["lock"]["run_id"] == "run-b" and stored(s3) == result["lock"]
    assert result["replaced"] == {}  # released by its holder, not taken over
    assert result["waited"] > 0  # it waited for the release (within wait_timeout: it did not fail)


def test_a_lock_that_becomes_stale_while_waiting_is_taken_over(run_module, s3, api_calls, monkeypatch):
    # Acquired 59 s ago (whole seconds), expiring 61 s after that: stale in 1 to 2 s, for this run's
    # stale_after=60 too (the later of the two).
    theirs = lock_body(age=59, lifetime=61)
    etag = put_lock(s3, theirs)
    api_calls.clear()
    slept = []
    real_sleep = lock_utils._sleep
    monkeypatch.setattr(lock_utils, "_sleep", lambda seconds: slept.append(seconds) or real_sleep(seconds))
    result = run_module(run_lock, args(stale_after=60, wait_timeout=10, poll_interval=5))
    assert result["changed"] is True, result
    assert result["replaced"] == theirs
    # It asked to sleep until the lock was stale (at most 2 s from now), never a whole poll_interval:
    # the durations it computed, not how long the machine took.
    assert slept and max(slept) <= 2.02 and sum(slept) <= 2.1, slept
    [put] = calls(api_calls, "PutObject")
    assert put["IfMatch"] == etag


def test_a_stale_lock_is_taken_over_with_a_write_conditional_on_its_etag(run_module, s3, api_calls):
    theirs = lock_body(age=7200)
    etag = put_lock(s3, theirs)
    api_calls.clear()
    result = run_module(run_lock, args(), diff=True)
    assert result["changed"] is True, result
    assert result["replaced"] == theirs
    assert result["lock"]["run_id"] == "run-b" and stored(s3) == result["lock"]
    assert result["diff"] == {"before": theirs, "after": result["lock"]}
    [put] = calls(api_calls, "PutObject")
    assert put["IfMatch"] == etag and "IfNoneMatch" not in put
    assert put["ServerSideEncryption"] == "AES256"


def test_stale_is_the_later_of_stale_after_and_the_holders_expires_at(run_module, s3):
    # Two hours old, but its holder declared three hours: not stale for a run with stale_after=3600.
    long_run = lock_body(age=7200, lifetime=3 * 3600)
    put_lock(s3, long_run)
    result = run_module(run_lock, args(stale_after=3600))
    assert result["failed"] is True
    assert f"becomes stale at {long_run['expires_at']}" in result["msg"]

    # Expired by its holder's stale_after, but younger than this run's stale_after: not stale yet.
    short_run = lock_body(age=1200, lifetime=600)
    put_lock(s3, short_run)
    result = run_module(run_lock, args(stale_after=7200))
    assert result["failed"] is True
    acquired = datetime.datetime.fromisoformat(short_run["acquired_at"].replace("Z", "+00:00"))
    assert f"becomes stale at {stamp(acquired + datetime.timedelta(seconds=7200))}" in result["msg"]
    assert stored(s3) == short_run


def test_a_stale_lock_taken_over_by_another_run_first_is_not_overwritten(run_module, s3, api_calls, monkeypatch):
    put_lock(s3, lock_body(run_id="run-old", holder="carol@gone", age=7200))
    other = lock_body(run_id="run-c", holder="carol@ci-3", age=0)
    original = lock_utils.get_lock_object
    reads = []

    def read_then_lose_the_race(client, bucket, key):
        found = original(client, bucket, key)
        reads.append(found)
        if len(reads) == 1:
            # run-c takes the stale lock over between our read and our write.
            new_client().put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(other).encode(), IfMatch=found["etag"])
        return found

    monkeypatch.setattr(lock_utils, "get_lock_object", read_then_lose_the_race)
    api_calls.clear()
    result = run_module(run_lock, args())
    assert result["failed"] is True
    assert "carol@ci-3 (run_id 'run-c'" in result["msg"]
    assert stored(s3) == other
    ours = [p for p in calls(api_calls, "PutObject") if p.get("Key") == KEY and b"run-b" in p["Body"]]
    assert len(ours) == 1 and ours[0]["IfMatch"] == reads[0]["etag"]  # refused with 412
    assert len(reads) == 2  # read again after the 412, then found run-c's live lock


def test_a_write_whose_answer_was_lost_is_recognised_as_ours(run_module, s3, monkeypatch):
    """The PutObject reached S3 but its answer was lost, and the retry got 412: still our acquisition."""
    original = lock_utils.put_lock_object

    def lost_answer(client, bucket, key, document, if_match=None):
        original(client, bucket, key, document, if_match)
        return lock_utils.CONFLICT, None

    monkeypatch.setattr(lock_utils, "put_lock_object", lost_answer)
    result = run_module(run_lock, args())
    assert result["changed"] is True and result["lock"] == stored(s3)

    # The same after taking over a stale lock: the lock replaced is still reported.
    stale = lock_body(age=7200)
    put_lock(s3, stale)
    result = run_module(run_lock, args(run_id="run-c"))
    assert result["changed"] is True and result["lock"] == stored(s3) and result["replaced"] == stale


def test_conditional_request_conflict_is_retried(run_module, s3, api_calls, monkeypatch):
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    original = botocore.client.BaseClient._make_api_call
    conflicts = []

    def conflict_once(self, operation_name, api_params):
        if operation_name == "PutObject" and not conflicts:
            conflicts.append(api_params)
            error = {"Code": "ConditionalRequestConflict", "Message": "A conflicting operation is in progress"}
            raise botocore.exceptions.ClientError(
                {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 409}}, operation_name
            )
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", conflict_once)
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    result = run_module(run_lock, args())
    assert result["changed"] is True, result
    assert len(conflicts) == 1 and stored(s3) == result["lock"]


def test_an_object_that_is_not_a_lock_document_is_held_by_an_unknown_holder(run_module, s3):
    put_lock(s3, b"locked by hand")
    result = run_module(run_lock, args())
    assert result["failed"] is True
    assert "not a run lock document" in result["msg"] and UNLOCK in result["msg"]
    assert result["lock"] == {"run_id": None, "holder": None, "unreadable_body": "locked by hand"}
    released = run_module(run_lock, args(state="released", force=True))
    assert released["changed"] is True and stored(s3) is None


# ---------------------------------------------------------------------------------------------
# release
# ---------------------------------------------------------------------------------------------
def test_release_by_the_owner_deletes_only_the_lock_it_read(run_module, s3, api_calls):
    acquired = run_module(run_lock, args())["lock"]
    etag = s3.head_object(Bucket=BUCKET, Key=KEY)["ETag"]
    api_calls.clear()
    result = run_module(run_lock, args(state="released"), diff=True)
    assert result["changed"] is True, result
    assert result["lock"] == {} and result["released"] == acquired and result["replaced"] == {}
    assert result["diff"] == {"before": acquired, "after": {}}
    assert stored(s3) is None
    [delete] = calls(api_calls, "DeleteObject")
    assert delete["IfMatch"] == etag

    api_calls.clear()
    again = run_module(run_lock, args(state="released"))
    assert again["changed"] is False and again["released"] == {}
    assert writes(api_calls) == []


def test_release_of_no_lock_is_no_change(run_module, s3, api_calls):
    result = run_module(run_lock, args(state="released", force=True))
    assert result["changed"] is False and result["lock"] == {} and result["released"] == {}
    assert writes(api_calls) == []


def test_release_of_another_runs_lock_is_refused(run_module, s3, api_calls):
    theirs = lock_body()
    put_lock(s3, theirs)
    api_calls.clear()
    result = run_module(run_lock, args(state="released"))
    assert result["failed"] is True
    msg = result["msg"]
    assert "alice@laptop (run_id 'run-a'" in msg and "not by run_id 'run-b'" in msg
    assert UNLOCK in msg and "force=true" in msg
    assert result["lock"] == theirs
    assert writes(api_calls) == [] and stored(s3) == theirs


def test_force_release_removes_another_runs_lock(run_module, s3, api_calls):
    theirs = lock_body()
    etag = put_lock(s3, theirs)
    api_calls.clear()
    result = run_module(run_lock, args(run_id="unlock", state="released", force=True))
    assert result["changed"] is True and result["released"] == theirs
    assert stored(s3) is None
    assert calls(api_calls, "DeleteObject")[0]["IfMatch"] == etag


def test_release_does_not_delete_a_lock_that_changed_hands(run_module, s3, monkeypatch):
    """Ours when read, taken over (as stale) before the delete: the conditional delete leaves it alone."""
    put_lock(s3, lock_body(run_id="run-b", holder="bob@ci-2", age=7200))
    other = lock_body(run_id="run-c", holder="carol@ci-3", age=0)
    original = lock_utils.get_lock_object
    reads = []

    def read_then_lose_it(client, bucket, key):
        found = original(client, bucket, key)
        reads.append(found)
        if len(reads) == 1:
            new_client().put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(other).encode(), IfMatch=found["etag"])
        return found

    monkeypatch.setattr(lock_utils, "get_lock_object", read_then_lose_it)
    result = run_module(run_lock, args(state="released"))
    assert result["failed"] is True
    assert "carol@ci-3 (run_id 'run-c'" in result["msg"]
    assert stored(s3) == other


# ---------------------------------------------------------------------------------------------
# check mode, validation, missing bucket
# ---------------------------------------------------------------------------------------------
def test_check_mode_writes_nothing(run_module, s3, api_calls):
    planned = run_module(run_lock, args(), check_mode=True, diff=True)
    assert planned["changed"] is True and planned["lock"]["run_id"] == "run-b"
    assert planned["diff"] == {"before": {}, "after": planned["lock"]}
    assert stored(s3) is None

    stale = lock_body(age=7200)
    put_lock(s3, stale)
    taking_over = run_module(run_lock, args(), check_mode=True)
    assert taking_over["changed"] is True and taking_over["replaced"] == stale
    assert stored(s3) == stale

    releasing = run_module(run_lock, args(run_id="run-a", state="released"), check_mode=True)
    assert releasing["changed"] is True and releasing["released"] == stale
    forcing = run_module(run_lock, args(state="released", force=True), check_mode=True)
    assert forcing["changed"] is True and forcing["released"] == stale
    refused = run_module(run_lock, args(state="released"), check_mode=True)
    assert refused["failed"] is True
    assert stored(s3) == stale

    api_calls.clear()
    run_module(run_lock, args(), check_mode=True)
    run_module(run_lock, args(run_id="run-a", state="released"), check_mode=True)
    assert writes(api_calls) == []


def test_a_missing_bucket_fails_naming_it(run_module, aws, api_calls):
    for extra in ({}, {"state": "released"}):
        result = run_module(run_lock, args(bucket="payments-nope-state", **extra))
        assert result["failed"] is True
        assert "S3 bucket 'payments-nope-state'" in result["msg"] and "does not exist" in result["msg"]
        assert "does not create it" in result["msg"]
    assert writes(api_calls) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"force": True}, "force=true is only valid with state=released"),
        ({"stale_after": 0}, "stale_after=0 must be at least 1"),
        ({"wait_timeout": -1}, "wait_timeout=-1 must be 0"),
        ({"poll_interval": 0}, "poll_interval=0.0 must be more than 0"),
        ({"run_id": " "}, "run_id must not be empty"),
        ({"key": "locks/"}, "is not an object key"),
    ],
)
def test_bad_options_fail_before_any_call(run_module, aws, api_calls, extra, message):
    result = run_module(run_lock, args(**extra))
    assert result["failed"] is True
    assert message in result["msg"]
    assert api_calls == []


# ---------------------------------------------------------------------------------------------
# concurrency
# ---------------------------------------------------------------------------------------------
def race(monkeypatch, contenders):
    """``contenders`` runs call acquire_lock at once, each after reading the lock before anyone writes."""
    clients = [new_client() for _ in range(contenders)]
    everyone_has_read = threading.Barrier(contenders)
    original = lock_utils.get_lock_object
    first_read_done = set()

    def read_then_wait_for_the_others(client, bucket, key):
        found = original(client, bucket, key)
        if threading.get_ident() not in first_read_done:
            first_read_done.add(threading.get_ident())
            everyone_has_read.wait(timeout=10)
        return found

    monkeypatch.setattr(lock_utils, "get_lock_object", read_then_wait_for_the_others)
    outcomes = [None] * contenders

    def contend(index):
        try:
            outcomes[index] = lock_utils.acquire_lock(
                clients[index], BUCKET, KEY, run_id=f"run-{index}", holder=f"user{index}@host-{index}"
            )
        except lock_utils.RunLockHeld as held:
            outcomes[index] = held

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.parametrize("lock_found", ["free", "stale"])
def test_of_runs_racing_for_the_lock_exactly_one_wins(s3, monkeypatch, lock_found):
    stale = lock_body(run_id="run-old", age=7200)
    if lock_found == "stale":
        put_lock(s3, stale)
    outcomes = race(monkeypatch, 8)
    winners = [o for o in outcomes if isinstance(o, dict)]
    losers = [o for o in outcomes if isinstance(o, lock_utils.RunLockHeld)]
    assert len(winners) == 1 and len(losers) == 7, outcomes
    winner = winners[0]["lock"]
    assert winners[0]["changed"] is True
    assert winners[0]["replaced"] == (stale if lock_found == "stale" else {})
    assert stored(s3) == winner
    # Every loser's 412 made it read again and report the winner as the holder.
    for loser in losers:
        assert loser.lock == winner
        assert f"{winner['holder']} (run_id {winner['run_id']!r}" in loser.message


def test_without_the_condition_the_race_has_many_winners(s3, monkeypatch):
    """The race above is decided by the conditional write alone: an unconditional put lets all win."""

    def unconditional(client, bucket, key, document, if_match=None):
        client.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())
        return lock_utils.DONE, None

    monkeypatch.setattr(lock_utils, "put_lock_object", unconditional)
    outcomes = race(monkeypatch, 4)
    assert all(isinstance(o, dict) and o["changed"] for o in outcomes)


def their_create(client, etag):
    client.put_object(Bucket=BUCKET, Key=KEY, Body=b"theirs", IfNoneMatch="*")


def their_takeover(client, etag):
    client.put_object(Bucket=BUCKET, Key=KEY, Body=b"theirs", IfMatch=etag)


def their_release(client, etag):
    client.delete_object(Bucket=BUCKET, Key=KEY, IfMatch=etag)


@pytest.mark.parametrize(
    ("lock_found", "theirs"),
    [
        pytest.param("free", their_create, id="create-vs-create"),
        pytest.param("stale", their_takeover, id="takeover-vs-takeover"),
        pytest.param("stale", their_release, id="takeover-vs-release"),
    ],
)
def test_a_request_arriving_between_our_check_and_our_write_waits_and_loses(s3, monkeypatch, lock_found, theirs):
    """Another run's conditional request on the key, arriving after moto checked our condition and before it wrote,
    waits for our write and then fails 412, as on S3 where the check and the write are one step.

    moto 5.2.5 alone (without ``s3.conditional_writes_atomic``) lets it through: both get 2xx, and ours silently
    overwrites theirs (or re-creates the lock they released).
    """
    from moto.s3.models import S3Backend

    etag = put_lock(s3, lock_body(age=7200)) if lock_found == "stale" else None
    other = new_client()
    other.head_bucket(Bucket=BUCKET)  # its first call's set-up done: from here a request takes milliseconds
    original = S3Backend.put_object
    their_answer = []
    arrived = []

    def their_request():
        try:
            theirs(other, etag)
            their_answer.append("ok")
        except botocore.exceptions.ClientError as error:
            their_answer.append(error.response["Error"]["Code"])

    def put_object(self, bucket_name, key_name, *args, **kwargs):
        if key_name == KEY and not arrived:  # our condition held; our write has not landed yet
            arrived.append(threading.Thread(target=their_request))
            arrived[0].start()
            arrived[0].join(timeout=0.5)  # long enough for their request to finish, unless it waits for ours
        return original(self, bucket_name, key_name, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "put_object", put_object)
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"ours", **condition)
    arrived[0].join(timeout=10)
    assert their_answer == ["PreconditionFailed"]
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"ours"


def test_moto_refuses_conditional_writes_that_do_not_hold(s3):
    """Sequentially, moto answers as S3 does; the module relies on exactly these answers."""
    theirs = lock_body()
    etag = put_lock(s3, theirs)
    for condition in ({"IfNoneMatch": "*"}, {"IfMatch": '"0123456789abcdef0123456789abcdef"'}):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"x", **condition)
        assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.delete_object(Bucket=BUCKET, Key=KEY, IfMatch='"0123456789abcdef0123456789abcdef"')
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    assert stored(s3) == theirs
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        s3.put_object(Bucket=BUCKET, Key="locks/none.lock", Body=b"x", IfMatch=etag)
    assert gone.value.response["Error"]["Code"] == "NoSuchKey"


# ---------------------------------------------------------------------------------------------
# The lock of a killed run on this controller
# ---------------------------------------------------------------------------------------------
def fake_proc(tmp_path, processes, boot_id="boot-1"):
    """A /proc tree: processes = {pid: (ppid, starttime, argv)}."""
    (tmp_path / "sys" / "kernel" / "random").mkdir(parents=True)
    (tmp_path / "sys" / "kernel" / "random" / "boot_id").write_text(boot_id + "\n")
    for pid, (ppid, started, argv) in processes.items():
        (tmp_path / str(pid)).mkdir()
        fields = ["S", str(ppid)] + ["0"] * 17 + [str(started), "0"]
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (py (th) x) {' '.join(fields)}\n")
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    return str(tmp_path)


PLAYBOOK = ["/venv/bin/python3", "/venv/bin/ansible-playbook", "site.yml"]


def test_controller_process_is_the_outermost_ansible_playbook(tmp_path):
    proc = fake_proc(
        tmp_path,
        {
            1: (0, 1, ["/sbin/init"]),
            90: (1, 500, ["bash"]),
            100: (90, 1000, PLAYBOOK),  # the run
            110: (100, 1100, PLAYBOOK),  # a worker forked from it
            120: (110, 1200, ["/usr/bin/python3", "-c", "module"]),  # the module
        },
    )
    found = lock_utils.controller_process(pid=120, proc=proc, hostname="ctl")
    assert found == {"host": "ctl", "boot_id": "boot-1", "pid": 100, "started": 1000}
    # Not under ansible-playbook (a unit test, a bare python): unknown, and never "gone".
    assert lock_utils.controller_process(pid=90, proc=proc, hostname="ctl") == {}
    assert lock_utils.controller_process(pid=120, proc=str(tmp_path / "absent"), hostname="ctl") == {}


@pytest.mark.parametrize(
    ("theirs", "gone"),
    [
        ({"host": "ctl", "boot_id": "boot-1", "pid": 100, "started": 1000}, False),  # alive
        ({"host": "ctl", "boot_id": "boot-1", "pid": 4242, "started": 1000}, True),  # no such process
        ({"host": "ctl", "boot_id": "boot-1", "pid": 100, "started": 999}, True),  # PID reused since
        ({"host": "other", "boot_id": "boot-1", "pid": 4242, "started": 1000}, False),  # another machine
        ({"host": "ctl", "boot_id": "boot-0", "pid": 4242, "started": 1000}, False),  # before a reboot
        (None, False),  # a lock without a process (written elsewhere): staleness decides
    ],
)
def test_holder_is_gone_only_when_its_process_on_this_controller_is(tmp_path, theirs, gone):
    proc = fake_proc(tmp_path, {100: (1, 1000, PLAYBOOK)})
    here = {"host": "ctl", "boot_id": "boot-1", "pid": 200, "started": 3000}
    document = lock_body() if theirs is None else lock_body(process=theirs)
    assert lock_utils.holder_is_gone(document, here, proc=proc) is gone
    assert lock_utils.holder_is_gone(document, {}, proc=proc) is False


def this_controller(monkeypatch):
    here = {"host": socket.gethostname(), "boot_id": "boot-x", "pid": 4321, "started": 7}
    monkeypatch.setattr(run_lock, "controller_process", lambda: dict(here))
    return here


def test_the_lock_of_a_killed_run_here_is_taken_over_at_once(run_module, s3, api_calls, monkeypatch):
    here = this_controller(monkeypatch)
    dead = {"host": here["host"], "boot_id": "boot-x", "pid": 999999999, "started": 5}  # no such PID
    theirs = lock_body(process=dead)  # acquired a minute ago: far from stale
    etag = put_lock(s3, theirs)
    api_calls.clear()
    result = run_module(run_lock, args(wait_timeout=0))
    assert result["changed"] is True, result
    assert result["replaced"] == theirs and result["replaced_because"] == "holder process gone"
    assert result["lock"]["run_id"] == "run-b" and result["lock"]["process"] == here
    assert stored(s3) == result["lock"]
    [put] = calls(api_calls, "PutObject")
    assert put["IfMatch"] == etag and "IfNoneMatch" not in put


def test_a_live_holder_here_is_waited_for_and_not_taken_over(run_module, s3, api_calls, monkeypatch):
    here = this_controller(monkeypatch)
    live = dict(here, pid=1)  # init: alive, with its real start time
    live["started"] = lock_utils.process_stat(1)[1]
    theirs = lock_body(process=live)
    put_lock(s3, theirs)
    api_calls.clear()
    result = run_module(run_lock, args())
    assert result["failed"] is True and "pid 1 on" in result["msg"]
    assert writes(api_calls) == [] and stored(s3) == theirs


def test_take_over_dead_holder_false_leaves_it_to_staleness(run_module, s3, api_calls, monkeypatch):
    here = this_controller(monkeypatch)
    theirs = lock_body(process=dict(here, pid=999999999))
    put_lock(s3, theirs)
    api_calls.clear()
    result = run_module(run_lock, args(take_over_dead_holder=False))
    assert result["failed"] is True and writes(api_calls) == [] and stored(s3) == theirs
