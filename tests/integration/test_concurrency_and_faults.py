"""Runs at the same time, on an emulator that throttles and fails AWS calls as a busy AWS account does.

dev and staging are provisioned from nothing at the same time (different environments run in parallel: each
holds its own lock) while the emulator answers 10% of the calls with throttling (ThrottlingException,
RequestLimitExceeded, SlowDown, Throttling) and 2% with 5xx. A second run of dev started meanwhile waits for
dev's lock, then fails naming the run holding it, having changed nothing. Both environments end with exactly the
resources they consist of: nothing duplicated by a retried call.
"""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from conftest import ROOT
from conftest import make_runner
from headcount import census
from headcount import expected_counts
from headcount import shared_counts

pytestmark = pytest.mark.integration

THROTTLE_RATE = 0.10
ERROR_RATE = 0.02
SEED = 20261128
LOCK_BUCKET = "payment-infra-state-123456789012-us-east-1"


def lock_of(s3, env_name):
    try:
        return json.loads(s3.get_object(Bucket=LOCK_BUCKET, Key=f"locks/{env_name}.lock")["Body"].read())
    except (s3.exceptions.NoSuchKey, s3.exceptions.NoSuchBucket):
        return None


def test_parallel_environments_under_faults_and_a_second_run_of_one(clean_emulator, aws):
    run = make_runner(clean_emulator)
    # The test's own reads retry through the faults as the modules' do.
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=clean_emulator.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 10}),
    )
    clean_emulator.client.set_faults(throttle_rate=THROTTLE_RATE, error_rate=ERROR_RATE, seed=SEED)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            dev = pool.submit(run, "site.yml", "dev")
            staging = pool.submit(run, "site.yml", "staging")
            # Wait until both runs hold their environment's lock at the same time.
            deadline = time.monotonic() + 300
            locks = {}
            while time.monotonic() < deadline and not (dev.done() or staging.done()):
                locks = {env_name: lock_of(s3, env_name) for env_name in ("dev", "staging")}
                if all(locks.values()):
                    break
                time.sleep(0.5)
            assert all(locks.values()), f"dev and staging never held their locks at the same time: {locks}"
            holder = locks["dev"]

            # A second run of dev: waits 5 s for the lock, then fails naming the holder, before any change.
            second = run("site.yml", "dev", extra_vars={"run_lock_wait_timeout": 5, "run_lock_poll_interval": 1})
            first_dev, first_staging = dev.result(), staging.result()
        faults = clean_emulator.client.faults()
    finally:
        clean_emulator.client.clear_faults()

    assert second.rc != 0
    message = " ".join(second.messages().split())
    assert f"Run lock s3://{LOCK_BUCKET}/locks/dev.lock is held by {holder['holder']}" in message, message
    assert f"run_id '{holder['run_id']}'" in message and "purpose 'site.yml'" in message
    # It waited at least the timeout: the wait is measured when it gives up, after its last read.
    waited = re.search(r"after waiting (\d+)s \(wait_timeout=5\)", message)
    assert waited and int(waited.group(1)) >= 5, message
    assert "ansible-playbook playbooks/unlock.yml -i inventories/<env>" in message
    assert second.changed == 0, second.changed_tasks()

    assert first_dev.rc == 0, first_dev.messages()
    assert first_staging.rc == 0, first_staging.messages()
    assert faults["injected"]["throttle"] > 0 and faults["injected"]["error"] > 0, faults
    (ROOT / ".cache").mkdir(exist_ok=True)
    (ROOT / ".cache" / "faults-report.json").write_text(json.dumps(faults, indent=2))

    for env_name in ("dev", "staging"):
        counts, expected = census(aws, env_name), expected_counts(env_name)
        assert {k: (counts[k], expected[k]) for k in expected if counts[k] != expected[k]} == {}, env_name
        assert lock_of(s3, env_name) is None  # released
    assert shared_counts(aws) == {"lock_buckets": 1, "ecr_repositories": 1}
