#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_image_info
short_description: Look up images of a private ECR repository by tag or digest, or list the most recent ones
version_added: 0.1.0
description:
  - Read-only - never changes anything and always returns RV(changed=false).
  - Describes the private Amazon ECR repository O(repository_name). A repository that does not exist is
    reported with RV(exists=false) and RV(repository={}), not as a failure (unless O(fail_on_missing=true)).
  - With O(image_tags), looks up each tag and returns one entry of RV(images) per tag found, and the tags
    not found in RV(missing_tags). Each tag is looked up on its own (C(DescribeImages) answers
    C(ImageNotFoundException) for the whole call when any one of several images is missing), so one
    missing tag never hides the others.
  - With O(image_digest), looks up the image with that digest.
  - Without either, returns the O(max_recent) most recently pushed images (tagged or not), most recent
    first. ECR does not sort images, so every page of C(DescribeImages) is read.
  - Tags, the digest, the repository name and the registry ID are checked before any API call; one
    that ECR could never hold fails with a message naming it and the rule it breaks.
  - Meant to run before a release changes anything, to check that the image it is about to deploy has
    been pushed. With O(fail_on_missing=true), a missing repository, tag or digest fails with a message
    naming the repository, what is missing, the O(max_recent) most recent tags that do exist (most
    recent first) and the C(docker push) command to run.
author:
  - payments.infra maintainers
options:
  repository_name:
    description:
      - The name of the repository, for example V(payment-api) or V(team/payment-api).
    type: str
    required: true
  registry_id:
    description:
      - The AWS account ID (12 digits) of the registry holding the repository, when it is not the
        caller's own registry (a shared repository in another account).
    type: str
  image_tags:
    description:
      - The image tags to look up, for example V(1.2.4). Duplicates are looked up once.
      - Each tag must be 1 to 128 characters of letters, digits, V(_), V(.) and V(-), not starting with
        V(.) or V(-) (the tag syntax of C(docker push) and of the OCI distribution specification).
      - An empty list fails; omit the option to list the most recent images instead.
      - Mutually exclusive with O(image_digest).
    type: list
    elements: str
  image_digest:
    description:
      - The digest of one image to look up, V(sha256:) followed by 64 hexadecimal digits.
      - Mutually exclusive with O(image_tags).
    type: str
  max_recent:
    description:
      - Without O(image_tags) and O(image_digest), how many of the most recently pushed images to return.
      - With O(fail_on_missing=true), how many of the most recent existing tags the failure message lists.
    type: int
    default: 10
  fail_on_missing:
    description:
      - Fail when the repository does not exist, or when a tag of O(image_tags) or the O(image_digest) is
        not in it.
      - The message names the repository and what is missing, lists the O(max_recent) most recent tags
        the repository does hold (most recent first) and gives the C(docker push) command for each
        missing tag. The result of the failed task still carries RV(repository), RV(images) and
        RV(missing_tags).
      - When V(false), nothing missing is a failure - check RV(found) or RV(missing_tags).
    type: bool
    default: false
notes:
  - Check mode is supported; the module never writes.
  - Needs C(ecr:DescribeRepositories) and C(ecr:DescribeImages) permission on the repository; it does
    not pull anything (no C(ecr:BatchGetImage)).
  - An image found by tag can have RV(images[].image_status=ARCHIVED) (ECR's archive storage class); such
    an image has to be restored before it can be pulled.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Before any change, check that the image to deploy is in the shared repository
  payments.infra.ecr_image_info:
    repository_name: payment-api
    image_tags:
      - "{{ payment_api_image_tag }}"
    fail_on_missing: true
  register: release_image

- name: Deploy the image by digest, so that a re-pushed tag cannot change what runs
  ansible.builtin.set_fact:
    payment_api_image: "{{ release_image.images[0].image_uri }}"

- name: Report instead of failing, and decide in the play
  payments.infra.ecr_image_info:
    repository_name: payment-api
    registry_id: "123456789012"
    image_tags: ["1.2.4", "latest"]
  register: lookup

- name: Stop with the missing tags
  ansible.builtin.fail:
    msg: "Not pushed yet: {{ lookup.missing_tags | join(', ') }}"
  when: not lookup.found

- name: The five most recently pushed images
  payments.infra.ecr_image_info:
    repository_name: payment-api
    max_recent: 5
  register: recent

- name: Look an image up by digest
  payments.infra.ecr_image_info:
    repository_name: payment-api
    image_digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"""

RETURN = r"""
exists:
  description: Whether the repository exists.
  returned: always
  type: bool
  sample: true
found:
  description:
    - Whether the repository exists and holds every image asked for (each of O(image_tags), or
      O(image_digest)). When listing, whether the repository exists.
  returned: always
  type: bool
  sample: false
repository:
  description: The repository; empty when it does not exist.
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
images:
  description:
    - With O(image_tags), one entry per tag found, in the order of O(image_tags) (two tags of one image
      give two entries).
    - With O(image_digest), the image when found.
    - Otherwise the O(max_recent) most recently pushed images, most recent first.
    - Empty when the repository does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    requested_tag:
      description: The tag of O(image_tags) this entry was found by; null when listing or looking up a digest.
      type: str
      sample: 1.2.4
    tags:
      description: Every tag of the image (empty for an untagged image).
      type: list
      elements: str
      sample: ["1.2.4", "latest"]
    digest:
      description: The digest of the image manifest.
      type: str
      sample: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    image_uri:
      description: The image pinned by digest (C(repository_uri@digest)), to deploy exactly this image.
      type: str
      sample: "123456789012.dkr.ecr.us-east-1.amazonaws.com/payment-api@sha256:\
        0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    pushed_at:
      description: When the image was pushed, ISO 8601 in UTC.
      type: str
      sample: "2025-05-01T12:30:00+00:00"
    size_bytes:
      description: The compressed size of the image in the repository, in bytes.
      type: int
      sample: 48213337
    manifest_media_type:
      description: The media type of the image manifest.
      type: str
      sample: application/vnd.docker.distribution.manifest.v2+json
    image_status:
      description: The status ECR reports for the image (C(ACTIVE), C(ARCHIVED), C(ACTIVATING)); null when not reported.
      type: str
      sample: ACTIVE
    scan_status:
      description:
        - The status of the image's vulnerability scan (C(COMPLETE), C(IN_PROGRESS), C(FAILED), ...); null when
          not scanned (or when the registry's scanning does not report it in C(DescribeImages)).
      type: str
      sample: COMPLETE
    scan_status_description:
      description: ECR's description of the scan status; null when none.
      type: str
      sample: The scan was completed successfully.
    scan_completed_at:
      description: When the last scan completed, ISO 8601 in UTC; null when none.
      type: str
      sample: "2025-05-01T12:31:02+00:00"
    scan_finding_severity_counts:
      description: The number of findings of the last scan per severity; empty when none.
      type: dict
      sample: {"HIGH": 1, "MEDIUM": 4}
    last_pulled_at:
      description: When ECR last recorded a pull of the image, ISO 8601 in UTC; null when none.
      type: str
      sample: "2025-05-02T08:00:00+00:00"
missing_tags:
  description:
    - The tags of O(image_tags) that are not in the repository (all of them when it does not exist), in
      the order of O(image_tags). Empty when not looking up tags.
  returned: always
  type: list
  elements: str
  sample: ["1.2.4"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.ecr import IMAGE_DIGEST_RULE
from ansible_collections.payments.infra.plugins.module_utils.ecr import IMAGE_TAG_RULE
from ansible_collections.payments.infra.plugins.module_utils.ecr import REGISTRY_ID_RULE
from ansible_collections.payments.infra.plugins.module_utils.ecr import REPOSITORY_NAME_RULE
from ansible_collections.payments.infra.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.payments.infra.plugins.module_utils.ecr import describe_image
from ansible_collections.payments.infra.plugins.module_utils.ecr import describe_images
from ansible_collections.payments.infra.plugins.module_utils.ecr import describe_repository
from ansible_collections.payments.infra.plugins.module_utils.ecr import image_view
from ansible_collections.payments.infra.plugins.module_utils.ecr import is_image_digest
from ansible_collections.payments.infra.plugins.module_utils.ecr import is_image_tag
from ansible_collections.payments.infra.plugins.module_utils.ecr import is_registry_id
from ansible_collections.payments.infra.plugins.module_utils.ecr import is_repository_name
from ansible_collections.payments.infra.plugins.module_utils.ecr import most_recent
from ansible_collections.payments.infra.plugins.module_utils.ecr import recent_tags


def validation_errors(params):
    """What ECR could never accept in the options, as messages (empty when all is well)."""
    errors = []
    name = params["repository_name"]
    if not is_repository_name(name):
        errors.append(f"repository_name {name!r} is not a valid ECR repository name: {REPOSITORY_NAME_RULE}")
    registry_id = params["registry_id"]
    if registry_id is not None and not is_registry_id(registry_id):
        errors.append(f"registry_id {registry_id!r} is not valid: {REGISTRY_ID_RULE}")
    tags = params["image_tags"]
    if tags is not None:
        if not tags:
            errors.append(
                "image_tags is an empty list: give at least one tag to look up, or omit image_tags to list "
                "the most recent images"
            )
        for tag in tags:
            if not is_image_tag(tag):
                errors.append(f"image tag {tag!r} is not a valid image tag: a tag is {IMAGE_TAG_RULE}")
    digest = params["image_digest"]
    if digest is not None and not is_image_digest(digest):
        errors.append(f"image_digest {digest!r} is not a valid image digest: a digest is {IMAGE_DIGEST_RULE}")
    if params["max_recent"] < 1:
        errors.append(f"max_recent must be at least 1, got {params['max_recent']}")
    return errors


def repository_view(repository):
    if not repository:
        return {}
    return {
        "repository_name": repository.get("repositoryName"),
        "repository_arn": repository.get("repositoryArn"),
        "repository_uri": repository.get("repositoryUri"),
        "registry_id": repository.get("registryId"),
    }


def unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _quoted(values):
    return ", ".join(values)


def missing_message(client, module, repository, result):
    """The fail_on_missing message, or None when nothing asked for is missing."""
    params = module.params
    name = params["repository_name"]
    where = f"registry {params['registry_id']}" if params["registry_id"] else "this account's registry"
    if repository is None:
        asked = ""
        if params["image_tags"]:
            tags = unique(params["image_tags"])
            asked = f", so image tag{'s' if len(tags) > 1 else ''} {_quoted(tags)} cannot be in it"
        elif params["image_digest"]:
            asked = f", so image {params['image_digest']} cannot be in it"
        return (
            f"ECR repository {name} does not exist in {where} (region {module.region}){asked}; create the "
            "repository (payments.infra.ecr_repository) and push the image first"
        )
    missing_tags = result["missing_tags"]
    digest_missing = params["image_digest"] is not None and not result["images"]
    if not missing_tags and not digest_missing:
        return None

    uri = repository.get("repositoryUri") or name
    existing = recent_tags(
        describe_images(client, name, params["registry_id"], tagged_only=True),
        params["max_recent"],
        exclude=missing_tags,
    )
    if existing:
        recent = f"the most recent tags are: {_quoted(existing)}"
    else:
        recent = "it holds no tagged image"
    if missing_tags:
        what = (
            f"image tag {missing_tags[0]} is" if len(missing_tags) == 1 else f"image tags {_quoted(missing_tags)} are"
        )
        push = "; ".join(f"docker push {uri}:{tag}" for tag in missing_tags)
        return f"{what} not in ECR repository {name}; {recent}; push the image first ({push})"
    return (
        f"image {params['image_digest']} is not in ECR repository {name}; {recent}; push the image first "
        f"(docker push {uri}:<tag>)"
    )


def look_up(client, module, repository):
    params = module.params
    name, registry_id = params["repository_name"], params["registry_id"]
    uri = repository.get("repositoryUri")
    images, missing_tags = [], []
    if params["image_tags"] is not None:
        for tag in unique(params["image_tags"]):
            detail = describe_image(client, name, {"imageTag": tag}, registry_id)
            if detail is None:
                missing_tags.append(tag)
            else:
                images.append(image_view(detail, uri, requested_tag=tag))
    elif params["image_digest"] is not None:
        detail = describe_image(client, name, {"imageDigest": params["image_digest"]}, registry_id)
        if detail is not None:
            images.append(image_view(detail, uri))
    else:
        recent = most_recent(describe_images(client, name, registry_id), params["max_recent"])
        images = [image_view(detail, uri) for detail in recent]
    found = not missing_tags and (params["image_digest"] is None or bool(images))
    return {"images": images, "missing_tags": missing_tags, "found": found}


def main():
    argument_spec = dict(
        repository_name=dict(type="str", required=True),
        registry_id=dict(type="str"),
        image_tags=dict(type="list", elements="str"),
        image_digest=dict(type="str"),
        max_recent=dict(type="int", default=10),
        fail_on_missing=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("image_tags", "image_digest")],
        supports_check_mode=True,
    )
    params = module.params
    errors = validation_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("ecr")
    try:
        repository = describe_repository(client, params["repository_name"], params["registry_id"])
        if repository is None:
            result = {
                "exists": False,
                "found": False,
                "repository": {},
                "images": [],
                "missing_tags": unique(params["image_tags"] or []),
            }
        else:
            result = {"exists": True, "repository": repository_view(repository)}
            result.update(look_up(client, module, repository))
        if params["fail_on_missing"]:
            message = missing_message(client, module, repository, result)
            if message:
                module.fail_json(msg=message, **result)
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
