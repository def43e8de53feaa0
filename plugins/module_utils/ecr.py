# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR call wrappers and lifecycle-policy rendering of payments.infra.

Call wrappers follow ``ec2.py``: small, retried with ``AWSRetry.jittered_backoff`` and raising one
exception type (``AnsibleECRError``). Two error handlers, because "missing" means two things: a
missing repository (``RepositoryNotFoundException``) and a missing lifecycle policy of an existing
repository (``LifecyclePolicyNotFoundException``) must not be confused by a lifecycle-policy call.

The lifecycle-policy part (``render_rules``, ``comparable_policy``, ``live_policy``) serves
``ecr_repository``'s ``lifecycle_rules`` and the preflight (``limits.py``): it turns the rules people
write into ECR's lifecycle policy JSON and rejects, before any API call, what ECR would reject. What
is validated, and where each constraint comes from:

From the ECR user guide ("Lifecycle policy properties"):
  - rule priorities are unique within a policy; a rule with tag status ``any`` must have the highest
    priority (it is evaluated last);
  - tag status is ``tagged``, ``untagged`` or ``any``; ``tagged`` needs tag prefixes or tag patterns;
    prefixes / patterns are only for ``tagged`` and a rule may have one of them, not both;
  - at most four wildcards (``*``) per tag pattern;
  - the count (``keep_last`` / ``expire_after_days``) is a positive integer.
From the ECR API model (botocore): the policy text is 100 to 30720 characters.
Ours (no ECR statement; rejected because the result could never be what was meant):
  - a rule priority below 1 (ECR documents priorities starting at 1);
  - an empty tag prefix or pattern, or an empty prefix/pattern list for ``tagged``; a ``*`` in a tag
    prefix (prefixes are literal and image tags cannot contain ``*``: use a pattern).
Not validated: the documented evaluation rule "only one rule is allowed to select untagged images"
(it is not documented whether PutLifecyclePolicy rejects it).

The image part (``describe_image``, ``describe_images``, ``image_view``, ``most_recent``...) serves
``ecr_image_info``: one image looked up per call (see ``describe_image`` for why), the whole repository
listed with pagination when the most recent images are wanted (DescribeImages does not sort), and the
syntax of tags, digests, repository names and registry IDs checked before any call.
"""

import copy
import datetime
import json
import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict


class AnsibleECRError(AnsibleAWSError):
    pass


class ECRRepositoryErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECRError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("RepositoryNotFoundException")


class ECRImageErrorHandler(AWSErrorHandler):
    """A missing image is "missing"; a missing repository is an error (raised)."""

    _CUSTOM_EXCEPTION = AnsibleECRError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ImageNotFoundException")


class ECRLifecyclePolicyErrorHandler(AWSErrorHandler):
    """A missing policy is "missing"; a missing repository is an error (raised)."""

    _CUSTOM_EXCEPTION = AnsibleECRError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("LifecyclePolicyNotFoundException")


# ---------------------------------------------------------------------------------------------
# Repositories
# ---------------------------------------------------------------------------------------------
@ECRRepositoryErrorHandler.list_error_handler("describe ECR repository", None)
@AWSRetry.jittered_backoff()
def describe_repository(client, name, registry_id=None):
    """The DescribeRepositories entry of repository ``name``, None when it does not exist.

    ``registry_id``: the account of another registry (default: the caller's).
    """
    request = {"repositoryNames": [name]}
    if registry_id:
        request["registryId"] = registry_id
    repositories = client.describe_repositories(**request).get("repositories") or []
    return repositories[0] if repositories else None


@ECRRepositoryErrorHandler.common_error_handler("create ECR repository")
@AWSRetry.jittered_backoff()
def create_repository(client, **params):
    """CreateRepository; the new repository, or None when it already exists.

    None means another run (or environment) created it between our describe and our create.
    """
    try:
        return client.create_repository(**params)["repository"]
    except is_boto3_error_code("RepositoryAlreadyExistsException"):
        return None


@ECRRepositoryErrorHandler.deletion_error_handler("delete ECR repository")
@AWSRetry.jittered_backoff()
def delete_repository(client, name, force=False):
    """DeleteRepository; False when it was already gone. RepositoryNotEmptyException is raised."""
    client.delete_repository(repositoryName=name, force=force)
    return True


@ECRRepositoryErrorHandler.list_error_handler("list ECR images", [])
@AWSRetry.jittered_backoff()
def list_image_ids(client, name):
    paginator = client.get_paginator("list_images")
    return paginator.paginate(repositoryName=name).build_full_result().get("imageIds", [])


@ECRRepositoryErrorHandler.common_error_handler("update ECR image scanning configuration")
@AWSRetry.jittered_backoff()
def put_image_scanning_configuration(client, name, scan_on_push):
    client.put_image_scanning_configuration(
        repositoryName=name, imageScanningConfiguration={"scanOnPush": bool(scan_on_push)}
    )
    return True


@ECRRepositoryErrorHandler.common_error_handler("update ECR image tag mutability")
@AWSRetry.jittered_backoff()
def put_image_tag_mutability(client, name, mutability):
    client.put_image_tag_mutability(repositoryName=name, imageTagMutability=mutability)
    return True


@ECRRepositoryErrorHandler.common_error_handler("list ECR repository tags")
@AWSRetry.jittered_backoff()
def list_repository_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(resourceArn=arn).get("tags") or [])


@ECRRepositoryErrorHandler.common_error_handler("tag ECR repository")
@AWSRetry.jittered_backoff()
def tag_repository(client, arn, tags):
    tags = {to_text(k): to_text(v) for k, v in (tags or {}).items()}
    if not tags:
        return False
    client.tag_resource(resourceArn=arn, tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@ECRRepositoryErrorHandler.common_error_handler("untag ECR repository")
@AWSRetry.jittered_backoff()
def untag_repository(client, arn, keys):
    if not keys:
        return False
    client.untag_resource(resourceArn=arn, tagKeys=list(keys))
    return True


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------
@ECRImageErrorHandler.list_error_handler("describe ECR image", None)
@AWSRetry.jittered_backoff()
def describe_image(client, repository, image_id, registry_id=None):
    """The DescribeImages entry (imageDetail) of one image, None when the repository does not hold it.

    ``image_id``: ``{"imageTag": tag}`` or ``{"imageDigest": digest}``. A missing repository raises
    AnsibleECRError (code RepositoryNotFoundException).

    One image per call, on purpose: given several imageIds, DescribeImages answers
    ImageNotFoundException for the whole call as soon as one of them is missing (AWS does, and so does
    moto), so a batched lookup would hide which of the other tags exist. BatchGetImage reports failures
    per image, but it is the pull API: it returns manifests, not the push time, size or scan status,
    needs pull permission (ecr:BatchGetImage) and may count as a pull (lastRecordedPullTime). Release
    checks look up one or a few tags, so one DescribeImages call per tag costs nothing that matters.
    """
    request = {"repositoryName": repository, "imageIds": [image_id]}
    if registry_id:
        request["registryId"] = registry_id
    details = client.describe_images(**request).get("imageDetails") or []
    return details[0] if details else None


@ECRRepositoryErrorHandler.common_error_handler("describe ECR images")
@AWSRetry.jittered_backoff()
def describe_images(client, repository, registry_id=None, tagged_only=False):
    """Every DescribeImages entry of a repository (paginated), in ECR's order (which is not by push time).

    ``tagged_only`` asks ECR for tagged images only (filter tagStatus=TAGGED); untagged images are also
    dropped here, for endpoints that ignore the filter. A missing repository raises AnsibleECRError
    (code RepositoryNotFoundException).
    """
    request = {"repositoryName": repository}
    if registry_id:
        request["registryId"] = registry_id
    if tagged_only:
        request["filter"] = {"tagStatus": "TAGGED"}
    paginator = client.get_paginator("describe_images")
    details = paginator.paginate(**request).build_full_result().get("imageDetails") or []
    if tagged_only:
        details = [d for d in details if d.get("imageTags")]
    return details


# The tag syntax of the OCI distribution specification, which `docker push` and ECR follow: 1 to 128
# characters, letters, digits, "_", "." and "-", not starting with "." or "-". (ECR's API model allows
# 300 characters, but a tag longer than 128 cannot be pushed or pulled by a registry client.)
IMAGE_TAG_RULE = "1 to 128 characters of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-'"
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# ECR computes image digests with sha256 only (the ECS and ECR docs: "sha256:" and 64 hex digits).
IMAGE_DIGEST_RULE = "'sha256:' followed by 64 hexadecimal digits"
_IMAGE_DIGEST = re.compile(r"sha256:[0-9A-Fa-f]{64}")
# From the ECR API model (botocore): RepositoryName (2 to 256 characters) and RegistryId patterns.
REPOSITORY_NAME_RULE = (
    "2 to 256 characters: lowercase letters and digits, in components separated by '.', '_', '__' or '-', "
    "optionally in namespaces separated by '/'"
)
_REPOSITORY_NAME = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*")
REGISTRY_ID_RULE = "a 12-digit AWS account ID"
_REGISTRY_ID = re.compile(r"[0-9]{12}")


def is_image_tag(tag):
    return isinstance(tag, str) and _IMAGE_TAG.fullmatch(tag) is not None


def is_image_digest(digest):
    return isinstance(digest, str) and _IMAGE_DIGEST.fullmatch(digest) is not None


def is_repository_name(name):
    return isinstance(name, str) and 2 <= len(name) <= 256 and _REPOSITORY_NAME.fullmatch(name) is not None


def is_registry_id(registry_id):
    return isinstance(registry_id, str) and _REGISTRY_ID.fullmatch(registry_id) is not None


def _pushed_at_key(detail):
    pushed = detail.get("imagePushedAt")
    if isinstance(pushed, datetime.datetime):
        if pushed.tzinfo is None:
            pushed = pushed.replace(tzinfo=datetime.timezone.utc)
        return pushed.timestamp()
    if isinstance(pushed, (int, float)):
        return float(pushed)
    return float("-inf")  # no push time: oldest


def most_recent(details, count=None):
    """DescribeImages entries sorted by imagePushedAt, most recent first (ties keep ECR's order); the
    first ``count`` of them when ``count`` is given."""
    ordered = sorted(details, key=_pushed_at_key, reverse=True)
    return ordered if count is None else ordered[:count]


def recent_tags(details, count, exclude=()):
    """The ``count`` most recently pushed tags (most recent image first, each image's tags in ECR's
    order), leaving out ``exclude``."""
    tags = []
    for detail in most_recent(details):
        for tag in detail.get("imageTags") or []:
            if tag not in exclude and tag not in tags:
                tags.append(tag)
                if len(tags) >= count:
                    return tags
    return tags


def iso8601(value):
    """A DescribeImages timestamp as ISO 8601 in UTC (None stays None)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc).isoformat()
    return to_text(value)


def image_view(detail, repository_uri=None, requested_tag=None):
    """The snake_case view of a DescribeImages entry that ecr_image_info returns."""
    scan = detail.get("imageScanStatus") or {}
    summary = detail.get("imageScanFindingsSummary") or {}
    digest = detail.get("imageDigest")
    return {
        "requested_tag": requested_tag,
        "tags": list(detail.get("imageTags") or []),
        "digest": digest,
        "image_uri": f"{repository_uri}@{digest}" if repository_uri and digest else None,
        "pushed_at": iso8601(detail.get("imagePushedAt")),
        "size_bytes": detail.get("imageSizeInBytes"),
        "manifest_media_type": detail.get("imageManifestMediaType"),
        "image_status": detail.get("imageStatus"),
        "scan_status": scan.get("status"),
        "scan_status_description": scan.get("description"),
        "scan_completed_at": iso8601(summary.get("imageScanCompletedAt")),
        "scan_finding_severity_counts": dict(summary.get("findingSeverityCounts") or {}),
        "last_pulled_at": iso8601(detail.get("lastRecordedPullTime")),
    }


# ---------------------------------------------------------------------------------------------
# Lifecycle policies
# ---------------------------------------------------------------------------------------------
@ECRLifecyclePolicyErrorHandler.list_error_handler("get ECR lifecycle policy", None)
@AWSRetry.jittered_backoff()
def get_lifecycle_policy(client, repository):
    """The lifecycle policy text of a repository, None if it has none.

    A missing repository raises AnsibleECRError (code RepositoryNotFoundException).
    """
    return client.get_lifecycle_policy(repositoryName=repository).get("lifecyclePolicyText")


@ECRLifecyclePolicyErrorHandler.common_error_handler("put ECR lifecycle policy")
@AWSRetry.jittered_backoff()
def put_lifecycle_policy(client, repository, text):
    client.put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=text)
    return True


@ECRLifecyclePolicyErrorHandler.deletion_error_handler("delete ECR lifecycle policy")
@AWSRetry.jittered_backoff()
def delete_lifecycle_policy(client, repository):
    """DeleteLifecyclePolicy; False when there was no policy."""
    client.delete_lifecycle_policy(repositoryName=repository)
    return True


TAG_STATUSES = ("tagged", "untagged", "any")
IMAGE_COUNT = "imageCountMoreThan"
SINCE_PUSHED = "sinceImagePushed"
MAX_WILDCARDS = 4
POLICY_TEXT_MIN = 100
POLICY_TEXT_MAX = 30720


class LifecyclePolicyError(ValueError):
    """A lifecycle policy ECR would reject (or that cannot mean what was written)."""


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_tag_list(values, field, at):
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise LifecyclePolicyError(f"{at}: {field} must be a list of strings")
    for value in values:
        if not value:
            raise LifecyclePolicyError(
                f"{at}: {field} must not contain an empty string (to select every tagged image, use "
                "tag_patterns: ['*'])"
            )


def _check_tag_selection(tag_status, prefixes, patterns, at):
    """tag_prefixes / tag_patterns as ECR takes them for the rule's tag status."""
    if prefixes is not None and patterns is not None:
        raise LifecyclePolicyError(
            f"{at}: tag_prefixes and tag_patterns are mutually exclusive; ECR accepts one of them per rule"
        )
    if tag_status == "tagged":
        if not prefixes and not patterns:
            raise LifecyclePolicyError(
                f"{at}: tag status 'tagged' needs a non-empty tag_prefixes or tag_patterns: ECR selects tagged "
                "images only by tag prefix or pattern (tag_patterns: ['*'] selects every tagged image)"
            )
    elif prefixes is not None or patterns is not None:
        field = "tag_prefixes" if prefixes is not None else "tag_patterns"
        raise LifecyclePolicyError(
            f"{at}: {field} is only allowed with tag status 'tagged', not {tag_status!r} (ECR rejects it)"
        )
    for field, values in (("tag_prefixes", prefixes), ("tag_patterns", patterns)):
        if values is not None:
            _check_tag_list(values, field, at)
    for prefix in prefixes or ():
        if "*" in prefix:
            raise LifecyclePolicyError(
                f"{at}: tag_prefixes entry {prefix!r} contains '*': tag prefixes are literal (image tags cannot "
                "contain '*'); use tag_patterns for wildcards"
            )
    for pattern in patterns or ():
        if pattern.count("*") > MAX_WILDCARDS:
            raise LifecyclePolicyError(
                f"{at}: tag_patterns entry {pattern!r} has {pattern.count('*')} wildcards; ECR allows at most "
                f"{MAX_WILDCARDS} '*' per tag pattern"
            )


def _check_priorities(entries):
    """entries: [(label, priority, tag_status)]. Unique priorities; an 'any' rule has the highest one."""
    seen = {}
    for label, priority, _status in entries:
        if priority in seen:
            raise LifecyclePolicyError(
                f"{label}: priority {priority} is also the priority of {seen[priority]}; "
                "ECR needs a unique priority per rule"
            )
        seen[priority] = label
    highest = max(priority for _label, priority, _status in entries)
    for label, priority, status in entries:
        if status == "any" and priority != highest:
            raise LifecyclePolicyError(
                f"{label}: a rule with tag status 'any' must have the highest priority (ECR evaluates it last), "
                f"but its priority is {priority} and {seen[highest]} has {highest}; put it last in the list or "
                "give it the highest priority"
            )


def policy_text(policy):
    """The canonical JSON text of a policy: sorted keys, no whitespace."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def _render_rule(rule, index, at):
    """(ECR's rule, its priority, its tag status) of one rule; LifecyclePolicyError if invalid."""
    if not isinstance(rule, dict):
        raise LifecyclePolicyError(f"{at}: each rule must be a dictionary")
    tag_status = rule.get("tag_status")
    if tag_status not in TAG_STATUSES:
        raise LifecyclePolicyError(f"{at}: tag_status is required: one of {', '.join(TAG_STATUSES)}")
    prefixes, patterns = rule.get("tag_prefixes"), rule.get("tag_patterns")
    _check_tag_selection(tag_status, prefixes, patterns, at)

    keep_last, expire_after_days = rule.get("keep_last"), rule.get("expire_after_days")
    if (keep_last is None) == (expire_after_days is None):
        raise LifecyclePolicyError(
            f"{at}: give exactly one of keep_last (keep the newest N images) or expire_after_days "
            f"(expire images pushed more than N days ago){', not both' if keep_last is not None else ''}"
        )
    field, count = ("keep_last", keep_last) if keep_last is not None else ("expire_after_days", expire_after_days)
    if not _is_int(count) or count < 1:
        raise LifecyclePolicyError(f"{at}: {field} must be a positive integer (ECR rejects {count!r})")

    priority = rule.get("priority")
    if priority is None:
        priority = index + 1
    elif not _is_int(priority) or priority < 1:
        raise LifecyclePolicyError(f"{at}: priority must be an integer of at least 1, got {priority!r}")

    selection = {"tagStatus": tag_status}
    if prefixes:
        selection["tagPrefixList"] = list(prefixes)
    if patterns:
        selection["tagPatternList"] = list(patterns)
    if keep_last is not None:
        selection.update(countType=IMAGE_COUNT, countNumber=keep_last)
    else:
        selection.update(countType=SINCE_PUSHED, countUnit="days", countNumber=expire_after_days)
    ecr_rule = {"rulePriority": priority, "selection": selection, "action": {"type": "expire"}}
    if rule.get("description"):
        ecr_rule["description"] = to_text(rule["description"])
    return ecr_rule, priority, tag_status


def render_rules(rules, where="lifecycle_rules"):
    """ECR's lifecycle policy dict for a list of rules; LifecyclePolicyError (naming ``where[i]`` and the field)
    if ECR would reject it. An empty list is no policy: None.

    Each rule: description, tag_status, tag_prefixes | tag_patterns, keep_last | expire_after_days,
    priority (default: the rule's position in the list, from 1). Rules come out sorted by priority.
    """
    if not rules:
        return None
    rendered, entries = [], []
    for index, rule in enumerate(rules):
        at = f"{where}[{index}]"
        ecr_rule, priority, tag_status = _render_rule(rule, index, at)
        rendered.append(ecr_rule)
        entries.append((at, priority, tag_status))
    _check_priorities(entries)
    policy = {"rules": sorted(rendered, key=lambda r: r["rulePriority"])}
    text = policy_text(policy)
    if not POLICY_TEXT_MIN <= len(text) <= POLICY_TEXT_MAX:
        raise LifecyclePolicyError(
            f"{where}: the lifecycle policy is {len(text)} characters of JSON; ECR accepts {POLICY_TEXT_MIN} to "
            f"{POLICY_TEXT_MAX}"
        )
    return policy


def live_policy(client, repository):
    """The lifecycle policy of an existing repository as a dict (None without one)."""
    text = get_lifecycle_policy(client, repository)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"unparsable_policy_text": text}


def comparable_policy(policy):
    """A policy normalised for comparison: None stays None; rules sorted by priority; empty
    descriptions dropped; tag lists sorted (ECR matches all of them, in any order); countUnit
    'days' filled in for sinceImagePushed. Key order and whitespace never matter (dicts)."""
    if policy is None:
        return None
    policy = copy.deepcopy(policy)
    rules = policy.get("rules")
    if isinstance(rules, list):
        for rule in rules:
            if not isinstance(rule, dict):
                continue
            if "description" in rule and not rule["description"]:
                del rule["description"]
            selection = rule.get("selection")
            if isinstance(selection, dict):
                for key in ("tagPrefixList", "tagPatternList"):
                    if isinstance(selection.get(key), list):
                        selection[key] = sorted(selection[key], key=str)
                if selection.get("countType") == SINCE_PUSHED:
                    selection.setdefault("countUnit", "days")
        policy["rules"] = sorted(
            rules, key=lambda r: (r.get("rulePriority", 0) if isinstance(r, dict) else 0, policy_text(r))
        )
    return policy
