"""payments.infra.ecr_repository against moto in-process."""

import json

import boto3
import pytest

from ansible_collections.payments.infra.plugins.modules import ecr_repository

NAME = "payment-api"
REGION = "us-east-1"
WRITE_OPS = {
    "CreateRepository",
    "DeleteRepository",
    "PutImageScanningConfiguration",
    "PutImageTagMutability",
    "TagResource",
    "UntagResource",
    "PutLifecyclePolicy",
    "DeleteLifecyclePolicy",
}
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": "sha256:" + "b" * 64,
        },
        "layers": [],
    }
)


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


@pytest.fixture
def ecr(aws):
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture
def kms(aws):
    return boto3.client("kms", region_name=REGION)


def args(**extra):
    base = {"name": NAME, "tags": {"Project": "payment-api"}}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def live(ecr_client, name=NAME):
    return ecr_client.describe_repositories(repositoryNames=[name])["repositories"][0]


def live_tags(ecr_client, name=NAME):
    arn = live(ecr_client, name)["repositoryArn"]
    return {t["Key"]: t["Value"] for t in ecr_client.list_tags_for_resource(resourceArn=arn)["tags"]}


def exists(ecr_client, name=NAME):
    return name in [r["repositoryName"] for r in ecr_client.describe_repositories()["repositories"]]


def push_image(ecr_client, tag="v1", name=NAME):
    ecr_client.put_image(repositoryName=name, imageManifest=MANIFEST, imageTag=tag)


# ---------------------------------------------------------------------------------------------
# create / idempotence / check mode
# ---------------------------------------------------------------------------------------------
def test_create_sends_everything_in_one_call(run_module, ecr, api_calls):
    result = run_module(ecr_repository, args())
    assert result["changed"] is True, result
    assert result["created"] is True and result["adopted"] is False
    repo = result["repository"]
    assert repo["repository_name"] == NAME
    assert repo["repository_arn"] == f"arn:aws:ecr:{REGION}:123456789012:repository/{NAME}"
    assert repo["repository_uri"] == f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{NAME}"
    assert repo["registry_id"] == "123456789012"
    assert repo["image_tag_mutability"] == "IMMUTABLE"  # the default: a tag names one image for good
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    assert repo["encryption_configuration"] == {"encryption_type": "AES256", "kms_key": None}
    assert repo["tags"] == {"Project": "payment-api"}

    # One write: settings and tags travel with CreateRepository; AES256 without a kmsKey.
    assert writes(api_calls) == ["CreateRepository"]
    create = next(p for name, p in api_calls if name == "CreateRepository")
    assert create == {
        "repositoryName": NAME,
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfiguration": {"encryptionType": "AES256"},
        "tags": [{"Key": "Project", "Value": "payment-api"}],
    }
    found = live(ecr)
    assert found["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert found["imageScanningConfiguration"] == {"scanOnPush": True}
    assert live_tags(ecr) == {"Project": "payment-api"}


def test_rerun_is_unchanged_and_writes_nothing(run_module, ecr, api_calls):
    first = run_module(ecr_repository, args())
    api_calls.clear()
    again = run_module(ecr_repository, args(), diff=True)
    assert again["changed"] is False, again
    assert again["created"] is False and again["adopted"] is False
    assert again["repository"] == first["repository"]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert writes(api_calls) == []


def test_check_mode_creates_nothing(run_module, ecr, api_calls):
    result = run_module(ecr_repository, args(), check_mode=True, diff=True)
    assert result["changed"] is True and result["created"] is True
    assert writes(api_calls) == []
    assert not exists(ecr)
    planned = result["repository"]
    assert planned["repository_name"] == NAME and planned["repository_arn"] is None
    assert planned["encryption_configuration"] == {"encryption_type": "AES256", "kms_key": None}
    assert result["diff"] == {"before": {}, "after": planned}


def test_create_with_mutable_tags_and_no_scan(run_module, ecr):
    result = run_module(ecr_repository, args(image_tag_mutability="MUTABLE", scan_on_push=False, tags=None))
    assert result["changed"] is True
    found = live(ecr)
    assert found["imageTagMutability"] == "MUTABLE"
    assert found["imageScanningConfiguration"] == {"scanOnPush": False}
    assert live_tags(ecr) == {}


# ---------------------------------------------------------------------------------------------
# encryption
# ---------------------------------------------------------------------------------------------
def test_kms_with_key_arn_then_alias_is_the_same_key(run_module, ecr, kms, api_calls):
    key_arn = kms.create_key(Description="payments ecr")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/payments-ecr", TargetKeyId=key_arn)

    result = run_module(ecr_repository, args(encryption_type="KMS", kms_key=key_arn))
    assert result["changed"] is True, result
    assert result["repository"]["encryption_configuration"] == {"encryption_type": "KMS", "kms_key": key_arn}
    create = next(p for name, p in api_calls if name == "CreateRepository")
    assert create["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key_arn}
    assert live(ecr)["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key_arn}

    api_calls.clear()
    assert run_module(ecr_repository, args(encryption_type="KMS", kms_key=key_arn))["changed"] is False
    assert "DescribeKey" not in [name for name, _ in api_calls]
    # The alias of the same key, written differently: resolved with DescribeKey, not a mismatch.
    again = run_module(ecr_repository, args(encryption_type="KMS", kms_key="alias/payments-ecr"))
    assert again["changed"] is False, again
    assert writes(api_calls) == []


def test_kms_without_key_uses_the_default_and_is_stable(run_module, ecr):
    result = run_module(ecr_repository, args(encryption_type="KMS"))
    assert result["changed"] is True, result
    assert live(ecr)["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert run_module(ecr_repository, args(encryption_type="KMS"))["changed"] is False


def test_kms_key_with_aes256_fails_before_any_call(run_module, aws, api_calls):
    result = run_module(ecr_repository, args(kms_key="alias/payments-ecr"))
    assert result["failed"] is True
    assert "only valid with encryption_type=KMS" in result["msg"]
    assert api_calls == []


def test_encryption_type_mismatch_is_refused_without_any_write(run_module, ecr, api_calls):
    ecr.create_repository(repositoryName=NAME, encryptionConfiguration={"encryptionType": "AES256"})
    api_calls.clear()
    # Other settings differ too: nothing may be converged when the repository cannot be.
    result = run_module(
        ecr_repository, args(encryption_type="KMS", image_tag_mutability="IMMUTABLE", tags={"New": "tag"})
    )
    assert result["failed"] is True
    msg = result["msg"]
    assert "encryption_type AES256" in msg and "not encryption_type=KMS" in msg
    assert "cannot change the encryption" in msg and "nothing was changed" in msg
    assert "set encryption_type=AES256" in msg
    assert writes(api_calls) == []
    assert live(ecr)["imageTagMutability"] == "MUTABLE"
    assert live_tags(ecr) == {}


def test_kms_key_mismatch_is_refused(run_module, ecr, kms, api_calls):
    key_a = kms.create_key()["KeyMetadata"]["Arn"]
    key_b = kms.create_key()["KeyMetadata"]["Arn"]
    ecr.create_repository(repositoryName=NAME, encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key_a})
    api_calls.clear()
    result = run_module(ecr_repository, args(encryption_type="KMS", kms_key=key_b))
    assert result["failed"] is True
    assert f"encrypted with KMS key {key_a}, not kms_key={key_b}" in result["msg"]
    assert writes(api_calls) == []


# ---------------------------------------------------------------------------------------------
# adoption
# ---------------------------------------------------------------------------------------------
def test_existing_repository_is_converged_not_recreated(run_module, ecr, api_calls):
    ecr.create_repository(repositoryName=NAME, tags=[{"Key": "Owner", "Value": "someone"}])
    api_calls.clear()
    result = run_module(ecr_repository, args())
    assert result["changed"] is True
    assert result["created"] is False and result["adopted"] is False
    assert "CreateRepository" not in writes(api_calls)
    assert live_tags(ecr) == {"Project": "payment-api"}
    assert live(ecr)["imageScanningConfiguration"] == {"scanOnPush": True}


@pytest.fixture
def lose_the_race(monkeypatch, aws):
    """The first lookup misses; a parallel run then creates the repository before our create."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecr.models import ecr_backends

    original = ecr_repository.describe_repository
    lookups = []

    def racing(client, name):
        lookups.append(name)
        if len(lookups) == 1:
            # Straight into moto's backend: the other run's API call is not one of ours.
            ecr_backends[DEFAULT_ACCOUNT_ID][REGION].create_repository(
                repository_name=name,
                registry_id=None,
                encryption_config=None,
                image_scan_config={"scanOnPush": True},
                image_tag_mutability="IMMUTABLE",  # the other run made it as ours would
                tags=[{"Key": "Owner", "Value": "other-environment"}],
            )
            return None
        return original(client, name)

    monkeypatch.setattr(ecr_repository, "describe_repository", racing)
    return lookups


def test_repository_already_exists_on_create_is_adopted(run_module, ecr, lose_the_race, api_calls):
    result = run_module(ecr_repository, args(), diff=True)
    assert "failed" not in result, result
    assert result["created"] is False and result["adopted"] is True
    assert result["changed"] is True  # only the tags differ
    ops = [name for name, _ in api_calls]
    assert ops.count("CreateRepository") == 1
    assert sorted(writes(api_calls)) == ["CreateRepository", "TagResource", "UntagResource"]
    assert live_tags(ecr) == {"Project": "payment-api"}
    assert result["diff"]["before"]["tags"] == {"Owner": "other-environment"}
    assert result["diff"]["after"]["tags"] == {"Project": "payment-api"}
    assert len(lose_the_race) == 2


def test_adopted_identical_repository_is_no_change(run_module, ecr, lose_the_race):
    result = run_module(ecr_repository, args(tags={"Owner": "other-environment"}))
    assert result["adopted"] is True
    assert result["changed"] is False, result


def test_adopted_repository_with_other_encryption_is_refused(run_module, ecr, lose_the_race, api_calls):
    result = run_module(ecr_repository, args(encryption_type="KMS"))
    assert result["failed"] is True
    assert "just created by another run or environment" in result["msg"]
    assert writes(api_calls) == ["CreateRepository"]


# ---------------------------------------------------------------------------------------------
# in-place convergence
# ---------------------------------------------------------------------------------------------
def test_mutability_scan_and_tags_converge_in_place(run_module, ecr, api_calls):
    """A repository made MUTABLE (the default of earlier versions) becomes IMMUTABLE, the default, in place."""
    first = run_module(ecr_repository, args(image_tag_mutability="MUTABLE", tags={"a": "1", "b": "2"}))
    arn = first["repository"]["repository_arn"]
    wanted = args(scan_on_push=False, tags={"a": "9", "c": "3"})

    api_calls.clear()
    checked = run_module(ecr_repository, wanted, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert writes(api_calls) == []
    assert live(ecr)["imageTagMutability"] == "MUTABLE"
    assert checked["repository"]["image_tag_mutability"] == "IMMUTABLE"

    api_calls.clear()
    result = run_module(ecr_repository, wanted, diff=True)
    assert result["changed"] is True and result["created"] is False
    assert sorted(writes(api_calls)) == [
        "PutImageScanningConfiguration",
        "PutImageTagMutability",
        "TagResource",
        "UntagResource",
    ]
    found = live(ecr)
    assert found["repositoryArn"] == arn
    assert found["imageTagMutability"] == "IMMUTABLE"
    assert found["imageScanningConfiguration"] == {"scanOnPush": False}
    assert live_tags(ecr) == {"a": "9", "c": "3"}
    diff = result["diff"]
    assert diff["before"]["image_tag_mutability"] == "MUTABLE"
    assert diff["after"]["image_tag_mutability"] == "IMMUTABLE"
    assert diff["before"]["image_scanning_configuration"] == {"scan_on_push": True}
    assert diff["after"]["image_scanning_configuration"] == {"scan_on_push": False}
    assert diff["before"]["tags"] == {"a": "1", "b": "2"}
    assert diff["after"]["tags"] == {"a": "9", "c": "3"}
    assert checked["diff"]["after"] == diff["after"]

    assert run_module(ecr_repository, wanted)["changed"] is False


def test_tags_keep_and_leave_alone(run_module, ecr):
    run_module(ecr_repository, args(tags={"a": "1"}))
    assert run_module(ecr_repository, args(tags={"b": "2"}, purge_tags=False))["changed"] is True
    assert live_tags(ecr) == {"a": "1", "b": "2"}
    assert run_module(ecr_repository, args(tags=None))["changed"] is False
    assert run_module(ecr_repository, args(tags={}))["changed"] is True
    assert live_tags(ecr) == {}


# ---------------------------------------------------------------------------------------------
# absent
# ---------------------------------------------------------------------------------------------
def test_absent_refuses_a_repository_with_images(run_module, ecr, api_calls):
    run_module(ecr_repository, args())
    push_image(ecr, "v1")
    api_calls.clear()
    for check_mode in (True, False):
        result = run_module(ecr_repository, args(state="absent"), check_mode=check_mode)
        assert result["failed"] is True
        assert "holds 1 image(s) (for example 'v1')" in result["msg"]
        assert "force_delete=true" in result["msg"]
    assert writes(api_calls) == []
    assert exists(ecr)

    result = run_module(ecr_repository, args(state="absent", force_delete=True), diff=True)
    assert result["changed"] is True, result
    assert result["repository"] == {}
    assert result["diff"]["before"]["repository_name"] == NAME and result["diff"]["after"] == {}
    assert not exists(ecr)


def test_absent_deletes_an_empty_repository_and_is_idempotent(run_module, ecr, api_calls):
    run_module(ecr_repository, args())
    api_calls.clear()
    checked = run_module(ecr_repository, args(state="absent"), check_mode=True)
    assert checked["changed"] is True
    assert writes(api_calls) == [] and exists(ecr)

    assert run_module(ecr_repository, args(state="absent"))["changed"] is True
    assert not exists(ecr)
    api_calls.clear()
    again = run_module(ecr_repository, args(state="absent"))
    assert again["changed"] is False and again["repository"] == {}
    assert writes(api_calls) == []


# ---------------------------------------------------------------------------------------------
# lifecycle policy: rendering
# ---------------------------------------------------------------------------------------------
# The ecr role's default rules, and the policy ECR stores for them (the seed's: untagged images expire
# after 7 days, the 10 newest tagged stay).
SEED_RULES = [
    {"description": "Expire untagged images after 7 days", "tag_status": "untagged", "expire_after_days": 7},
    {"description": "Keep the last 10 tagged images", "tag_status": "tagged", "tag_patterns": ["*"], "keep_last": 10},
]
SEED_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire untagged images after 7 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "Keep the last 10 tagged images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": 10,
            },
            "action": {"type": "expire"},
        },
    ]
}
RELEASE_RULES = [
    {"description": "Keep the last 50 releases", "tag_status": "tagged", "tag_patterns": ["v*.*.*"], "keep_last": 50},
    {"tag_status": "tagged", "tag_prefixes": ["main-", "build"], "keep_last": 20},
    {"tag_status": "untagged", "expire_after_days": 3},
    {"description": "Anything else after 14 days", "tag_status": "any", "expire_after_days": 14},
]


def live_policy(ecr_client, name=NAME):
    try:
        return json.loads(ecr_client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
    except ecr_client.exceptions.LifecyclePolicyNotFoundException:
        return None


def test_created_with_its_lifecycle_policy_then_unchanged(run_module, ecr, api_calls):
    result = run_module(ecr_repository, args(lifecycle_rules=SEED_RULES), diff=True)
    assert result["changed"] is True and result["created"] is True, result
    assert writes(api_calls) == ["CreateRepository", "PutLifecyclePolicy"]
    put = next(p for name, p in api_calls if name == "PutLifecyclePolicy")
    assert put == {
        "repositoryName": NAME,
        "lifecyclePolicyText": json.dumps(SEED_POLICY, sort_keys=True, separators=(",", ":")),
    }
    assert live_policy(ecr) == SEED_POLICY
    assert result["repository"]["lifecycle_policy"] == SEED_POLICY
    assert result["diff"]["before"] == {} and result["diff"]["after"]["lifecycle_policy"] == SEED_POLICY

    api_calls.clear()
    again = run_module(ecr_repository, args(lifecycle_rules=SEED_RULES), diff=True)
    assert again["changed"] is False
    assert writes(api_calls) == []
    assert again["diff"]["before"] == again["diff"]["after"]


def test_rules_render_in_priority_order(run_module, ecr):
    result = run_module(ecr_repository, args(lifecycle_rules=RELEASE_RULES))
    assert result["changed"] is True, result
    expected = {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Keep the last 50 releases",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["v*.*.*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 50,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["build", "main-"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 20,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 3,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 4,
                "description": "Anything else after 14 days",
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                "action": {"type": "expire"},
            },
        ]
    }
    assert result["repository"]["lifecycle_policy"] == expected
    assert live_policy(ecr) == expected


def test_explicit_priorities_sort_the_rules(run_module, ecr):
    rules = [
        {"tag_status": "any", "keep_last": 100, "priority": 90},
        {"tag_status": "untagged", "expire_after_days": 1, "priority": 5},
    ]
    policy = run_module(ecr_repository, args(lifecycle_rules=rules))["repository"]["lifecycle_policy"]
    assert [r["rulePriority"] for r in policy["rules"]] == [5, 90]
    assert [r["selection"]["tagStatus"] for r in policy["rules"]] == ["untagged", "any"]


def test_without_lifecycle_rules_the_policy_is_neither_read_nor_touched(run_module, ecr, api_calls):
    run_module(ecr_repository, args(lifecycle_rules=SEED_RULES))
    api_calls.clear()
    result = run_module(ecr_repository, args())
    assert result["changed"] is False
    assert "lifecycle_policy" not in result["repository"]
    assert not any("LifecyclePolicy" in name for name, _ in api_calls)
    assert live_policy(ecr) == SEED_POLICY


# ---------------------------------------------------------------------------------------------
# lifecycle policy: every invalid policy fails before any AWS call
# ---------------------------------------------------------------------------------------------
def tagged(**extra):
    return dict({"tag_status": "tagged", "tag_patterns": ["*"], "keep_last": 10}, **extra)


UNTAGGED = {"tag_status": "untagged", "expire_after_days": 7}

INVALID = {
    "tagged_without_prefix_or_pattern": (
        [UNTAGGED, {"tag_status": "tagged", "keep_last": 10}],
        ["lifecycle_rules[1]", "tag_prefixes or tag_patterns", "'*'"],
    ),
    "tagged_with_empty_prefixes": (
        [{"tag_status": "tagged", "tag_prefixes": [], "keep_last": 10}],
        ["lifecycle_rules[0]", "non-empty tag_prefixes or tag_patterns"],
    ),
    "prefixes_with_untagged": (
        [dict(UNTAGGED, tag_prefixes=["v"])],
        ["lifecycle_rules[0]", "tag_prefixes is only allowed with tag status 'tagged', not 'untagged'"],
    ),
    "patterns_with_any": (
        [{"tag_status": "any", "tag_patterns": ["*"], "keep_last": 5}],
        ["lifecycle_rules[0]", "tag_patterns is only allowed with tag status 'tagged', not 'any'"],
    ),
    "prefixes_and_patterns": (
        [tagged(tag_prefixes=["v"])],
        ["lifecycle_rules[0]", "tag_prefixes and tag_patterns are mutually exclusive"],
    ),
    "keep_last_and_expire_after_days": (
        [UNTAGGED, tagged(expire_after_days=30)],
        ["lifecycle_rules[1]", "exactly one of keep_last", "expire_after_days", "not both"],
    ),
    "neither_keep_last_nor_expire_after_days": (
        [{"tag_status": "untagged"}],
        ["lifecycle_rules[0]", "exactly one of keep_last"],
    ),
    "keep_last_zero": ([tagged(keep_last=0)], ["lifecycle_rules[0]", "keep_last must be a positive integer"]),
    "expire_after_days_negative": (
        [dict(UNTAGGED, expire_after_days=-1)],
        ["lifecycle_rules[0]", "expire_after_days must be a positive integer"],
    ),
    "any_not_last": (
        [{"tag_status": "any", "keep_last": 30}, UNTAGGED],
        ["lifecycle_rules[0]", "tag status 'any' must have the highest priority", "lifecycle_rules[1] has 2"],
    ),
    "any_with_lower_explicit_priority": (
        [dict(UNTAGGED, priority=2), {"tag_status": "any", "keep_last": 30, "priority": 1}, tagged(priority=3)],
        ["lifecycle_rules[1]", "its priority is 1 and lifecycle_rules[2] has 3"],
    ),
    "duplicate_priorities": (
        [dict(UNTAGGED, priority=2), tagged()],
        ["lifecycle_rules[1]", "priority 2 is also the priority of lifecycle_rules[0]", "unique"],
    ),
    "five_wildcards": (
        [tagged(tag_patterns=["release-*", "*a*b*c*d*"])],
        ["lifecycle_rules[0]", "tag_patterns entry '*a*b*c*d*' has 5 wildcards", "at most 4"],
    ),
    "wildcard_in_prefix": (
        [{"tag_status": "tagged", "tag_prefixes": ["v*"], "keep_last": 3}],
        ["lifecycle_rules[0]", "tag_prefixes entry 'v*'", "use tag_patterns"],
    ),
    "empty_pattern": (
        [tagged(tag_patterns=[""])],
        ["lifecycle_rules[0]", "tag_patterns must not contain an empty string"],
    ),
    "priority_zero": (
        [dict(UNTAGGED, priority=0)],
        ["lifecycle_rules[0]", "priority must be an integer of at least 1"],
    ),
    "missing_tag_status": ([{"keep_last": 3}], ["lifecycle_rules[0]", "tag_status is required"]),
    "policy_too_long": ([dict(UNTAGGED, description="x" * 31000)], ["ECR accepts 100 to 30720"]),
}


@pytest.mark.parametrize("case", sorted(INVALID), ids=str)
@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
def test_invalid_rules_fail_before_any_api_call(run_module, aws, api_calls, case, check_mode):
    rules, expected = INVALID[case]
    result = run_module(ecr_repository, args(lifecycle_rules=rules), check_mode=check_mode)
    assert result.get("failed") is True, result
    assert result["msg"].startswith(f"Invalid lifecycle policy for ECR repository {NAME!r}: ")
    for fragment in expected:
        assert fragment in result["msg"], (fragment, result["msg"])
    assert api_calls == []


def test_absent_ignores_the_rules(run_module, ecr):
    run_module(ecr_repository, args())
    result = run_module(
        ecr_repository, args(state="absent", lifecycle_rules=[{"tag_status": "tagged", "keep_last": 1}])
    )
    assert result["changed"] is True and "failed" not in result
    assert not exists(ecr)


# ---------------------------------------------------------------------------------------------
# lifecycle policy: comparison with the live policy, plan, kill-safety, removal
# ---------------------------------------------------------------------------------------------
def _reverse_keys(value):
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    return value


def test_live_policy_with_other_key_order_and_whitespace_is_unchanged(run_module, ecr, api_calls):
    run_module(ecr_repository, args())
    reordered = {"rules": [_reverse_keys(rule) for rule in reversed(SEED_POLICY["rules"])]}
    ecr.put_lifecycle_policy(repositoryName=NAME, lifecyclePolicyText=json.dumps(reordered, indent=4))
    api_calls.clear()
    result = run_module(ecr_repository, args(lifecycle_rules=SEED_RULES), diff=True)
    assert result["changed"] is False, result
    assert writes(api_calls) == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_tag_list_order_is_not_a_change(run_module, ecr):
    rules = [{"tag_status": "tagged", "tag_prefixes": ["a", "b"], "keep_last": 2}]
    run_module(ecr_repository, args(lifecycle_rules=rules))
    rules[0]["tag_prefixes"] = ["b", "a"]
    assert run_module(ecr_repository, args(lifecycle_rules=rules))["changed"] is False


def test_a_changed_rule_is_planned_with_a_diff_then_put(run_module, ecr, api_calls):
    run_module(ecr_repository, args(lifecycle_rules=SEED_RULES))
    rules = [UNTAGGED, tagged(keep_last=20)]
    api_calls.clear()
    planned = run_module(ecr_repository, args(lifecycle_rules=rules), check_mode=True, diff=True)
    assert planned["changed"] is True
    assert writes(api_calls) == [] and live_policy(ecr) == SEED_POLICY
    before, after = planned["diff"]["before"], planned["diff"]["after"]
    assert before["lifecycle_policy"] == SEED_POLICY
    assert after["lifecycle_policy"]["rules"][1]["selection"]["countNumber"] == 20
    assert "description" not in after["lifecycle_policy"]["rules"][0]
    assert {k: v for k, v in before.items() if k != "lifecycle_policy"} == {
        k: v for k, v in after.items() if k != "lifecycle_policy"
    }

    result = run_module(ecr_repository, args(lifecycle_rules=rules), diff=True)
    assert result["changed"] is True
    assert writes(api_calls) == ["PutLifecyclePolicy"]
    assert result["diff"] == planned["diff"]
    assert live_policy(ecr) == after["lifecycle_policy"]
    api_calls.clear()
    assert run_module(ecr_repository, args(lifecycle_rules=rules))["changed"] is False
    assert writes(api_calls) == []


def test_check_mode_of_a_new_repository_plans_its_policy(run_module, ecr, api_calls):
    result = run_module(ecr_repository, args(lifecycle_rules=SEED_RULES), check_mode=True, diff=True)
    assert result["changed"] is True and result["created"] is True
    assert result["diff"]["before"] == {} and result["diff"]["after"]["lifecycle_policy"] == SEED_POLICY
    assert writes(api_calls) == [] and not exists(ecr)
    # Nothing to read: the repository does not exist yet.
    assert not any("LifecyclePolicy" in name for name, _ in api_calls)


def test_a_run_killed_after_the_create_puts_only_the_policy(run_module, ecr, api_calls):
    """The repository made, the policy not yet: the next run adds the policy and changes nothing else."""
    run_module(ecr_repository, args())
    api_calls.clear()
    result = run_module(ecr_repository, args(lifecycle_rules=SEED_RULES), diff=True)
    assert result["changed"] is True and result["created"] is False
    assert writes(api_calls) == ["PutLifecyclePolicy"]
    assert result["diff"]["before"]["lifecycle_policy"] == {}
    assert live_policy(ecr) == SEED_POLICY


def test_an_adopted_repository_gets_the_policy_compared_not_assumed(run_module, ecr, lose_the_race, api_calls):
    result = run_module(ecr_repository, args(tags={"Owner": "other-environment"}, lifecycle_rules=SEED_RULES))
    assert result["adopted"] is True and result["changed"] is True
    assert writes(api_calls) == ["CreateRepository", "PutLifecyclePolicy"]
    assert live_policy(ecr) == SEED_POLICY


def test_an_empty_list_removes_the_policy(run_module, ecr, api_calls):
    run_module(ecr_repository, args(lifecycle_rules=SEED_RULES))
    api_calls.clear()
    planned = run_module(ecr_repository, args(lifecycle_rules=[]), check_mode=True, diff=True)
    assert planned["changed"] is True
    assert planned["diff"]["before"]["lifecycle_policy"] == SEED_POLICY
    assert planned["diff"]["after"]["lifecycle_policy"] == {}
    assert writes(api_calls) == [] and live_policy(ecr) == SEED_POLICY

    assert run_module(ecr_repository, args(lifecycle_rules=[]))["changed"] is True
    assert writes(api_calls) == ["DeleteLifecyclePolicy"]
    assert live_policy(ecr) is None
    api_calls.clear()
    assert run_module(ecr_repository, args(lifecycle_rules=[]))["changed"] is False
    assert writes(api_calls) == []


# ---------------------------------------------------------------------------------------------
# What the module adds over the installed stock module (the README's module table says it): the stock
# community.aws.ecs_ecr, run here against the same moto, behaves as the table says.
# ---------------------------------------------------------------------------------------------
def test_stock_ecs_ecr_fails_with_aes256_set_explicitly(run_module, ecr):
    from ansible_collections.community.aws.plugins.modules import ecs_ecr

    aes256 = {"encryption_configuration": {"encryption_type": "AES256"}}
    created = run_module(ecs_ecr, {"name": NAME, **aes256})
    assert created["failed"] is True and "encryptionConfiguration.kmsKey, value: None" in created["msg"]
    ecr.create_repository(repositoryName=NAME)  # AES256, as ECR makes it
    existing = run_module(ecs_ecr, {"name": NAME, **aes256})
    assert existing["failed"] is True and existing["msg"] == "Cannot modify repository encryption type"
    # Ours: the same request on the same repository is no change.
    same = args(encryption_type="AES256", image_tag_mutability="MUTABLE", scan_on_push=False, tags={})
    assert run_module(ecr_repository, same)["changed"] is False


def test_stock_ecs_ecr_has_no_tags_and_defaults_to_mutable_tags_without_scanning(run_module, ecr):
    from ansible_collections.community.aws.plugins.modules import ecs_ecr

    assert "Unsupported parameters" in run_module(ecs_ecr, {"name": NAME, "tags": {"Project": "x"}})["msg"]
    stock = run_module(ecs_ecr, {"name": "stock-default"})["repository"]
    assert (stock["imageTagMutability"], stock["imageScanningConfiguration"]) == ("MUTABLE", {"scanOnPush": False})
    ours = run_module(ecr_repository, {"name": "ours-default"})["repository"]
    assert (ours["image_tag_mutability"], ours["image_scanning_configuration"]) == ("IMMUTABLE", {"scan_on_push": True})


def test_stock_ecs_ecr_fails_on_a_concurrent_create(run_module, ecr, monkeypatch):
    from ansible_collections.community.aws.plugins.modules import ecs_ecr

    ecr.create_repository(repositoryName=NAME)  # made by another run after the stock module looked
    monkeypatch.setattr(ecs_ecr.EcsEcr, "get_repository", lambda self, registry_id, name: None)
    result = run_module(ecs_ecr, {"name": NAME})
    assert result["failed"] is True and "RepositoryAlreadyExistsException" in result["msg"]


def test_stock_ecs_ecr_sends_a_lifecycle_policy_unchecked_and_shows_no_diff(run_module, ecr, api_calls):
    from ansible_collections.community.aws.plugins.modules import ecs_ecr

    ecr.create_repository(repositoryName=NAME)
    tagged_without_list = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            }
        ]
    }
    api_calls.clear()
    result = run_module(ecs_ecr, {"name": NAME, "lifecycle_policy": json.dumps(tagged_without_list)})
    assert result["failed"] is True and "PutLifecyclePolicy" in result["msg"]
    assert "PutLifecyclePolicy" in [name for name, _ in api_calls]  # ECR, not the module, refused it

    planned = run_module(
        ecs_ecr, {"name": NAME, "lifecycle_policy": json.dumps(SEED_POLICY)}, check_mode=True, diff=True
    )
    assert planned["changed"] is True and "diff" not in planned
