"""payments.infra.ec2_vpc_flow_log against moto in-process."""

import boto3
import pytest

from ansible_collections.payments.infra.plugins.modules import ec2_vpc_flow_log

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/payments-dev-flow-logs"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/payments-dev-flow-logs-v2"
GROUP = "/payments/dev/vpc-flow-logs"
GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{GROUP}"
BUCKET = "payments-dev-flow-logs"
WRITE_OPS = {"CreateFlowLogs", "DeleteFlowLogs", "CreateTags", "DeleteTags"}
CUSTOM_FORMAT = "${version} ${vpc-id} ${subnet-id} ${srcaddr} ${dstaddr} ${action}"


def ops(calls):
    return [name for name, _ in calls]


def writes(calls):
    return [name for name in ops(calls) if name in WRITE_OPS]


@pytest.fixture
def vpc(ec2_client):
    vpc_id = ec2_client.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName=GROUP)
    return vpc_id


@pytest.fixture
def bucket(aws):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    return f"arn:aws:s3:::{BUCKET}"


def args(resource_id, **extra):
    base = {
        "resource_id": resource_id,
        "log_group_name": GROUP,
        "deliver_logs_permission_arn": ROLE,
        "tags": {"Environment": "dev"},
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def flow_logs(ec2, resource_id):
    return ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [resource_id]}])["FlowLogs"]


def tags_of(flow_log):
    return {t["Key"]: t["Value"] for t in flow_log.get("Tags", [])}


# ---------------------------------------------------------------------------------------------
# create / idempotence
# ---------------------------------------------------------------------------------------------
def test_create_cloudwatch(run_module, ec2_client, vpc, api_calls):
    result = run_module(ec2_vpc_flow_log, args(vpc, max_aggregation_interval=60))
    assert result["changed"] is True, result
    fl = result["flow_log"]
    assert fl["flow_log_id"].startswith("fl-")
    assert fl["resource_id"] == vpc
    assert fl["traffic_type"] == "ALL"
    assert fl["log_destination_type"] == "cloud-watch-logs"
    assert fl["log_group_name"] == GROUP
    assert fl["deliver_logs_permission_arn"] == ROLE
    assert fl["max_aggregation_interval"] == 60
    assert fl["log_format"] == ec2_vpc_flow_log.DEFAULT_LOG_FORMAT
    assert fl["flow_log_status"] == "ACTIVE"
    assert fl["tags"] == {"Environment": "dev"}
    assert result["duplicates_removed"] == []

    live = flow_logs(ec2_client, vpc)
    assert [f["FlowLogId"] for f in live] == [fl["flow_log_id"]]
    assert tags_of(live[0]) == {"Environment": "dev"}

    # Tags go with the create (kill-safe), with a deterministic client token; no separate CreateTags.
    assert writes(api_calls) == ["CreateFlowLogs"]
    create = next(p for name, p in api_calls if name == "CreateFlowLogs")
    assert create["TagSpecifications"] == [
        {"ResourceType": "vpc-flow-log", "Tags": [{"Key": "Environment", "Value": "dev"}]}
    ]
    assert create["ClientToken"].startswith("payments-") and len(create["ClientToken"]) <= 64
    assert create["LogGroupName"] == GROUP and "LogDestination" not in create


def test_rerun_is_unchanged_and_writes_nothing(run_module, ec2_client, vpc, api_calls):
    first = run_module(ec2_vpc_flow_log, args(vpc))
    api_calls.clear()
    second = run_module(ec2_vpc_flow_log, args(vpc))
    assert second["changed"] is False, second
    assert second["flow_log"]["flow_log_id"] == first["flow_log"]["flow_log_id"]
    assert writes(api_calls) == []
    assert len(flow_logs(ec2_client, vpc)) == 1


def test_log_group_arn_and_name_are_the_same_destination(run_module, ec2_client, vpc):
    first = run_module(ec2_vpc_flow_log, args(vpc))
    again = run_module(ec2_vpc_flow_log, args(vpc, log_group_name=None, log_destination=GROUP_ARN))
    assert again["changed"] is False, again
    assert again["flow_log"]["flow_log_id"] == first["flow_log"]["flow_log_id"]
    # The ARN form with the ":*" suffix AWS shows in the console is the same group too.
    again = run_module(ec2_vpc_flow_log, args(vpc, log_group_name=None, log_destination=GROUP_ARN + ":*"))
    assert again["changed"] is False, again


def test_another_destination_is_another_flow_log(run_module, ec2_client, vpc, bucket):
    run_module(ec2_vpc_flow_log, args(vpc))
    reject = run_module(
        ec2_vpc_flow_log,
        args(
            vpc,
            traffic_type="REJECT",
            log_destination_type="s3",
            log_destination=bucket,
            log_group_name=None,
            deliver_logs_permission_arn=None,
        ),
    )
    assert reject["changed"] is True
    assert len(flow_logs(ec2_client, vpc)) == 2


def test_absent_deletes_the_flow_log_of_the_destination_whatever_its_traffic_type(run_module, ec2_client, vpc):
    run_module(ec2_vpc_flow_log, args(vpc))
    gone = run_module(ec2_vpc_flow_log, args(vpc, traffic_type="REJECT", state="absent"))
    assert gone["changed"] is True
    assert flow_logs(ec2_client, vpc) == []


def test_create_s3_subnet(run_module, ec2_client, vpc, bucket, api_calls):
    subnet = ec2_client.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    params = args(
        subnet,
        resource_type="Subnet",
        traffic_type="REJECT",
        log_destination_type="s3",
        log_destination=bucket,
        log_group_name=None,
        deliver_logs_permission_arn=None,
        log_format=CUSTOM_FORMAT,
    )
    result = run_module(ec2_vpc_flow_log, params)
    assert result["changed"] is True, result
    fl = result["flow_log"]
    assert (fl["resource_id"], fl["traffic_type"], fl["log_destination_type"]) == (subnet, "REJECT", "s3")
    assert fl["log_destination"] == bucket and fl["log_format"] == CUSTOM_FORMAT
    assert fl["deliver_logs_permission_arn"] is None
    create = next(p for name, p in api_calls if name == "CreateFlowLogs")
    assert create["ResourceType"] == "Subnet" and "DeliverLogsPermissionArn" not in create

    assert run_module(ec2_vpc_flow_log, params)["changed"] is False


def test_create_firehose_network_interface(run_module, ec2_client, vpc):
    subnet = ec2_client.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24")["Subnet"]["SubnetId"]
    eni = ec2_client.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    stream = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/payments-flow-logs"
    params = args(
        eni,
        resource_type="NetworkInterface",
        log_destination_type="kinesis-data-firehose",
        log_destination=stream,
        log_group_name=None,
        deliver_logs_permission_arn=None,
    )
    result = run_module(ec2_vpc_flow_log, params)
    assert result["changed"] is True, result
    assert result["flow_log"]["log_destination"] == stream
    assert run_module(ec2_vpc_flow_log, params)["changed"] is False


# ---------------------------------------------------------------------------------------------
# check mode and diff
# ---------------------------------------------------------------------------------------------
def test_check_mode_create_calls_no_write_api(run_module, ec2_client, vpc, api_calls):
    result = run_module(ec2_vpc_flow_log, args(vpc), check_mode=True, diff=True)
    assert result["changed"] is True, result
    assert writes(api_calls) == []
    assert flow_logs(ec2_client, vpc) == []
    planned = result["flow_log"]
    assert planned["flow_log_id"] is None
    assert planned["log_group_name"] == GROUP and planned["tags"] == {"Environment": "dev"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["resource_id"] == vpc


def test_diff_on_create(run_module, vpc):
    result = run_module(ec2_vpc_flow_log, args(vpc), diff=True)
    diff = result["diff"]
    assert diff["before"] == {}
    after = diff["after"]
    assert after["flow_log_id"] == result["flow_log"]["flow_log_id"]
    assert after["resource_id"] == vpc
    assert after["traffic_type"] == "ALL"
    assert after["log_destination_type"] == "cloud-watch-logs"
    assert after["log_group_name"] == GROUP
    assert after["deliver_logs_permission_arn"] == ROLE
    assert after["max_aggregation_interval"] == 600
    assert after["tags"] == {"Environment": "dev"}
    # Status fields are not configuration: they stay out of the diff.
    assert "flow_log_status" not in after


def test_no_diff_without_diff_mode(run_module, vpc):
    assert "diff" not in run_module(ec2_vpc_flow_log, args(vpc))


def test_unchanged_diff_is_equal(run_module, vpc):
    run_module(ec2_vpc_flow_log, args(vpc))
    result = run_module(ec2_vpc_flow_log, args(vpc), diff=True)
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


# ---------------------------------------------------------------------------------------------
# tags
# ---------------------------------------------------------------------------------------------
def test_tags_add_purge_and_keep(run_module, ec2_client, vpc, api_calls):
    first = run_module(ec2_vpc_flow_log, args(vpc, tags={"a": "1", "b": "2"}))
    fl_id = first["flow_log"]["flow_log_id"]

    # add
    result = run_module(ec2_vpc_flow_log, args(vpc, tags={"a": "1", "b": "2", "c": "3"}), diff=True)
    assert result["changed"] is True
    assert result["flow_log"]["tags"] == {"a": "1", "b": "2", "c": "3"}
    assert result["diff"]["before"]["tags"] == {"a": "1", "b": "2"}
    assert result["diff"]["after"]["tags"] == {"a": "1", "b": "2", "c": "3"}
    assert tags_of(flow_logs(ec2_client, vpc)[0]) == {"a": "1", "b": "2", "c": "3"}

    # purge (default): only what is asked stays; values are updated in place
    api_calls.clear()
    result = run_module(ec2_vpc_flow_log, args(vpc, tags={"a": "9"}))
    assert result["changed"] is True
    assert result["flow_log"]["tags"] == {"a": "9"}
    assert tags_of(flow_logs(ec2_client, vpc)[0]) == {"a": "9"}
    assert sorted(writes(api_calls)) == ["CreateTags", "DeleteTags"]

    # purge_tags=false: existing tags stay
    result = run_module(ec2_vpc_flow_log, args(vpc, tags={"d": "4"}, purge_tags=False))
    assert result["changed"] is True
    assert tags_of(flow_logs(ec2_client, vpc)[0]) == {"a": "9", "d": "4"}
    assert run_module(ec2_vpc_flow_log, args(vpc, tags={"d": "4"}, purge_tags=False))["changed"] is False

    # tags omitted: left alone
    assert run_module(ec2_vpc_flow_log, args(vpc, tags=None))["changed"] is False

    # tags={} with purge: all removed
    result = run_module(ec2_vpc_flow_log, args(vpc, tags={}))
    assert result["changed"] is True
    assert tags_of(flow_logs(ec2_client, vpc)[0]) == {}

    # never replaced for a tag change
    assert flow_logs(ec2_client, vpc)[0]["FlowLogId"] == fl_id


def test_tag_change_in_check_mode_writes_nothing(run_module, ec2_client, vpc, api_calls):
    run_module(ec2_vpc_flow_log, args(vpc))
    api_calls.clear()
    result = run_module(ec2_vpc_flow_log, args(vpc, tags={"Owner": "payments"}), check_mode=True)
    assert result["changed"] is True
    assert result["flow_log"]["tags"] == {"Owner": "payments"}
    assert writes(api_calls) == []
    assert tags_of(flow_logs(ec2_client, vpc)[0]) == {"Environment": "dev"}


# ---------------------------------------------------------------------------------------------
# replacement of immutable attributes
# ---------------------------------------------------------------------------------------------
def test_replace_when_log_format_changes(run_module, ec2_client, vpc, api_calls):
    first = run_module(ec2_vpc_flow_log, args(vpc, tags={"keep": "me"}))
    old_id = first["flow_log"]["flow_log_id"]

    # check mode: reported, nothing written
    api_calls.clear()
    checked = run_module(ec2_vpc_flow_log, args(vpc, log_format=CUSTOM_FORMAT, tags=None), check_mode=True, diff=True)
    assert checked["changed"] is True
    assert writes(api_calls) == []
    assert [f["FlowLogId"] for f in flow_logs(ec2_client, vpc)] == [old_id]
    assert checked["diff"]["before"]["flow_log_id"] == old_id
    assert checked["diff"]["after"]["flow_log_id"] is None
    assert checked["diff"]["after"]["log_format"] == CUSTOM_FORMAT

    api_calls.clear()
    result = run_module(ec2_vpc_flow_log, args(vpc, log_format=CUSTOM_FORMAT, tags=None), diff=True)
    assert result["changed"] is True, result
    new_id = result["flow_log"]["flow_log_id"]
    assert new_id != old_id
    assert writes(api_calls) == ["DeleteFlowLogs", "CreateFlowLogs"]
    live = flow_logs(ec2_client, vpc)
    assert [f["FlowLogId"] for f in live] == [new_id]
    assert live[0]["LogFormat"] == CUSTOM_FORMAT
    # tags were not managed (tags omitted): carried over to the replacement
    assert tags_of(live[0]) == {"keep": "me"}
    diff = result["diff"]
    assert diff["before"]["flow_log_id"] == old_id and diff["after"]["flow_log_id"] == new_id
    assert diff["before"]["log_format"] == ec2_vpc_flow_log.DEFAULT_LOG_FORMAT
    assert diff["after"]["log_format"] == CUSTOM_FORMAT

    # converged
    assert run_module(ec2_vpc_flow_log, args(vpc, log_format=CUSTOM_FORMAT, tags=None))["changed"] is False
    # log_format omitted: the custom format is not compared, so not reverted
    assert run_module(ec2_vpc_flow_log, args(vpc, tags=None))["changed"] is False


@pytest.mark.parametrize(
    "change",
    [{"max_aggregation_interval": 60}, {"deliver_logs_permission_arn": OTHER_ROLE}, {"traffic_type": "REJECT"}],
    ids=["max_aggregation_interval", "deliver_logs_permission_arn", "traffic_type"],
)
def test_replace_when_other_immutable_attribute_changes(run_module, ec2_client, vpc, change):
    first = run_module(ec2_vpc_flow_log, args(vpc, log_format=CUSTOM_FORMAT))
    result = run_module(ec2_vpc_flow_log, args(vpc, **change))
    assert result["changed"] is True
    live = flow_logs(ec2_client, vpc)
    assert len(live) == 1 and live[0]["FlowLogId"] != first["flow_log"]["flow_log_id"]
    key, value = next(iter(change.items()))
    assert result["flow_log"][key] == value
    # an unset log_format keeps the replaced flow log's format
    assert live[0]["LogFormat"] == CUSTOM_FORMAT
    assert tags_of(live[0]) == {"Environment": "dev"}
    assert run_module(ec2_vpc_flow_log, args(vpc, **change))["changed"] is False


# ---------------------------------------------------------------------------------------------
# duplicates
# ---------------------------------------------------------------------------------------------
def _make_duplicates(ec2, vpc, interval_of_second=600):
    """Plant two flow logs with one identity, as an earlier tool or a race could leave them.

    AWS (and the emulator) refuse the second create, so the second is made to another log group
    and then pointed at the first's inside moto's backend.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    first = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=GROUP,
        DeliverLogsPermissionArn=ROLE,
        MaxAggregationInterval=600,
    )["FlowLogIds"][0]
    second = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=GROUP + "-planted",
        DeliverLogsPermissionArn=ROLE,
        MaxAggregationInterval=interval_of_second,
    )["FlowLogIds"][0]
    planted = ec2_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].flow_logs[second]
    original = ec2_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].flow_logs[first]
    planted.log_group_name = original.log_group_name
    planted.log_destination = original.log_destination
    return first, second


def test_duplicates_removed(run_module, ec2_client, vpc, api_calls):
    ids = _make_duplicates(ec2_client, vpc)
    api_calls.clear()
    checked = run_module(ec2_vpc_flow_log, args(vpc, tags=None), check_mode=True, diff=True)
    assert checked["changed"] is True
    assert len(checked["duplicates_removed"]) == 1
    assert writes(api_calls) == []
    assert len(flow_logs(ec2_client, vpc)) == 2
    assert checked["diff"]["before"]["duplicate_flow_log_ids"] == checked["duplicates_removed"]
    assert "duplicate_flow_log_ids" not in checked["diff"]["after"]

    result = run_module(ec2_vpc_flow_log, args(vpc, tags=None))
    assert result["changed"] is True
    assert result["duplicates_removed"] == checked["duplicates_removed"]
    kept = result["flow_log"]["flow_log_id"]
    assert sorted([kept, *result["duplicates_removed"]]) == sorted(ids)
    assert [f["FlowLogId"] for f in flow_logs(ec2_client, vpc)] == [kept]

    again = run_module(ec2_vpc_flow_log, args(vpc, tags=None))
    assert again["changed"] is False and again["duplicates_removed"] == []


def test_duplicates_keep_the_one_needing_no_replacement(run_module, ec2_client, vpc, api_calls):
    at_600, at_60 = _make_duplicates(ec2_client, vpc, interval_of_second=60)
    api_calls.clear()
    result = run_module(ec2_vpc_flow_log, args(vpc, max_aggregation_interval=60, tags=None))
    assert result["changed"] is True
    assert result["duplicates_removed"] == [at_600]
    assert result["flow_log"]["flow_log_id"] == at_60
    assert writes(api_calls) == ["DeleteFlowLogs"]
    assert [f["FlowLogId"] for f in flow_logs(ec2_client, vpc)] == [at_60]


# ---------------------------------------------------------------------------------------------
# absent
# ---------------------------------------------------------------------------------------------
def test_absent_deletes_then_is_idempotent(run_module, ec2_client, vpc, api_calls):
    created = run_module(ec2_vpc_flow_log, args(vpc))["flow_log"]["flow_log_id"]

    api_calls.clear()
    checked = run_module(ec2_vpc_flow_log, args(vpc, state="absent"), check_mode=True, diff=True)
    assert checked["changed"] is True and checked["deleted_flow_log_ids"] == [created]
    assert writes(api_calls) == []
    assert checked["diff"]["before"]["flow_log_id"] == created and checked["diff"]["after"] == {}
    assert len(flow_logs(ec2_client, vpc)) == 1

    result = run_module(ec2_vpc_flow_log, args(vpc, state="absent"))
    assert result["changed"] is True
    assert result["deleted_flow_log_ids"] == [created]
    assert result["flow_log"] == {}
    assert flow_logs(ec2_client, vpc) == []

    api_calls.clear()
    again = run_module(ec2_vpc_flow_log, args(vpc, state="absent"))
    assert again["changed"] is False and again["deleted_flow_log_ids"] == []
    assert writes(api_calls) == []


def test_absent_needs_no_role_and_removes_duplicates(run_module, ec2_client, vpc):
    _make_duplicates(ec2_client, vpc)
    result = run_module(ec2_vpc_flow_log, args(vpc, state="absent", deliver_logs_permission_arn=None))
    assert result["changed"] is True and len(result["deleted_flow_log_ids"]) == 2
    assert flow_logs(ec2_client, vpc) == []


def test_absent_leaves_other_flow_logs_alone(run_module, ec2_client, vpc, bucket):
    run_module(ec2_vpc_flow_log, args(vpc))
    s3_params = args(
        vpc, log_destination_type="s3", log_destination=bucket, log_group_name=None, deliver_logs_permission_arn=None
    )
    s3_id = run_module(ec2_vpc_flow_log, s3_params)["flow_log"]["flow_log_id"]
    run_module(ec2_vpc_flow_log, args(vpc, state="absent"))
    assert [f["FlowLogId"] for f in flow_logs(ec2_client, vpc)] == [s3_id]


# ---------------------------------------------------------------------------------------------
# validation: before any AWS call, with a message naming the option
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "option"),
    [
        ({"deliver_logs_permission_arn": None}, "deliver_logs_permission_arn"),
        (
            {"log_destination_type": "s3", "log_destination": "arn:aws:s3:::bucket", "log_group_name": None},
            "deliver_logs_permission_arn",
        ),
        ({"log_destination": GROUP_ARN}, "log_destination"),
        ({"log_group_name": None}, "log_group_name"),
        (
            {"log_destination_type": "s3", "log_group_name": None, "deliver_logs_permission_arn": None},
            "log_destination",
        ),
        ({"log_group_name": None, "log_destination": "arn:aws:s3:::bucket"}, "log_destination"),
        ({"deliver_logs_permission_arn": "arn:aws:iam::123456789012:user/someone"}, "deliver_logs_permission_arn"),
        ({"resource_type": "Subnet"}, "resource_id"),
        ({"max_aggregation_interval": 300}, "max_aggregation_interval"),
        ({"log_format": " "}, "log_format"),
    ],
    ids=[
        "cloudwatch-without-role",
        "s3-with-role",
        "log_destination-and-log_group_name",
        "cloudwatch-without-destination",
        "s3-without-destination",
        "wrong-arn-for-destination-type",
        "role-not-a-role-arn",
        "resource_id-not-of-resource_type",
        "bad-interval",
        "empty-log_format",
    ],
)
def test_validation_fails_before_any_call(run_module, ec2_client, vpc, api_calls, overrides, option):
    api_calls.clear()
    result = run_module(ec2_vpc_flow_log, args(vpc, **overrides))
    assert result.get("failed") is True, result
    assert option in result["msg"], result["msg"]
    assert api_calls == []


def test_validation_also_in_check_mode(run_module, vpc, api_calls):
    api_calls.clear()
    result = run_module(ec2_vpc_flow_log, args(vpc, deliver_logs_permission_arn=None), check_mode=True)
    assert result.get("failed") is True and "deliver_logs_permission_arn" in result["msg"]
    assert api_calls == []


# ---------------------------------------------------------------------------------------------
# AWS failures
# ---------------------------------------------------------------------------------------------
def test_unsuccessful_create_is_a_failure(run_module, ec2_client, vpc):
    # CreateFlowLogs reports a missing bucket in "Unsuccessful" rather than raising.
    params = args(
        vpc,
        log_destination_type="s3",
        log_destination="arn:aws:s3:::no-such-bucket",
        log_group_name=None,
        deliver_logs_permission_arn=None,
    )
    result = run_module(ec2_vpc_flow_log, params)
    assert result.get("failed") is True, result
    assert "Failed to create flow logs" in result["msg"] and "no-such-bucket" in result["msg"]
    assert flow_logs(ec2_client, vpc) == []


def test_missing_vpc_fails_with_the_aws_error(run_module, vpc):
    result = run_module(ec2_vpc_flow_log, args("vpc-0123456789abcdef0"))
    assert result.get("failed") is True, result
    assert result["msg"].startswith("Failed to create flow logs")
    assert result["error"]["code"] == "InvalidVpcID.NotFound"


def test_stale_client_token_is_salted_and_retried(run_module, ec2_client, vpc, monkeypatch, api_calls):
    """A token reused after its flow log was deleted may make AWS answer with the deleted ID;
    the module notices the ID is not there and creates again with a salted token."""
    real_create = ec2_vpc_flow_log.create_flow_logs
    tokens = []

    def create(client, **params):
        tokens.append(params["ClientToken"])
        if len(tokens) == 1:
            return ["fl-0000000000deleted"]
        return real_create(client, **params)

    monkeypatch.setattr(ec2_vpc_flow_log, "create_flow_logs", create)
    monkeypatch.setattr(ec2_vpc_flow_log, "FETCH_DELAY", 0)
    result = run_module(ec2_vpc_flow_log, args(vpc))
    assert result["changed"] is True, result
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert [f["FlowLogId"] for f in flow_logs(ec2_client, vpc)] == [result["flow_log"]["flow_log_id"]]


def test_client_token_is_deterministic(run_module, vpc, api_calls, ec2_client):
    first = run_module(ec2_vpc_flow_log, args(vpc))["flow_log"]["flow_log_id"]
    run_module(ec2_vpc_flow_log, args(vpc, state="absent"))
    again = run_module(ec2_vpc_flow_log, args(vpc))["flow_log"]["flow_log_id"]
    tokens = [p["ClientToken"] for name, p in api_calls if name == "CreateFlowLogs"]
    # The recreate sends the same token; AWS (and the emulator's fidelity layer) answers with the
    # deleted flow log's id, so the module retries once with a token salted by that id.
    assert len(tokens) == 3 and tokens[0] == tokens[1] != tokens[2]
    assert again != first
    assert [f["FlowLogId"] for f in flow_logs(ec2_client, vpc)] == [again]


def test_the_create_request_is_the_same_whatever_the_order_of_the_tags():
    params = {
        "resource_id": "vpc-1",
        "resource_type": "VPC",
        "traffic_type": "ALL",
        "log_destination_type": "cloud-watch-logs",
        "max_aggregation_interval": 600,
        "log_group_name": "/payment/dev/vpc-flow-logs",
        "log_destination": None,
        "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/r",
        "log_format": None,
    }
    one = ec2_vpc_flow_log.build_create_request(params, None, {"b": "2", "a": "1"})
    other = ec2_vpc_flow_log.build_create_request(params, None, {"a": "1", "b": "2"})
    assert one == other
