"""Why each of our modules exists, shown against the installed stock collections (amazon.aws 10.1.2,
community.aws 10.0.0): the claims of README's module table that other test files do not already prove
(test_cloudwatch_log_group, test_cloudwatch_metric_alarms, test_ecr_repository, test_ecs_service,
test_rds_orderable_info, test_application_autoscaling_target prove theirs)."""

from pathlib import Path

import boto3
import pytest
from ansible_collections.amazon import aws as amazon_aws
from ansible_collections.community import aws as community_aws
from ansible_collections.community.aws.plugins.modules import ecs_cluster as stock_ecs_cluster
from ansible_collections.community.aws.plugins.modules import ecs_taskdefinition as stock_taskdefinition
from ansible_collections.community.aws.plugins.modules import s3_lifecycle as stock_s3_lifecycle

BUCKET = "payment-logs-dev-123456789012"


def stock_modules_calling(*needles):
    """The stock modules (both collections) whose source names any of ``needles``."""
    found = []
    for collection in (amazon_aws, community_aws):
        modules = Path(collection.__path__[0]) / "plugins" / "modules"
        assert modules.is_dir()
        found += [
            f"{collection.__name__}.{path.stem}"
            for path in sorted(modules.glob("*.py"))
            if any(needle in path.read_text() for needle in needles)
        ]
    return found


def test_no_stock_module_creates_a_flow_log():  # payments.infra.ec2_vpc_flow_log
    assert stock_modules_calling("create_flow_logs", "CreateFlowLogs") == []


def test_no_stock_module_looks_ecr_images_up():  # payments.infra.ecr_image_info
    ecr_modules = [name for name in stock_modules_calling('"ecr"', "'ecr'")]
    lookups = [name for name in ecr_modules if name in stock_modules_calling("describe_images", "batch_get_image")]
    assert ecr_modules  # the scan reads the ECR modules (community.aws.ecs_ecr)
    assert lookups == []


def test_no_stock_module_writes_conditionally():  # payments.infra.run_lock
    assert stock_modules_calling("IfNoneMatch", "If-None-Match") == []


def test_no_stock_module_lists_resources_across_services():  # payments.infra.resource_census
    # Not even tagged ones (the Resource Groups Tagging API); nor untagged ones named like ours, which no API lists.
    assert stock_modules_calling("resourcegroupstaggingapi", "get_resources") == []


# payments.infra.s3_bucket_lifecycle ----------------------------------------------------------------------------
def s3_rule(rule_id, days):
    return {"name": BUCKET, "rule_id": rule_id, "prefix": f"{rule_id}/", "expiration_days": days, "state": "present"}


def test_stock_s3_lifecycle_has_no_check_mode(aws, run_module, api_calls):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    api_calls.clear()
    result = run_module(stock_s3_lifecycle, s3_rule("expire", 30), check_mode=True, diff=True)
    assert result.get("skipped") is True and "check mode" in result["msg"]  # a plan cannot show the change
    assert "diff" not in result


def test_stock_s3_lifecycle_converges_one_rule_per_call_never_the_configuration(aws, run_module):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    assert run_module(stock_s3_lifecycle, s3_rule("old", 30))["changed"] is True
    # The wanted configuration is now the rule "new" alone: the stock module adds it and keeps "old".
    assert run_module(stock_s3_lifecycle, s3_rule("new", 60))["changed"] is True
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert sorted(rule["ID"] for rule in rules) == ["new", "old"]


# payments.infra.ecs_cluster ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "option", [{"tags": {"Environment": "dev"}}, {"settings": [{"name": "containerInsights", "value": "enabled"}]}]
)
def test_stock_ecs_cluster_takes_no_tags_and_no_container_insights(aws, run_module, api_calls, option):
    result = run_module(stock_ecs_cluster, {"name": "payment-cluster-dev", "state": "present", **option})
    assert result["failed"] is True and "Unsupported parameters" in result["msg"]
    assert [name for name, _ in api_calls] == []


# payments.infra.ecs_task_definition ----------------------------------------------------------------------------
def task_definition(database_host):
    return {
        "family": "payment-api-dev",
        "state": "present",
        "network_mode": "awsvpc",
        "launch_type": "FARGATE",
        "cpu": "256",
        "memory": "512",
        "containers": [
            {
                "name": "api",
                "image": "docker.io/library/nginx:1.27",
                "essential": True,
                "environment": [{"name": "DATABASE_HOST", "value": database_host}],
            }
        ],
    }


def test_stock_ecs_taskdefinition_never_sees_a_changed_environment_value(aws, run_module):
    first = run_module(stock_taskdefinition, task_definition("db-1.example.internal"))
    assert first.get("changed") is True, first
    # A new database endpoint: the same list length, another value. The stock module finds the old revision
    # "matching" and registers nothing, so the service would keep connecting to the old endpoint.
    second = run_module(stock_taskdefinition, task_definition("db-2.example.internal"))
    assert second["changed"] is False, second
    families = boto3.client("ecs").list_task_definitions(familyPrefix="payment-api-dev")["taskDefinitionArns"]
    assert len(families) == 1
    [container] = boto3.client("ecs").describe_task_definition(taskDefinition=families[0])["taskDefinition"][
        "containerDefinitions"
    ]
    assert container["environment"] == [{"name": "DATABASE_HOST", "value": "db-1.example.internal"}]


# payments.infra.rds_parameter_group ----------------------------------------------------------------------------
PARAMETER_GROUP = {"name": "payment-pg-dev", "engine": "postgres15", "description": "dev", "state": "present"}


def test_stock_rds_parameter_group_ignores_an_unknown_parameter_without_failing(aws, run_module):
    from ansible_collections.amazon.aws.plugins.modules import rds_instance_param_group as stock

    assert run_module(stock, PARAMETER_GROUP).get("failed") is not True
    # A misspelt name: the run succeeds, the setting is silently not made, the reason sits in `errors`.
    result = run_module(stock, dict(PARAMETER_GROUP, params={"max_conections": "100"}))
    assert result.get("failed") is not True, result
    assert result["errors"] == ["Parameter max_conections is not an available parameter for the postgres15 engine"]


def test_stock_rds_parameter_group_plans_no_change_for_a_value_the_run_then_refuses(aws, run_module, api_calls):
    from ansible_collections.amazon.aws.plugins.modules import rds_instance_param_group as stock

    assert run_module(stock, PARAMETER_GROUP).get("failed") is not True
    wanted = dict(PARAMETER_GROUP, params={"max_connections": "lots"})
    api_calls.clear()
    plan = run_module(stock, wanted, check_mode=True)
    # The plan shows nothing at all (check mode reports a parameter change as no change)...
    assert plan.get("failed") is not True and plan["changed"] is False, plan
    assert "ModifyDBParameterGroup" not in [name for name, _ in api_calls]
    run = run_module(stock, wanted)
    assert run["failed"] is True and "max_connections" in str(run)  # ...the run is refused by AWS, mid-run


# payments.infra.rds_db_instance ------------------------------------------------------------------------------------
def test_stock_rds_instance_cannot_ask_for_a_secrets_manager_managed_password(aws, run_module, api_calls):
    """amazon.aws.rds_instance has no manage_master_user_password: refused as an unsupported parameter, nothing
    created; nor does any module of either collection send ManageMasterUserPassword."""
    from ansible_collections.amazon.aws.plugins.modules import rds_instance as stock

    result = run_module(
        stock,
        {
            "db_instance_identifier": "payment-db-dev",
            "engine": "postgres",
            "db_instance_class": "db.t3.micro",
            "allocated_storage": 20,
            "username": "payments_admin",
            "manage_master_user_password": True,
        },
    )
    assert result["failed"]
    assert "manage_master_user_password" in result["msg"] and "Unsupported parameters" in result["msg"]
    assert [name for name, _ in api_calls if name == "CreateDBInstance"] == []
    assert stock_modules_calling("ManageMasterUserPassword", "manage_master_user_password") == []


def test_stock_rds_instance_creates_only_with_a_password(aws, run_module, api_calls):
    """Without master_user_password its CreateDBInstance carries neither a password nor ManageMasterUserPassword
    (AWS refuses that for PostgreSQL: "The parameter MasterUserPassword must be provided"; moto accepts it, so the
    request is what is asserted): the instance gets no managed secret."""
    from ansible_collections.amazon.aws.plugins.modules import rds_instance as stock

    result = run_module(
        stock,
        {
            "db_instance_identifier": "payment-db-dev",
            "engine": "postgres",
            "db_instance_class": "db.t3.micro",
            "allocated_storage": 20,
            "username": "payments_admin",
            "wait": False,
        },
    )
    (create,) = [params for name, params in api_calls if name == "CreateDBInstance"]
    assert "MasterUserPassword" not in create and "ManageMasterUserPassword" not in create
    assert not result.get("failed") and not result.get("master_user_secret")
