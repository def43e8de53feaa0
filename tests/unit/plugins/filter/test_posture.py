import copy
import json

import pytest

from ansible_collections.payments.infra.plugins.filter.posture import access_log_checks
from ansible_collections.payments.infra.plugins.filter.posture import bucket_checks
from ansible_collections.payments.infra.plugins.filter.posture import database_checks
from ansible_collections.payments.infra.plugins.filter.posture import ecr_checks
from ansible_collections.payments.infra.plugins.filter.posture import flow_log_checks
from ansible_collections.payments.infra.plugins.filter.posture import internet_ingress_checks
from ansible_collections.payments.infra.plugins.filter.posture import load_balancer_checks
from ansible_collections.payments.infra.plugins.filter.posture import service_public_ip_checks

DENY_HTTP = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
PUBLIC_READ = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}


def policy(*statements):
    return {"Policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


BUCKET = {
    "name": "payment-logs-dev-123456789012",
    "public_access_block": {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
    },
    "bucket_encryption": {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        }
    },
    "bucket_policy": policy(DENY_HTTP),
}
LOG_DELIVERY = {
    "Sid": "AllowElbAccessLogDelivery",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::payment-alb-logs-dev-123456789012/dev/AWSLogs/123456789012/*",
}
LOG_BUCKET = dict(BUCKET, name="payment-alb-logs-dev-123456789012", bucket_policy=policy(DENY_HTTP, LOG_DELIVERY))
DB = {
    "db_instance_identifier": "payment-db-dev",
    "storage_encrypted": True,
    "publicly_accessible": False,
    "master_user_secret": {"secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:rds", "secret_status": "active"},
    "deletion_protection": True,
}
ALB = {
    "load_balancer_name": "payment-alb-dev",
    "scheme": "internet-facing",
    "vpc_id": "vpc-1",
    "security_groups": ["sg-alb"],
    "tags": {"Environment": "dev"},
    "deletion_protection_enabled": "true",
}
LOGGING_ALB = dict(
    ALB,
    access_logs_s3_enabled="true",
    access_logs_s3_bucket="payment-alb-logs-dev-123456789012",
    access_logs_s3_prefix="dev",
)


def ingress(protocol, low=None, high=None, cidrs=(), ipv6=()):
    perm = {"ip_protocol": protocol, "ip_ranges": [{"cidr_ip": c} for c in cidrs]}
    perm["ipv6_ranges"] = [{"cidr_ipv6": c} for c in ipv6]
    if low is not None:
        perm.update(from_port=low, to_port=high)
    return perm


GROUPS = [
    {
        "group_name": "payment-alb-sg-dev",
        "group_id": "sg-alb",
        "ip_permissions": [ingress("tcp", 443, 443, ["0.0.0.0/0"])],
    },
    {
        "group_name": "payment-app-sg-dev",
        "group_id": "sg-app",
        "ip_permissions": [ingress("tcp", 8080, 8080, ["10.0.0.0/16"])],
    },
]
SERVICE = {"status": "ACTIVE", "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "DISABLED"}}}
FLOW_LOG = {
    "flow_log": {"flow_log_id": "fl-1", "flow_log_status": "ACTIVE"},
    "diff": {"before": {"flow_log_id": "fl-1"}},
}
REPOSITORY = {
    "encryption_configuration": {"encryption_type": "AES256"},
    "image_scanning_configuration": {"scan_on_push": True},
}
ECR = {"failed": False, "diff": {"before": REPOSITORY}}


def changed(base, **changes):
    """A deep copy of ``base`` with ``changes`` applied; a value None deletes the key."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def outcome(rows):
    """{rule: (ok, found)}: each family gives a rule one row for one resource."""
    return {r["rule"]: (r["ok"], r["found"]) for r in rows}


def buckets(bucket):
    return bucket_checks([bucket], "payment-logs-dev-")


def access_logs(alb=LOGGING_ALB, bucket=LOG_BUCKET):
    return access_log_checks([alb], "payment-alb-dev", [bucket], "payment-alb-logs-dev-", "dev")


def log_buckets(bucket):
    return bucket_checks([bucket], "payment-alb-logs-dev-", encryptions=["AES256"], what="access-log bucket")


def databases(db, deletion_protection=True):
    return database_checks([db], "payment-db-dev", deletion_protection)


def load_balancers(*lbs):
    return load_balancer_checks(list(lbs), "payment-alb-dev", ["vpc-1"], "dev", True)


FAMILIES = {
    "s3-no-public-access": (buckets, BUCKET),
    "s3-encryption-at-rest": (buckets, BUCKET),
    "s3-tls-only-policy": (buckets, BUCKET),
    "alb-access-logs": (access_logs, LOGGING_ALB),
    "s3-access-log-delivery": (lambda b: access_logs(bucket=b), LOG_BUCKET),
    "rds-encryption-at-rest": (databases, DB),
    "rds-private": (databases, DB),
    "rds-managed-secret": (databases, DB),
    "rds-deletion-protection": (databases, DB),
    "single-internet-facing-alb": (load_balancers, ALB),
    "alb-deletion-protection": (load_balancers, ALB),
    "ecs-no-public-ip": (lambda s: service_public_ip_checks([s], "c/s"), SERVICE),
    "vpc-flow-logs": (lambda f: flow_log_checks(f, ["vpc-1"], "payment-vpc-dev", "ALL", "/payment/dev/logs"), FLOW_LOG),
    "ecr-encryption-at-rest": (lambda e: ecr_checks(e, "payment-api"), ECR),
    "ecr-scan-on-push": (lambda e: ecr_checks(e, "payment-api"), ECR),
}


@pytest.mark.parametrize("rule", sorted(FAMILIES))
def test_a_compliant_resource_passes_the_rule(rule):
    check, compliant = FAMILIES[rule]
    assert outcome(check(compliant))[rule][0] is True


def off(*keys):
    return {
        "PublicAccessBlockConfiguration": {
            k: True for k in BUCKET["public_access_block"]["PublicAccessBlockConfiguration"] if k not in keys
        }
    }


def sse(algorithm):
    return {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]
        }
    }


def repository(**changes):
    return {"failed": False, "diff": {"before": changed(REPOSITORY, **changes)}}


# (rule, the failing input, a part of what the row found)
VIOLATIONS = [
    ("s3-no-public-access", changed(BUCKET, public_access_block={}), "no public access block"),
    (
        "s3-no-public-access",
        changed(BUCKET, public_access_block=off("BlockPublicPolicy")),
        "not true: ['BlockPublicPolicy']",
    ),
    (
        "s3-no-public-access",
        changed(BUCKET, bucket_policy=policy(DENY_HTTP, PUBLIC_READ)),
        "without condition: ['PublicRead']",
    ),
    (
        "s3-no-public-access",
        changed(BUCKET, bucket_policy=policy({"Effect": "Allow", "Principal": {"AWS": ["*"]}})),
        "['(no Sid)']",
    ),
    ("s3-encryption-at-rest", changed(BUCKET, bucket_encryption=None), "default encryption none"),
    ("s3-encryption-at-rest", changed(BUCKET, bucket_encryption=sse("ROT13")), "default encryption ['ROT13']"),
    ("s3-tls-only-policy", changed(BUCKET, bucket_policy=None), "false: [] (policy absent)"),
    ("s3-tls-only-policy", changed(BUCKET, bucket_policy=policy(PUBLIC_READ)), "false: [] (policy present)"),
    ("alb-access-logs", changed(LOGGING_ALB, access_logs_s3_enabled="false"), "access_logs.s3.enabled=false"),
    ("alb-access-logs", changed(LOGGING_ALB, access_logs_s3_enabled=None), "access_logs.s3.enabled=false"),
    ("alb-access-logs", changed(LOGGING_ALB, access_logs_s3_bucket="elsewhere"), "bucket elsewhere"),
    ("alb-access-logs", changed(LOGGING_ALB, access_logs_s3_prefix="staging"), "prefix staging"),
    ("alb-access-logs", changed(LOGGING_ALB, load_balancer_name="another-alb"), "0 load balancer(s) named so"),
    ("s3-access-log-delivery", changed(LOG_BUCKET, bucket_policy=policy(DENY_HTTP)), "Allow statements writing: []"),
    (
        "s3-access-log-delivery",
        changed(
            LOG_BUCKET,
            bucket_policy=policy(
                DENY_HTTP, dict(LOG_DELIVERY, Resource="arn:aws:s3:::payment-alb-logs-dev-123456789012/*")
            ),
        ),
        "outside arn:aws:s3:::payment-alb-logs-dev-123456789012/dev/AWSLogs/123456789012/*: "
        "['arn:aws:s3:::payment-alb-logs-dev-123456789012/*']",
    ),
    (
        "s3-access-log-delivery",
        changed(LOG_BUCKET, name="payment-alb-logs-dev-999999999999"),
        "outside arn:aws:s3:::payment-alb-logs-dev-999999999999/dev/AWSLogs/999999999999/*",
    ),
    ("rds-encryption-at-rest", changed(DB, storage_encrypted=False), "StorageEncrypted=false"),
    ("rds-encryption-at-rest", changed(DB, storage_encrypted=None), "StorageEncrypted=absent"),
    ("rds-private", changed(DB, publicly_accessible=True), "PubliclyAccessible=true"),
    ("rds-private", changed(DB, publicly_accessible=None), "PubliclyAccessible=absent"),
    ("rds-managed-secret", changed(DB, master_user_secret=None), "MasterUserSecret absent"),
    ("rds-deletion-protection", changed(DB, deletion_protection=False), "DeletionProtection=false"),
    ("single-internet-facing-alb", changed(ALB, load_balancer_name="another-alb"), "ALB not found"),
    ("alb-deletion-protection", changed(ALB, deletion_protection_enabled="false"), "deletion_protection.enabled=false"),
    ("alb-deletion-protection", changed(ALB, deletion_protection_enabled=None), "deletion_protection.enabled=absent"),
    (
        "ecs-no-public-ip",
        changed(SERVICE, networkConfiguration={"awsvpcConfiguration": {"assignPublicIp": "ENABLED"}}),
        "ENABLED",
    ),
    ("ecs-no-public-ip", changed(SERVICE, status="INACTIVE"), "assignPublicIp=not found"),
    (
        "vpc-flow-logs",
        changed(FLOW_LOG, flow_log={"flow_log_id": "fl-1", "flow_log_status": "FAILED"}),
        "fl-1 status FAILED",
    ),
    ("vpc-flow-logs", changed(FLOW_LOG, flow_log=None), "fl-1 differs from the managed configuration"),
    ("vpc-flow-logs", {"flow_log": None, "diff": {"before": None}}, "no flow log of ALL traffic to /payment/dev/logs"),
    (
        "ecr-encryption-at-rest",
        repository(encryption_configuration={"encryption_type": "NONE"}),
        "encryptionConfiguration NONE",
    ),
    ("ecr-encryption-at-rest", repository(encryption_configuration=None), "encryptionConfiguration absent"),
    ("ecr-scan-on-push", repository(image_scanning_configuration={"scan_on_push": False}), "scanOnPush=false"),
    ("ecr-scan-on-push", {"failed": False, "diff": {"before": None}}, "not found"),
    ("ecr-scan-on-push", {"failed": True, "msg": "denied"}, "not found (denied)"),
]


@pytest.mark.parametrize(("rule", "resource", "found"), VIOLATIONS)
def test_a_violation_fails_the_rule_saying_what_was_found(rule, resource, found):
    check, _ = FAMILIES[rule]
    ok, text = outcome(check(resource))[rule]
    assert ok is False and found in text


def test_every_rule_has_a_violation():
    assert {rule for rule, _, _ in VIOLATIONS} == set(FAMILIES)


# ---- what a single row cannot show: how many buckets, which load balancers, which groups, which rows at all ------


@pytest.mark.parametrize("names", [[], ["payment-logs-dev-1", "payment-logs-dev-2"]])
def test_not_exactly_one_bucket_is_one_failing_row(names):
    rows = bucket_checks([changed(BUCKET, name=n) for n in names + ["other-bucket"]], "payment-logs-dev-")
    assert [(r["rule"], r["resource"], r["ok"]) for r in rows] == [
        ("s3-no-public-access", "bucket payment-logs-dev-*", False)
    ]
    assert rows[0]["found"] == f"{len(names)} bucket(s) {names}"


def test_a_missing_database_is_one_failing_row_and_deletion_protection_is_optional():
    assert outcome(database_checks([], "payment-db-dev")) == {"rds-private": (False, "no such instance")}
    assert "rds-deletion-protection" not in outcome(database_checks([changed(DB, deletion_protection=False)], "db"))


@pytest.mark.parametrize(
    ("other", "counted"),
    [
        ({"vpc_id": "vpc-1", "tags": {}}, True),  # in the environment's VPC
        ({"vpc_id": "vpc-9", "tags": {"Environment": "dev"}}, True),  # tagged with the environment
        ({"vpc_id": "vpc-9", "tags": {"Environment": "prod"}}, False),  # another environment's
        ({"vpc_id": "vpc-1", "scheme": "internal"}, False),  # not internet-facing
    ],
)
def test_another_internet_facing_load_balancer_of_the_environment_fails(other, counted):
    rows = load_balancers(ALB, changed(ALB, load_balancer_name="rogue", **other))
    ok, found = outcome(rows)["single-internet-facing-alb"]
    assert ok is not counted and found.endswith("['rogue']" if counted else "[]")


@pytest.mark.parametrize(
    ("group", "perm", "bad"),
    [
        ("sg-app", ingress("tcp", 22, 22, ["0.0.0.0/0", "10.0.0.0/8"]), ["tcp 22-22 from 0.0.0.0/0"]),
        ("sg-app", ingress("-1", ipv6=["::/0"]), ["-1 all from ::/0"]),
        ("sg-alb", ingress("tcp", 8080, 8080, ["0.0.0.0/0"]), ["tcp 8080-8080 from 0.0.0.0/0"]),  # not a web port
        ("sg-alb", ingress("tcp", 80, 443, ipv6=["::/0"]), ["tcp 80-443 from ::/0"]),  # a range
        ("sg-alb", ingress("udp", 443, 443, ["0.0.0.0/0"]), ["udp 443-443 from 0.0.0.0/0"]),
        ("sg-alb", ingress("tcp", 80, 80, ["0.0.0.0/0"], ["::/0"]), []),
    ],
)
def test_internet_ingress_only_on_the_albs_groups_and_web_ports(group, perm, bad):
    groups = copy.deepcopy(GROUPS)
    next(g for g in groups if g["group_id"] == group)["ip_permissions"].append(perm)
    rows = internet_ingress_checks(groups, [ALB], "payment-alb-dev", [80, 443])
    assert [(r["resource"], r["ok"], r["found"]) for r in rows] == [
        (
            "security group payment-alb-sg-dev (sg-alb)",
            group != "sg-alb" or not bad,
            "internet ingress " + str(bad if group == "sg-alb" else []),
        ),
        (
            "security group payment-app-sg-dev (sg-app)",
            group != "sg-app",
            "internet ingress " + str(bad if group == "sg-app" else []),
        ),
    ]


def test_internet_ingress_groups_are_sorted_by_name_case_insensitively_and_the_alb_found_by_name():
    groups = [changed(GROUPS[0], group_name=name) for name in ("beta", "Gamma", "alpha")]
    rows = internet_ingress_checks(groups, [changed(ALB, load_balancer_name="x")], "payment-alb-dev", [443])
    assert [r["resource"].split()[2] for r in rows] == ["alpha", "beta", "Gamma"]
    assert not any(r["ok"] for r in rows)  # without the ALB no group may open 443
    assert rows[0]["expected"].endswith("the ALB security group [], tcp ports [443]")


def test_a_missing_vpc_or_kms_encrypted_repository():
    skipped = {"skipped": True, "changed": False}
    assert outcome(flow_log_checks(skipped, [], "payment-vpc-dev", "ALL", "/g")) == {
        "vpc-flow-logs": (False, "no such VPC")
    }
    failed = {
        "failed": True,
        "msg": "KMS",
        "repository": changed(REPOSITORY, encryption_configuration={"encryption_type": "KMS"}),
    }
    assert outcome(ecr_checks(failed, "payment-api")) == {
        "ecr-encryption-at-rest": (True, "encryptionConfiguration KMS"),
        "ecr-scan-on-push": (True, "scanOnPush=true"),
    }


def test_the_access_log_bucket_must_be_sse_s3_alone():
    # ELB access-log delivery supports SSE-S3 only: a KMS-encrypted access-log bucket fails where the
    # transaction-log bucket passes.
    kms = changed(LOG_BUCKET, bucket_encryption=sse("aws:kms"))
    assert outcome(log_buckets(kms))["s3-encryption-at-rest"] == (False, "default encryption ['aws:kms']")
    assert outcome(buckets(changed(BUCKET, bucket_encryption=sse("aws:kms"))))["s3-encryption-at-rest"][0] is True
    assert {r["rule"]: r["ok"] for r in log_buckets(LOG_BUCKET)} == {
        "s3-no-public-access": True,
        "s3-encryption-at-rest": True,
        "s3-tls-only-policy": True,
    }
    (row,) = bucket_checks([], "payment-alb-logs-dev-", encryptions=["AES256"], what="access-log bucket")
    assert row["expected"] == "exactly one access-log bucket" and row["ok"] is False


def test_the_transaction_log_bucket_is_not_taken_for_the_access_log_bucket_nor_the_reverse():
    both = [BUCKET, LOG_BUCKET]
    assert [r["resource"] for r in buckets(BUCKET)] == [r["resource"] for r in bucket_checks(both, "payment-logs-dev-")]
    rows = access_log_checks([LOGGING_ALB], "payment-alb-dev", both, "payment-alb-logs-dev-", "dev")
    assert [(r["rule"], r["ok"]) for r in rows] == [("alb-access-logs", True), ("s3-access-log-delivery", True)]


def test_without_the_access_log_bucket_the_logs_point_nowhere():
    rows = access_log_checks([LOGGING_ALB], "payment-alb-dev", [], "payment-alb-logs-dev-", "dev")
    assert [(r["rule"], r["resource"], r["ok"]) for r in rows] == [
        ("alb-access-logs", "load balancer payment-alb-dev", False),
        ("s3-access-log-delivery", "bucket payment-alb-logs-dev-*", False),
    ]
