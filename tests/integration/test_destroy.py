"""playbooks/destroy.yml for prod, on an empty emulator (never the shared provisioned one), read back from the
emulator: one prod provisioned for the module, then the teardown's guards and steps as named cases, in order
(each case starts where the one before left prod). dev's teardown (by killed runs, then one that completes)
ends tests/integration/test_kill_safety.py."""

import datetime
import json

import pytest
from conftest import make_runner
from headcount import ACCOUNT
from headcount import buckets
from headcount import final_snapshots
from headcount import leftovers
from headcount import repositories

pytestmark = pytest.mark.integration

DESTROY = "playbooks/destroy.yml"
BUCKET = f"payment-logs-prod-{ACCOUNT}"
# Not empty either: ELB wrote its test file there when the load balancer's access logs were switched on.
ACCESS_LOG_BUCKET = f"payment-alb-logs-prod-{ACCOUNT}"
LOCK_BUCKET, LOCK_KEY = f"payment-infra-state-{ACCOUNT}-us-east-1", "locks/prod.lock"
CONFIRMED = {"confirm": "prod"}


@pytest.fixture(scope="module")
def prod(scratch_emulator):
    """prod provisioned from nothing on the empty emulator; the cases of this module tear it down in turn."""
    scratch_emulator.client.reset()
    site = make_runner(scratch_emulator)("site.yml", "prod")
    assert site.rc == 0, site.messages()
    return scratch_emulator


def mutating_calls_of(emulator, run):
    """run() on ``emulator``; returns (its result, the mutating calls it made)."""
    seq = emulator.client.last_seq()
    result = run()
    return result, emulator.client.mutating_calls(since=seq)


@pytest.mark.parametrize("extra_vars", [None, {"confirm": "dev"}], ids=["no-confirm", "confirm-names-another-env"])
def test_refused_without_its_own_confirmation(prod, ansible, extra_vars):
    refused, calls = mutating_calls_of(prod, lambda: ansible(DESTROY, "prod", extra_vars=extra_vars))
    assert refused.rc != 0
    assert "Refusing to destroy environment prod" in refused.messages()
    command = "ansible-playbook playbooks/destroy.yml -i inventories/prod -e confirm=prod"
    assert command in " ".join(refused.messages().split())
    assert calls == []


def test_refused_while_another_run_holds_the_lock(prod, ansible, aws):
    now = datetime.datetime.now(datetime.UTC)
    theirs = {
        "run_id": "awx-job-4242",
        "holder": "alice via AWX job 4242",
        "acquired_at": f"{now:%Y-%m-%dT%H:%M:%SZ}",
        "expires_at": f"{now + datetime.timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}",
        "purpose": "site.yml",
        "process": {"host": "awx-node-7", "boot_id": "other-machine", "pid": 1234, "started": 1},
    }
    aws("s3").put_object(Bucket=LOCK_BUCKET, Key=LOCK_KEY, Body=json.dumps(theirs).encode())
    locked, calls = mutating_calls_of(
        prod, lambda: ansible(DESTROY, "prod", extra_vars={**CONFIRMED, "run_lock_wait_timeout": 0})
    )
    assert locked.rc != 0
    held = " ".join(locked.messages().split())
    assert f"Run lock s3://{LOCK_BUCKET}/{LOCK_KEY} is held by alice via AWX job 4242 (run_id 'awx-job-4242'" in held
    assert "pid 1234 on awx-node-7" in held
    assert calls == []


def test_unlock_removes_the_other_runs_lock_saying_whose(prod, ansible, aws):
    unlocked = ansible("playbooks/unlock.yml", "prod")
    assert unlocked.rc == 0, unlocked.messages()
    assert "Removed the run lock of prod held by alice via AWX job 4242 (run awx-job-4242" in json.dumps(
        unlocked.output
    )
    assert "Contents" not in aws("s3").list_objects_v2(Bucket=LOCK_BUCKET, Prefix=LOCK_KEY)


def test_plan_of_the_teardown_writes_nothing(prod, ansible, aws):
    # A payment record in the bucket, written through its TLS-only policy (the emulator's requests stand for
    # requests over TLS, as the modules' are on AWS): the next cases keep it.
    s3 = aws("s3")
    assert "aws:SecureTransport" in s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    s3.put_object(Bucket=BUCKET, Key="transactions/2026/11/28/0001.json", Body=b'{"amount": 1}')
    (test_file,) = s3.list_objects_v2(Bucket=ACCESS_LOG_BUCKET)["Contents"]
    assert test_file["Key"] == f"prod/AWSLogs/{ACCOUNT}/ELBAccessLogTestFile"
    # --check plans the teardown (deletion protection of the load balancer and database included).
    plan, calls = mutating_calls_of(prod, lambda: ansible(DESTROY, "prod", extra_vars=CONFIRMED, check=True))
    assert plan.rc == 0, plan.messages()
    assert plan.changed > 0
    assert calls == []


def test_confirmed_teardown_keeps_a_bucket_that_is_not_empty_and_takes_a_final_snapshot(prod, ansible, aws):
    # The payment record of the plan's case, written again here: this case does not depend on that one's run.
    aws("s3").put_object(Bucket=BUCKET, Key="transactions/2026/11/28/0001.json", Body=b'{"amount": 1}')
    destroyed = ansible(DESTROY, "prod", extra_vars=CONFIRMED)
    assert destroyed.rc == 0, destroyed.messages()
    assert leftovers(aws, "prod") == {}
    assert repositories(aws) == ["payment-api"]  # shared: kept
    assert BUCKET in buckets(aws)  # not empty: kept, and reported
    assert f"bucket {BUCKET} (not" in " ".join(str(destroyed.output).split())
    assert ACCESS_LOG_BUCKET in buckets(aws)  # the access logs (ELB's test file): kept, and reported
    assert f"bucket {ACCESS_LOG_BUCKET} (not" in " ".join(str(destroyed.output).split())
    assert final_snapshots(aws, "prod") == ["payment-db-prod-final"]


def test_purge_bucket_deletes_every_version_then_the_bucket_without_a_second_snapshot(prod, ansible, aws):
    purged = ansible(DESTROY, "prod", extra_vars={**CONFIRMED, "purge_bucket": True})
    assert purged.rc == 0, purged.messages()
    assert BUCKET not in buckets(aws)
    assert ACCESS_LOG_BUCKET not in buckets(aws)
    assert repositories(aws) == ["payment-api"]
    assert final_snapshots(aws, "prod") == ["payment-db-prod-final"]
