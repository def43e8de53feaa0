"""CloudWatch fidelity patches: PutMetricAlarm's limits on names, periods and evaluation ranges; alarm tags."""

from __future__ import annotations

import functools
from typing import Any

from moto.cloudwatch.exceptions import ValidationError
from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse

from emulator.fidelity._limits import as_int
from emulator.fidelity._limits import check_before
from emulator.fidelity._limits import length_problem
from emulator.fidelity._limits import range_problem

ALARM_NAME_LENGTH = (1, 255)
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
ONE_HOUR = 3_600
ONE_DAY = 86_400
SEVEN_DAYS = 604_800


def _alarm_problem(params: dict[str, Any]) -> str | None:
    problem = length_problem(params.get("AlarmName") or "", "alarmName", *ALARM_NAME_LENGTH)
    problem = problem or range_problem(params.get("EvaluationPeriods"), "evaluationPeriods", 1, None)
    problem = problem or range_problem(params.get("DatapointsToAlarm"), "datapointsToAlarm", 1, None)
    if problem:
        return problem
    period, evaluation_periods = as_int(params.get("Period")), as_int(params.get("EvaluationPeriods"))
    if period is not None and not (period in HIGH_RESOLUTION_PERIODS or (period > 0 and period % 60 == 0)):
        return f"Invalid value {period} for Period: valid values are 10, 20, 30 and any multiple of 60"
    if period is not None and evaluation_periods is not None:
        limit = ONE_DAY if period < ONE_HOUR else SEVEN_DAYS
        if period * evaluation_periods > limit:
            return (
                f"Metrics cannot be checked across more than {'a day' if limit == ONE_DAY else 'seven days'} "
                f"(EvaluationPeriods * Period must be <= {limit})"
            )
    datapoints = as_int(params.get("DatapointsToAlarm"))
    if datapoints is not None and evaluation_periods is not None and datapoints > evaluation_periods:
        return (
            f"DatapointsToAlarm ({datapoints}) must be less than or equal to EvaluationPeriods ({evaluation_periods})"
        )
    return None


def metric_alarm_limits() -> None:
    """PutMetricAlarm refuses what AWS refuses (ValidationError, HTTP 400). CloudWatch API reference,
    PutMetricAlarm: AlarmName "Length Constraints: Minimum length of 1. Maximum length of 255."; Period "Valid values
    are 10, 20, 30, and any multiple of 60. ... An alarm's total current evaluation period can be no longer than seven
    days, so Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of
    less than one hour (3,600 seconds), the total evaluation period can't be longer than one day (86,400 seconds).";
    EvaluationPeriods and DatapointsToAlarm "Valid Range: Minimum value of 1"; DatapointsToAlarm is the M of an
    "M out of N" alarm whose N is EvaluationPeriods, so it cannot exceed it.

    moto stored an alarm of any name length, a 15 or 90 second period, 0 evaluation periods, a 1441-minute range and
    3 datapoints out of 2. (The period of each metric of a metric math alarm is not checked here.)
    """

    def check(response: CloudWatchResponse) -> None:
        params = {
            key: response._get_param(key) for key in ("AlarmName", "Period", "EvaluationPeriods", "DatapointsToAlarm")
        }
        problem = _alarm_problem(params)
        if problem:
            raise ValidationError(problem)

    check_before(CloudWatchResponse, "put_metric_alarm", check)


def alarm_tags_on_create_only() -> None:
    """PutMetricAlarm's Tags tag a new alarm only. CloudWatch API reference, PutMetricAlarm, Tags: "If you are using
    this operation to update an existing alarm, any tags you specify in this parameter are ignored. To change the
    tags of an existing alarm, use TagResource or UntagResource."

    moto added the Tags of an update to the alarm's tags.
    """
    original = CloudWatchBackend.put_metric_alarm

    @functools.wraps(original)
    def put_metric_alarm(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("name") in self.alarms:
            kwargs["tags"] = None
        return original(self, *args, **kwargs)

    CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]


def delete_alarms_deletes_tags() -> None:
    """An alarm's tags go with it: DeleteAlarms deletes them, and an alarm made again under the same name starts with
    the tags of its PutMetricAlarm only (AWS tags a resource, not a name; ListTagsForResource of a deleted alarm
    answers ResourceNotFoundException).

    moto kept the tags of a deleted alarm under its ARN: the alarm made again under its name had them back.
    """
    original = CloudWatchBackend.delete_alarms

    @functools.wraps(original)
    def delete_alarms(self: CloudWatchBackend, alarm_names: list[str]) -> None:
        arns = [self.alarms[name].alarm_arn for name in alarm_names if name in self.alarms]
        original(self, alarm_names)
        for arn in arns:
            self.tagger.delete_all_tags_for_resource(arn)

    CloudWatchBackend.delete_alarms = delete_alarms  # type: ignore[method-assign]
