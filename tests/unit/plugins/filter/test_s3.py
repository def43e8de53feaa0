import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.s3 import elb_access_log_statement
from ansible_collections.payments.infra.plugins.filter.s3 import hardened_bucket
from ansible_collections.payments.infra.plugins.filter.s3 import s3_bucket_plan
from ansible_collections.payments.infra.plugins.filter.s3 import tls_only_policy

NAME = "payment-logs-dev-123456789012"
BLOCK_ALL = {
    "block_public_acls": True,
    "ignore_public_acls": True,
    "block_public_policy": True,
    "restrict_public_buckets": True,
}
DESIRED = {
    "name": NAME,
    "encryption": "AES256",
    "encryption_key_id": None,
    "versioning": True,
    "public_access": BLOCK_ALL,
    "object_ownership": "BucketOwnerEnforced",
    "policy": json.dumps(tls_only_policy(NAME)),
    "tags": {"Environment": "dev", "ManagedBy": "payments.infra"},
}


def info(**overrides):
    """One bucket as amazon.aws.s3_bucket_info returns it, converged to DESIRED unless overridden."""
    bucket = {
        "name": NAME,
        "bucket_encryption": {
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
            }
        },
        "bucket_ownership_controls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
        "bucket_policy": {"Policy": json.dumps(tls_only_policy(NAME), indent=1)},
        "bucket_tagging": {"ManagedBy": "payments.infra", "Environment": "dev"},
        "bucket_versioning": {"Status": "Enabled"},
        "public_access_block": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
        },
    }
    bucket.update(overrides)
    return [bucket]


def test_tls_only_policy_names_the_bucket_and_its_objects():
    policy = tls_only_policy("b")
    (statement,) = policy["Statement"]
    assert statement["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Effect"] == "Deny"
    with pytest.raises(AnsibleFilterError):
        tls_only_policy("")


def test_hardened_bucket_fixes_everything_but_encryption_versioning_and_tags():
    bucket = hardened_bucket(NAME, {"Environment": "dev"}, encryption="AES256", encryption_key_id="k", versioning=True)
    assert bucket["public_access"] == BLOCK_ALL
    assert bucket["object_ownership"] == "BucketOwnerEnforced"
    assert bucket["policy"] == tls_only_policy(NAME)
    assert bucket["encryption_key_id"] is None  # a key only with aws:kms
    assert hardened_bucket(NAME, {}, encryption="aws:kms", encryption_key_id="k")["encryption_key_id"] == "k"
    assert hardened_bucket(NAME, {})["versioning"] is None
    with pytest.raises(AnsibleFilterError):
        hardened_bucket(NAME, {}, encryption="none")


def test_converged_bucket_plans_nothing():
    assert s3_bucket_plan(info(), DESIRED) == {"action": None, "before": {}, "after": {}}


def test_missing_bucket_is_a_creation():
    plan = s3_bucket_plan([], DESIRED)
    assert plan["action"] == "create"
    assert plan["after"]["name"] == NAME and plan["after"]["tags"] == DESIRED["tags"]


def test_a_tag_change_shows_only_the_tags():
    plan = s3_bucket_plan(info(), dict(DESIRED, tags={**DESIRED["tags"], "CostCentre": "42"}))
    assert plan == {
        "action": "change",
        "before": {"tags": {"ManagedBy": "payments.infra", "Environment": "dev"}},
        "after": {"tags": {"Environment": "dev", "ManagedBy": "payments.infra", "CostCentre": "42"}},
    }


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"bucket_versioning": {"Status": "Suspended"}}, "versioning"),
        ({"bucket_versioning": {}}, "versioning"),
        ({"bucket_policy": {}}, "policy"),
        ({"public_access_block": {}}, "public_access"),
        ({"bucket_ownership_controls": {}}, "object_ownership"),
        ({"bucket_encryption": {}}, "encryption"),
        ({"bucket_tagging": {}}, "tags"),
    ],
)
def test_each_drifted_setting_is_planned(overrides, key):
    plan = s3_bucket_plan(info(**overrides), DESIRED)
    assert plan["action"] == "change"
    assert list(plan["before"]) == [key] and list(plan["after"]) == [key]


def test_kms_key_compared_only_with_kms():
    kms = dict(DESIRED, encryption="aws:kms", encryption_key_id="arn:aws:kms:us-east-1:1:key/k")
    found = info(
        bucket_encryption={
            "ServerSideEncryptionConfiguration": {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": "arn:aws:kms:us-east-1:1:key/other",
                        }
                    }
                ]
            }
        }
    )
    assert s3_bucket_plan(found, kms)["after"] == {"encryption_key_id": "arn:aws:kms:us-east-1:1:key/k"}
    assert s3_bucket_plan(info(), dict(DESIRED, encryption_key_id="ignored"))["action"] is None


def test_unmanaged_keys_are_not_compared():
    assert s3_bucket_plan(info(bucket_versioning={}), dict(DESIRED, versioning=None))["action"] is None


def test_desired_needs_a_name():
    with pytest.raises(AnsibleFilterError):
        s3_bucket_plan([], {"encryption": "AES256"})


# ---- the access-log bucket's grant to Elastic Load Balancing ---------------------------------------------------------
LOG_BUCKET = "payment-alb-logs-dev-123456789012"


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        # Regions available before August 2022: the Region's ELB account (ALB User Guide, enable access logs).
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("us-gov-west-1", {"AWS": "arn:aws-us-gov:iam::048591011584:root"}),
        # Regions available since: the log-delivery service principal.
        ("eu-central-2", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        ("ap-southeast-4", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    ],
)
def test_elb_log_delivery_gets_the_documented_principal_of_the_region(region, principal):
    statement = elb_access_log_statement(LOG_BUCKET, "dev", "123456789012", region)
    assert statement["Principal"] == principal


def test_elb_may_write_under_the_prefix_and_the_account_only():
    statement = elb_access_log_statement(LOG_BUCKET, "dev", "123456789012", "us-east-1")
    assert statement == {
        "Sid": "AllowElbAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{LOG_BUCKET}/dev/AWSLogs/123456789012/*",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((LOG_BUCKET, "", "123456789012", "us-east-1"), "prefix is needed"),
        ((LOG_BUCKET, "/dev", "123456789012", "us-east-1"), "no leading or trailing"),
        ((LOG_BUCKET, "dev/AWSLogs", "123456789012", "us-east-1"), "no 'AWSLogs'"),
        ((LOG_BUCKET, "dev", "", "us-east-1"), "account_id is needed"),
        ((LOG_BUCKET, "dev", "123456789012", ""), "a region is needed"),
    ],
)
def test_a_statement_without_its_parts_is_refused(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        elb_access_log_statement(*args)


def test_one_policy_for_both_buckets_the_grants_follow_the_tls_only_deny():
    grant = elb_access_log_statement(LOG_BUCKET, "dev", "123456789012", "us-east-1")
    bucket = hardened_bucket(LOG_BUCKET, {}, versioning=True, statements=[grant])
    deny, allow = bucket["policy"]["Statement"]
    assert deny == tls_only_policy(LOG_BUCKET)["Statement"][0]
    assert allow == grant
    # The transaction-log bucket keeps the deny alone.
    assert hardened_bucket(NAME, {})["policy"] == tls_only_policy(NAME)
    # A plan compares the grant too: a bucket whose policy lacks it is planned as a policy change.
    plan = s3_bucket_plan(
        info(name=LOG_BUCKET, bucket_policy={"Policy": json.dumps(tls_only_policy(LOG_BUCKET))}),
        dict(DESIRED, name=LOG_BUCKET, policy=bucket["policy"]),
    )
    assert plan["action"] == "change"
    assert list(plan["after"]) == ["policy"]
