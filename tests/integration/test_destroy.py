"""playbooks/destroy.yml: one environment torn down in dependency order, on an empty emulator each
(never the shared provisioned one), read back from the emulator."""

import pytest

pytestmark = pytest.mark.integration

DESTROY = "playbooks/destroy.yml"
ACCOUNT = "123456789012"
ACM_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


def tags_of(items):
    return {t["Key"]: t["Value"] for t in items or []}


def leftovers(aws, env_name):
    """Everything of the environment that is still there (empty once it is torn down)."""
    found = {}
    ec2 = aws("ec2")
    by_env = [{"Name": "tag:Environment", "Values": [env_name]}]
    found["vpcs"] = [v["VpcId"] for v in ec2.describe_vpcs(Filters=by_env)["Vpcs"]]
    found["subnets"] = [s["SubnetId"] for s in ec2.describe_subnets(Filters=by_env)["Subnets"]]
    found["nat_gateways"] = [
        n["NatGatewayId"]
        for n in ec2.describe_nat_gateways(Filters=by_env)["NatGateways"]
        if n["State"] in ("pending", "available")
    ]
    found["eips"] = [a["AllocationId"] for a in ec2.describe_addresses(Filters=by_env)["Addresses"]]
    found["security_groups"] = [
        g["GroupId"]
        for g in ec2.describe_security_groups(Filters=by_env)["SecurityGroups"]
        if g["GroupName"] != "default"
    ]
    found["internet_gateways"] = [
        i["InternetGatewayId"] for i in ec2.describe_internet_gateways(Filters=by_env)["InternetGateways"]
    ]
    found["route_tables"] = [
        r["RouteTableId"]
        for r in ec2.describe_route_tables(Filters=by_env)["RouteTables"]
        if not any(a.get("Main") for a in r.get("Associations", []))
    ]
    found["flow_logs"] = [f["FlowLogId"] for f in ec2.describe_flow_logs(Filters=by_env)["FlowLogs"]]

    elbv2 = aws("elbv2")
    arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    arns += [tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    found["elbv2"] = [
        d["ResourceArn"]
        for d in (elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"] if arns else [])
        if tags_of(d["Tags"]).get("Environment") == env_name
    ]

    ecs = aws("ecs")
    clusters = ecs.describe_clusters(clusters=[f"payment-cluster-{env_name}"])["clusters"]
    found["ecs_clusters"] = [c["clusterName"] for c in clusters if c["status"] == "ACTIVE"]
    found["ecs_services"] = [
        s["serviceName"]
        for c in clusters
        for s in ecs.describe_services(cluster=c["clusterArn"], services=[f"payment-api-{env_name}"])["services"]
        if s["status"] != "INACTIVE"
    ]
    found["task_definitions"] = ecs.list_task_definitions(familyPrefix=f"payment-api-{env_name}", status="ACTIVE")[
        "taskDefinitionArns"
    ]

    rds = aws("rds")
    found["db_instances"] = [
        d["DBInstanceIdentifier"]
        for d in rds.describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"] == f"payment-db-{env_name}"
    ]
    found["db_parameter_groups"] = [
        g["DBParameterGroupName"]
        for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
        if g["DBParameterGroupName"] == f"payment-db-params-{env_name}"
    ]
    found["db_subnet_groups"] = [
        g["DBSubnetGroupName"]
        for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
        if g["DBSubnetGroupName"] == f"payment-db-subnets-{env_name}"
    ]

    found["iam_roles"] = [
        r["RoleName"]
        for r in aws("iam").list_roles()["Roles"]
        if r["RoleName"].startswith("payment-") and r["RoleName"].endswith(f"-{env_name}")
    ]
    found["log_groups"] = [
        g["logGroupName"]
        for g in aws("logs").describe_log_groups(logGroupNamePrefix=f"/payment/{env_name}/")["logGroups"]
    ]
    found["sns_topics"] = [
        t["TopicArn"]
        for t in aws("sns").list_topics()["Topics"]
        if t["TopicArn"].endswith(f":payment-alarms-{env_name}")
    ]
    found["alarms"] = [
        a["AlarmName"]
        for a in aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"payment-{env_name}-")["MetricAlarms"]
    ]
    acm = aws("acm")
    found["certificates"] = [
        c["CertificateArn"]
        for c in acm.list_certificates(Includes={"keyTypes": ACM_KEY_TYPES})["CertificateSummaryList"]
        if tags_of(acm.list_tags_for_certificate(CertificateArn=c["CertificateArn"])["Tags"]).get("Environment")
        == env_name
    ]
    return {kind: items for kind, items in found.items() if items}


def buckets(aws):
    return [b["Name"] for b in aws("s3").list_buckets()["Buckets"]]


def repositories(aws):
    return [r["repositoryName"] for r in aws("ecr").describe_repositories()["repositories"]]


def final_snapshots(aws, env_name):
    """Snapshots of the environment's database other than RDS's automated ones (rds:...)."""
    snapshots = aws("rds").describe_db_snapshots(DBInstanceIdentifier=f"payment-db-{env_name}")["DBSnapshots"]
    return [s["DBSnapshotIdentifier"] for s in snapshots if not s["DBSnapshotIdentifier"].startswith("rds:")]


def test_dev_destroyed_in_order_and_a_second_destroy_changes_nothing(clean_emulator, ansible, aws):
    site = ansible("site.yml", "dev")
    assert site.rc == 0, site.messages()
    assert leftovers(aws, "dev")  # the read-back finds what site.yml made

    first = ansible(DESTROY, "dev")
    assert first.rc == 0, first.messages()
    assert leftovers(aws, "dev") == {}
    assert repositories(aws) == ["payment-api"]  # shared: kept
    assert f"payment-logs-dev-{ACCOUNT}" not in buckets(aws)  # empty: deleted
    assert final_snapshots(aws, "dev") == []  # rds_final_snapshot: false

    seq = clean_emulator.client.last_seq()
    second = ansible(DESTROY, "dev")
    assert second.rc == 0, second.messages()
    assert second.changed == 0, second.changed_tasks()
    assert clean_emulator.client.mutating_calls(since=seq) == []


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

    # A payment record in the bucket, written through its TLS-only policy (the emulator's requests stand for
    # requests over TLS, as the modules' are on AWS).
    s3 = aws("s3")
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
