"""ECR fidelity patches."""

from __future__ import annotations

import functools
from typing import Any

from moto.ecr import models as ecr_models
from moto.ecr.exceptions import InvalidParameterException
from moto.ecr.policy_validation import EcrLifecyclePolicyValidator
from moto.ecr.responses import ECRResponse

from emulator.fidelity._limits import check_before
from emulator.fidelity._limits import length_problem

_TAG_STATUSES = ("tagged", "untagged", "any")
_MAX_WILDCARDS = 4


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tag_selection_problem(selection: dict[str, Any]) -> str | None:
    status = selection["tagStatus"]
    prefixes, patterns = selection.get("tagPrefixList"), selection.get("tagPatternList")
    problem = None
    if prefixes is not None and patterns is not None:
        problem = "tagPrefixList and tagPatternList cannot both be specified in one rule"
    elif status == "tagged" and prefixes is None and patterns is None:
        problem = "tagPrefixList or tagPatternList is required when tagStatus is tagged"
    elif status != "tagged" and (prefixes is not None or patterns is not None):
        problem = f"tagPrefixList and tagPatternList are only allowed when tagStatus is tagged, not {status}"
    else:
        wild = [p for p in patterns or [] if str(p).count("*") > _MAX_WILDCARDS]
        if wild:
            problem = f"tag pattern {wild[0]} has more than {_MAX_WILDCARDS} wildcards"
    return problem


def _count_problem(selection: dict[str, Any]) -> str | None:
    count_type, count_unit = selection["countType"], selection.get("countUnit")
    problem = None
    if not _is_int(selection["countNumber"]):
        problem = "instance type of countNumber is not an integer"
    elif count_type == "sinceImagePushed" and count_unit is None:
        problem = "countUnit is required when countType is sinceImagePushed"
    elif count_type == "imageCountMoreThan" and count_unit is not None:
        problem = "countUnit is only allowed when countType is sinceImagePushed"
    return problem


def _rule_problem(rule: dict[str, Any]) -> str | None:
    """What ECR's documented rules reject in one rule (moto's schema checks have passed), or None."""
    if not _is_int(rule["rulePriority"]):
        return f"instance type of rulePriority ({type(rule['rulePriority']).__name__}) is not an integer"
    return _tag_selection_problem(rule["selection"]) or _count_problem(rule["selection"])


def _policy_problem(rules: list[dict[str, Any]]) -> str | None:
    for rule in rules:
        problem = _rule_problem(rule)
        if problem:
            return problem
    priorities = [rule["rulePriority"] for rule in rules]
    if len(set(priorities)) != len(priorities):
        return "rulePriority values must be unique"
    highest = max(priorities)
    if any(rule["selection"]["tagStatus"] == "any" and rule["rulePriority"] != highest for rule in rules):
        return "a rule with tagStatus any must have the highest rulePriority"
    return None


def lifecycle_policy_validation() -> None:
    """PutLifecyclePolicy rejects, with ``InvalidParameterException``, the
    policies the ECR user guide ("Lifecycle policy properties") rules out: duplicate ``rulePriority`` values;
    a ``tagStatus: any`` rule without the highest ``rulePriority``; ``tagStatus: tagged`` without a
    ``tagPrefixList`` or ``tagPatternList``; either list with ``untagged``/``any``, or both lists in one rule;
    a tag pattern with more than four ``*``; ``sinceImagePushed`` without ``countUnit`` and ``countUnit`` with
    ``imageCountMoreThan``; a non-integer ``rulePriority`` or ``countNumber``.

    moto checks only the JSON shape (required and allowed keys, enum values, ``countNumber >= 1``), so it
    stores policies that AWS refuses: a lifecycle policy that works against the emulator then fails on the
    first real deployment. The error code and message prefix are AWS's; the wording after
    "Lifecycle policy validation failure:" is the emulator's own.
    """
    original = EcrLifecyclePolicyValidator.validate

    @functools.wraps(original)
    def validate(self: EcrLifecyclePolicyValidator) -> None:
        original(self)
        problem = _policy_problem(self._rules)
        if problem:
            raise InvalidParameterException(f"{self.INVALID_PARAMETER_ERROR_MESSAGE}{problem}.'")

    EcrLifecyclePolicyValidator.validate = validate  # type: ignore[method-assign]


# ---- Limits ---------------------------------------------------------------------------------------------------------
# CreateRepository repositoryName (ECR API reference): "Length Constraints: Minimum length of 2. Maximum length of
# 256. Pattern: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
REPOSITORY_NAME_LENGTH = (2, 256)
REPOSITORY_NAME_PATTERN = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"


def repository_name_rules() -> None:
    """CreateRepository refuses a repositoryName outside 2-256 characters (InvalidParameterException ``1 validation
    error detected: Value 'a' at 'repositoryName' failed to satisfy constraint: Member must have length greater than
    or equal to 2``) and checks the name against AWS's pattern (ECR API reference, CreateRepository: "Length
    Constraints: Minimum length of 2. Maximum length of 256. Pattern:
    [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*").

    moto accepted 1 and 257 characters, and its older pattern refused names AWS accepts (``a__b``, ``a--b``).
    """
    ecr_models.ECR_REPOSITORY_NAME_PATTERN = REPOSITORY_NAME_PATTERN

    def check(response: ECRResponse) -> None:
        problem = length_problem(response._get_param("repositoryName") or "", "repositoryName", *REPOSITORY_NAME_LENGTH)
        if problem:
            raise InvalidParameterException(problem)

    check_before(ECRResponse, "create_repository", check)
