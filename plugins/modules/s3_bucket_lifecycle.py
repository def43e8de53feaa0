#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_lifecycle
short_description: Manage the whole lifecycle configuration of an S3 bucket
version_added: 0.1.0
description:
  - Sets the complete lifecycle configuration of an S3 bucket (every rule at once), or removes it.
  - Unlike M(community.aws.s3_lifecycle), which adds or removes one rule per call, the configuration
    is managed as a whole, so B(rules on the bucket that are not listed are removed).
    It supports check mode and C(--diff).
  - Every rule always gets an explicit C(Filter) (C(Filter.Prefix="") when neither O(rules[].prefix),
    O(rules[].tags) nor an object size is given), so no rule is ever sent without a filter.
  - All rules are validated against the constraints of Amazon S3 before any AWS call, and a failure
    names the rule, the field, the value given and what would be valid.
  - The configuration on the bucket is compared with O(rules) after normalising both sides (rule order,
    transition order, the equivalent filter forms of the API such as a top-level C(Prefix),
    C(Filter={}), C(Filter.Prefix="") or C(Filter.And) holding a single condition, and optional fields
    left out), so a re-run reports C(changed=false) when the bucket already has the same rules.
author:
  - payments.infra maintainers
options:
  bucket:
    description:
      - Name of the bucket. The bucket must exist when O(state=present).
      - In check mode a bucket that does not exist yet is a plan to write the whole configuration
        (the bucket is normally created by the task before), not a failure.
    type: str
    required: true
  state:
    description:
      - V(present) makes the bucket's lifecycle configuration exactly O(rules).
      - V(absent) deletes the bucket's lifecycle configuration (every rule). A bucket without a lifecycle
        configuration, or a bucket that does not exist, is not a change.
    type: str
    choices: [present, absent]
    default: present
  rules:
    description:
      - The complete list of lifecycle rules of the bucket; required when O(state=present), and must not be empty
        (use O(state=absent) to remove every rule).
      - Rules on the bucket whose id is not listed here are removed.
      - At most 1000 rules.
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - Unique identifier of the rule (at most 255 characters). Rules are matched by id.
        type: str
        required: true
      enabled:
        description: Whether the rule is applied (C(Status=Enabled)) or kept but not applied (C(Status=Disabled)).
        type: bool
        default: true
      prefix:
        description:
          - Key prefix of the objects the rule applies to, for example V(logs/).
          - Leave unset (or V("")) for every object of the bucket.
        type: str
      tags:
        description:
          - Object tags (all of them) an object must carry for the rule to apply to it.
          - Cannot be combined with O(rules[].expired_object_delete_marker) or
            O(rules[].abort_incomplete_multipart_upload_days) (Amazon S3 refuses both with tag filters).
        type: dict
      object_size_greater_than:
        description:
          - The rule applies only to objects larger than this many bytes.
          - Cannot be combined with O(rules[].abort_incomplete_multipart_upload_days).
        type: int
      object_size_less_than:
        description:
          - The rule applies only to objects smaller than this many bytes. Must be greater than
            O(rules[].object_size_greater_than) when both are given.
          - Cannot be combined with O(rules[].abort_incomplete_multipart_upload_days).
        type: int
      transitions:
        description:
          - Moves current object versions to colder storage classes.
          - Ordered by O(rules[].transitions[].days), the storage classes must get colder
            (V(STANDARD_IA), V(INTELLIGENT_TIERING), V(ONEZONE_IA), V(GLACIER_IR), V(GLACIER), V(DEEP_ARCHIVE)),
            each class at most once, and no two transitions on the same day.
        type: list
        elements: dict
        suboptions:
          days:
            description:
              - Days after object creation.
              - At least V(30) for V(STANDARD_IA) and V(ONEZONE_IA); at least V(0) for the other classes.
            type: int
            required: true
          storage_class:
            description: The storage class to move objects to.
            type: str
            required: true
            choices: [STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE]
      expiration_days:
        description:
          - Days after object creation when current versions expire (are deleted, or get a delete marker
            in a versioned bucket). At least V(1), and greater than the days of every transition of the rule.
          - Cannot be combined with O(rules[].expired_object_delete_marker).
        type: int
      expired_object_delete_marker:
        description:
          - In a versioned bucket, remove delete markers that have no noncurrent versions left.
          - Cannot be combined with O(rules[].expiration_days) nor with O(rules[].tags).
          - V(false) is the same as leaving it unset.
        type: bool
      noncurrent_version_transitions:
        description:
          - Moves noncurrent object versions to colder storage classes (versioned buckets).
          - Same ordering rules as O(rules[].transitions), by
            O(rules[].noncurrent_version_transitions[].noncurrent_days).
        type: list
        elements: dict
        suboptions:
          noncurrent_days:
            description:
              - Days after a version became noncurrent. At least V(1); at least V(30) for V(STANDARD_IA)
                and V(ONEZONE_IA).
            type: int
            required: true
          storage_class:
            description: The storage class to move noncurrent versions to.
            type: str
            required: true
            choices: [STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE]
          newer_noncurrent_versions:
            description:
              - Number of newer noncurrent versions (1 to 100) kept in their class before this transition applies.
            type: int
      noncurrent_version_expiration_days:
        description:
          - Days after a version became noncurrent when it is permanently deleted (versioned buckets).
          - At least V(1), and greater than the days of every noncurrent version transition of the rule.
        type: int
      newer_noncurrent_versions:
        description:
          - Number of newer noncurrent versions (1 to 100) kept regardless of
            O(rules[].noncurrent_version_expiration_days).
          - Requires O(rules[].noncurrent_version_expiration_days).
        type: int
      abort_incomplete_multipart_upload_days:
        description:
          - Days after initiation when incomplete multipart uploads are aborted and their parts deleted. At least V(1).
          - Cannot be combined with O(rules[].tags) or an object size filter (Amazon S3 refuses both).
        type: int
notes:
  - Each rule needs at least one action (O(rules[].transitions), O(rules[].expiration_days),
    O(rules[].expired_object_delete_marker=true), O(rules[].noncurrent_version_transitions),
    O(rules[].noncurrent_version_expiration_days) or O(rules[].abort_incomplete_multipart_upload_days)).
  - Transitions and expirations at a fixed date are not managed by this module; a rule on the bucket that uses them
    differs from every rule of O(rules) and is replaced.
  - The bucket's C(TransitionDefaultMinimumObjectSize) is kept as it is when the configuration is replaced.
  - Amazon S3 may take a moment before a new configuration is visible; after a change the module reads the
    configuration back until it shows the new rules (up to one minute, then it warns).
  - In check mode no write API is called; C(changed), RV(rules) and the diff report what would be done.
  - With C(--diff) the rules before and after are shown in the module's own form (the one of O(rules), ordered by id).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Lifecycle of the dev transaction-logs bucket (30 days to IA, 90 to Glacier, expire after a year)
  payments.infra.s3_bucket_lifecycle:
    bucket: "payment-logs-dev-{{ aws_account_id }}"
    rules:
      - id: transaction-logs-retention
        transitions:
          - days: 30
            storage_class: STANDARD_IA
          - days: 90
            storage_class: GLACIER
        expiration_days: 365
        noncurrent_version_expiration_days: 90
        abort_incomplete_multipart_upload_days: 7

- name: Several rules, each with its own filter (rules not listed here are removed from the bucket)
  payments.infra.s3_bucket_lifecycle:
    bucket: payment-logs-staging-123456789012
    rules:
      - id: access-logs
        prefix: access-logs/
        transitions:
          - days: 60
            storage_class: STANDARD_IA
          - days: 180
            storage_class: GLACIER
        expiration_days: 730
      - id: large-exports-to-deep-archive
        prefix: exports/
        object_size_greater_than: 1048576
        transitions:
          - days: 0
            storage_class: DEEP_ARCHIVE
      - id: temporary-objects
        tags:
          retention: temporary
        expiration_days: 7
      - id: old-versions
        noncurrent_version_transitions:
          - noncurrent_days: 30
            storage_class: GLACIER_IR
        noncurrent_version_expiration_days: 365
        newer_noncurrent_versions: 3
        expired_object_delete_marker: true
      - id: paused-rule
        enabled: false
        prefix: tmp/
        expiration_days: 1

- name: Preview a change without applying it
  payments.infra.s3_bucket_lifecycle:
    bucket: payment-logs-dev-123456789012
    rules: "{{ lifecycle_rules }}"
  check_mode: true
  diff: true

- name: Remove the whole lifecycle configuration of a bucket
  payments.infra.s3_bucket_lifecycle:
    bucket: payment-logs-dev-123456789012
    state: absent
"""

RETURN = r"""
rules:
  description:
    - The lifecycle rules of the bucket after the run (in check mode, as they would be), in the form of O(rules),
      ordered by id. Empty when the bucket has no lifecycle configuration.
    - Optional fields that are not set are left out. C(expiration_date) and C(transitions[].date) appear only for
      rules on the bucket that use dates (which this module does not set).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Identifier of the rule.
      type: str
      sample: transaction-logs-retention
    enabled:
      description: Whether the rule is applied.
      type: bool
      sample: true
    prefix:
      description: Key prefix of the objects the rule applies to; V("") for every object.
      type: str
      sample: ""
    tags:
      description: Object tags the rule is limited to.
      type: dict
      sample: {"retention": "temporary"}
    object_size_greater_than:
      description: Minimum object size (exclusive), in bytes.
      type: int
    object_size_less_than:
      description: Maximum object size (exclusive), in bytes.
      type: int
    transitions:
      description: Transitions of current versions, ordered by days.
      type: list
      elements: dict
      sample: [{"days": 30, "storage_class": "STANDARD_IA"}, {"days": 90, "storage_class": "GLACIER"}]
    expiration_days:
      description: Days after which current versions expire.
      type: int
      sample: 365
    expiration_date:
      description: Date at which current versions expire (rules not made by this module).
      type: str
    expired_object_delete_marker:
      description: Present (V(true)) when expired delete markers are removed.
      type: bool
    noncurrent_version_transitions:
      description: Transitions of noncurrent versions, ordered by noncurrent days.
      type: list
      elements: dict
      sample: [{"noncurrent_days": 30, "storage_class": "GLACIER_IR"}]
    noncurrent_version_expiration_days:
      description: Days after which noncurrent versions are deleted.
      type: int
      sample: 90
    newer_noncurrent_versions:
      description: Newer noncurrent versions kept regardless of noncurrent_version_expiration_days.
      type: int
    abort_incomplete_multipart_upload_days:
      description: Days after which incomplete multipart uploads are aborted.
      type: int
      sample: 7
"""

import itertools
import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.s3 import delete_bucket_lifecycle
from ansible_collections.payments.infra.plugins.module_utils.s3 import get_bucket_lifecycle_configuration
from ansible_collections.payments.infra.plugins.module_utils.s3 import is_missing_bucket
from ansible_collections.payments.infra.plugins.module_utils.s3 import put_bucket_lifecycle_configuration

# Storage classes from warmer to colder: a rule's transitions must follow this order as days grow.
STORAGE_CLASSES = ["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]
# Infrequent-access classes: Amazon S3 refuses transitions to them before 30 (noncurrent) days.
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MINIMUM_DAYS = 30
MAX_RULES = 1000
MAX_ID_LENGTH = 255
MAX_NEWER_NONCURRENT_VERSIONS = 100

# After a change, how long to read the configuration back until S3 shows it.
PROPAGATION_TIMEOUT = 60
PROPAGATION_DELAY = 3


# ---------------------------------------------------------------------------------------------
# Validation: everything Amazon S3 would refuse, checked before any call. Each helper yields
# messages naming the rule and the field, the value given and what would be valid.
# ---------------------------------------------------------------------------------------------
def _minimum_errors(where, field, value, minimum):
    if value is not None and value < minimum:
        yield f"{where}: {field} is {value}, but must be at least {minimum}"


def _newer_versions_errors(where, field, value):
    if value is not None and not 1 <= value <= MAX_NEWER_NONCURRENT_VERSIONS:
        yield f"{where}: {field} is {value}, but must be between 1 and {MAX_NEWER_NONCURRENT_VERSIONS}"


def _transition_errors(where, field, transitions, days_key, minimum):
    """A rule's (noncurrent version) transitions: days, the IA minimum, classes getting colder."""
    unit = days_key.replace("_", " ")
    for index, transition in enumerate(transitions):
        days, storage_class = transition[days_key], transition["storage_class"]
        at = f"{field}[{index}].{days_key}"
        yield from _minimum_errors(where, at, days, minimum)
        if storage_class in IA_CLASSES and days < IA_MINIMUM_DAYS:
            yield (
                f"{where}: {at} is {days}, but a transition to {storage_class} needs at least {IA_MINIMUM_DAYS} "
                f"{unit} (Amazon S3 minimum for infrequent-access classes); use {days_key} >= {IA_MINIMUM_DAYS} "
                "or a class without that minimum (INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE)"
            )
        yield from _newer_versions_errors(
            where, f"{field}[{index}].newer_noncurrent_versions", transition.get("newer_noncurrent_versions")
        )
    ordered = sorted(transitions, key=lambda t: (t[days_key], STORAGE_CLASSES.index(t["storage_class"])))
    for previous, current in itertools.pairwise(ordered):
        if current["storage_class"] == previous["storage_class"]:
            yield (
                f"{where}: {field} moves objects to {current['storage_class']} twice (at {previous[days_key]} and "
                f"{current[days_key]} {unit}); each storage class may appear once"
            )
        elif current[days_key] == previous[days_key]:
            yield (
                f"{where}: {field} has two transitions at {current[days_key]} {unit} ({previous['storage_class']} "
                f"and {current['storage_class']}); transitions must be on different days"
            )
        elif STORAGE_CLASSES.index(current["storage_class"]) < STORAGE_CLASSES.index(previous["storage_class"]):
            yield (
                f"{where}: {field} moves objects to {current['storage_class']} at {current[days_key]} {unit}, "
                f"after {previous['storage_class']} at {previous[days_key]}; storage classes must get colder as "
                f"days increase ({' -> '.join(STORAGE_CLASSES)})"
            )


def _filter_errors(where, rule):
    greater, less = rule["object_size_greater_than"], rule["object_size_less_than"]
    yield from _minimum_errors(where, "object_size_greater_than", greater, 0)
    yield from _minimum_errors(where, "object_size_less_than", less, 1)
    if greater is not None and less is not None and less <= greater:
        yield (
            f"{where}: object_size_less_than ({less}) must be greater than object_size_greater_than ({greater}), "
            "or no object matches"
        )
    if any(not str(key) for key in rule["tags"] or {}):
        yield f"{where}: tags has an empty key; tag keys must not be empty"


def _expiration_errors(where, rule):
    """Expirations come after every transition of their kind."""
    transitions = rule["transitions"] or []
    expiration = rule["expiration_days"]
    if expiration is not None and transitions:
        last = max(transitions, key=lambda t: t["days"])
        if expiration <= last["days"]:
            yield (
                f"{where}: expiration_days is {expiration}, but must be greater than the days of every transition "
                f"(the transition to {last['storage_class']} is at {last['days']} days): "
                f"use expiration_days > {last['days']}"
            )
    noncurrent = rule["noncurrent_version_transitions"] or []
    nve = rule["noncurrent_version_expiration_days"]
    if nve is not None and noncurrent:
        last = max(noncurrent, key=lambda t: t["noncurrent_days"])
        if nve <= last["noncurrent_days"]:
            yield (
                f"{where}: noncurrent_version_expiration_days is {nve}, but must be greater than the noncurrent_days "
                f"of every noncurrent version transition (the transition to {last['storage_class']} is at "
                f"{last['noncurrent_days']}): use noncurrent_version_expiration_days > {last['noncurrent_days']}"
            )
    newer = rule["newer_noncurrent_versions"]
    if newer is not None and nve is None:
        yield (
            f"{where}: newer_noncurrent_versions ({newer}) needs noncurrent_version_expiration_days "
            "(the noncurrent versions beyond that number expire after those days)"
        )
    yield from _newer_versions_errors(where, "newer_noncurrent_versions", newer)


def _combination_errors(where, rule):
    """Actions Amazon S3 refuses together with some other part of the rule."""
    if rule["expired_object_delete_marker"] and rule["expiration_days"] is not None:
        yield (
            f"{where}: expired_object_delete_marker=true cannot be combined with expiration_days "
            f"({rule['expiration_days']}) in one rule (Amazon S3 refuses it); put it in a rule of its own"
        )
    if rule["expired_object_delete_marker"] and rule["tags"]:
        yield (
            f"{where}: expired_object_delete_marker=true cannot be combined with a tags filter "
            "(delete markers have no tags); put it in a rule without tags"
        )
    if rule["abort_incomplete_multipart_upload_days"] is not None:
        limited_by = [
            name
            for name in ("tags", "object_size_greater_than", "object_size_less_than")
            if rule[name] not in (None, {})
        ]
        if limited_by:
            yield (
                f"{where}: abort_incomplete_multipart_upload_days cannot be combined with {' or '.join(limited_by)} "
                "(incomplete uploads have no tags nor size yet; Amazon S3 refuses it); put it in a rule filtered "
                "by prefix only"
            )
    day_actions = ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days")
    has_action = (
        rule["transitions"]
        or rule["noncurrent_version_transitions"]
        or rule["expired_object_delete_marker"]
        or any(rule[action] is not None for action in day_actions)
    )
    if not has_action:
        yield (
            f"{where}: the rule has no action; give at least one of transitions, expiration_days, "
            "expired_object_delete_marker=true, noncurrent_version_transitions, noncurrent_version_expiration_days "
            "or abort_incomplete_multipart_upload_days"
        )


def _rule_errors(where, rule):
    for field in ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days"):
        yield from _minimum_errors(where, field, rule[field], 1)
    yield from _filter_errors(where, rule)
    yield from _transition_errors(where, "transitions", rule["transitions"] or [], "days", 0)
    yield from _transition_errors(
        where, "noncurrent_version_transitions", rule["noncurrent_version_transitions"] or [], "noncurrent_days", 1
    )
    yield from _expiration_errors(where, rule)
    yield from _combination_errors(where, rule)


def _rules_errors(rules):
    if not rules:
        yield "rules is empty: list at least one rule, or use state=absent to remove the lifecycle configuration"
    if len(rules or []) > MAX_RULES:
        yield f"rules has {len(rules)} rules, but a bucket lifecycle configuration holds at most {MAX_RULES}"
    seen = {}
    for index, rule in enumerate(rules or []):
        rule_id = rule["id"]
        where = f"rule {rule_id!r} (rules[{index}])"
        if not rule_id or not rule_id.strip():
            yield f"rules[{index}].id is empty: every rule needs a non-empty id (at most {MAX_ID_LENGTH} characters)"
        elif len(rule_id) > MAX_ID_LENGTH:
            yield f"rules[{index}].id is {len(rule_id)} characters long, but may be at most {MAX_ID_LENGTH}"
        elif rule_id in seen:
            yield f"{where}: id {rule_id!r} is already used by rules[{seen[rule_id]}]; rule ids must be unique"
        seen.setdefault(rule_id, index)
        yield from _rule_errors(where, rule)


def validate_rules(rules):
    """The first problem with ``rules`` (already converted by RULE_SPEC), or None."""
    return next(_rules_errors(rules), None)


# ---------------------------------------------------------------------------------------------
# Rendering (options -> API) and the module's own view (API -> options form)
# ---------------------------------------------------------------------------------------------
def build_filter(rule):
    """An explicit Filter: the single condition on its own, several under ``And``, ``Prefix=""`` for none."""
    prefix = rule["prefix"] or ""
    tags = [{"Key": str(k), "Value": "" if v is None else str(v)} for k, v in sorted((rule["tags"] or {}).items())]
    sizes = {
        key: rule[option]
        for key, option in (
            ("ObjectSizeGreaterThan", "object_size_greater_than"),
            ("ObjectSizeLessThan", "object_size_less_than"),
        )
        if rule[option] is not None
    }
    conditions = bool(prefix) + len(tags) + len(sizes)
    if conditions == 0:
        return {"Prefix": ""}
    if conditions > 1:
        both = dict(sizes)
        if prefix:
            both["Prefix"] = prefix
        if tags:
            both["Tags"] = tags
        return {"And": both}
    if prefix:
        return {"Prefix": prefix}
    if tags:
        return {"Tag": tags[0]}
    return sizes


def build_rule(rule):
    """The PutBucketLifecycleConfiguration form of one validated rule option."""
    api = {"ID": rule["id"], "Status": "Enabled" if rule["enabled"] else "Disabled", "Filter": build_filter(rule)}
    if rule["transitions"]:
        api["Transitions"] = [
            {"Days": t["days"], "StorageClass": t["storage_class"]}
            for t in sorted(rule["transitions"], key=lambda t: t["days"])
        ]
    if rule["expiration_days"] is not None:
        api["Expiration"] = {"Days": rule["expiration_days"]}
    elif rule["expired_object_delete_marker"]:
        api["Expiration"] = {"ExpiredObjectDeleteMarker": True}
    if rule["noncurrent_version_transitions"]:
        api["NoncurrentVersionTransitions"] = []
        for t in sorted(rule["noncurrent_version_transitions"], key=lambda t: t["noncurrent_days"]):
            transition = {"NoncurrentDays": t["noncurrent_days"], "StorageClass": t["storage_class"]}
            if t.get("newer_noncurrent_versions") is not None:
                transition["NewerNoncurrentVersions"] = t["newer_noncurrent_versions"]
            api["NoncurrentVersionTransitions"].append(transition)
    if rule["noncurrent_version_expiration_days"] is not None:
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrent_version_expiration_days"]}
        if rule["newer_noncurrent_versions"] is not None:
            api["NoncurrentVersionExpiration"]["NewerNoncurrentVersions"] = rule["newer_noncurrent_versions"]
    if rule["abort_incomplete_multipart_upload_days"] is not None:
        api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule["abort_incomplete_multipart_upload_days"]}
    return api


def _text(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _filter_conditions(rule):
    """(prefix, tags, greater_than, less_than) of an API rule, whichever equivalent form it uses."""
    if rule.get("Filter") is None:
        # Legacy form: a top-level Prefix (or, from some tools, nothing at all: every object).
        return rule.get("Prefix") or "", {}, None, None
    parts = [rule["Filter"], rule["Filter"].get("And") or {}]
    prefix = "".join(part.get("Prefix") or "" for part in parts)
    tags = {}
    for part in parts:
        if part.get("Tag"):
            tags[part["Tag"]["Key"]] = part["Tag"].get("Value", "")
        for tag in part.get("Tags") or []:
            tags[tag["Key"]] = tag.get("Value", "")
    greater = next((p["ObjectSizeGreaterThan"] for p in parts if p.get("ObjectSizeGreaterThan") is not None), None)
    less = next((p["ObjectSizeLessThan"] for p in parts if p.get("ObjectSizeLessThan") is not None), None)
    return prefix, tags, greater, less


def _transition_view(transition, days_key, api_days_key):
    view = {}
    if transition.get(api_days_key) is not None:
        view[days_key] = int(transition[api_days_key])
    if transition.get("Date") is not None:
        view["date"] = _text(transition["Date"])
    view["storage_class"] = transition.get("StorageClass")
    if transition.get("NewerNoncurrentVersions") is not None:
        view["newer_noncurrent_versions"] = int(transition["NewerNoncurrentVersions"])
    return view


def _transition_order(days_key):
    return lambda t: (t.get(days_key, -1), t.get("date", ""), t.get("storage_class") or "")


def rule_view(rule):
    """One API rule (live or to be written) in the module's own form, with equivalent forms made equal."""
    prefix, tags, greater, less = _filter_conditions(rule)
    view = {"id": rule.get("ID"), "enabled": rule.get("Status") == "Enabled", "prefix": prefix}
    if tags:
        view["tags"] = tags
    if greater is not None:
        view["object_size_greater_than"] = int(greater)
    if less is not None:
        view["object_size_less_than"] = int(less)
    transitions = [_transition_view(t, "days", "Days") for t in rule.get("Transitions") or []]
    if transitions:
        view["transitions"] = sorted(transitions, key=_transition_order("days"))
    expiration = rule.get("Expiration") or {}
    if expiration.get("Days") is not None:
        view["expiration_days"] = int(expiration["Days"])
    if expiration.get("Date") is not None:
        view["expiration_date"] = _text(expiration["Date"])
    if expiration.get("ExpiredObjectDeleteMarker"):
        view["expired_object_delete_marker"] = True
    noncurrent = [
        _transition_view(t, "noncurrent_days", "NoncurrentDays") for t in rule.get("NoncurrentVersionTransitions") or []
    ]
    if noncurrent:
        view["noncurrent_version_transitions"] = sorted(noncurrent, key=_transition_order("noncurrent_days"))
    nve = rule.get("NoncurrentVersionExpiration") or {}
    if nve.get("NoncurrentDays") is not None:
        view["noncurrent_version_expiration_days"] = int(nve["NoncurrentDays"])
    if nve.get("NewerNoncurrentVersions") is not None:
        view["newer_noncurrent_versions"] = int(nve["NewerNoncurrentVersions"])
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    if abort.get("DaysAfterInitiation") is not None:
        view["abort_incomplete_multipart_upload_days"] = int(abort["DaysAfterInitiation"])
    return view


def rules_view(api_rules):
    """API rules in the module's own form, ordered by id."""
    return sorted((rule_view(rule) for rule in api_rules or []), key=lambda r: r["id"] or "")


# ---------------------------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------------------------
def read_rules(client, bucket):
    """(the live configuration or None, its rules in the module's form)."""
    live = get_bucket_lifecycle_configuration(client, bucket)
    return live, rules_view((live or {}).get("Rules"))


def wait_for(client, module, bucket, wanted):
    """Read the configuration back until S3 shows ``wanted`` (it may show the previous one for a moment)."""
    deadline = time.monotonic() + PROPAGATION_TIMEOUT
    while True:
        _, current = read_rules(client, bucket)
        if current == wanted:
            return current
        if time.monotonic() >= deadline:
            module.warn(
                f"The lifecycle configuration of bucket {bucket} was written, but after {PROPAGATION_TIMEOUT} s "
                "GetBucketLifecycleConfiguration still shows other rules; it may take a few more minutes to apply."
            )
            return wanted
        time.sleep(PROPAGATION_DELAY)


def ensure_present(client, module):
    bucket = module.params["bucket"]
    wanted_api = [build_rule(rule) for rule in module.params["rules"]]
    wanted = rules_view(wanted_api)
    try:
        live, before = read_rules(client, bucket)
    except AnsibleAWSError as e:
        if not (module.check_mode and is_missing_bucket(e)):
            raise
        # A plan on an account where the bucket is still to be created (by the task before this
        # one): the whole configuration would be written.
        live, before = None, []
    changed = before != wanted
    after = wanted if changed else before
    if changed and not module.check_mode:
        put_bucket_lifecycle_configuration(
            client, bucket, wanted_api, (live or {}).get("TransitionDefaultMinimumObjectSize")
        )
        after = wait_for(client, module, bucket, wanted)
    result = {"changed": changed, "rules": after}
    if module._diff:
        result["diff"] = make_diff({"rules": before}, {"rules": after})
    return result


def ensure_absent(client, module):
    bucket = module.params["bucket"]
    try:
        _, before = read_rules(client, bucket)
    except AnsibleAWSError as e:
        if not is_missing_bucket(e):
            raise
        before = []  # no bucket, no lifecycle configuration
    changed = bool(before)
    if changed and not module.check_mode:
        delete_bucket_lifecycle(client, bucket)
        wait_for(client, module, bucket, [])
    result = {"changed": changed, "rules": []}
    if module._diff:
        result["diff"] = make_diff({"rules": before}, {"rules": []})
    return result


# The options of one rule. ``rules`` is declared as a plain list of dicts and each rule is checked
# against this spec by ArgumentSpecValidator (the same conversions, defaults and errors as nested
# argument_spec options), so that the module can report which rule is wrong.
TRANSITION_SPEC = dict(
    days=dict(type="int", required=True),
    storage_class=dict(type="str", required=True, choices=list(STORAGE_CLASSES)),
)
NONCURRENT_TRANSITION_SPEC = dict(
    noncurrent_days=dict(type="int", required=True),
    storage_class=dict(type="str", required=True, choices=list(STORAGE_CLASSES)),
    newer_noncurrent_versions=dict(type="int"),
)
RULE_SPEC = dict(
    id=dict(type="str", required=True),
    enabled=dict(type="bool", default=True),
    prefix=dict(type="str"),
    tags=dict(type="dict"),
    object_size_greater_than=dict(type="int"),
    object_size_less_than=dict(type="int"),
    transitions=dict(type="list", elements="dict", options=TRANSITION_SPEC),
    expiration_days=dict(type="int"),
    expired_object_delete_marker=dict(type="bool"),
    noncurrent_version_transitions=dict(type="list", elements="dict", options=NONCURRENT_TRANSITION_SPEC),
    noncurrent_version_expiration_days=dict(type="int"),
    newer_noncurrent_versions=dict(type="int"),
    abort_incomplete_multipart_upload_days=dict(type="int"),
)


def parse_rules(rules):
    """(the rules with their options converted and defaulted, or None; the first error message or None)."""
    parsed = []
    for index, rule in enumerate(rules or []):
        result = ArgumentSpecValidator(RULE_SPEC).validate(dict(rule))
        if result.error_messages:
            rule_id = rule.get("id")
            where = f"rule {rule_id!r} (rules[{index}])" if rule_id else f"rules[{index}]"
            return None, f"{where}: " + "; ".join(result.error_messages)
        parsed.append(result.validated_parameters)
    return parsed, None


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        rules=dict(type="list", elements="dict", options=RULE_SPEC),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["rules"])],
        supports_check_mode=True,
    )

    if module.params["state"] == "present":
        rules, error = parse_rules(module.params["rules"])
        error = error or validate_rules(rules)
        if error:
            module.fail_json(msg=error)
        module.params["rules"] = rules

    client = module.client("s3")
    bucket = module.params["bucket"]
    try:
        if module.params["state"] == "present":
            result = ensure_present(client, module)
        else:
            result = ensure_absent(client, module)
    except AnsibleAWSError as e:
        if is_missing_bucket(e):
            module.fail_json(
                msg=(
                    f"Bucket {bucket!r} does not exist (NoSuchBucket): create it first (e.g. with "
                    "amazon.aws.s3_bucket), or check the bucket name and the account"
                )
            )
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
