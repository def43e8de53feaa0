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
    assert repo["image_tag_mutability"] == "MUTABLE"
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    assert repo["encryption_configuration"] == {"encryption_type": "AES256", "kms_key": None}
    assert repo["tags"] == {"Project": "payment-api"}

    # One write: settings and tags travel with CreateRepository; AES256 without a kmsKey.
    assert writes(api_calls) == ["CreateRepository"]
    create = next(p for name, p in api_calls if name == "CreateRepository")
    assert create == {
        "repositoryName": NAME,
        "imageTagMutability": "MUTABLE",
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


def test_create_with_immutable_tags_and_no_scan(run_module, ecr):
    result = run_module(ecr_repository, args(image_tag_mutability="IMMUTABLE", scan_on_push=False, tags=None))
    assert result["changed"] is True
    found = live(ecr)
    assert found["imageTagMutability"] == "IMMUTABLE"
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
                image_tag_mutability=None,
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
    first = run_module(ecr_repository, args(tags={"a": "1", "b": "2"}))
    arn = first["repository"]["repository_arn"]
    wanted = args(image_tag_mutability="IMMUTABLE", scan_on_push=False, tags={"a": "9", "c": "3"})

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
