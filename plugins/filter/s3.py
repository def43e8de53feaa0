# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of this project's hardened S3 buckets: their settings, and the plan of a bucket in check mode."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.plan import field_plan


def tls_only_policy(bucket):
    """The bucket policy that denies every request not made over TLS, as a dict."""
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
        ],
    }


def hardened_bucket(name, tags, encryption="AES256", encryption_key_id=None, versioning=None):
    """The arguments of amazon.aws.s3_bucket for a bucket of this project: private, owner-enforced, TLS only.

    Only encryption, the KMS key, versioning and tags vary; nothing else can be turned off. versioning None
    leaves it unmanaged.
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
        "policy": tls_only_policy(name),
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
        return {"hardened_bucket": hardened_bucket, "s3_bucket_plan": s3_bucket_plan}
