# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of this project's hardened S3 buckets: their settings, and the plan of a bucket in check mode."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.plan import field_plan

# Elastic Load Balancing's log-delivery account of each Region available before August 2022 (ALB User Guide,
# "Enable access logs for your Application Load Balancer", step 2): the bucket policy grants s3:PutObject to
# arn:<partition>:iam::<account>:root there. Every other Region (those available as of August 2022) is served by
# the service principal ELB_LOG_DELIVERY_SERVICE instead.
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


def elb_log_delivery_principal(region):
    """The principal AWS documents for ELB access-log delivery in ``region``: the Region's ELB account, or the
    log-delivery service principal in the Regions available as of August 2022."""
    if not isinstance(region, str) or not region:
        raise AnsibleFilterError(f"elb_log_delivery_principal: a region is needed, got {region!r}")
    account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    if account is None:
        return {"Service": ELB_LOG_DELIVERY_SERVICE}
    partition = "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return {"AWS": f"arn:{partition}:iam::{account}:root"}


def elb_access_log_statement(bucket, prefix, account_id, region):
    """The bucket policy statement that lets Elastic Load Balancing write access logs under
    ``<prefix>/AWSLogs/<account_id>/`` of ``bucket``, and nowhere else."""
    for what, value in (("bucket", bucket), ("prefix", prefix), ("account_id", account_id)):
        if not isinstance(value, str) or not value:
            raise AnsibleFilterError(f"elb_access_log_statement: {what} is needed, got {value!r}")
    if prefix.startswith("/") or prefix.endswith("/") or "AWSLogs" in prefix:
        raise AnsibleFilterError(
            f"elb_access_log_statement: prefix={prefix!r} is invalid: no leading or trailing '/', no 'AWSLogs'"
        )
    return {
        "Sid": "AllowElbAccessLogDelivery",
        "Effect": "Allow",
        "Principal": elb_log_delivery_principal(region),
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{account_id}/*",
    }


def tls_only_policy(bucket, statements=None):
    """The bucket policy that denies every request not made over TLS, as a dict; ``statements`` (the grants a
    bucket needs beyond its owner, e.g. elb_access_log_statement) follow the deny."""
    if not isinstance(bucket, str) or not bucket:
        raise AnsibleFilterError(f"tls_only_policy: a bucket name is needed, got {bucket!r}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        + list(statements or []),
    }


def hardened_bucket(name, tags, encryption="AES256", encryption_key_id=None, versioning=None, statements=None):
    """The arguments of amazon.aws.s3_bucket for a bucket of this project: private, owner-enforced, TLS only.

    Only encryption, the KMS key, versioning, tags and the policy's grants after the TLS-only deny
    (``statements``) vary; nothing else can be turned off. versioning None leaves it unmanaged.
    """
    if encryption not in ("AES256", "aws:kms"):
        raise AnsibleFilterError(f"hardened_bucket: encryption={encryption!r} is invalid: AES256 or aws:kms")
    return {
        "name": name,
        "encryption": encryption,
        "encryption_key_id": (encryption_key_id or None) if encryption == "aws:kms" else None,
        "versioning": versioning,
        "public_access": {
            "block_public_acls": True,
            "ignore_public_acls": True,
            "block_public_policy": True,
            "restrict_public_buckets": True,
        },
        "object_ownership": "BucketOwnerEnforced",
        "policy": tls_only_policy(name, statements),
        "tags": dict(tags or {}),
    }


def _policy(value):
    if isinstance(value, str):
        return json.loads(value) if value.strip() else None
    return value or None


def _found_settings(bucket):
    """The settings amazon.aws.s3_bucket converges, read from one entry of amazon.aws.s3_bucket_info's buckets."""
    rules = ((bucket.get("bucket_encryption") or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault") or {}
    block = (bucket.get("public_access_block") or {}).get("PublicAccessBlockConfiguration") or {}
    ownership = ((bucket.get("bucket_ownership_controls") or {}).get("OwnershipControls") or {}).get("Rules") or []
    versioning = (bucket.get("bucket_versioning") or {}).get("Status")
    return {
        "encryption": default.get("SSEAlgorithm"),
        "encryption_key_id": default.get("KMSMasterKeyID"),
        "versioning": versioning == "Enabled" if versioning else False,
        "public_access": {
            "block_public_acls": bool(block.get("BlockPublicAcls")),
            "ignore_public_acls": bool(block.get("IgnorePublicAcls")),
            "block_public_policy": bool(block.get("BlockPublicPolicy")),
            "restrict_public_buckets": bool(block.get("RestrictPublicBuckets")),
        },
        "object_ownership": (ownership[0] if ownership else {}).get("ObjectOwnership"),
        "policy": _policy((bucket.get("bucket_policy") or {}).get("Policy")),
        "tags": dict(bucket.get("bucket_tagging") or {}),
    }


def s3_bucket_plan(found, desired):
    """What a real run of amazon.aws.s3_bucket would do, for check mode (the module has none).

    found: the ``buckets`` of amazon.aws.s3_bucket_info for the bucket's name (with bucket_facts of tagging,
    encryption, versioning, public access block, ownership controls and policy). desired: the module's arguments
    (name, encryption, encryption_key_id, versioning, public_access, object_ownership, policy, tags; a key left
    out or None is not managed). Returns {action: create | change | None, before, after}: for a change only
    the settings that differ, each side as it is and as it would be.
    """
    if not isinstance(desired, dict) or not desired.get("name"):
        raise AnsibleFilterError(
            f"s3_bucket_plan: desired must be the bucket's arguments with its name, got {desired!r}"
        )
    wanted = {k: v for k, v in desired.items() if k != "name" and v is not None}
    if "policy" in wanted:
        wanted["policy"] = _policy(wanted["policy"])
    if wanted.get("encryption") != "aws:kms":
        wanted.pop("encryption_key_id", None)
    mine = [b for b in found or [] if b.get("name") == desired["name"]]
    if not mine:
        return {"action": "create", "before": {}, "after": dict(wanted, name=desired["name"])}
    return field_plan(_found_settings(mine[0]), wanted)


class FilterModule:
    def filters(self):
        return {
            "hardened_bucket": hardened_bucket,
            "s3_bucket_plan": s3_bucket_plan,
            "elb_access_log_statement": elb_access_log_statement,
        }
