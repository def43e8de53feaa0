"""Counting what an account holds, for the kill-safety and fault-injection tests: every resource of the
types the project makes, tagged or not (an orphan a killed run left has no tag to find it by), and the count
one environment should have, from its group_vars. Both read the emulator's API, never the playbooks' output.
"""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
ACM_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


def group_vars(env_name):
    return yaml.safe_load((ROOT / "group_vars" / f"{env_name}.yml").read_text())


def expected_counts(env_name, shared_with=0):
    """What one environment, alone in the account, consists of (the lock bucket and ECR repository shared).

    ``shared_with``: how many other environments share the account (their resources are counted apart by tag).
    """
    gv = group_vars(env_name)
    azs = int(gv["network_az_count"])
    nats = {"single": 1, "one_per_az": azs, "none": 0}[gv["network_nat_gateway_strategy"]]
    private_route_tables = {"single": 1, "one_per_az": azs, "none": 1}[gv["network_nat_gateway_strategy"]]
    return {
        "vpcs": 1,
        "subnets": 3 * azs,  # public, private and database subnets in each AZ
        "internet_gateways": 1,
        "nat_gateways": nats,
        "elastic_ips": nats,
        "route_tables": 1 + 1 + private_route_tables + 1,  # main, public, private, database
        "security_groups": 4,  # default, alb, app, db
        "flow_logs": 1,
        "load_balancers": 1,
        "listeners": 2,  # 80 (redirect) and 443
        "target_groups": 1,
        "db_instances": 1,
        "db_parameter_groups": 1,
        "db_subnet_groups": 1,
        "secrets": 1,  # the DB password, managed by RDS in Secrets Manager
        "ecs_clusters": 1,
        "ecs_services": 1,
        "task_definition_revisions": 1,  # ACTIVE revisions of the family
        "scalable_targets": 1,
        "scaling_policies": 1,
        "certificates": 1 if not gv.get("payments_certificate_arn") else 0,
        "log_groups": 2,  # the app's and the VPC flow logs'
        "sns_topics": 1,
        "alarms": 9,  # the observability role's (target tracking's own alarms are counted apart)
        "iam_roles": 3,  # flow logs, task execution, task
        # the transaction-log bucket and the load balancer's access-log bucket (the lock bucket and ECR repository
        # are shared)
        "buckets": 2,
        "run_locks": 0,  # released at the end of the run
    }


def _tags(items):
    return {t["Key"]: t["Value"] for t in items or []}


def census(aws, env_name):
    """How many of each thing the account holds for ``env_name``: EC2 resources by their VPC (tagged or not),
    the others by name (the names the project gives, tagged or not), so an untagged duplicate is counted."""
    counts = {}
    ec2 = aws("ec2")
    vpcs = [
        v
        for v in ec2.describe_vpcs()["Vpcs"]
        if not v.get("IsDefault") and _tags(v.get("Tags")).get("Name") in (f"payment-vpc-{env_name}", None)
    ]
    counts["vpcs"] = len(vpcs)
    in_vpcs = [{"Name": "vpc-id", "Values": [v["VpcId"] for v in vpcs] or ["none"]}]
    counts["subnets"] = len(ec2.describe_subnets(Filters=in_vpcs)["Subnets"])
    # Every gateway, attached or not: one a killed run created but never attached is an orphan of this VPC.
    igws = ec2.describe_internet_gateways()["InternetGateways"]
    counts["internet_gateways"] = len(
        [
            i
            for i in igws
            if any(a["VpcId"] in in_vpcs[0]["Values"] for a in i.get("Attachments", []))
            or _tags(i.get("Tags")).get("Environment") == env_name
            or not i.get("Attachments")
        ]
    )
    counts["nat_gateways"] = len(
        [
            n
            for n in ec2.describe_nat_gateways()["NatGateways"]
            if n["State"] in ("pending", "available") and n["VpcId"] in in_vpcs[0]["Values"]
        ]
    )
    counts["elastic_ips"] = len(
        [
            a
            for a in ec2.describe_addresses()["Addresses"]
            if _tags(a.get("Tags")).get("Environment") in (env_name, None)
        ]
    )
    counts["route_tables"] = len(ec2.describe_route_tables(Filters=in_vpcs)["RouteTables"])
    counts["security_groups"] = len(ec2.describe_security_groups(Filters=in_vpcs)["SecurityGroups"])
    counts["flow_logs"] = len(
        [f for f in ec2.describe_flow_logs()["FlowLogs"] if f["ResourceId"] in in_vpcs[0]["Values"]]
    )

    elbv2 = aws("elbv2")
    lbs = [lb for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"].endswith(env_name)]
    counts["load_balancers"] = len(lbs)
    counts["listeners"] = sum(
        len(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]) for lb in lbs
    )
    counts["target_groups"] = len(
        [t for t in elbv2.describe_target_groups()["TargetGroups"] if t["TargetGroupName"].endswith(env_name)]
    )

    rds = aws("rds")
    counts["db_instances"] = len(
        [d for d in rds.describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"].endswith(env_name)]
    )
    counts["db_parameter_groups"] = len(
        [
            p
            for p in rds.describe_db_parameter_groups()["DBParameterGroups"]
            if not p["DBParameterGroupName"].startswith("default.") and p["DBParameterGroupName"].endswith(env_name)
        ]
    )
    counts["db_subnet_groups"] = len(
        [g for g in rds.describe_db_subnet_groups()["DBSubnetGroups"] if g["DBSubnetGroupName"].endswith(env_name)]
    )
    # The DB password: the secret RDS manages for the instance (tagged with its ARN), plus any secret named for
    # the environment, plus any RDS-managed secret whose instance is gone (left by a deleted duplicate).
    db_arns = {d["DBInstanceArn"] for d in rds.describe_db_instances()["DBInstances"]}
    ours = 0
    for secret in aws("secretsmanager").list_secrets()["SecretList"]:
        owner = _tags(secret.get("Tags")).get("aws:rds:primaryDBInstanceArn", "")
        if owner.endswith(f":db:payment-db-{env_name}") or env_name in secret["Name"]:
            ours += 1
        elif secret["Name"].startswith("rds!") and owner not in db_arns:
            ours += 1
    counts["secrets"] = ours

    ecs = aws("ecs")
    clusters = [
        c
        for c in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"] or ["none"])["clusters"]
        if c["status"] == "ACTIVE" and c["clusterName"].endswith(env_name)
    ]
    counts["ecs_clusters"] = len(clusters)
    counts["ecs_services"] = sum(
        len([s for s in ecs.list_services(cluster=c["clusterArn"])["serviceArns"]]) for c in clusters
    )
    counts["task_definition_revisions"] = len(
        ecs.list_task_definitions(familyPrefix=f"payment-api-{env_name}", status="ACTIVE")["taskDefinitionArns"]
    )
    scaling = aws("application-autoscaling")
    counts["scalable_targets"] = len(
        [
            t
            for t in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
            if t["ResourceId"].endswith(env_name)
        ]
    )
    counts["scaling_policies"] = len(
        [
            p
            for p in scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
            if p["ResourceId"].endswith(env_name)
        ]
    )

    acm = aws("acm")
    certificates = acm.list_certificates(Includes={"keyTypes": ACM_KEY_TYPES})["CertificateSummaryList"]
    counts["certificates"] = len([c for c in certificates if f".{env_name}." in c.get("DomainName", "")])
    counts["log_groups"] = len(aws("logs").describe_log_groups(logGroupNamePrefix=f"/payment/{env_name}/")["logGroups"])
    counts["sns_topics"] = len(
        [t for t in aws("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f"payment-alarms-{env_name}")]
    )
    counts["alarms"] = len(aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"payment-{env_name}-")["MetricAlarms"])
    counts["iam_roles"] = len([r for r in aws("iam").list_roles()["Roles"] if r["RoleName"].endswith(f"-{env_name}")])
    s3 = aws("s3")
    bucket_names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    counts["buckets"] = len(
        [b for b in bucket_names if b.startswith((f"payment-logs-{env_name}-", f"payment-alb-logs-{env_name}-"))]
    )
    counts["run_locks"] = sum(
        len(s3.list_objects_v2(Bucket=b, Prefix=f"locks/{env_name}.lock").get("Contents", []))
        for b in bucket_names
        if "-infra-state-" in b
    )
    return counts


def shared_counts(aws):
    """The shared resources: the lock bucket and the ECR repository, one each."""
    buckets = [b["Name"] for b in aws("s3").list_buckets()["Buckets"]]
    return {
        "lock_buckets": len([b for b in buckets if "-infra-state-" in b]),
        "ecr_repositories": len(aws("ecr").describe_repositories()["repositories"]),
    }


# ---------------------------------------------------------------------------------------------
# What is left of an environment after a teardown (by its Environment tag)
# ---------------------------------------------------------------------------------------------
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
