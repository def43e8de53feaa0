#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_log_group
short_description: Create, converge or delete a CloudWatch Logs log group (retention, tags, KMS key)
version_added: 0.1.0
description:
  - Creates a log group with its tags and optional KMS key in one C(CreateLogGroup) call, then sets its
    retention; converges the retention and the tags of an existing group; deletes it with O(state=absent).
  - Check mode makes no write call and diff shows the group before and after.
  - Why not C(amazon.aws.cloudwatchlogs_log_group) (amazon.aws 10.1.2) - it calls C(PutRetentionPolicy) in
    check mode (a plan changes the retention), and its list of allowed retentions is out of date; 1096, 2192,
    2557, 2922 and 3288 days, which AWS accepts, fail only after the group was created, and the module
    then deletes the group it just created.
  - The retention is checked against AWS's list (O(retention_days)) before any call.
author:
  - payments.infra maintainers
options:
  name:
    description: The name of the log group.
    type: str
    required: true
    aliases: [log_group_name]
  state:
    description: V(present) creates or converges the group; V(absent) deletes it (and every log event in it).
    type: str
    choices: [present, absent]
    default: present
  retention_days:
    description:
      - How many days CloudWatch Logs keeps the events. One of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365,
        400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 and 3653 (the values C(PutRetentionPolicy)
        accepts), or V(0) to keep events forever (no retention policy).
      - Not set, the retention of an existing group is left alone and a new group keeps events forever.
    type: int
  kms_key_id:
    description:
      - The ARN of the KMS key that encrypts the group's events, given when the group is created.
      - The key of an existing group is not changed; a group encrypted with another key (or none) gets a
        warning naming both.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Application log group, kept 7 years (2557 days)
  payments.infra.cloudwatch_log_group:
    name: /payment/prod/app
    retention_days: 2557
    tags:
      Environment: prod

- name: Keep the events of a group forever
  payments.infra.cloudwatch_log_group:
    name: /payment/dev/debug
    retention_days: 0

- name: Delete a log group
  payments.infra.cloudwatch_log_group:
    name: /payment/dev/debug
    state: absent
"""

RETURN = r"""
log_group:
  description:
    - The log group after the run (in check mode, as it would be); empty when O(state=absent).
    - In check mode the ARN of a group still to be created is null.
  returned: always
  type: dict
  contains:
    log_group_name:
      description: The name.
      type: str
      sample: /payment/dev/app
    log_group_arn:
      description: The ARN of the group (without the C(:*) suffix).
      type: str
      sample: arn:aws:logs:us-east-1:123456789012:log-group:/payment/dev/app
    retention_days:
      description: The retention in days; null when events are kept forever.
      type: int
      sample: 14
    kms_key_id:
      description: The KMS key encrypting the group, null when none.
      type: str
      sample: null
    tags:
      description: The tags of the group.
      type: dict
      sample: {"Environment": "dev"}
created:
  description: True when this run created the group (in check mode, would create it).
  returned: always
  type: bool
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.limits import RETENTION_DAYS

# Every retention PutRetentionPolicy accepts (the Days enum of the CloudWatch Logs API reference). amazon.aws
# 10.1.2's cloudwatchlogs_log_group knows 17 of these 22 (not 1096, 2192, 2557, 2922, 3288).
# (RETENTION_DAYS: plugins/module_utils/limits.py, the one table of limits.)
NEVER_EXPIRE = 0


class AnsibleLogsError(AnsibleAWSError):
    pass


class LogGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleLogsError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@LogGroupErrorHandler.list_error_handler("describe log group", None)
@AWSRetry.jittered_backoff()
def describe_log_group(client, name):
    """The DescribeLogGroups entry of the group named exactly ``name`` (the API matches a prefix), or None."""
    paginator = client.get_paginator("describe_log_groups")
    for page in paginator.paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups") or []:
            if group.get("logGroupName") == name:
                return group
    return None


def group_arn(group):
    """The ARN of a DescribeLogGroups entry without the ``:*`` suffix (what the tagging API takes)."""
    arn = group.get("logGroupArn") or group.get("arn") or ""
    return arn[:-2] if arn.endswith(":*") else arn


@LogGroupErrorHandler.common_error_handler("list log group tags")
@AWSRetry.jittered_backoff()
def list_tags(client, arn):
    return client.list_tags_for_resource(resourceArn=arn).get("tags") or {}


@LogGroupErrorHandler.common_error_handler("create log group")
@AWSRetry.jittered_backoff()
def create_log_group(client, name, kms_key_id, tags):
    """CreateLogGroup; False when the group already exists (another run made it since we looked)."""
    request = {"logGroupName": name}
    if kms_key_id:
        request["kmsKeyId"] = kms_key_id
    if tags:
        request["tags"] = tags
    try:
        client.create_log_group(**request)
    except is_boto3_error_code("ResourceAlreadyExistsException"):
        return False
    return True


@LogGroupErrorHandler.common_error_handler("set log group retention")
@AWSRetry.jittered_backoff()
def put_retention(client, name, days):
    if days == NEVER_EXPIRE:
        client.delete_retention_policy(logGroupName=name)
    else:
        client.put_retention_policy(logGroupName=name, retentionInDays=days)


@LogGroupErrorHandler.common_error_handler("tag log group")
@AWSRetry.jittered_backoff()
def tag_group(client, arn, tags):
    if tags:
        client.tag_resource(resourceArn=arn, tags=tags)


@LogGroupErrorHandler.common_error_handler("untag log group")
@AWSRetry.jittered_backoff()
def untag_group(client, arn, keys):
    if keys:
        client.untag_resource(resourceArn=arn, tagKeys=list(keys))


@LogGroupErrorHandler.deletion_error_handler("delete log group")
@AWSRetry.jittered_backoff()
def delete_log_group(client, name):
    client.delete_log_group(logGroupName=name)
    return True


def group_view(group, tags):
    if group is None:
        return {}
    return {
        "log_group_name": group.get("logGroupName"),
        "log_group_arn": group_arn(group) or None,
        "retention_days": group.get("retentionInDays"),
        "kms_key_id": group.get("kmsKeyId"),
        "tags": {to_text(k): to_text(v) for k, v in (tags or {}).items()},
    }


def retention_error(days):
    """Why ``days`` is not a retention CloudWatch Logs accepts, or None."""
    if days is None or days == NEVER_EXPIRE or days in RETENTION_DAYS:
        return None
    valid = ", ".join(str(d) for d in RETENTION_DAYS)
    return (
        f"retention_days={days} is not a retention CloudWatch Logs accepts: valid are {valid} days, "
        "or 0 to keep events forever. Nothing was changed."
    )


def _create(client, module, result, wanted_tags):
    """CreateLogGroup (and its retention); None once made (or planned, in check mode), else the group someone
    else made since we looked, to converge."""
    params = module.params
    name, days = params["name"], params["retention_days"]
    result.update(changed=True, created=True)
    planned = {"logGroupName": name, "kmsKeyId": params["kms_key_id"]}
    if days:
        planned["retentionInDays"] = days
    if module.check_mode:
        result["log_group"] = group_view(planned, wanted_tags)
    elif create_log_group(client, name, params["kms_key_id"], wanted_tags):
        if days:
            put_retention(client, name, days)
        made = describe_log_group(client, name) or planned
        result["log_group"] = group_view(made, list_tags(client, group_arn(made)) if group_arn(made) else wanted_tags)
    else:
        # ResourceAlreadyExistsException: made by someone else since we looked; converge it.
        result["created"] = False
        group = describe_log_group(client, name)
        if group is None:
            raise AnsibleLogsError(
                message=(
                    f"CreateLogGroup answered that log group {name!r} exists, but DescribeLogGroups does not find it "
                    "(deleted again in the meantime?); run again"
                )
            )
        return group
    if module._diff:
        result["diff"] = make_diff({}, result["log_group"])
    return None


def _warn_kms_key(module, group):
    wanted_key = module.params["kms_key_id"]
    if wanted_key and wanted_key != group.get("kmsKeyId"):
        module.warn(
            f"Log group {module.params['name']!r} is encrypted with KMS key {group.get('kmsKeyId')!r}, not "
            f"kms_key_id={wanted_key!r}: this module sets the key only when it creates a group (use "
            "logs:AssociateKmsKey to change it)."
        )


def ensure_present(client, module, group):
    params = module.params
    name = params["name"]
    wanted_tags = {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}
    days = params["retention_days"]
    result = {"changed": False, "created": False}
    if group is None:
        group = _create(client, module, result, wanted_tags)
        if group is None:
            return result

    arn = group_arn(group)
    current_tags = list_tags(client, arn)
    before = group_view(group, current_tags)
    final_tags, to_set, to_unset = desired_tags(current_tags, params["tags"], params["purge_tags"])
    after = group_view(group, final_tags)
    _warn_kms_key(module, group)
    if days is not None and (group.get("retentionInDays") or NEVER_EXPIRE) != days:
        result["changed"] = True
        after["retention_days"] = days or None
        if not module.check_mode:
            put_retention(client, name, days)
    if to_set or to_unset:
        result["changed"] = True
        if not module.check_mode:
            untag_group(client, arn, to_unset)
            tag_group(client, arn, to_set)
    result["log_group"] = after
    if module._diff:
        result["diff"] = make_diff(before, after)
    return result


def ensure_absent(client, module, group):
    result = {"changed": False, "created": False, "log_group": {}}
    if group is None:
        if module._diff:
            result["diff"] = make_diff({}, {})
        return result
    before = group_view(group, list_tags(client, group_arn(group)))
    result["changed"] = True
    if not module.check_mode:
        result["changed"] = delete_log_group(client, module.params["name"])
    if module._diff:
        result["diff"] = make_diff(before, {})
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["log_group_name"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        retention_days=dict(type="int"),
        kms_key_id=dict(type="str", no_log=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    error = retention_error(module.params["retention_days"])
    if error:
        module.fail_json(msg=error, valid_retention_days=list(RETENTION_DAYS))
    client = module.client("logs")
    try:
        group = describe_log_group(client, module.params["name"])
        if module.params["state"] == "present":
            result = ensure_present(client, module, group)
        else:
            result = ensure_absent(client, module, group)
    except AnsibleLogsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
