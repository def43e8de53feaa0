#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repository
short_description: Create, adopt, update or delete one private ECR repository with its lifecycle policy
version_added: 0.1.0
description:
  - Ensures a private Amazon ECR repository named O(name) exists with the given image scanning,
    tag mutability, encryption, tags and lifecycle policy, or deletes it.
  - The repository is found by name. A missing one is created with its tags, scanning, mutability
    and encryption settings in the one C(CreateRepository) call.
  - A repository that already exists (created by another environment, by hand, or by a parallel
    run) is adopted and converged, never reported as an error. When C(CreateRepository) answers
    C(RepositoryAlreadyExistsException) because another run created the repository between this
    module's lookup and its create, the repository is looked up again and adopted
    (RV(adopted=true)).
  - Image scanning on push, tag mutability, tags and the lifecycle policy are changed in place.
  - The lifecycle policy is written as O(lifecycle_rules) that say what to keep or for how long,
    validated before any AWS call, and compared with the live policy as data (key order, whitespace,
    rule order and tag list order never cause a change).
  - Encryption cannot be changed once a repository exists. When the existing repository's
    encryption differs from O(encryption_type) / O(kms_key), the module fails before making any
    change and says what differs.
  - Unlike M(community.aws.ecs_ecr), O(encryption_type=AES256) works (no C(kmsKey=None) is sent)
    and the repository is tagged.
author:
  - payments.infra maintainers
options:
  name:
    description:
      - The name of the repository, for example V(payment-api) or V(team/payment-api).
    type: str
    required: true
  state:
    description:
      - Whether the repository should exist.
      - V(absent) refuses to delete a repository that holds images unless O(force_delete=true).
        A repository that does not exist is not a change.
    type: str
    choices: [present, absent]
    default: present
  scan_on_push:
    description:
      - Whether images are scanned for vulnerabilities when they are pushed (basic scanning).
      - When the registry uses enhanced scanning, the registry's scanning configuration applies instead.
    type: bool
    default: true
  image_tag_mutability:
    description:
      - V(IMMUTABLE) forbids pushing an image with a tag that an image in the repository already has, so a
        tag names one image for good (the default, unlike M(community.aws.ecs_ecr)). A repository found
        V(MUTABLE) is switched in place.
      - A repository found with tag mutability exclusion filters (C(MUTABLE_WITH_EXCLUSION),
        C(IMMUTABLE_WITH_EXCLUSION)) is set to the plain setting given here.
    type: str
    choices: [MUTABLE, IMMUTABLE]
    default: IMMUTABLE
  encryption_type:
    description:
      - How images are encrypted at rest. V(AES256) uses Amazon S3-managed keys; V(KMS) uses a KMS key.
      - Cannot be changed after the repository is created; a difference makes the module fail.
    type: str
    choices: [AES256, KMS]
    default: AES256
  kms_key:
    description:
      - The KMS key used when O(encryption_type=KMS), as a key ARN, key ID, alias name
        (V(alias/...)) or alias ARN. It must be in the repository's region.
      - Only valid with O(encryption_type=KMS). Without it, a new repository uses the AWS managed
        key for ECR and the key of an existing KMS-encrypted repository is not compared.
      - Compared with the existing repository's key as given; when the two are written differently
        (an alias and a key ARN), both are resolved with C(kms:DescribeKey).
    type: str
  lifecycle_rules:
    description:
      - The rules of the repository's lifecycle policy. ECR applies them by priority, lowest first; an
        image is expired by at most one rule. Each rule becomes one ECR rule with C(action.type=expire).
      - Not given, the lifecycle policy is left as it is (not read). An empty list removes the policy.
      - Validated before any AWS call; a failure names the rule (V(lifecycle_rules[0]) is the first) and
        the field. Checked as ECR documents them - a rule with O(lifecycle_rules[].tag_status=tagged)
        needs O(lifecycle_rules[].tag_prefixes) or O(lifecycle_rules[].tag_patterns), other rules must
        have neither; the two exclude each other; at most four C(*) per pattern; exactly one of
        O(lifecycle_rules[].keep_last) and O(lifecycle_rules[].expire_after_days), at least 1; unique
        priorities; a rule with O(lifecycle_rules[].tag_status=any) must have the highest priority; the
        policy JSON 100 to 30720 characters. Checked without an ECR statement - priorities of at least 1,
        no empty prefix or pattern, no C(*) in a prefix.
      - Not checked - ECR documents that only one rule may select untagged images; a second one is
        left for ECR to judge.
    type: list
    elements: dict
    suboptions:
      description:
        description: What the rule is for; shown by ECR.
        type: str
      tag_status:
        description:
          - Which images the rule selects. V(tagged) - images with a tag matching
            O(lifecycle_rules[].tag_prefixes) or O(lifecycle_rules[].tag_patterns); V(untagged) - images
            without tags; V(any) - all images.
          - Required.
        type: str
        choices: [tagged, untagged, any]
      tag_prefixes:
        description:
          - With O(lifecycle_rules[].tag_status=tagged), select images having, for each prefix, a tag that
            starts with it (ECR C(tagPrefixList)). Mutually exclusive with O(lifecycle_rules[].tag_patterns).
        type: list
        elements: str
      tag_patterns:
        description:
          - With O(lifecycle_rules[].tag_status=tagged), select images having, for each pattern, a tag that
            matches it; C(*) matches any characters, at most four C(*) per pattern (ECR C(tagPatternList)).
            V(["*"]) selects every tagged image. Mutually exclusive with O(lifecycle_rules[].tag_prefixes).
        type: list
        elements: str
      keep_last:
        description:
          - Keep the N most recently pushed selected images and expire the older ones
            (ECR C(countType=imageCountMoreThan)).
          - Exactly one of O(lifecycle_rules[].keep_last) and O(lifecycle_rules[].expire_after_days).
        type: int
      expire_after_days:
        description:
          - Expire selected images pushed more than N days ago (ECR C(countType=sinceImagePushed),
            C(countUnit=days)).
        type: int
      priority:
        description:
          - The rule's priority (ECR C(rulePriority)); lower is applied first.
          - Defaults to the rule's position in O(lifecycle_rules), counting from 1.
        type: int
  force_delete:
    description:
      - With O(state=absent), delete the repository even if it holds images, deleting the images too.
      - Without it, a repository holding images is not deleted and the module fails.
    type: bool
    default: false
notes:
  - Check mode is supported; RV(changed) and the diff report what would be done and no write API is called.
  - Lifecycle expiry happens within 24 hours of a change, by ECR; this module does not preview which images go.
  - Repository policies, replication and tag mutability exclusion filters are not managed by this module.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The shared payment-api repository (created by the first environment, adopted by the others)
  payments.infra.ecr_repository:
    name: payment-api
    scan_on_push: true
    image_tag_mutability: IMMUTABLE
    encryption_type: AES256
    tags:
      Project: payment-api
    lifecycle_rules:
      - description: Expire untagged images after 7 days
        tag_status: untagged
        expire_after_days: 7
      - description: Keep the last 10 tagged images
        tag_status: tagged
        tag_patterns: ["*"]
        keep_last: 10
  register: ecr

- name: Keep releases, 20 builds of main, and two weeks of anything else
  payments.infra.ecr_repository:
    name: payments/ledger
    lifecycle_rules:
      - tag_status: tagged
        tag_patterns: ["v*.*.*"]
        keep_last: 50
      - tag_status: tagged
        tag_prefixes: [main-]
        keep_last: 20
      - tag_status: any
        expire_after_days: 14

- name: A KMS-encrypted repository
  payments.infra.ecr_repository:
    name: payments/ledger
    encryption_type: KMS
    kms_key: alias/payments-ecr

- name: Delete a repository and every image in it
  payments.infra.ecr_repository:
    name: payments/scratch
    state: absent
    force_delete: true
"""

RETURN = r"""
repository:
  description:
    - The repository after the run (in check mode, as it would be). Empty when O(state=absent).
    - In check mode, identifiers of a repository still to be created are null.
  returned: always
  type: dict
  contains:
    repository_name:
      description: The name of the repository.
      type: str
      sample: payment-api
    repository_arn:
      description: The ARN of the repository.
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/payment-api
    repository_uri:
      description: The URI to push and pull images with.
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/payment-api
    registry_id:
      description: The AWS account ID of the registry holding the repository.
      type: str
      sample: "123456789012"
    image_tag_mutability:
      description: The tag mutability setting.
      type: str
      sample: IMMUTABLE
    image_scanning_configuration:
      description: The image scanning configuration.
      type: dict
      contains:
        scan_on_push:
          description: Whether images are scanned on push.
          type: bool
          sample: true
    encryption_configuration:
      description: The encryption configuration.
      type: dict
      contains:
        encryption_type:
          description: V(AES256) or V(KMS) (or another type ECR reports, such as C(KMS_DSSE)).
          type: str
          sample: AES256
        kms_key:
          description: The KMS key, for KMS encryption.
          type: str
          sample: arn:aws:kms:us-east-1:123456789012:key/0123abcd-4567-89ef-0123-456789abcdef
    tags:
      description: The tags of the repository.
      type: dict
      sample: {"Project": "payment-api"}
    lifecycle_policy:
      description:
        - The lifecycle policy as ECR's document, rules sorted by priority; empty without a policy.
        - Returned when O(lifecycle_rules) is given.
      type: dict
      sample:
        rules:
          - rulePriority: 1
            description: Expire untagged images after 7 days
            selection: {tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 7}
            action: {type: expire}
created:
  description: True when this run created the repository (in check mode, would create it).
  returned: always
  type: bool
adopted:
  description:
    - True when C(CreateRepository) answered that the repository already exists (another run or
      environment created it after this run looked for it) and the existing repository was adopted.
  returned: always
  type: bool
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import error_code
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.payments.infra.plugins.module_utils.ecr import LifecyclePolicyError
from ansible_collections.payments.infra.plugins.module_utils.ecr import comparable_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import create_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import delete_lifecycle_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import delete_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import describe_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import list_image_ids
from ansible_collections.payments.infra.plugins.module_utils.ecr import list_repository_tags
from ansible_collections.payments.infra.plugins.module_utils.ecr import live_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import policy_text
from ansible_collections.payments.infra.plugins.module_utils.ecr import put_image_scanning_configuration
from ansible_collections.payments.infra.plugins.module_utils.ecr import put_image_tag_mutability
from ansible_collections.payments.infra.plugins.module_utils.ecr import put_lifecycle_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import render_rules
from ansible_collections.payments.infra.plugins.module_utils.ecr import tag_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import untag_repository
from ansible_collections.payments.infra.plugins.module_utils.kms import AnsibleKMSError
from ansible_collections.payments.infra.plugins.module_utils.kms import kms_key_arn


def repository_view(repository, tags):
    """The snake_case ``repository`` return value of a DescribeRepositories entry."""
    if not repository:
        return {}
    encryption = repository.get("encryptionConfiguration") or {}
    return {
        "repository_name": repository.get("repositoryName"),
        "repository_arn": repository.get("repositoryArn"),
        "repository_uri": repository.get("repositoryUri"),
        "registry_id": repository.get("registryId"),
        "image_tag_mutability": repository.get("imageTagMutability"),
        "image_scanning_configuration": {
            "scan_on_push": bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush", False))
        },
        "encryption_configuration": {
            "encryption_type": encryption.get("encryptionType"),
            "kms_key": encryption.get("kmsKey"),
        },
        "tags": {to_text(k): to_text(v) for k, v in (tags or {}).items()},
    }


def encryption_request(params):
    encryption = {"encryptionType": params["encryption_type"]}
    if params["encryption_type"] == "KMS" and params["kms_key"]:
        encryption["kmsKey"] = params["kms_key"]
    return encryption


def create_request(params):
    request = {
        "repositoryName": params["name"],
        "imageTagMutability": params["image_tag_mutability"],
        "imageScanningConfiguration": {"scanOnPush": params["scan_on_push"]},
        "encryptionConfiguration": encryption_request(params),
    }
    tags = {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}
    if tags:
        request["tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def planned_repository(params):
    """The DescribeRepositories entry CreateRepository should produce (for check mode)."""
    encryption = encryption_request(params)
    return {
        "repositoryName": params["name"],
        "repositoryArn": None,
        "repositoryUri": None,
        "registryId": None,
        "imageTagMutability": params["image_tag_mutability"],
        "imageScanningConfiguration": {"scanOnPush": params["scan_on_push"]},
        "encryptionConfiguration": {"encryptionType": encryption["encryptionType"], "kmsKey": encryption.get("kmsKey")},
    }


def _same_kms_key(module, wanted, actual):
    """Whether two references to KMS keys (ARN, ID, alias) name the same key."""
    if not wanted or wanted == actual:
        return True
    if not actual:
        return False
    kms = module.client("kms")
    try:
        wanted_arn = kms_key_arn(kms, wanted)
        actual_arn = kms_key_arn(kms, actual)
    except AnsibleKMSError as e:
        module.fail_json_aws_error(
            AnsibleECRError(
                message=(
                    f"ECR repository {module.params['name']!r} is encrypted with KMS key {actual!r} and "
                    f"kms_key={wanted!r} is written differently; resolving both with kms:DescribeKey to "
                    "compare them failed"
                ),
                exception=e.exception,
            )
        )
    return wanted_arn is not None and wanted_arn == actual_arn


def encryption_mismatch(module, repository, adopted):
    """A message saying how the repository's encryption differs from the options, or None."""
    params = module.params
    name = params["name"]
    current = repository.get("encryptionConfiguration") or {}
    current_type = current.get("encryptionType") or "AES256"
    current_key = current.get("kmsKey")
    wanted_type, wanted_key = params["encryption_type"], params["kms_key"]
    difference = None
    if current_type != wanted_type:
        have = f"encryption_type {current_type}" + (f" with KMS key {current_key}" if current_key else "")
        difference = f"it has {have}, not encryption_type={wanted_type}"
    elif wanted_type == "KMS" and not _same_kms_key(module, wanted_key, current_key):
        difference = f"it is encrypted with KMS key {current_key}, not kms_key={wanted_key}"
    if difference is None:
        return None
    origin = " (it was just created by another run or environment)" if adopted else ""
    match = f"encryption_type={current_type}" + (f" and kms_key={current_key}" if current_key else "")
    return (
        f"ECR repository {name!r} already exists{origin} and its encryption differs from what was asked: "
        f"{difference}. ECR cannot change the encryption of an existing repository, so nothing was changed. "
        f"Either set {match} to keep this repository, or create the repository under another name, or "
        f"delete it (state=absent, force_delete=true deletes its images too) and run again to re-create it."
    )


def create(client, module, result):
    """Create the repository (check mode: plan it); the repository, or the one another run created meanwhile."""
    params = module.params
    if module.check_mode:
        result.update(changed=True, created=True)
        return planned_repository(params)
    made = create_repository(client, **create_request(params))
    if made is not None:
        result.update(changed=True, created=True)
        return made
    # RepositoryAlreadyExistsException: created by someone else since we looked. Adopt it.
    repository = describe_repository(client, params["name"])
    if repository is None:
        raise AnsibleECRError(
            message=(
                f"CreateRepository answered that ECR repository {params['name']!r} already exists, but "
                "DescribeRepositories does not find it (deleted again in the meantime?); run again"
            )
        )
    result["adopted"] = True
    return repository


def converge_settings(client, module, repository, result):
    """Scanning, mutability and tags of an existing repository; (before, after) views."""
    params = module.params
    name, arn = params["name"], repository["repositoryArn"]
    current_tags = list_repository_tags(client, arn)
    before = repository_view(repository, current_tags)
    final_tags, to_set, to_unset = desired_tags(current_tags, params["tags"], params["purge_tags"])
    after = repository_view(repository, final_tags)

    scan_on_push = before["image_scanning_configuration"]["scan_on_push"]
    if scan_on_push != params["scan_on_push"]:
        result["changed"] = True
        after["image_scanning_configuration"] = {"scan_on_push": params["scan_on_push"]}
        if not module.check_mode:
            put_image_scanning_configuration(client, name, params["scan_on_push"])
    if before["image_tag_mutability"] != params["image_tag_mutability"]:
        result["changed"] = True
        after["image_tag_mutability"] = params["image_tag_mutability"]
        if not module.check_mode:
            put_image_tag_mutability(client, name, params["image_tag_mutability"])
    if to_set or to_unset:
        result["changed"] = True
        if not module.check_mode:
            untag_repository(client, arn, to_unset)
            tag_repository(client, arn, to_set)
    return before, after


def converge_lifecycle(client, module, wanted, is_new, before, after, result):
    """The lifecycle policy: the live one (none on a new repository) made the wanted one (None: no policy)."""
    name = module.params["name"]
    current = None if is_new else comparable_policy(live_policy(client, name))
    wanted = comparable_policy(wanted)
    if not is_new:
        before["lifecycle_policy"] = current or {}
    after["lifecycle_policy"] = wanted or {}
    if current == wanted:
        return
    result["changed"] = True
    if module.check_mode:
        return
    if wanted is None:
        delete_lifecycle_policy(client, name)
    else:
        put_lifecycle_policy(client, name, policy_text(wanted))


def ensure_present(client, module, repository, wanted_policy):
    params = module.params
    result = {"changed": False, "created": False, "adopted": False}
    if repository is None:
        repository = create(client, module, result)
    if result["created"]:
        before, after = {}, repository_view(repository, params["tags"])
    else:
        mismatch = encryption_mismatch(module, repository, result["adopted"])
        if mismatch:
            module.fail_json(msg=mismatch, repository=repository_view(repository, None))
        before, after = converge_settings(client, module, repository, result)
    if params["lifecycle_rules"] is not None:
        converge_lifecycle(client, module, wanted_policy, result["created"], before, after, result)
    result["repository"] = after
    if module._diff:
        result["diff"] = make_diff(before, after)
    return result


def _not_empty_message(name, images):
    tags = sorted(i["imageTag"] for i in images if i.get("imageTag"))
    example = f" (for example {tags[0]!r})" if tags else ""
    count = len({i.get("imageDigest") for i in images}) or len(images)
    return (
        f"ECR repository {name!r} holds {count} image(s){example}; deleting it would delete them, so it was "
        "not deleted. Set force_delete=true to delete the repository together with its images."
    )


def ensure_absent(client, module, repository):
    params = module.params
    name = params["name"]
    result = {"changed": False, "created": False, "adopted": False, "repository": {}}
    if repository is None:
        if module._diff:
            result["diff"] = make_diff({}, {})
        return result
    before = repository_view(repository, list_repository_tags(client, repository["repositoryArn"]))
    if not params["force_delete"]:
        images = list_image_ids(client, name)
        if images:
            module.fail_json(msg=_not_empty_message(name, images), repository=before)
    result["changed"] = True
    if not module.check_mode:
        try:
            result["changed"] = delete_repository(client, name, force=params["force_delete"])
        except AnsibleECRError as e:
            if error_code(e) != "RepositoryNotEmptyException":
                raise
            # An image was pushed after we looked.
            module.fail_json(msg=_not_empty_message(name, list_image_ids(client, name)), repository=before)
    if module._diff:
        result["diff"] = make_diff(before, {})
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        scan_on_push=dict(type="bool", default=True),
        image_tag_mutability=dict(type="str", choices=["MUTABLE", "IMMUTABLE"], default="IMMUTABLE"),
        encryption_type=dict(type="str", choices=["AES256", "KMS"], default="AES256"),
        kms_key=dict(type="str", no_log=False),
        lifecycle_rules=dict(
            type="list",
            elements="dict",
            options=dict(
                description=dict(type="str"),
                tag_status=dict(type="str", choices=["tagged", "untagged", "any"]),
                tag_prefixes=dict(type="list", elements="str"),
                tag_patterns=dict(type="list", elements="str"),
                keep_last=dict(type="int"),
                expire_after_days=dict(type="int"),
                priority=dict(type="int"),
            ),
        ),
        force_delete=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["kms_key"] and params["encryption_type"] != "KMS":
        module.fail_json(
            msg=(
                f"kms_key={params['kms_key']!r} is only valid with encryption_type=KMS, but encryption_type="
                f"{params['encryption_type']}: set encryption_type=KMS to use the key, or remove kms_key."
            )
        )

    wanted_policy = None
    if params["state"] == "present" and params["lifecycle_rules"]:
        try:
            wanted_policy = render_rules(params["lifecycle_rules"])
        except LifecyclePolicyError as e:
            module.fail_json(msg=f"Invalid lifecycle policy for ECR repository {params['name']!r}: {e}")

    client = module.client("ecr")
    try:
        repository = describe_repository(client, params["name"])
        if params["state"] == "present":
            result = ensure_present(client, module, repository, wanted_policy)
        else:
            result = ensure_absent(client, module, repository)
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
