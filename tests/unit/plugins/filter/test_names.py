"""The names table (plugins/module_utils/names.py) and its filter."""

import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.names import resource_names
from ansible_collections.payments.infra.plugins.module_utils.names import NAMES
from ansible_collections.payments.infra.plugins.module_utils.names import resource_name

ROOT = Path(__file__).resolve().parents[4]


def test_the_names_of_dev_are_the_ones_live_environments_carry():
    # Live environments are found by these names: the table must keep every one of them exactly.
    names = resource_names("payment", "dev")
    assert names == {
        "vpc": "payment-vpc-dev",
        "internet_gateway": "payment-igw-dev",
        "nat_gateway_prefix": "payment-nat-dev-",
        "flow_log": "payment-vpc-flow-log-dev",
        "flow_log_role": "payment-vpc-flow-logs-dev",
        "flow_log_group": "/payment/dev/vpc-flow-logs",
        "alb_security_group": "payment-alb-sg-dev",
        "app_security_group": "payment-app-sg-dev",
        "db_security_group": "payment-db-sg-dev",
        "ecs_cluster": "payment-cluster-dev",
        "ecs_service": "payment-api-dev",
        "alb": "payment-alb-dev",
        "target_group": "payment-tg-dev",
        "certificate": "payment-cert-dev",
        "task_execution_role": "payment-task-execution-dev",
        "task_role": "payment-task-dev",
        "autoscaling_policy": "payment-cpu-target-dev",
        "app_log_group": "/payment/dev/app",
        "db_instance": "payment-db-dev",
        "db_subnet_group": "payment-db-subnets-dev",
        "db_parameter_group": "payment-db-params-dev",
        "bucket_prefix": "payment-logs-dev-",
        "access_log_bucket_prefix": "payment-alb-logs-dev-",
        "alarm_topic": "payment-alarms-dev",
        "alarm_prefix": "payment-dev-",
        "ecr_repository": "payment-api",
        "lock_bucket_prefix": "payment-infra-state",
    }


@pytest.mark.parametrize(("prefix", "environment"), [("payment", "prod"), ("acme-pay", "qa"), ("p", "e2e-7")])
def test_every_name_but_the_shared_ones_carries_the_prefix_and_the_environment(prefix, environment):
    names = resource_names(prefix, environment)
    assert set(names) == set(NAMES)
    for kind, name in names.items():
        assert prefix in name, kind
        assert (environment in name) == (kind not in ("ecr_repository", "lock_bucket_prefix")), kind
    # Two environments never share a name of their own.
    other = resource_names(prefix, environment + "x")
    shared = {k for k in names if names[k] == other[k]}
    assert shared == {"ecr_repository", "lock_bucket_prefix"}


def test_the_per_az_rule():
    assert resource_name("payment", "private-rt", "dev", "us-east-1a") == "payment-private-rt-dev-us-east-1a"
    assert resource_name("payment", "public", "prod") == "payment-public-prod"


@pytest.mark.parametrize(("prefix", "environment"), [("", "dev"), ("payment", ""), (None, "dev")])
def test_an_empty_prefix_or_environment_is_refused(prefix, environment):
    with pytest.raises(AnsibleFilterError, match="needs a name prefix and an environment"):
        resource_names(prefix, environment)


def _strings(value, where):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


# Values that join a prefix and an environment and are not a resource's name, each with its reason.
NOT_NAMES = {
    "display_name": "the alarm topic's display name, a label AWS does not identify the topic by",
    "__adoption_name_re": "matches every name containing the prefix and the environment (adoption)",
    "__audit_summary[1]": "a sentence of the audit's summary",
}


def test_no_role_playbook_or_group_vars_file_writes_a_name_pattern_of_the_table():
    # A value that joins a name prefix and an environment itself, rather than handing both to one of the
    # collection's filters, is a second copy of a name rule.
    found = []
    for folder in ("roles", "playbooks", "group_vars", "molecule"):
        for path in sorted((ROOT / folder).rglob("*.yml")):
            for where, text in _strings(yaml.safe_load(path.read_text()), str(path.relative_to(ROOT))):
                if (
                    re.search(r"\b[a-z_]*name_prefix\b", text)
                    and re.search(r"\b[a-z_]*environment\b", text)
                    and "payments.infra." not in text
                    and not any(where.endswith(key) or f".{key}" in where for key in NOT_NAMES)
                ):
                    found.append(f"{where}: {text.strip()}")
    assert found == []


def _lines(folders, glob="*.yml"):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob(glob)):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if not line.lstrip().startswith("#"):
                    yield f"{path.relative_to(ROOT)}:{number}", line


def test_no_role_default_carries_an_environment_name():
    # A role used alone is told its environment; nothing of dev, staging or prod is built into a role.
    found = [
        f"{where}: {line.strip()}"
        for where, line in _lines(("roles",))
        if "/defaults/" in where or "/meta/argument_specs" in where
        if re.search(r"(default: |^[a-z_]+: ).*(^|[-/. ])(dev|staging|prod)([-/.]|$)", line)
    ]
    assert found == []
