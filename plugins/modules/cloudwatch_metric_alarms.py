#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_metric_alarms
short_description: Converge a list of tagged CloudWatch metric alarms in one run, or delete alarms by name
version_added: 1.1.0
description:
  - Ensures that each alarm of O(alarms) exists as given and carries O(tags), in one module run; or, with
    O(state=absent), deletes the alarms named in O(names).
  - The alarms are found with C(DescribeAlarms), 100 names a call. A missing alarm is created with its tags in its
    C(PutMetricAlarm) call. An existing alarm is put again only when one of its fields differs, compared as data
    (the order of dimensions and actions, C(80) against C(80.0), and fields AWS leaves out at their default make
    no difference). Its tags are converged with C(TagResource) and C(UntagResource).
  - RV(changed) is true only when an alarm is created, put again, tagged, untagged or deleted. The diff has one
    entry per alarm that differs, headed with the alarm's name, with the alarm before and after.
  - Why not C(amazon.aws.cloudwatch_metric_alarm) (amazon.aws 10.1.2) - it has no C(tags) option, so its alarms
    carry none of the project's tags, it converges one alarm per run (a loop of runs for a set of alarms), and in
    check mode it reports a bare "changed" without a diff.
  - Alarms of the account that are not named are left alone. Metric math alarms, extended (percentile) statistics
    and anomaly detection thresholds are not supported.
author:
  - payments.infra maintainers
options:
  alarms:
    description:
      - The metric alarms, each a whole alarm (C(PutMetricAlarm) replaces an alarm, so an option left out of an
        entry is its default, not "leave alone").
      - Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      name:
        description: The name of the alarm, unique in the list.
        type: str
        required: true
      description:
        description: The description of the alarm.
        type: str
        default: ""
      namespace:
        description: The namespace of the metric, for example V(AWS/ECS).
        type: str
        required: true
      metric_name:
        description: The name of the metric.
        type: str
        required: true
        aliases: [metric]
      statistic:
        description: The statistic of the metric.
        type: str
        required: true
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
      comparison:
        description: How the statistic compares with O(alarms[].threshold).
        type: str
        required: true
        choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
      threshold:
        description: The threshold.
        type: float
        required: true
      period:
        description: The length of one evaluation period, in seconds (10, 20, 30 or a multiple of 60).
        type: int
        required: true
      evaluation_periods:
        description: How many periods are evaluated.
        type: int
        required: true
      datapoints_to_alarm:
        description: How many of the evaluated periods must breach (M out of N); by default all of them.
        type: int
      dimensions:
        description: The dimensions of the metric, as a dict of name to value.
        type: dict
        default: {}
      unit:
        description: The unit of the metric; by default none.
        type: str
      treat_missing_data:
        description: How periods without data count.
        type: str
        choices: [breaching, notBreaching, ignore, missing]
        default: missing
      actions_enabled:
        description: Whether the actions run when the alarm changes state.
        type: bool
        default: true
      alarm_actions:
        description: The ARNs notified when the alarm goes to C(ALARM).
        type: list
        elements: str
        default: []
      ok_actions:
        description: The ARNs notified when the alarm goes to C(OK).
        type: list
        elements: str
        default: []
      insufficient_data_actions:
        description: The ARNs notified when the alarm goes to C(INSUFFICIENT_DATA).
        type: list
        elements: str
        default: []
  names:
    description:
      - With O(state=absent), the names of the alarms to delete; those that do not exist are no change.
    type: list
    elements: str
  state:
    description:
      - V(present) creates or converges every alarm of O(alarms); V(absent) deletes the alarms of O(names).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - The tags of every alarm of O(alarms), given to a new alarm in its C(PutMetricAlarm) call.
      - Not given, the tags of existing alarms are left alone. Keys starting with C(aws:) are never removed.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Whether tags of an existing alarm that O(tags) does not list are removed.
    type: bool
    default: true
notes:
  - Check mode is supported; RV(changed) and the diff report what would be done and no write API is called.
  - When another run creates an alarm between this module's lookup and its C(PutMetricAlarm), AWS ignores the tags
    of that call (it is an update); the next run tags the alarm.
  - "Permissions: C(cloudwatch:DescribeAlarms), C(cloudwatch:PutMetricAlarm), C(cloudwatch:ListTagsForResource),
    C(cloudwatch:TagResource), C(cloudwatch:UntagResource) and, with O(state=absent), C(cloudwatch:DeleteAlarms)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The alarms of an environment, tagged, in one run
  payments.infra.cloudwatch_metric_alarms:
    alarms:
      - name: payment-dev-ecs-cpu-high
        description: ECS service payment-api-dev CPU above 80%
        namespace: AWS/ECS
        metric_name: CPUUtilization
        statistic: Average
        comparison: GreaterThanThreshold
        threshold: 80
        period: 300
        evaluation_periods: 2
        dimensions: {ClusterName: payment-cluster-dev, ServiceName: payment-api-dev}
        alarm_actions: [arn:aws:sns:us-east-1:123456789012:payment-alarms-dev]
        ok_actions: [arn:aws:sns:us-east-1:123456789012:payment-alarms-dev]
    tags:
      Environment: dev
      ManagedBy: payments.infra

- name: Delete alarms by name
  payments.infra.cloudwatch_metric_alarms:
    state: absent
    names: [payment-dev-ecs-cpu-high, payment-dev-rds-cpu-high]
"""

RETURN = r"""
alarms:
  description:
    - The alarms of O(alarms) after the run (in check mode, as they would be), in the order given; empty with
      O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name of the alarm.
      type: str
      sample: payment-dev-ecs-cpu-high
    alarm_arn:
      description: The ARN of the alarm; null in check mode for an alarm still to be created.
      type: str
      sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:payment-dev-ecs-cpu-high
    threshold:
      description: The threshold (the other fields are the options of O(alarms), with their defaults filled in).
      type: float
      sample: 80.0
    dimensions:
      description: The dimensions, as a dict.
      type: dict
      sample: {"ClusterName": "payment-cluster-dev", "ServiceName": "payment-api-dev"}
    tags:
      description: The tags of the alarm.
      type: dict
      sample: {"Environment": "dev"}
created:
  description: The names of the alarms created (in check mode, that would be).
  returned: always
  type: list
  elements: str
updated:
  description: The names of the existing alarms put again because a field differed.
  returned: always
  type: list
  elements: str
retagged:
  description: The names of the existing alarms whose tags changed.
  returned: always
  type: list
  elements: str
deleted:
  description: The names of the alarms deleted, with O(state=absent).
  returned: always
  type: list
  elements: str
plan_resources:
  description:
    - One entry C(Alarm <name>) per alarm that changes, so that a plan (the C(payments.infra.plan_summary)
      callback) counts each alarm.
  returned: when changed
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import alarm_view
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import delete_alarms
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import describe_alarms
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import described_fields
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import list_alarm_tags
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import put_metric_alarm
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import put_request
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import tag_alarm
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import text_tags
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import untag_alarm
from ansible_collections.payments.infra.plugins.module_utils.cloudwatch import without_tags
from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags

ALARM_OPTIONS = dict(
    name=dict(type="str", required=True),
    description=dict(type="str", default=""),
    namespace=dict(type="str", required=True),
    metric_name=dict(type="str", required=True, aliases=["metric"]),
    statistic=dict(type="str", required=True, choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
    comparison=dict(
        type="str",
        required=True,
        choices=[
            "GreaterThanOrEqualToThreshold",
            "GreaterThanThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        ],
    ),
    threshold=dict(type="float", required=True),
    period=dict(type="int", required=True),
    evaluation_periods=dict(type="int", required=True),
    datapoints_to_alarm=dict(type="int"),
    dimensions=dict(type="dict", default={}),
    unit=dict(type="str"),
    treat_missing_data=dict(type="str", choices=["breaching", "notBreaching", "ignore", "missing"], default="missing"),
    actions_enabled=dict(type="bool", default=True),
    alarm_actions=dict(type="list", elements="str", default=[]),
    ok_actions=dict(type="list", elements="str", default=[]),
    insufficient_data_actions=dict(type="list", elements="str", default=[]),
)


def _diff_entry(name, before, after):
    return {"before_header": name, "after_header": name, "before": before, "after": after}


def _duplicates(names):
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


def ensure_present(client, module):
    params = module.params
    wanted = params["alarms"]
    found = describe_alarms(client, [a["name"] for a in wanted])
    result = {"created": [], "updated": [], "retagged": [], "deleted": []}
    views, diffs = [], []
    for spec in wanted:
        name = spec["name"]
        desired = alarm_view(name, spec)
        alarm = found.get(name)
        if alarm is None:
            after = dict(desired, tags=text_tags(params["tags"]))
            result["created"].append(name)
            diffs.append(_diff_entry(name, {}, after))
            if not module.check_mode:
                put_metric_alarm(client, put_request(desired, after["tags"]))
            views.append(dict(after, alarm_arn=None))
            continue
        arn = alarm["AlarmArn"]
        current_tags = list_alarm_tags(client, arn) or {}
        before = alarm_view(name, described_fields(alarm), current_tags)
        final_tags, to_set, to_unset = desired_tags(current_tags, params["tags"], params["purge_tags"])
        after = dict(desired, tags=text_tags(final_tags))
        if without_tags(before) != without_tags(after):
            result["updated"].append(name)
            if not module.check_mode:
                put_metric_alarm(client, put_request(desired))
        if to_set or to_unset:
            result["retagged"].append(name)
            if not module.check_mode:
                untag_alarm(client, arn, to_unset)
                tag_alarm(client, arn, to_set)
        if before != after:
            diffs.append(_diff_entry(name, before, after))
        views.append(dict(after, alarm_arn=arn))
    if result["created"] and not module.check_mode:
        made = describe_alarms(client, result["created"])
        for view in views:
            if view["alarm_arn"] is None and view["name"] in made:
                view["alarm_arn"] = made[view["name"]].get("AlarmArn")
    result["alarms"] = views
    return result, diffs


def ensure_absent(client, module):
    names = module.params["names"]
    found = describe_alarms(client, names)
    gone = [name for name in names if name in found]
    diffs = [_diff_entry(name, alarm_view(name, described_fields(found[name])), {}) for name in gone]
    if gone and not module.check_mode:
        delete_alarms(client, gone)
    return {"created": [], "updated": [], "retagged": [], "deleted": gone, "alarms": []}, diffs


def main():
    argument_spec = dict(
        alarms=dict(type="list", elements="dict", options=ALARM_OPTIONS),
        names=dict(type="list", elements="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["alarms"]), ("state", "absent", ["names"])],
        supports_check_mode=True,
    )
    params = module.params
    given = [a["name"] for a in params["alarms"]] if params["state"] == "present" else params["names"]
    repeated = _duplicates(given)
    if repeated:
        option = "alarms" if params["state"] == "present" else "names"
        module.fail_json(
            msg=(
                f"{option} names the alarm(s) {', '.join(repeated)} more than once; each alarm name must be "
                "unique in the list (one alarm per name in CloudWatch). Nothing was changed."
            )
        )

    client = module.client("cloudwatch")
    try:
        if params["state"] == "present":
            result, diffs = ensure_present(client, module)
        else:
            result, diffs = ensure_absent(client, module)
    except AnsibleCloudWatchError as e:
        module.fail_json_aws_error(e)

    changing = result["created"] + result["updated"] + result["retagged"] + result["deleted"]
    changing = [name for name in given if name in changing]
    result["changed"] = bool(changing)
    if changing:
        result["plan_resources"] = [f"Alarm {name}" for name in changing]
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
