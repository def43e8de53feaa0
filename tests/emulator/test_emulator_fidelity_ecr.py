"""ecr.lifecycle_policy_validation: the emulator refuses the lifecycle policies AWS refuses."""

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.fidelity import PATCHES
from emulator.fidelity import ecr as ecr_fidelity
from emulator.testing import RunningEmulator

PREFIX = (
    "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: "
)


def rule(priority: int, tag_status: str, count_type: str = "imageCountMoreThan", **selection: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"tagStatus": tag_status, "countType": count_type, "countNumber": 5}
    if count_type == "sinceImagePushed":
        body["countUnit"] = "days"
    body.update(selection)
    return {"rulePriority": priority, "selection": body, "action": {"type": "expire"}}


def without_count_unit(ecr_rule: dict[str, Any]) -> dict[str, Any]:
    ecr_rule["selection"].pop("countUnit")
    return ecr_rule


@pytest.fixture
def repository(aws: Callable[..., Any]) -> str:
    name = f"fidelity-{uuid.uuid4().hex[:10]}"
    aws("ecr").create_repository(repositoryName=name)
    return name


def put(aws: Callable[..., Any], repository: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    text = json.dumps({"rules": rules})
    return aws("ecr").put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=text)


def test_patch_is_registered(emu: RunningEmulator) -> None:
    assert ecr_fidelity.lifecycle_policy_validation in PATCHES
    assert "ecr.lifecycle_policy_validation" in emu.client.health()["fidelity"]


def test_valid_policy_is_stored(aws: Callable[..., Any], repository: str) -> None:
    rules = [
        rule(1, "untagged", "sinceImagePushed"),
        rule(2, "tagged", tagPatternList=["*"]),
        rule(3, "tagged", tagPrefixList=["release-"]),
        rule(10, "any", "sinceImagePushed"),
    ]
    put(aws, repository, rules)
    stored = aws("ecr").get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
    assert json.loads(stored) == {"rules": rules}


INVALID = {
    "duplicate_priority": ([rule(1, "untagged"), rule(1, "tagged", tagPatternList=["*"])], "unique"),
    "any_not_highest": ([rule(1, "any"), rule(2, "untagged")], "tagStatus any must have the highest"),
    "tagged_without_list": ([rule(1, "tagged")], "required when tagStatus is tagged"),
    "prefixes_with_untagged": ([rule(1, "untagged", tagPrefixList=["v"])], "only allowed when tagStatus is tagged"),
    "patterns_with_any": ([rule(1, "any", tagPatternList=["*"])], "only allowed when tagStatus is tagged"),
    "both_lists": ([rule(1, "tagged", tagPrefixList=["v"], tagPatternList=["v*"])], "cannot both"),
    "five_wildcards": ([rule(1, "tagged", tagPatternList=["*a*b*c*d*"])], "more than 4 wildcards"),
    "count_unit_with_image_count": ([rule(1, "untagged", countUnit="days")], "countUnit is only allowed"),
    "since_pushed_without_count_unit": (
        [without_count_unit(rule(1, "untagged", "sinceImagePushed"))],
        "countUnit is required",
    ),
    "priority_not_an_integer": ([dict(rule(1, "untagged"), rulePriority="1")], "rulePriority"),
}


@pytest.mark.parametrize("case", sorted(INVALID), ids=str)
def test_invalid_policy_is_refused(aws: Callable[..., Any], repository: str, case: str) -> None:
    rules, reason = INVALID[case]
    with pytest.raises(ClientError) as raised:
        put(aws, repository, rules)
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"].startswith(PREFIX)
    assert reason in error["Message"]
    with pytest.raises(ClientError) as missing:
        aws("ecr").get_lifecycle_policy(repositoryName=repository)
    assert missing.value.response["Error"]["Code"] == "LifecyclePolicyNotFoundException"


def test_put_on_a_missing_repository_is_repository_not_found(aws: Callable[..., Any]) -> None:
    with pytest.raises(ClientError) as raised:
        put(aws, f"fidelity-missing-{uuid.uuid4().hex[:6]}", [rule(1, "untagged")])
    assert raised.value.response["Error"]["Code"] == "RepositoryNotFoundException"
