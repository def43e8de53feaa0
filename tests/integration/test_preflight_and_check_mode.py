"""Wrong input fails before any change; check mode on an empty account calls no mutating API."""

import pytest

pytestmark = pytest.mark.integration


def test_check_mode_on_empty_emulator_mutates_nothing(clean_emulator, ansible):
    seq = clean_emulator.client.last_seq()
    plan = ansible("site.yml", "dev", check=True, diff=True)
    assert plan.rc == 0, plan.messages()
    assert plan.changed >= 1  # the plan says the VPC and what it holds will be created
    assert clean_emulator.client.mutating_calls(since=seq) == []
    # (The harness's own secret check reads Secrets Manager after every run: not the plan's calls.)
    looked_up = [c for c in clean_emulator.client.calls(since=seq) if c["service"] != "secretsmanager"]
    assert {c["service"] for c in looked_up} >= {"ec2", "rds", "s3", "ecr"}, "the plan must have looked AWS up"


# Wrong input: tests/integration/test_input_limits.py, generated from plugins/module_utils/limits.py.
