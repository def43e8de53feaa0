#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_lifecycle_policy
short_description: Set or remove the lifecycle policy of an ECR repository, from readable rules
version_added: 0.1.0
description:
  - Sets the lifecycle policy of an existing private ECR repository, written as O(rules) that say
    what to keep (O(rules[].keep_last)) or how long (O(rules[].expire_after_days)), or as the raw
    ECR policy document in O(raw_policy); or removes the policy.
  - Without O(rules) and O(raw_policy), the policy keeps the 10 newest tagged images and expires
    untagged images 7 days after they were pushed.
  - The policy is validated before any AWS call; everything ECR would reject fails with a message
    naming the rule and the field (see O(rules)).
  - The policy found is compared with the wanted one as data, not as text, so key order,
    whitespace, rule order and tag list order never cause a change.
  - The repository must exist (see M(payments.infra.ecr_repository)). In check mode a missing
    repository is only a warning, so that a check run of a new environment, whose repository is
    still to be created, goes through.
author:
  - payments.infra maintainers
options:
  repository:
    description:
      - The name of the repository.
    type: str
    required: true
  state:
    description:
      - Whether the repository should have this lifecycle policy (V(present)) or none (V(absent)).
      - With V(absent), a repository without a policy, or no repository at all, is not a change.
    type: str
    choices: [present, absent]
    default: present
  rules:
    description:
      - The rules of the policy. ECR applies them by priority, lowest first; an image is expired by at most one rule.
      - Each rule becomes one ECR rule with C(action.type=expire).
      - Validated before any AWS call. Failures name the rule (V(rules[0]) is the first) and the field.
        Checked as ECR documents them - a rule with O(rules[].tag_status=tagged) needs
        O(rules[].tag_prefixes) or O(rules[].tag_patterns), other rules must have neither;
        O(rules[].tag_prefixes) and O(rules[].tag_patterns) exclude each other; at most four C(*) per
        pattern; exactly one of O(rules[].keep_last) and O(rules[].expire_after_days), at least 1;
        unique priorities; a rule with O(rules[].tag_status=any) must have the highest priority; the
        policy JSON at most 30720 characters. Checked by this module without an ECR statement -
        priorities of at least 1, no empty prefix or pattern (nor an empty list of them with
        O(rules[].tag_status=tagged)), no C(*) in a prefix, at least one rule.
      - Not checked - ECR documents that only one rule may select untagged images; a second one is
        left for ECR to judge.
      - Mutually exclusive with O(raw_policy).
    type: list
    elements: dict
    suboptions:
      description:
        description: What the rule is for; shown by ECR.
        type: str
      tag_status:
        description:
          - Which images the rule selects. V(tagged) - images with a tag matching O(rules[].tag_prefixes)
            or O(rules[].tag_patterns); V(untagged) - images without tags; V(any) - all images.
          - Required.
        type: str
        choices: [tagged, untagged, any]
      tag_prefixes:
        description:
          - With O(rules[].tag_status=tagged), select images having, for each prefix, a tag that
            starts with it (ECR C(tagPrefixList)).
          - Mutually exclusive with O(rules[].tag_patterns).
        type: list
        elements: str
      tag_patterns:
        description:
          - With O(rules[].tag_status=tagged), select images having, for each pattern, a tag that
            matches it; C(*) matches any characters, at most four C(*) per pattern (ECR C(tagPatternList)).
          - V(["*"]) selects every tagged image.
          - Mutually exclusive with O(rules[].tag_prefixes).
        type: list
        elements: str
      keep_last:
        description:
          - Keep the N most recently pushed selected images and expire the older ones
            (ECR C(countType=imageCountMoreThan)).
          - Exactly one of O(rules[].keep_last) and O(rules[].expire_after_days).
        type: int
      expire_after_days:
        description:
          - Expire selected images pushed more than N days ago (ECR C(countType=sinceImagePushed),
            C(countUnit=days)).
          - Exactly one of O(rules[].keep_last) and O(rules[].expire_after_days).
        type: int
      priority:
        description:
          - The rule's priority (ECR C(rulePriority)); lower is applied first.
          - Defaults to the rule's position in O(rules), counting from 1.
        type: int
  raw_policy:
    description:
      - The whole ECR lifecycle policy document, as a dictionary or a JSON string, for what O(rules) cannot say.
      - Validated before any AWS call like O(rules), in ECR's field names. Count types other than
        C(imageCountMoreThan) and C(sinceImagePushed), and action types, are left for ECR to check.
      - Mutually exclusive with O(rules).
    type: raw
notes:
  - Check mode is supported; no write API is called.
  - Expiry happens within 24 hours of a change, by ECR; this module does not preview which images go.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The default policy - keep the 10 newest tagged images, expire untagged ones after 7 days
  payments.infra.ecr_lifecycle_policy:
    repository: payment-api

- name: Keep releases, 20 builds of main and two weeks of everything else
  payments.infra.ecr_lifecycle_policy:
    repository: payment-api
    rules:
      - description: Keep the last 50 releases
        tag_status: tagged
        tag_patterns: ["v*.*.*"]
        keep_last: 50
      - description: Keep the last 20 builds of main
        tag_status: tagged
        tag_prefixes: [main-]
        keep_last: 20
      - description: Expire untagged images after 3 days
        tag_status: untagged
        expire_after_days: 3
      - description: Anything else goes after 14 days
        tag_status: any
        expire_after_days: 14

- name: A policy written in ECR's own format
  payments.infra.ecr_lifecycle_policy:
    repository: payment-api
    raw_policy:
      rules:
        - rulePriority: 1
          selection:
            tagStatus: untagged
            countType: sinceImagePushed
            countUnit: days
            countNumber: 1
          action:
            type: expire

- name: Remove the lifecycle policy
  payments.infra.ecr_lifecycle_policy:
    repository: payment-api
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The lifecycle policy set (in check mode, that would be set), as ECR's document with its rules
      sorted by priority. Empty with O(state=absent).
  returned: always
  type: dict
  sample:
    rules:
      - rulePriority: 1
        description: Expire untagged images after 7 days
        selection:
          tagStatus: untagged
          countType: sinceImagePushed
          countUnit: days
          countNumber: 7
        action:
          type: expire
      - rulePriority: 2
        description: Keep the last 10 tagged images
        selection:
          tagStatus: tagged
          tagPatternList: ["*"]
          countType: imageCountMoreThan
          countNumber: 10
        action:
          type: expire
policy_text:
  description: RV(policy) as the canonical JSON text sent to ECR (sorted keys, no whitespace).
  returned: when O(state=present)
  type: str
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import error_code
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.ecr import DEFAULT_RULES
from ansible_collections.payments.infra.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.payments.infra.plugins.module_utils.ecr import LifecyclePolicyError
from ansible_collections.payments.infra.plugins.module_utils.ecr import comparable_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import delete_lifecycle_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import get_lifecycle_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import parse_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import policy_text
from ansible_collections.payments.infra.plugins.module_utils.ecr import put_lifecycle_policy
from ansible_collections.payments.infra.plugins.module_utils.ecr import render_rules
from ansible_collections.payments.infra.plugins.module_utils.ecr import validate_policy_document

MISSING = object()


def wanted_policy(params):
    """The policy to set, validated; LifecyclePolicyError if ECR would reject it."""
    if params["raw_policy"] is not None:
        return validate_policy_document(parse_policy(params["raw_policy"]))
    rules = params["rules"] if params["rules"] is not None else DEFAULT_RULES
    return render_rules(rules)


def live_policy(client, module):
    """The repository's policy as a dict, None without one, MISSING without the repository."""
    try:
        text = get_lifecycle_policy(client, module.params["repository"])
    except AnsibleECRError as e:
        if error_code(e) == "RepositoryNotFoundException":
            return MISSING
        raise
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"unparsable_policy_text": text}


def ensure_present(client, module, policy):
    repository = module.params["repository"]
    current = live_policy(client, module)
    if current is MISSING:
        message = (
            f"ECR repository {repository!r} does not exist, so it cannot have a lifecycle policy: create it "
            "first (payments.infra.ecr_repository) in this region and account"
        )
        if not module.check_mode:
            module.fail_json(msg=message)
        module.warn(message + "; check mode reports the policy it would set once the repository exists")
        current = None
    changed = comparable_policy(current) != comparable_policy(policy)
    text = policy_text(policy)
    if changed and not module.check_mode:
        put_lifecycle_policy(client, repository, text)
    result = {"changed": changed, "policy": policy, "policy_text": text}
    if module._diff:
        before = comparable_policy(current) if current is not None else {}
        result["diff"] = make_diff(before, comparable_policy(policy))
    return result


def ensure_absent(client, module):
    current = live_policy(client, module)
    if current is MISSING:
        current = None
    changed = current is not None
    if changed and not module.check_mode:
        changed = delete_lifecycle_policy(client, module.params["repository"])
    result = {"changed": changed, "policy": {}}
    if module._diff:
        result["diff"] = make_diff(comparable_policy(current) or {}, {})
    return result


def main():
    rule_spec = dict(
        description=dict(type="str"),
        tag_status=dict(type="str", choices=["tagged", "untagged", "any"]),
        tag_prefixes=dict(type="list", elements="str"),
        tag_patterns=dict(type="list", elements="str"),
        keep_last=dict(type="int"),
        expire_after_days=dict(type="int"),
        priority=dict(type="int"),
    )
    argument_spec = dict(
        repository=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        rules=dict(type="list", elements="dict", options=rule_spec),
        raw_policy=dict(type="raw"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["rules", "raw_policy"]],
        supports_check_mode=True,
    )

    policy = None
    if module.params["state"] == "present":
        try:
            policy = wanted_policy(module.params)
        except LifecyclePolicyError as e:
            module.fail_json(msg=f"Invalid lifecycle policy for ECR repository {module.params['repository']!r}: {e}")

    client = module.client("ecr")
    try:
        if module.params["state"] == "present":
            result = ensure_present(client, module, policy)
        else:
            result = ensure_absent(client, module)
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
