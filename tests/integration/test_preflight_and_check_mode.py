"""Wrong input fails before any change; check mode on an empty account calls no mutating API."""

import pytest

pytestmark = pytest.mark.integration


def test_check_mode_on_empty_emulator_mutates_nothing(clean_emulator, ansible):
    seq = clean_emulator.client.last_seq()
    plan = ansible("site.yml", "dev", check=True, diff=True)
    assert plan.rc == 0, plan.messages()
    assert plan.changed >= 1  # the plan says the VPC and what it holds will be created
    assert clean_emulator.client.mutating_calls(since=seq) == []
    assert clean_emulator.client.calls(since=seq), "the plan must have looked AWS up"


@pytest.mark.parametrize(
    ("extra_vars", "expected"),
    [
        ({"network_az_count": 7}, "network_az_count=7 is invalid"),
        ({"network_vpc_cidr": "10.0.0.0/8"}, "network_vpc_cidr='10.0.0.0/8' is invalid"),
        ({"network_app_port": 5432}, "network_database_port=5432 equals network_app_port"),
        ({"network_nat_gateway_strategy": "two"}, "network_nat_gateway_strategy"),
        ({"payments_environment": "Prod!"}, "network_environment='Prod!' is invalid"),
        ({"network_private_subnet_offset": 1}, "must be at least network_az_count apart"),
    ],
)
def test_bad_input_fails_before_any_change(clean_emulator, ansible, extra_vars, expected):
    seq = clean_emulator.client.last_seq()
    run = ansible("site.yml", "dev", extra_vars=extra_vars)
    assert run.rc != 0
    assert expected in run.messages()
    assert clean_emulator.client.mutating_calls(since=seq) == []
