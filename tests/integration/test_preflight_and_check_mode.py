"""Wrong input fails before any change; check mode on an empty account calls no mutating API."""

import pytest
from batch import assert_refused

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


BAD_INPUTS = [
    ({"network_az_count": 7}, "network_az_count=7 is invalid"),
    ({"network_vpc_cidr": "10.0.0.0/8"}, "network_vpc_cidr='10.0.0.0/8' is invalid"),
    ({"network_app_port": 5432}, "network_database_port=5432 equals network_app_port"),
    ({"network_nat_gateway_strategy": "two"}, "network_nat_gateway_strategy"),
    ({"payments_environment": "Prod!"}, "network_environment='Prod!' is invalid"),
    ({"network_private_subnet_offset": 1}, "must be at least network_az_count apart"),
    ({"ecs_alb_task_memory": 4096}, "ecs_alb_task_memory=4096 does not fit ecs_alb_task_cpu=256 on Fargate: valid"),
    ({"ecs_alb_task_cpu": 300}, "ecs_alb_task_cpu=300 is not a Fargate task size"),
    (
        {"ecs_alb_ssl_policy": "ELBSecurityPolicy-2016-08"},
        "ecs_alb_ssl_policy=ELBSecurityPolicy-2016-08 is not a TLS 1.2+",
    ),
    ({"ecs_alb_desired_count": 5}, "ecs_alb_desired_count=5 is outside the auto scaling bounds: valid is 1 to 2"),
    (
        {"payments_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e"},
        "is not an ACM certificate ARN of region us-east-1",
    ),
    ({"image_tag": "-latest"}, "ecs_alb_image_tag=-latest is not a valid image tag"),
    ({"ecs_alb_environment_variables": {"DB_PASSWORD": "x"}}, "DB_PASSWORD come from the database secret only"),
]


@pytest.mark.parametrize(("extra_vars", "expected"), BAD_INPUTS)
def test_bad_input_fails_before_any_change(bad_inputs, extra_vars, expected):
    assert_refused(bad_inputs, BAD_INPUTS, extra_vars, expected)
