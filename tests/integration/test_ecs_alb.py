"""The payment API on ECS Fargate behind the ALB, through site.yml and playbooks/release.yml,
read back from the emulator."""

import json

import pytest
from images import push_image

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
REPOSITORY_URI = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/payment-api"
# The seed's table (dev, staging) and our prod sizing: tasks, CPU, memory, autoscaling bounds.
SIZING = {"dev": (1, "256", "512", 1, 2), "staging": (2, "512", "1024", 2, 4), "prod": (3, "1024", "2048", 3, 10)}


def tags_of(items):
    return {t["Key"]: t["Value"] for t in items}


def service_of(aws, env_name):
    (service,) = aws("ecs").describe_services(
        cluster=f"payment-cluster-{env_name}", services=[f"payment-api-{env_name}"]
    )["services"]
    return service


def subnets_of_tier(aws, env_name, tier):
    filters = [{"Name": "tag:Environment", "Values": [env_name]}, {"Name": "tag:Tier", "Values": [tier]}]
    return {s["SubnetId"] for s in aws("ec2").describe_subnets(Filters=filters)["Subnets"]}


def group_id(aws, env_name, tier):
    filters = [{"Name": "group-name", "Values": [f"payment-{tier}-sg-{env_name}"]}]
    (group,) = aws("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]
    return group["GroupId"]


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_outputs_name_the_load_balancer_and_the_cluster(provisioned, outputs_of, aws, env_name):
    outputs = outputs_of(provisioned.first, f"payments-{env_name}")
    lb = aws("elbv2").describe_load_balancers(Names=[f"payment-alb-{env_name}"])["LoadBalancers"][0]
    assert outputs["alb_dns_name"] == lb["DNSName"]
    assert outputs["ecs_cluster_name"] == f"payment-cluster-{env_name}"
    assert outputs["ecs_service_name"] == f"payment-api-{env_name}"
    # A new service starts with ecs_alb_initial_image_tag: a fixed version, never latest.
    assert outputs["image"] == f"{REPOSITORY_URI}:0.1.0"
    assert outputs_of(provisioned.second, f"payments-{env_name}") == outputs


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_task_count_and_size_read_back_as_the_seed_table(provisioned, aws, env_name):
    count, cpu, memory, low, high = SIZING[env_name]
    assert low <= count <= high
    service = service_of(aws, env_name)
    assert (service["desiredCount"], service["runningCount"]) == (count, count)
    definition = aws("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert (definition["cpu"], definition["memory"]) == (cpu, memory)
    assert definition["requiresCompatibilities"] == ["FARGATE"] and definition["networkMode"] == "awsvpc"
    assert definition["revision"] == 1, "a second run must not register another revision"


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_listener_actions_exactly(provisioned, aws, env_name):
    elb = aws("elbv2")
    lb = elb.describe_load_balancers(Names=[f"payment-alb-{env_name}"])["LoadBalancers"][0]
    listeners = {x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert set(listeners) == {80, 443}
    http = listeners[80]
    assert http["Protocol"] == "HTTP"
    assert http["DefaultActions"] == [
        {
            "Type": "redirect",
            "RedirectConfig": {
                "Protocol": "HTTPS",
                "Port": "443",
                "Host": "#{host}",
                "Path": "/#{path}",
                "Query": "#{query}",
                "StatusCode": "HTTP_301",
            },
        }
    ]
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    target_group = elb.describe_target_groups(Names=[f"payment-tg-{env_name}"])["TargetGroups"][0]
    assert [(a["Type"], a["TargetGroupArn"]) for a in https["DefaultActions"]] == [
        ("forward", target_group["TargetGroupArn"])
    ]
    (certificate,) = https["Certificates"]
    described = aws("acm").describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
    assert described["DomainName"] == f"api.{env_name}.payment.internal"
    assert described["Type"] == "IMPORTED"
    assert described["KeyAlgorithm"] == "EC_secp384r1"
    # One imported certificate per environment, found again by its Name tag on every run. (ListCertificates
    # returns RSA_2048 certificates only unless asked for other key types, on AWS as on the emulator.)
    listed = aws("acm").list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1", "EC_secp384r1"]})
    names = [
        tags_of(aws("acm").list_tags_for_certificate(CertificateArn=c["CertificateArn"])["Tags"]).get("Name")
        for c in listed["CertificateSummaryList"]
    ]
    assert names.count(f"payment-cert-{env_name}") == 1


@pytest.mark.parametrize(("env_name", "protection"), [("dev", "false"), ("prod", "true")])
def test_load_balancer_and_target_group(provisioned, aws, env_name, protection):
    elb = aws("elbv2")
    lb = elb.describe_load_balancers(Names=[f"payment-alb-{env_name}"])["LoadBalancers"][0]
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    assert {z["SubnetId"] for z in lb["AvailabilityZones"]} == subnets_of_tier(aws, env_name, "public")
    assert lb["SecurityGroups"] == [group_id(aws, env_name, "alb")]
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == protection
    # Access logs into the environment's access-log bucket, under the environment's prefix (the bucket's policy
    # lets ELB write there only; the emulator refuses the attribute otherwise, as AWS does).
    assert {k: v for k, v in attributes.items() if k.startswith("access_logs.")} == {
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": f"payment-alb-logs-{env_name}-{ACCOUNT}",
        "access_logs.s3.prefix": env_name,
    }
    target_group = elb.describe_target_groups(Names=[f"payment-tg-{env_name}"])["TargetGroups"][0]
    assert (target_group["TargetType"], target_group["Protocol"], target_group["Port"]) == ("ip", "HTTP", 8080)
    assert target_group["HealthCheckPath"] == "/health"
    assert target_group["LoadBalancerArns"] == [lb["LoadBalancerArn"]]


def permissions(perms):
    return {
        (p["IpProtocol"], p.get("FromPort"), source)
        for p in perms
        for source in [r["CidrIp"] for r in p.get("IpRanges", [])]
        + [g["GroupId"] for g in p.get("UserIdGroupPairs", [])]
    }


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_security_group_chain(provisioned, aws, env_name):
    """internet -> ALB (80, 443) -> tasks (8080) -> database (5432); nothing else reaches the tasks."""
    alb, app, db = (group_id(aws, env_name, tier) for tier in ("alb", "app", "db"))
    service = service_of(aws, env_name)
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [app]
    groups = {g["GroupId"]: g for g in aws("ec2").describe_security_groups(GroupIds=[alb, app, db])["SecurityGroups"]}
    assert permissions(groups[alb]["IpPermissions"]) == {("tcp", 80, "0.0.0.0/0"), ("tcp", 443, "0.0.0.0/0")}
    assert permissions(groups[app]["IpPermissions"]) == {("tcp", 8080, alb)}
    assert permissions(groups[db]["IpPermissions"]) == {("tcp", 5432, app)}


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_service_runs_in_the_private_subnets_without_public_ip(provisioned, aws, env_name):
    service = service_of(aws, env_name)
    awsvpc = service["networkConfiguration"]["awsvpcConfiguration"]
    assert set(awsvpc["subnets"]) == subnets_of_tier(aws, env_name, "private")
    assert awsvpc["assignPublicIp"] == "DISABLED"
    assert service["launchType"] == "FARGATE"
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    (balancer,) = service["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == ("payment-api", 8080)
    cluster = aws("ecs").describe_clusters(clusters=[f"payment-cluster-{env_name}"], include=["SETTINGS", "TAGS"])[
        "clusters"
    ][0]
    insights = {"dev": "enabled", "prod": "enhanced"}[env_name]
    assert cluster["settings"] == [{"name": "containerInsights", "value": insights}]
    assert tags_of([{"Key": t["key"], "Value": t["value"]} for t in cluster["tags"]])["Environment"] == env_name


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_autoscaling_target_and_policy(provisioned, aws, env_name):
    _, _, _, low, high = SIZING[env_name]
    scaling = aws("application-autoscaling")
    resource = f"service/payment-cluster-{env_name}/payment-api-{env_name}"
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (low, high)
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    (policy,) = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert config["TargetValue"] == 70.0


def test_task_definition_secrets_and_least_privilege_roles(provisioned, aws):
    service = service_of(aws, "dev")
    definition = aws("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    (db,) = aws("rds").describe_db_instances(DBInstanceIdentifier="payment-db-dev")["DBInstances"]
    secret_arn = db["MasterUserSecret"]["SecretArn"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["DB_HOST"] == db["Endpoint"]["Address"]
    assert environment["TRANSACTION_LOG_BUCKET"] == f"payment-logs-dev-{ACCOUNT}"
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == {
        "DB_USERNAME": f"{secret_arn}:username::",
        "DB_PASSWORD": f"{secret_arn}:password::",
    }
    password = json.loads(aws("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])["password"]
    assert password not in json.dumps(definition)
    assert container["readonlyRootFilesystem"] is True
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/payment/dev/app"

    iam = aws("iam")
    execution = definition["executionRoleArn"].split("/")[-1]
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=execution)["AttachedPolicies"]] == [
        "AmazonECSTaskExecutionRolePolicy"
    ]
    read_secret = iam.get_role_policy(RoleName=execution, PolicyName="read-database-secret")["PolicyDocument"]
    assert [(s["Action"], s["Resource"]) for s in read_secret["Statement"]] == [
        ("secretsmanager:GetSecretValue", secret_arn)
    ]
    task = definition["taskRoleArn"].split("/")[-1]
    assert iam.list_attached_role_policies(RoleName=task)["AttachedPolicies"] == []
    (statement,) = iam.get_role_policy(RoleName=task, PolicyName="write-transaction-logs")["PolicyDocument"][
        "Statement"
    ]
    assert statement["Resource"] == f"arn:aws:s3:::payment-logs-dev-{ACCOUNT}/*"
    assert "s3:GetObject" not in statement["Action"] and "s3:*" not in statement["Action"]


def test_production_refuses_to_run_without_a_certificate_arn_where_dev_may_use_a_self_signed_one(
    provisioned, emulator, ansible
):
    # The group_vars as on real AWS (without the emulator's allowance): prod, with no payments_certificate_arn,
    # is refused in the preflight before any write; dev plans with its self-signed certificate.
    seq = emulator.client.last_seq()
    refused = ansible("site.yml", "prod", emulator_vars=False)
    assert refused.rc != 0
    message = " ".join(refused.messages().split())
    assert "ecs_alb_certificate_arn is empty and a self-signed certificate is not allowed here" in message
    assert "set payments_certificate_arn (group_vars/<environment>.yml)" in message
    assert emulator.client.mutating_calls(since=seq) == []
    plan = ansible("site.yml", "dev", check=True, emulator_vars=False)
    assert plan.rc == 0, plan.messages()
    assert plan.changed == 0, plan.changed_tasks()


def test_security_group_changed_in_group_vars_is_applied_on_the_next_run(provisioned, ansible, aws):
    """The stock ecs_service never compares network configuration; ours corrects it."""
    vpc_id = aws("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["payment-vpc-dev"]}])["Vpcs"][0]["VpcId"]
    extra = aws("ec2").create_security_group(GroupName="payment-extra-sg-dev", Description="test", VpcId=vpc_id)[
        "GroupId"
    ]
    try:
        run = ansible("site.yml", "dev", extra_vars={"payments_app_extra_security_group_ids": [extra]})
        assert run.rc == 0, run.messages()
        assert "Service in the private subnets, behind the target group" in run.changed_tasks()
        groups = service_of(aws, "dev")["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
        assert groups == [group_id(aws, "dev", "app"), extra]
    finally:
        back = ansible("site.yml", "dev")
        aws("ec2").delete_security_group(GroupId=extra)
    assert back.rc == 0, back.messages()
    assert service_of(aws, "dev")["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [
        group_id(aws, "dev", "app")
    ]


def test_release_bumps_the_revision_once_and_a_repeat_changes_nothing(provisioned, emulator, ansible, aws, outputs_of):
    before = service_of(aws, "staging")
    push_image(aws, "1.4.2")
    run = ansible("playbooks/release.yml", "staging", extra_vars={"image_tag": "1.4.2"})
    assert run.rc == 0, run.messages()
    after = service_of(aws, "staging")
    old = int(before["taskDefinition"].rsplit(":", 1)[1])
    assert after["taskDefinition"].endswith(f"payment-api-staging:{old + 1}")
    definition = aws("ecs").describe_task_definition(taskDefinition=after["taskDefinition"])["taskDefinition"]
    previous = aws("ecs").describe_task_definition(taskDefinition=before["taskDefinition"])["taskDefinition"]
    assert definition["containerDefinitions"][0]["image"] == f"{REPOSITORY_URI}:1.4.2"
    # Only the image changed: the release found the database, bucket, roles and log group by itself.
    (new_container,), (old_container,) = definition["containerDefinitions"], previous["containerDefinitions"]
    assert {**new_container, "image": None} == {**old_container, "image": None}
    for key in ("cpu", "memory", "executionRoleArn", "taskRoleArn", "networkMode", "runtimePlatform"):
        assert definition.get(key) == previous.get(key), key
    (primary,) = [d for d in after["deployments"] if d["status"] == "PRIMARY"]
    assert primary["rolloutState"] == "COMPLETED" and primary["taskDefinition"] == after["taskDefinition"]
    assert after["desiredCount"] == before["desiredCount"]

    seq = emulator.client.last_seq()
    again = ansible("playbooks/release.yml", "staging", extra_vars={"image_tag": "1.4.2"})
    assert again.rc == 0, again.messages()
    assert again.changed == 0, again.changed_tasks()
    assert emulator.client.mutating_calls(since=seq) == []
    # A provisioning run keeps the released image: it never undoes a release.
    site = ansible("site.yml", "staging")
    assert site.rc == 0, site.messages()
    assert site.changed == 0, site.changed_tasks()
    assert outputs_of(site, "payments-staging")["image"] == f"{REPOSITORY_URI}:1.4.2"
    # The revision the release superseded was deregistered: only the running one is ACTIVE.
    active = aws("ecs").list_task_definitions(familyPrefix="payment-api-staging", status="ACTIVE")["taskDefinitionArns"]
    assert active == [after["taskDefinition"]]


@pytest.mark.parametrize(
    ("extra_vars", "expected"),
    [
        ({}, "No image tag: name the image to release"),
        ({"image_tag": "9.9.9"}, "image tag 9.9.9 is not in ECR repository payment-api"),
        ({"image_tag": "bad tag"}, "ecs_alb_image_tag='bad tag' is invalid: valid is empty (a run keeps"),
        # A moving tag names no build: refused by the preflight, before the repository is even looked at.
        ({"image_tag": "latest"}, "ecs_alb_image_tag='latest' is invalid: valid is empty (a run keeps"),
        ({"image_tag": "stable"}, "never a moving tag; not latest"),
    ],
)
def test_release_refuses_a_missing_or_unpushed_image_before_any_change(
    provisioned, emulator, ansible, extra_vars, expected
):
    seq = emulator.client.last_seq()
    run = ansible("playbooks/release.yml", "dev", extra_vars=extra_vars)
    assert run.rc != 0
    assert expected in run.messages()
    assert emulator.client.mutating_calls(since=seq) == []


def test_a_release_the_circuit_breaker_rolls_back_fails_with_the_reason(provisioned, emulator, ansible, aws):
    """The emulator is told that tasks of the new image fail to start (as a crashing build would)."""
    before = service_of(aws, "dev")
    push_image(aws, "2.0.0")
    emulator.client.set_failing_images([f"{REPOSITORY_URI}:2.0.0"])
    try:
        run = ansible("playbooks/release.yml", "dev", extra_vars={"image_tag": "2.0.0"})
    finally:
        emulator.client.clear_failing_images()
    assert run.rc != 0
    message = run.messages()
    assert f"Deploying {REPOSITORY_URI}:2.0.0" in message
    assert "the deployment circuit breaker rolled it back" in message
    assert "deployment failed: tasks failed to start." in message
    after = service_of(aws, "dev")
    assert after["taskDefinition"] == before["taskDefinition"]
    # The rolled-back revision was deregistered: the latest ACTIVE revision is the one running, so the
    # next provisioning run changes nothing.
    active = aws("ecs").list_task_definitions(familyPrefix="payment-api-dev", status="ACTIVE")["taskDefinitionArns"]
    assert active[-1] == before["taskDefinition"]
    site = ansible("site.yml", "dev")
    assert site.rc == 0, site.messages()
    assert site.changed == 0, site.changed_tasks()
