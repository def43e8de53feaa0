"""playbooks/destroy.yml for prod, on an empty emulator (never the shared provisioned one), read back from the
emulator. dev's teardown (by killed runs, then one that completes) ends tests/integration/test_kill_safety.py."""

import datetime
import json

import pytest
from headcount import ACCOUNT
from headcount import buckets
from headcount import final_snapshots
from headcount import leftovers
from headcount import repositories

pytestmark = pytest.mark.integration

DESTROY = "playbooks/destroy.yml"


def test_prod_needs_confirmation_and_keeps_a_bucket_that_is_not_empty(clean_emulator, ansible, aws):
    site = ansible("site.yml", "prod")
    assert site.rc == 0, site.messages()
    bucket = f"payment-logs-prod-{ACCOUNT}"

    # Refused before any change, with the command to run: no confirm, and a confirm naming another environment.
    command = "ansible-playbook playbooks/destroy.yml -i inventories/prod -e confirm=prod"
    for extra_vars in (None, {"confirm": "dev"}):
        seq = clean_emulator.client.last_seq()
        refused = ansible(DESTROY, "prod", extra_vars=extra_vars)
        assert refused.rc != 0
        assert "Refusing to destroy environment prod" in refused.messages()
        assert command in " ".join(refused.messages().split())
        assert clean_emulator.client.mutating_calls(since=seq) == []

    # Confirmed, but another run (on another machine) is provisioning prod: refused, naming it, before any change;
    # unlock.yml removes that lock on purpose, saying whose it was.
    s3 = aws("s3")
    lock_bucket, lock_key = f"payment-infra-state-{ACCOUNT}-us-east-1", "locks/prod.lock"
    now = datetime.datetime.now(datetime.UTC)
    theirs = {
        "run_id": "awx-job-4242",
        "holder": "alice via AWX job 4242",
        "acquired_at": f"{now:%Y-%m-%dT%H:%M:%SZ}",
        "expires_at": f"{now + datetime.timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}",
        "purpose": "site.yml",
        "process": {"host": "awx-node-7", "boot_id": "other-machine", "pid": 1234, "started": 1},
    }
    s3.put_object(Bucket=lock_bucket, Key=lock_key, Body=json.dumps(theirs).encode())
    seq = clean_emulator.client.last_seq()
    locked = ansible(DESTROY, "prod", extra_vars={"confirm": "prod", "run_lock_wait_timeout": 0})
    assert locked.rc != 0
    held = " ".join(locked.messages().split())
    assert f"Run lock s3://{lock_bucket}/{lock_key} is held by alice via AWX job 4242 (run_id 'awx-job-4242'" in held
    assert "pid 1234 on awx-node-7" in held
    assert clean_emulator.client.mutating_calls(since=seq) == []
    unlocked = ansible("playbooks/unlock.yml", "prod")
    assert unlocked.rc == 0, unlocked.messages()
    assert "Removed the run lock of prod held by alice via AWX job 4242 (run awx-job-4242" in json.dumps(
        unlocked.output
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=lock_bucket, Prefix=lock_key)

    # A payment record in the bucket, written through its TLS-only policy (the emulator's requests stand for
    # requests over TLS, as the modules' are on AWS).
    assert "aws:SecureTransport" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.put_object(Bucket=bucket, Key="transactions/2026/11/28/0001.json", Body=b'{"amount": 1}')

    # --check plans the teardown (deletion protection of the load balancer and database included)
    # and changes nothing.
    seq = clean_emulator.client.last_seq()
    plan = ansible(DESTROY, "prod", extra_vars={"confirm": "prod"}, check=True)
    assert plan.rc == 0, plan.messages()
    assert plan.changed > 0
    assert clean_emulator.client.mutating_calls(since=seq) == []

    destroyed = ansible(DESTROY, "prod", extra_vars={"confirm": "prod"})
    assert destroyed.rc == 0, destroyed.messages()
    assert leftovers(aws, "prod") == {}
    assert repositories(aws) == ["payment-api"]
    assert bucket in buckets(aws)  # not empty: kept, and reported
    assert f"bucket {bucket} (not" in " ".join(str(destroyed.output).split())
    assert final_snapshots(aws, "prod") == ["payment-db-prod-final"]

    # purge_bucket deletes every object version, then the bucket. The final snapshot is not taken twice.
    purged = ansible(DESTROY, "prod", extra_vars={"confirm": "prod", "purge_bucket": True})
    assert purged.rc == 0, purged.messages()
    assert bucket not in buckets(aws)
    assert repositories(aws) == ["payment-api"]
    assert final_snapshots(aws, "prod") == ["payment-db-prod-final"]
