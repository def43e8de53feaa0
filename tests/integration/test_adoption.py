"""Adoption: what exists under an environment's names without our tags (made by hand, by another tool) is adopted:
tagged, converged, reported; what cannot change in place stops the run before any change."""

import pytest
from headcount import ACCOUNT
from headcount import census
from headcount import expected_counts

pytestmark = pytest.mark.integration

OUR_TAGS = {"Project": "payment-api", "Environment": "dev", "ManagedBy": "payments.infra"}


def tags_of(items):
    return {t["Key"]: t["Value"] for t in items or []}


def test_untagged_resources_under_our_names_are_adopted(clean_emulator, ansible, aws, outputs_of):
    ec2, logs, ecr, sns, s3, cloudwatch = aws("ec2"), aws("logs"), aws("ecr"), aws("sns"), aws("s3"), aws("cloudwatch")
    vpc_id = ec2.create_vpc(
        CidrBlock="10.10.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "payment-vpc-dev"}]}],
    )["Vpc"]["VpcId"]
    # A NAT gateway made by hand in the public subnet of the first zone, with its own untagged Elastic IP.
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.10.0.0/24", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"
    ]
    manual_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    manual_nat = ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=manual_eip)["NatGateway"]["NatGatewayId"]
    logs.create_log_group(logGroupName="/payment/dev/app")
    ecr.create_repository(repositoryName="payment-api")
    topic = sns.create_topic(Name="payment-alarms-dev")["TopicArn"]
    bucket = f"payment-logs-dev-{ACCOUNT}"
    s3.create_bucket(Bucket=bucket)
    # The access-log bucket by hand: SSE-KMS (which ELB access-log delivery does not support) and no policy.
    access_logs = f"payment-alb-logs-dev-{ACCOUNT}"
    s3.create_bucket(Bucket=access_logs)
    s3.put_bucket_encryption(
        Bucket=access_logs,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    cloudwatch.put_metric_alarm(  # by hand, another threshold, no tags and no action
        AlarmName="payment-dev-ecs-cpu-high",
        Namespace="AWS/ECS",
        MetricName="CPUUtilization",
        Statistic="Average",
        ComparisonOperator="GreaterThanThreshold",
        Threshold=50.0,
        Period=60,
        EvaluationPeriods=1,
    )

    run = ansible("site.yml", "dev")
    assert run.rc == 0, run.messages()
    adopted = outputs_of(run, "payments-dev")["adopted"]
    assert sorted(adopted) == sorted(
        [
            f"vpc payment-vpc-dev ({vpc_id})",
            "log_group /payment/dev/app (/payment/dev/app)",
            "ecr_repository payment-api (payment-api)",
            f"sns_topic payment-alarms-dev ({topic})",
            f"s3_bucket {bucket} ({bucket})",
            f"s3_bucket {access_logs} ({access_logs})",
            "alarm payment-dev-ecs-cpu-high (payment-dev-ecs-cpu-high)",
        ]
    )

    # The very resources, now ours: tagged, one of each, converged as if the run had made them.
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["payment-vpc-dev"]}])["Vpcs"]
    assert vpc["VpcId"] == vpc_id and OUR_TAGS.items() <= tags_of(vpc["Tags"]).items()
    group = logs.describe_log_groups(logGroupNamePrefix="/payment/dev/app")["logGroups"][0]
    assert OUR_TAGS.items() <= logs.list_tags_for_resource(resourceArn=group["arn"].rstrip(":*"))["tags"].items()
    assert group["retentionInDays"] == 14
    assert tags_of(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]).items() >= OUR_TAGS.items()
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert tags_of(s3.get_bucket_tagging(Bucket=access_logs)["TagSet"]).items() >= OUR_TAGS.items()
    sse = s3.get_bucket_encryption(Bucket=access_logs)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert f"{access_logs}/dev/AWSLogs/{ACCOUNT}/*" in s3.get_bucket_policy(Bucket=access_logs)["Policy"]
    assert tags_of(sns.list_tags_for_resource(ResourceArn=topic)["Tags"]).items() >= OUR_TAGS.items()
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["payment-dev-ecs-cpu-high"])["MetricAlarms"]
    assert alarm["Threshold"] == 90.0 and alarm["AlarmActions"] == [topic]
    assert tags_of(cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]).items() >= OUR_TAGS.items()
    repo_arn = ecr.describe_repositories(repositoryNames=["payment-api"])["repositories"][0]["repositoryArn"]
    assert tags_of(ecr.list_tags_for_resource(resourceArn=repo_arn)["tags"]).get("ManagedBy") == "payments.infra"
    # The NAT gateway by hand is the environment's one, tagged, with its Elastic IP tagged: no second of either.
    live = [{"Name": "state", "Values": ["pending", "available"]}]
    [nat] = ec2.describe_nat_gateways(Filters=live)["NatGateways"]
    assert nat["NatGatewayId"] == manual_nat and nat["SubnetId"] == subnet_id
    assert tags_of(nat["Tags"]).items() >= {**OUR_TAGS, "Name": "payment-nat-dev-us-east-1a"}.items()
    [address] = ec2.describe_addresses()["Addresses"]
    assert address["AllocationId"] == manual_eip
    assert tags_of(address["Tags"]).items() >= {**OUR_TAGS, "Name": "payment-nat-dev-us-east-1a-eip"}.items()
    counts, expected = census(aws, "dev"), expected_counts("dev")
    assert {k: (counts[k], expected[k]) for k in expected if counts[k] != expected[k]} == {}

    # Adopted once: the next run finds nothing to adopt and changes nothing.
    again = ansible("site.yml", "dev")
    assert again.rc == 0, again.messages()
    assert outputs_of(again, "payments-dev")["adopted"] == []
    assert again.changed == 0, again.changed_tasks()


def test_what_cannot_change_in_place_stops_the_run_before_any_change(clean_emulator, ansible, aws):
    vpc_id = aws("ec2").create_vpc(
        CidrBlock="10.99.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "payment-vpc-dev"}]}],
    )["Vpc"]["VpcId"]
    aws("rds").create_db_instance(
        DBInstanceIdentifier="payment-db-dev",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="not-ours-123",
    )
    seq = clean_emulator.client.last_seq()
    run = ansible("site.yml", "dev")
    assert run.rc != 0
    messages = " ".join(run.messages().split())
    assert (
        f"VPC payment-vpc-dev ({vpc_id}) exists with CIDR 10.99.0.0/16, but network_vpc_cidr is 10.10.0.0/16: "
        "a VPC's CIDR cannot change in place. To adopt this VPC, set network_vpc_cidr: 10.99.0.0/16 in "
        "group_vars/dev.yml" in messages
    ), messages
    assert "DB instance payment-db-dev exists with engine mysql" in messages
    assert "this environment runs postgres: a DB instance's engine cannot change in place" in messages
    assert "Nothing was changed." in messages
    assert clean_emulator.client.mutating_calls(since=seq) == []
