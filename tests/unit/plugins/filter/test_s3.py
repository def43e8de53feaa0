import json

import pytest
from ansible.errors import AnsibleFilterError

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
