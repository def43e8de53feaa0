"""elbv2.* fidelity patches: ALB/target group attributes, listeners and actions as ELBv2 stores them."""

import ipaddress
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import selfsigned
from emulator.fidelity import PATCHES
from emulator.fidelity import elbv2 as elbv2_fidelity
from emulator.fidelity import patch_name
from emulator.testing import RunningEmulator
from emulator.testing import run_local_play

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def network(aws: Callable[..., Any]) -> dict[str, Any]:
    """A VPC with two subnets in different zones and a security group."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.92.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.92.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName=unique("alb"), Description="alb", VpcId=vpc)["GroupId"]
    return {"vpc_id": vpc, "subnet_ids": subnets, "sg_id": group}


def create_alb(aws: Callable[..., Any], network: dict[str, Any], **extra: Any) -> str:
    return aws("elbv2").create_load_balancer(Name=unique("fid"), Subnets=network["subnet_ids"], **extra)[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]


def attributes(elbv2: Any, arn: str) -> dict[str, str]:
    return {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}


def create_target_group(aws: Callable[..., Any], network: dict[str, Any], **extra: Any) -> str:
    request = {"Name": unique("tg")[:32], "Protocol": "HTTP", "Port": 8080, "VpcId": network["vpc_id"], **extra}
    return aws("elbv2").create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"]


def target_group_attributes(elbv2: Any, arn: str) -> dict[str, str]:
    answer = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in answer}


def import_certificate(aws: Callable[..., Any]) -> str:
    cert, key, chain = selfsigned.issue(f"{unique('fid')}.payments.test")
    return aws("acm").import_certificate(Certificate=cert, PrivateKey=key, CertificateChain=chain)["CertificateArn"]


def listener(elbv2: Any, arn: str) -> dict[str, Any]:
    return elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]


# ---- elbv2.application_load_balancer_attributes ----------------------------------------------------------------------


def test_alb_reports_every_attribute_with_its_default(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    arn = create_alb(aws, network)

    got = attributes(aws("elbv2"), arn)

    assert got == {**elbv2_fidelity.ALB_DEFAULT_ATTRIBUTES, "ipv6.deny_all_igw_traffic": "false"}
    assert got["idle_timeout.timeout_seconds"] == "60"
    assert got["routing.http2.enabled"] == "true"
    assert got["load_balancing.cross_zone.enabled"] == "true"
    assert got["routing.http.drop_invalid_header_fields.enabled"] == "false"


def test_internal_alb_denies_internet_gateway_traffic(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    arn = create_alb(aws, network, Scheme="internal")

    assert attributes(aws("elbv2"), arn)["ipv6.deny_all_igw_traffic"] == "true"


def test_alb_attribute_changes_read_back(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    arn = create_alb(aws, network)
    changes = {
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "deletion_protection.enabled": "true",
        "idle_timeout.timeout_seconds": "120",
        "routing.http.x_amzn_tls_kx.enabled": "true",
    }

    answer = elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in changes.items()]
    )

    expected = {**elbv2_fidelity.ALB_DEFAULT_ATTRIBUTES, "ipv6.deny_all_igw_traffic": "false", **changes}
    assert {a["Key"]: a["Value"] for a in answer["Attributes"]} == expected
    assert attributes(elbv2, arn) == expected
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
    )


# ---- elbv2.deletion_protection_enforced ------------------------------------------------------------------------------


def test_protected_load_balancer_cannot_be_deleted(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    arn = create_alb(aws, network)
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )

    with pytest.raises(ClientError) as refused:
        elbv2.delete_load_balancer(LoadBalancerArn=arn)

    assert refused.value.response["Error"]["Code"] == "OperationNotPermitted"
    assert refused.value.response["Error"]["Message"] == (
        f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
    )
    assert elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
    )
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    with pytest.raises(ClientError):
        elbv2.describe_load_balancers(LoadBalancerArns=[arn])


# ---- elbv2.target_group_default_attributes ---------------------------------------------------------------------------


def test_http_target_group_reports_every_attribute(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    arn = create_target_group(aws, network, TargetType="ip", HealthCheckProtocol="HTTP", HealthCheckPath="/healthz")

    got = target_group_attributes(aws("elbv2"), arn)

    assert got == elbv2_fidelity.ALB_TARGET_GROUP_DEFAULT_ATTRIBUTES
    assert "waf.fail_open.enabled" not in got


def test_target_group_stickiness_changes_read_back(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    arn = create_target_group(aws, network, TargetType="ip")
    changes = {"stickiness.enabled": "true", "stickiness.lb_cookie.duration_seconds": "3600"}

    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in changes.items()]
    )

    assert target_group_attributes(elbv2, arn) == {**elbv2_fidelity.ALB_TARGET_GROUP_DEFAULT_ATTRIBUTES, **changes}


def test_tcp_target_group_keeps_moto_attributes(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    arn = create_target_group(aws, network, Protocol="TCP", Port=5432)

    assert target_group_attributes(aws("elbv2"), arn)["stickiness.type"] == "source_ip"


# ---- elbv2.listener_ssl_policy_only_for_tls --------------------------------------------------------------------------


def test_http_listener_has_no_ssl_policy(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    alb = create_alb(aws, network)

    created = elbv2.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]

    assert "SslPolicy" not in created
    assert "SslPolicy" not in listener(elbv2, created["ListenerArn"])


def test_https_to_http_drops_policy_and_certificate(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    alb, certificate = create_alb(aws, network), import_certificate(aws)
    arn = elbv2.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTPS",
        Port=443,
        SslPolicy=TLS_POLICY,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    https = listener(elbv2, arn)
    assert (https["SslPolicy"], https["Certificates"]) == (TLS_POLICY, [{"CertificateArn": certificate}])

    elbv2.modify_listener(ListenerArn=arn, Protocol="HTTP", Port=8080)

    http = listener(elbv2, arn)
    assert (http["Protocol"], http["Port"]) == ("HTTP", 8080)
    assert "SslPolicy" not in http
    assert "Certificates" not in http
    assert aws("acm").describe_certificate(CertificateArn=certificate)["Certificate"]["InUseBy"] == []


# ---- elbv2.action_defaults -------------------------------------------------------------------------------------------


def test_redirect_reads_back_every_uri_component(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    alb = create_alb(aws, network)
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}

    arn = elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "redirect", "RedirectConfig": redirect}]
    )["Listeners"][0]["ListenerArn"]

    [action] = listener(elbv2, arn)["DefaultActions"]
    assert action["RedirectConfig"] == {
        "Protocol": "HTTPS",
        "Port": "443",
        "Host": "#{host}",
        "Path": "/#{path}",
        "Query": "#{query}",
        "StatusCode": "HTTP_301",
    }


def test_redirect_keeps_given_components_in_rules(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    alb = create_alb(aws, network)
    arn = elbv2.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    redirect = {"Host": "www.#{host}", "Path": "/new/#{path}", "StatusCode": "HTTP_302"}

    rule = elbv2.create_rule(
        ListenerArn=arn,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
        Actions=[{"Type": "redirect", "RedirectConfig": redirect}],
    )["Rules"][0]

    expected = {"Protocol": "#{protocol}", "Port": "#{port}", "Query": "#{query}", **redirect}
    assert rule["Actions"][0]["RedirectConfig"] == expected
    described = elbv2.describe_rules(RuleArns=[rule["RuleArn"]])["Rules"][0]
    assert described["Actions"][0]["RedirectConfig"] == expected


def test_forward_to_one_target_group_carries_forward_config(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    alb, group = create_alb(aws, network), create_target_group(aws, network, TargetType="ip")

    arn = elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": group}]
    )["Listeners"][0]["ListenerArn"]

    [action] = listener(elbv2, arn)["DefaultActions"]
    assert action["TargetGroupArn"] == group
    assert action["ForwardConfig"] == {
        "TargetGroups": [{"TargetGroupArn": group, "Weight": 1}],
        "TargetGroupStickinessConfig": {"Enabled": False},
    }


# ---- elbv2.ecs_service_targets ---------------------------------------------------------------------------------------


def test_patch_is_registered(emu: RunningEmulator) -> None:
    assert elbv2_fidelity.ecs_service_targets in PATCHES
    assert patch_name(elbv2_fidelity.ecs_service_targets) in emu.client.health()["fidelity"]


# ---- elbv2.access_log_bucket_validation ------------------------------------------------------------------------------
ACCOUNT = "123456789012"


def log_bucket(
    aws: Callable[..., Any], principal: dict[str, Any] | None, resource: str = "logs/AWSLogs/{account}/*"
) -> str:
    """A bucket whose policy denies plain HTTP and (principal given) lets it put objects under ``resource``."""
    name = unique("alb-logs")
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if principal is not None:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{name}/" + resource.format(account=ACCOUNT),
            }
        )
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return name


def enable_logs(elbv2: Any, arn: str, bucket: str, prefix: str = "logs") -> dict[str, str]:
    changes = {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": bucket, "access_logs.s3.prefix": prefix}
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in changes.items()]
    )
    return changes


def test_access_logs_to_a_bucket_elb_may_write_read_back_with_the_test_file(
    aws: Callable[..., Any], network: dict[str, Any]
) -> None:
    elbv2, s3 = aws("elbv2"), aws("s3")
    arn = create_alb(aws, network)
    bucket = log_bucket(aws, {"AWS": "arn:aws:iam::127311923021:root"})  # us-east-1's ELB account

    changes = enable_logs(elbv2, arn, bucket)

    assert {k: attributes(elbv2, arn)[k] for k in changes} == changes
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [f"logs/AWSLogs/{ACCOUNT}/ELBAccessLogTestFile"]
    # Switched off, nothing is checked and the bucket and prefix stay as they were.
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}]
    )
    assert attributes(elbv2, arn)["access_logs.s3.bucket"] == bucket


@pytest.mark.parametrize(
    ("principal", "resource"),
    [
        (None, "logs/AWSLogs/{account}/*"),  # no grant at all
        ({"AWS": "arn:aws:iam::156460612806:root"}, "logs/AWSLogs/{account}/*"),  # eu-west-1's account
        ({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, "logs/AWSLogs/{account}/*"),  # newer Regions'
        ({"AWS": "arn:aws:iam::127311923021:root"}, "other/AWSLogs/{account}/*"),  # another prefix
    ],
)
def test_access_logs_to_a_bucket_elb_may_not_write_are_refused(
    aws: Callable[..., Any], network: dict[str, Any], principal: dict[str, Any] | None, resource: str
) -> None:
    elbv2 = aws("elbv2")
    arn = create_alb(aws, network)
    bucket = log_bucket(aws, principal, resource)

    with pytest.raises(ClientError) as refused:
        enable_logs(elbv2, arn, bucket)

    assert refused.value.response["Error"]["Code"] == "InvalidConfigurationRequest"
    assert refused.value.response["Error"]["Message"] == (
        f"Access Denied for bucket: {bucket}. Please check S3bucket permission"
    )
    assert attributes(elbv2, arn)["access_logs.s3.enabled"] == "false"
    assert "Contents" not in aws("s3").list_objects_v2(Bucket=bucket)


def test_access_logs_to_a_missing_bucket_are_refused(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    arn = create_alb(aws, network)

    with pytest.raises(ClientError, match="The specified bucket does not exist"):
        enable_logs(elbv2, arn, unique("no-such-bucket"))
    assert attributes(elbv2, arn)["access_logs.s3.bucket"] == ""


def test_access_log_principals_are_the_ones_the_collection_grants() -> None:
    """Two copies of one AWS table (the emulator stands for AWS on its own): they must agree."""
    from ansible_collections.payments.infra.plugins.filter import s3 as collection

    assert elbv2_fidelity.ELB_LOG_DELIVERY_ACCOUNTS == collection.ELB_LOG_DELIVERY_ACCOUNTS
    assert elbv2_fidelity.ELB_LOG_DELIVERY_SERVICE == collection.ELB_LOG_DELIVERY_SERVICE
    assert elbv2_fidelity.access_log_bucket_validation in PATCHES


@pytest.fixture
def fargate(aws: Callable[..., Any], network: dict[str, Any]) -> dict[str, Any]:
    """A cluster, a task definition whose container "app" listens on 8080, and an ip target group on 8080."""
    ecs = aws("ecs")
    cluster = unique("targets")
    ecs.create_cluster(clusterName=cluster)
    task_definition = ecs.register_task_definition(
        family=unique("targets"),
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx:1", "portMappings": [{"containerPort": 8080}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    group = create_target_group(aws, network, TargetType="ip")
    return {"cluster": cluster, "task_definition": task_definition, "target_group": group}


def create_service(aws: Callable[..., Any], network: dict[str, Any], fargate: dict[str, Any], count: int) -> None:
    aws("ecs").create_service(
        cluster=fargate["cluster"],
        serviceName="api",
        taskDefinition=fargate["task_definition"],
        desiredCount=count,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": network["subnet_ids"], "assignPublicIp": "DISABLED"}},
        loadBalancers=[{"targetGroupArn": fargate["target_group"], "containerName": "app", "containerPort": 8080}],
    )


def targets(elbv2: Any, group: str, **request: Any) -> list[dict[str, Any]]:
    return elbv2.describe_target_health(TargetGroupArn=group, **request)["TargetHealthDescriptions"]


def subnet_of(ec2: Any, network: dict[str, Any], address: str) -> str:
    """The subnet of ``network`` that holds ``address`` (not among the first four or the last address)."""
    for subnet in ec2.describe_subnets(SubnetIds=network["subnet_ids"])["Subnets"]:
        cidr = ipaddress.ip_network(subnet["CidrBlock"])
        if ipaddress.ip_address(address) in cidr:
            assert cidr.network_address + 4 <= ipaddress.ip_address(address) < cidr.broadcast_address
            return subnet["SubnetId"]
    raise AssertionError(f"{address} is in none of the subnets {network['subnet_ids']}")


def test_service_targets_are_its_running_tasks(
    aws: Callable[..., Any], network: dict[str, Any], fargate: dict[str, Any]
) -> None:
    elbv2, ec2 = aws("elbv2"), aws("ec2")
    assert targets(elbv2, fargate["target_group"]) == []

    create_service(aws, network, fargate, 3)

    found = targets(elbv2, fargate["target_group"])
    assert len(found) == 3
    for target in found:
        assert target["Target"]["Port"] == 8080
        assert target["HealthCheckPort"] == "8080"
        assert target["TargetHealth"] == {"State": "healthy"}
    addresses = [t["Target"]["Id"] for t in found]
    assert len(set(addresses)) == 3
    # Spread over the service's subnets in turn.
    subnets = [subnet_of(ec2, network, address) for address in addresses]
    assert subnets == [network["subnet_ids"][0], network["subnet_ids"][1], network["subnet_ids"][0]]
    # The same tasks on every call.
    assert targets(elbv2, fargate["target_group"]) == found
    # Targets in the request pick them out; an address no task has is not registered, as moto says.
    assert targets(elbv2, fargate["target_group"], Targets=[{"Id": addresses[1], "Port": 8080}]) == [found[1]]
    free = next(str(a) for a in ipaddress.ip_network("10.92.0.0/24").hosts() if str(a) not in addresses)
    [stranger] = targets(elbv2, fargate["target_group"], Targets=[{"Id": free, "Port": 8080}])
    assert stranger["TargetHealth"]["Reason"] == "Target.NotRegistered"


def test_service_targets_follow_its_running_count(
    aws: Callable[..., Any], network: dict[str, Any], fargate: dict[str, Any]
) -> None:
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    create_service(aws, network, fargate, 2)
    two = targets(elbv2, fargate["target_group"])

    ecs.update_service(cluster=fargate["cluster"], service="api", desiredCount=1)
    assert targets(elbv2, fargate["target_group"]) == two[:1]
    ecs.update_service(cluster=fargate["cluster"], service="api", desiredCount=0)
    assert targets(elbv2, fargate["target_group"]) == []
    # A deleted service registers nothing either.
    ecs.update_service(cluster=fargate["cluster"], service="api", desiredCount=2)
    assert len(targets(elbv2, fargate["target_group"])) == 2
    ecs.delete_service(cluster=fargate["cluster"], service="api", force=True)
    assert targets(elbv2, fargate["target_group"]) == []


def test_service_targets_fail_health_checks_where_nothing_listens(
    aws: Callable[..., Any], network: dict[str, Any], fargate: dict[str, Any]
) -> None:
    elbv2 = aws("elbv2")
    create_service(aws, network, fargate, 2)

    elbv2.modify_target_group(TargetGroupArn=fargate["target_group"], HealthCheckPort="9090")
    found = targets(elbv2, fargate["target_group"])
    assert [t["HealthCheckPort"] for t in found] == ["9090", "9090"]
    assert [t["Target"]["Port"] for t in found] == [8080, 8080]
    assert [t["TargetHealth"] for t in found] == [
        {"State": "unhealthy", "Reason": "Target.FailedHealthChecks", "Description": "Health checks failed"}
    ] * 2

    elbv2.modify_target_group(TargetGroupArn=fargate["target_group"], HealthCheckPort="traffic-port")
    assert [t["TargetHealth"]["State"] for t in targets(elbv2, fargate["target_group"])] == ["healthy", "healthy"]


def test_target_group_no_service_uses_keeps_moto_answer(aws: Callable[..., Any], network: dict[str, Any]) -> None:
    elbv2 = aws("elbv2")
    group = create_target_group(aws, network, TargetType="ip")
    assert targets(elbv2, group) == []

    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.92.0.77", "Port": 8080}])

    [registered] = targets(elbv2, group)
    assert registered["Target"] == {"Id": "10.92.0.77", "Port": 8080}
    assert registered["TargetHealth"]["State"] == "healthy"


# ---- stock modules against the emulator ------------------------------------------------------------------------------

ALB_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Certificate
      community.aws.acm_certificate:
        name_tag: "{{ resource_name }}"
        certificate: "{{ lookup('file', tls_dir ~ '/cert.pem') }}"
        private_key: "{{ lookup('file', tls_dir ~ '/key.pem') }}"
        certificate_chain: "{{ lookup('file', tls_dir ~ '/chain.pem') }}"
      register: cert
    - name: Target group
      community.aws.elb_target_group:
        name: "{{ resource_name }}"
        state: present
        protocol: HTTP
        port: 8080
        vpc_id: "{{ vpc_id }}"
        target_type: ip
        health_check_protocol: HTTP
        health_check_path: /healthz
        successful_response_codes: "200"
        deregistration_delay_timeout: 30
        stickiness_enabled: false
        stickiness_type: lb_cookie
        stickiness_lb_cookie_duration: 3600
    - name: Load balancer
      amazon.aws.elb_application_lb:
        name: "{{ resource_name }}"
        state: present
        scheme: internet-facing
        subnets: "{{ subnet_ids }}"
        security_groups: ["{{ sg_id }}"]
        http_drop_invalid_header_fields: true
        deletion_protection: true
        idle_timeout: 60
        wait: false
        listeners:
          - Protocol: HTTP
            Port: 80
            DefaultActions:
              - Type: redirect
                RedirectConfig: "{{ redirect }}"
          - Protocol: HTTPS
            Port: 443
            SslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
            Certificates:
              - CertificateArn: "{{ cert.certificate.arn }}"
            DefaultActions:
              - Type: forward
                TargetGroupName: "{{ resource_name }}"
"""
FULL_REDIRECT = {
    "Protocol": "HTTPS",
    "Port": "443",
    "Host": "#{host}",
    "Path": "/#{path}",
    "Query": "#{query}",
    "StatusCode": "HTTP_301",
}


def run_play(emu: RunningEmulator, play: Path, extra_vars: dict[str, Any]) -> list[bool]:
    """The ``changed`` of every task of the play run on the emulator."""
    return [result["changed"] for result in run_local_play(emu, play, extra_vars)]


@pytest.mark.integration
def test_stock_alb_and_target_group_are_idempotent(
    emu: RunningEmulator, aws: Callable[..., Any], network: dict[str, Any], tmp_path: Path
) -> None:
    name = unique("pay")[:24]
    tls = selfsigned.ensure_certificate(f"{name}.payments.test", tmp_path / "tls")
    play = tmp_path / "alb.yml"
    play.write_text(ALB_PLAY)
    extra = {**network, "resource_name": name, "tls_dir": str(tls.cert.parent), "redirect": FULL_REDIRECT}

    assert run_play(emu, play, extra) == [True, True, True]
    seq = emu.client.last_seq()
    assert run_play(emu, play, extra) == [False, False, False]
    assert emu.client.mutating_calls(since=seq) == []

    elbv2 = aws("elbv2")
    alb = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"]
    got = attributes(elbv2, alb)
    assert got["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert got["deletion_protection.enabled"] == "true"
    by_port = {item["Port"]: item for item in elbv2.describe_listeners(LoadBalancerArn=alb)["Listeners"]}
    assert by_port[80]["DefaultActions"][0]["RedirectConfig"] == FULL_REDIRECT
    assert "SslPolicy" not in by_port[80]
    assert by_port[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    [certificate] = by_port[443]["Certificates"]
    assert aws("acm").describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]["InUseBy"] == [
        alb
    ]
    # As against AWS: a RedirectConfig with only Protocol, Port and StatusCode differs from what ELBv2 stores (the
    # other URI components filled in), so the stock module modifies the listener on every run.
    partial = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    assert run_play(emu, play, {**extra, "redirect": partial}) == [False, False, True]
    assert run_play(emu, play, {**extra, "redirect": partial}) == [False, False, True]
    with pytest.raises(ClientError) as protected:
        elbv2.delete_load_balancer(LoadBalancerArn=alb)
    assert protected.value.response["Error"]["Code"] == "OperationNotPermitted"
