"""playbooks/verify.yml, the posture check: passes on the provisioned environments without changing
anything, and names every violation planted in them (each put back as provisioned before the test ends)."""

import pytest

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
VERIFY = "playbooks/verify.yml"
RULES = {
    "s3-no-public-access",
    "s3-encryption-at-rest",
    "s3-tls-only-policy",
    "alb-access-logs",
    "s3-access-log-delivery",
    "rds-encryption-at-rest",
    "rds-private",
    "rds-managed-secret",
    "single-internet-facing-alb",
    "internet-ingress-alb-only",
    "ecs-no-public-ip",
    "vpc-flow-logs",
    "ecr-encryption-at-rest",
    "ecr-scan-on-push",
    "subnet-routing",
    "security-group-chain",
    "service-targets",
}
SUBNETS = {"dev": 6, "staging": 6, "prod": 9}
DELETION_PROTECTION_RULES = {"rds-deletion-protection", "alb-deletion-protection"}
ENVIRONMENTS = ["dev", "staging", "prod"]
SSH_FROM_ANYWHERE = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def rules_checked(run, host):
    """{rule: [ok, ...]} of the summary table the run printed for one host."""
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            result = task.get("hosts", {}).get(host)
            if task["task"]["name"].endswith("Show the rules checked") and result:
                table = {}
                for line in result["msg"][1:]:
                    rule, *_, ok = line.split()
                    table.setdefault(rule, []).append(ok == "True")
                return table
    raise AssertionError(f"no summary table printed for {host}")


def test_provisioned_environments_pass_read_only(provisioned, emulator, ansible):
    """One run for the three environments, prod with deletion protection required (group_vars/prod.yml)."""
    seq = emulator.client.last_seq()
    run = ansible(VERIFY, ENVIRONMENTS)
    assert run.rc == 0, run.messages()
    assert run.changed == 0, run.changed_tasks()
    assert emulator.client.mutating_calls(since=seq) == []
    for env_name in ENVIRONMENTS:
        table = rules_checked(run, f"payments-{env_name}")
        expected = RULES | (DELETION_PROTECTION_RULES if env_name == "prod" else set())
        assert set(table) == expected
        assert all(all(oks) for oks in table.values())
        # The ALB, app and db security groups (and the VPC's default one).
        assert len(table["internet-ingress-alb-only"]) >= 3
        # Connectivity: every subnet routed as its tier, each link of the security-group chain.
        assert len(table["subnet-routing"]) == SUBNETS[env_name]
        assert len(table["security-group-chain"]) == 5
        # The service's running tasks, healthy targets of its one target group.
        assert len(table["service-targets"]) == 1
        # The transaction-log bucket and the access-log bucket, each hardened.
        assert len(table["s3-encryption-at-rest"]) == len(table["s3-tls-only-policy"]) == 2


def test_broken_connectivity_is_named(provisioned, emulator, ansible, aws):
    """A private subnet fallen back to the main route table (what a tag change once did) and a database group
    that no longer lets the tasks in: each named, nothing changed; both put back as provisioned."""
    ec2 = aws("ec2")

    def one(items):
        (item,) = items
        return item

    subnet = one(
        ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["payment-private-dev-us-east-1a"]}])["Subnets"]
    )
    table = one(
        ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}])[
            "RouteTables"
        ]
    )
    association = one(a for a in table["Associations"] if a.get("SubnetId") == subnet["SubnetId"])
    groups = {
        g["GroupName"]: g
        for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}])[
            "SecurityGroups"
        ]
    }
    db_rule = one(p for p in groups["payment-db-sg-dev"]["IpPermissions"] if p.get("FromPort") == 5432)
    ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    ec2.revoke_security_group_ingress(GroupId=groups["payment-db-sg-dev"]["GroupId"], IpPermissions=[db_rule])
    try:
        seq = emulator.client.last_seq()
        run = ansible(VERIFY, "dev")
        assert emulator.client.mutating_calls(since=seq) == []
    finally:
        ec2.associate_route_table(RouteTableId=table["RouteTableId"], SubnetId=subnet["SubnetId"])
        ec2.authorize_security_group_ingress(GroupId=groups["payment-db-sg-dev"]["GroupId"], IpPermissions=[db_rule])
    assert run.rc != 0
    messages = run.messages()
    assert "2 posture violation(s) in environment dev" in messages
    assert (
        "[subnet-routing] subnet payment-private-dev-us-east-1a (private): found no route table of its own"
    ) in messages
    assert "[security-group-chain] sg payment-db-sg-dev: found 5432 from payment-app-sg-dev: False" in messages
    assert ansible(VERIFY, "dev").rc == 0  # put back as provisioned


def test_unhealthy_service_targets_are_named(provisioned, emulator, ansible, aws):
    """The target group's health checks sent to a port the container does not listen on: the service's task is
    still registered, but unhealthy (Target.FailedHealthChecks), and the rule names it; put back as provisioned."""
    elbv2 = aws("elbv2")
    group = elbv2.describe_target_groups(Names=["payment-tg-dev"])["TargetGroups"][0]
    assert group["HealthCheckPort"] == "traffic-port"
    try:
        elbv2.modify_target_group(TargetGroupArn=group["TargetGroupArn"], HealthCheckPort="9999")
        seq = emulator.client.last_seq()
        run = ansible(VERIFY, "dev")
        assert emulator.client.mutating_calls(since=seq) == []
    finally:
        elbv2.modify_target_group(TargetGroupArn=group["TargetGroupArn"], HealthCheckPort="traffic-port")
    assert run.rc != 0
    messages = run.messages()
    assert "1 posture violation(s) in environment dev" in messages
    assert (
        "[service-targets] target group payment-tg-dev (ecs service payment-cluster-dev/payment-api-dev): "
        "found 0 healthy of 1 target(s) ['10.10."
    ) in messages
    assert ":8080 unhealthy (Target.FailedHealthChecks)']; the service runs 1 task(s); expected 1 healthy" in messages
    assert elbv2.describe_target_groups(Names=["payment-tg-dev"])["TargetGroups"][0] == group
    assert ansible(VERIFY, "dev").rc == 0  # put back as provisioned


def test_planted_violations_are_each_named(provisioned, emulator, ansible, aws):
    ec2, s3 = aws("ec2"), aws("s3")
    bucket = f"payment-logs-dev-{ACCOUNT}"
    app_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["payment-app-sg-dev"]}])[
        "SecurityGroups"
    ][0]["GroupId"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    # The load balancer's access logs switched off, and its bucket encrypted with KMS (ELB cannot deliver there).
    elbv2, access_logs = aws("elbv2"), f"payment-alb-logs-dev-{ACCOUNT}"
    alb = elbv2.describe_load_balancers(Names=["payment-alb-dev"])["LoadBalancers"][0]["LoadBalancerArn"]
    sse = s3.get_bucket_encryption(Bucket=access_logs)["ServerSideEncryptionConfiguration"]
    logs_on = [{"Key": "access_logs.s3.enabled", "Value": "true"}]
    try:
        ec2.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=SSH_FROM_ANYWHERE)
        s3.delete_public_access_block(Bucket=bucket)
        s3.delete_bucket_policy(Bucket=bucket)
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=alb, Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}]
        )
        s3.put_bucket_encryption(
            Bucket=access_logs,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
            },
        )
        seq = emulator.client.last_seq()
        run = ansible(VERIFY, "dev")
        assert emulator.client.mutating_calls(since=seq) == []
    finally:
        ec2.revoke_security_group_ingress(GroupId=app_sg, IpPermissions=SSH_FROM_ANYWHERE)
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
        s3.put_bucket_encryption(Bucket=access_logs, ServerSideEncryptionConfiguration=sse)
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=alb, Attributes=logs_on)
    assert run.rc != 0
    messages = run.messages()
    assert "5 posture violation(s) in environment dev" in messages
    assert (
        "[alb-access-logs] load balancer payment-alb-dev: found access_logs.s3.enabled=false, "
        f"bucket {access_logs}, prefix dev; expected access_logs.s3.enabled=true, bucket {access_logs}, prefix dev"
    ) in " ".join(messages.split())
    assert (
        f"[s3-encryption-at-rest] bucket {access_logs}: found default encryption ['aws:kms']; "
        "expected default encryption AES256" in " ".join(messages.split())
    )
    assert (
        f"[internet-ingress-alb-only] security group payment-app-sg-dev ({app_sg}): "
        "found internet ingress ['tcp 22-22 from 0.0.0.0/0']"
    ) in messages
    assert f"[s3-no-public-access] bucket {bucket}: found no public access block; expected all four" in messages
    assert f"[s3-tls-only-policy] bucket {bucket}: found " in messages
    # Put back exactly as provisioned.
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == block
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    rules = ec2.describe_security_groups(GroupIds=[app_sg])["SecurityGroups"][0]["IpPermissions"]
    assert not any(r.get("FromPort") == 22 for r in rules)


def test_prod_database_without_deletion_protection_is_reported(provisioned, ansible, aws):
    rds = aws("rds")
    assert rds.describe_db_instances(DBInstanceIdentifier="payment-db-prod")["DBInstances"][0]["DeletionProtection"]
    try:
        rds.modify_db_instance(DBInstanceIdentifier="payment-db-prod", DeletionProtection=False, ApplyImmediately=True)
        # In --check too: the role only reads.
        run = ansible(VERIFY, "prod", check=True)
    finally:
        rds.modify_db_instance(DBInstanceIdentifier="payment-db-prod", DeletionProtection=True, ApplyImmediately=True)
    assert run.rc != 0
    assert (
        "[rds-deletion-protection] db instance payment-db-prod: found DeletionProtection=false; "
        "expected DeletionProtection=true"
    ) in run.messages()
    assert "1 posture violation(s) in environment prod" in run.messages()
    assert rds.describe_db_instances(DBInstanceIdentifier="payment-db-prod")["DBInstances"][0]["DeletionProtection"]
