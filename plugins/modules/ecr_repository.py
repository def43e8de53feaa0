#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repository
short_description: Create, adopt, update or delete one private ECR repository
version_added: 0.1.0
description:
  - Ensures a private Amazon ECR repository named O(name) exists with the given image scanning,
    tag mutability, encryption and tags, or deletes it.
  - The repository is found by name. A missing one is created with its tags, scanning, mutability
    and encryption settings in the one C(CreateRepository) call.
  - A repository that already exists (created by another environment, by hand, or by a parallel
    run) is adopted and converged, never reported as an error. When C(CreateRepository) answers
    C(RepositoryAlreadyExistsException) because another run created the repository between this
    module's lookup and its create, the repository is looked up again and adopted
    (RV(adopted=true)).
  - Image scanning on push, tag mutability and tags are changed in place.
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
      - V(IMMUTABLE) forbids pushing an image with a tag that an image in the repository already has.
      - A repository found with tag mutability exclusion filters (C(MUTABLE_WITH_EXCLUSION),
        C(IMMUTABLE_WITH_EXCLUSION)) is set to the plain setting given here.
    type: str
    choices: [MUTABLE, IMMUTABLE]
    default: MUTABLE
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
  force_delete:
    description:
      - With O(state=absent), delete the repository even if it holds images, deleting the images too.
      - Without it, a repository holding images is not deleted and the module fails.
    type: bool
    default: false
notes:
  - Check mode is supported; RV(changed) and the diff report what would be done and no write API is called.
  - Repository policies, lifecycle policies (see M(payments.infra.ecr_lifecycle_policy)), replication
    and tag mutability exclusion filters are not managed by this module.
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
    image_tag_mutability: MUTABLE
    encryption_type: AES256
    tags:
      Project: payment-api
  register: ecr

- name: A KMS-encrypted repository with immutable tags
  payments.infra.ecr_repository:
    name: payments/ledger
    image_tag_mutability: IMMUTABLE
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
      sample: MUTABLE
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
from ansible_collections.payments.infra.plugins.module_utils.ecr import create_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import delete_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import describe_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import list_image_ids
from ansible_collections.payments.infra.plugins.module_utils.ecr import list_repository_tags
from ansible_collections.payments.infra.plugins.module_utils.ecr import put_image_scanning_configuration
from ansible_collections.payments.infra.plugins.module_utils.ecr import put_image_tag_mutability
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


def ensure_present(client, module, repository):
    params = module.params
    result = {"changed": False, "created": False, "adopted": False}
    if repository is None:
        request = create_request(params)
        tags = {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}
        if module.check_mode:
            result.update(changed=True, created=True, repository=repository_view(planned_repository(params), tags))
            if module._diff:
                result["diff"] = make_diff({}, result["repository"])
            return result
        made = create_repository(client, **request)
        if made is not None:
            result.update(changed=True, created=True, repository=repository_view(made, tags))
            if module._diff:
                result["diff"] = make_diff({}, result["repository"])
            return result
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

    mismatch = encryption_mismatch(module, repository, result["adopted"])
    if mismatch:
        module.fail_json(msg=mismatch, repository=repository_view(repository, None))

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
        image_tag_mutability=dict(type="str", choices=["MUTABLE", "IMMUTABLE"], default="MUTABLE"),
        encryption_type=dict(type="str", choices=["AES256", "KMS"], default="AES256"),
        kms_key=dict(type="str", no_log=False),
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

    client = module.client("ecr")
    try:
        repository = describe_repository(client, params["name"])
        if params["state"] == "present":
            result = ensure_present(client, module, repository)
        else:
            result = ensure_absent(client, module, repository)
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
