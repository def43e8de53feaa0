# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch metric alarm call wrappers and comparison of payments.infra (cloudwatch_metric_alarms).

Call wrappers follow ``ecr.py``: small, retried with ``AWSRetry.jittered_backoff`` and raising one exception type
(``AnsibleCloudWatchError``). The rest is pure: an alarm as the module's options give it and as DescribeAlarms
returns it are both turned into one ``alarm_view``, so that the two compare as data:

- dimensions are a dict (their order in DescribeAlarms is not significant);
- the threshold is a float (``80`` and ``80.0`` are one threshold), periods are integers;
- what AWS leaves out stands for its default: no description is ``""``, no TreatMissingData is ``missing``, no
  DatapointsToAlarm is EvaluationPeriods (an "N out of N" alarm), no actions are ``[]``, ActionsEnabled is true;
- actions are sorted (CloudWatch runs every action of a state; their order means nothing).

PutMetricAlarm replaces the whole alarm, so the view holds every field the module sets: an option left out is its
default on both sides, and an alarm that differs in any field is put again with all of them.
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# DescribeAlarms and DeleteAlarms take at most 100 alarm names per call (CloudWatch API reference).
NAMES_PER_CALL = 100
ACTION_KINDS = ("alarm_actions", "ok_actions", "insufficient_data_actions")


class AnsibleCloudWatchError(AnsibleAWSError):
    pass


class CloudWatchAlarmErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudWatchError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["ResourceNotFound", "ResourceNotFoundException"])


def batches(names, size=NAMES_PER_CALL):
    names = list(names)
    return [names[i : i + size] for i in range(0, len(names), size)]


# ---------------------------------------------------------------------------------------------
# Calls
# ---------------------------------------------------------------------------------------------
@CloudWatchAlarmErrorHandler.common_error_handler("describe CloudWatch alarms")
@AWSRetry.jittered_backoff()
def _describe_batch(client, names):
    found = []
    request = {"AlarmNames": list(names), "AlarmTypes": ["MetricAlarm"]}
    while True:
        answer = client.describe_alarms(**request)
        found += answer.get("MetricAlarms") or []
        if not answer.get("NextToken"):
            return found
        request["NextToken"] = answer["NextToken"]


def describe_alarms(client, names):
    """{name: DescribeAlarms entry} of the metric alarms named (up to 100 names a call); a missing alarm is absent."""
    found = {}
    for batch in batches(names):
        for alarm in _describe_batch(client, batch):
            if alarm.get("AlarmName") in batch:
                found[alarm["AlarmName"]] = alarm
    return found


@CloudWatchAlarmErrorHandler.common_error_handler("put CloudWatch metric alarm")
@AWSRetry.jittered_backoff()
def put_metric_alarm(client, request):
    client.put_metric_alarm(**request)
    return True


@CloudWatchAlarmErrorHandler.common_error_handler("delete CloudWatch alarms")
@AWSRetry.jittered_backoff()
def delete_alarms(client, names):
    """DeleteAlarms, 100 names a call (a name that does not exist is no error)."""
    for batch in batches(names):
        client.delete_alarms(AlarmNames=batch)
    return True


@CloudWatchAlarmErrorHandler.list_error_handler("list CloudWatch alarm tags", None)
@AWSRetry.jittered_backoff()
def list_alarm_tags(client, arn):
    """The tags of an alarm as a dict; None when the alarm is gone."""
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceARN=arn).get("Tags") or [])


@CloudWatchAlarmErrorHandler.common_error_handler("tag CloudWatch alarm")
@AWSRetry.jittered_backoff()
def tag_alarm(client, arn, tags):
    if not tags:
        return False
    client.tag_resource(ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@CloudWatchAlarmErrorHandler.common_error_handler("untag CloudWatch alarm")
@AWSRetry.jittered_backoff()
def untag_alarm(client, arn, keys):
    if not keys:
        return False
    client.untag_resource(ResourceARN=arn, TagKeys=list(keys))
    return True


# ---------------------------------------------------------------------------------------------
# Alarms as data
# ---------------------------------------------------------------------------------------------
def _number(value, kind):
    return None if value is None else kind(value)


def alarm_view(name, fields, tags=None):
    """The comparable view of an alarm. ``fields`` in the module's option names (snake_case)."""
    evaluation_periods = _number(fields.get("evaluation_periods"), int)
    datapoints = _number(fields.get("datapoints_to_alarm"), int)
    view = {
        "name": name,
        "description": to_text(fields.get("description") or ""),
        "namespace": fields.get("namespace"),
        "metric_name": fields.get("metric_name"),
        "statistic": fields.get("statistic"),
        "comparison": fields.get("comparison"),
        "threshold": _number(fields.get("threshold"), float),
        "period": _number(fields.get("period"), int),
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": datapoints if datapoints is not None else evaluation_periods,
        "dimensions": {to_text(k): to_text(v) for k, v in sorted((fields.get("dimensions") or {}).items())},
        "unit": fields.get("unit") or None,
        "treat_missing_data": fields.get("treat_missing_data") or "missing",
        "actions_enabled": fields.get("actions_enabled") is not False,
    }
    for kind in ACTION_KINDS:
        view[kind] = sorted(to_text(a) for a in fields.get(kind) or [])
    if tags is not None:
        view["tags"] = text_tags(tags)
    return view


def text_tags(tags):
    return {to_text(k): to_text(v) for k, v in (tags or {}).items()}


def described_fields(alarm):
    """The module's fields of a DescribeAlarms entry."""
    return {
        "description": alarm.get("AlarmDescription"),
        "namespace": alarm.get("Namespace"),
        "metric_name": alarm.get("MetricName"),
        "statistic": alarm.get("Statistic"),
        "comparison": alarm.get("ComparisonOperator"),
        "threshold": alarm.get("Threshold"),
        "period": alarm.get("Period"),
        "evaluation_periods": alarm.get("EvaluationPeriods"),
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm"),
        "dimensions": {d.get("Name"): d.get("Value") for d in alarm.get("Dimensions") or []},
        "unit": alarm.get("Unit"),
        "treat_missing_data": alarm.get("TreatMissingData"),
        "actions_enabled": alarm.get("ActionsEnabled"),
        "alarm_actions": alarm.get("AlarmActions"),
        "ok_actions": alarm.get("OKActions"),
        "insufficient_data_actions": alarm.get("InsufficientDataActions"),
    }


def put_request(view, tags=None):
    """The PutMetricAlarm request that makes the alarm ``view`` (a whole alarm: PutMetricAlarm replaces it).

    ``tags`` only for a new alarm: AWS ignores the Tags of an update (TagResource/UntagResource change them).
    """
    request = {
        "AlarmName": view["name"],
        "AlarmDescription": view["description"],
        "Namespace": view["namespace"],
        "MetricName": view["metric_name"],
        "Statistic": view["statistic"],
        "ComparisonOperator": view["comparison"],
        "Threshold": view["threshold"],
        "Period": view["period"],
        "EvaluationPeriods": view["evaluation_periods"],
        "DatapointsToAlarm": view["datapoints_to_alarm"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in view["dimensions"].items()],
        "TreatMissingData": view["treat_missing_data"],
        "ActionsEnabled": view["actions_enabled"],
        "AlarmActions": view["alarm_actions"],
        "OKActions": view["ok_actions"],
        "InsufficientDataActions": view["insufficient_data_actions"],
    }
    if view["unit"]:
        request["Unit"] = view["unit"]
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def without_tags(view):
    return {k: v for k, v in view.items() if k != "tags"}
