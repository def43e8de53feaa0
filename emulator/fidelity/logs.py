"""CloudWatch Logs fidelity patches: log group names and retention periods as AWS limits them."""

from __future__ import annotations

import re

from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse

from emulator.fidelity._limits import check_before
from emulator.fidelity._limits import constraint

LOG_GROUP_NAME_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
LOG_GROUP_NAME_LENGTH = (1, 512)
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _log_group_name_problem(name: str) -> str | None:
    low, high = LOG_GROUP_NAME_LENGTH
    if len(name) < low:
        return constraint(name, "logGroupName", f"have length greater than or equal to {low}")
    if len(name) > high:
        return constraint(name, "logGroupName", f"have length less than or equal to {high}")
    if not re.fullmatch(LOG_GROUP_NAME_PATTERN, name):
        return constraint(name, "logGroupName", f"satisfy regular expression pattern: {LOG_GROUP_NAME_PATTERN}")
    return None


def log_group_name_rules() -> None:
    """CreateLogGroup refuses a name AWS refuses (InvalidParameterException ``1 validation error detected: Value 'a b'
    at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern:
    [\\.\\-_/#A-Za-z0-9]+``, HTTP 400). CloudWatch Logs API reference, CreateLogGroup logGroupName: "Length
    Constraints: Minimum length of 1. Maximum length of 512. Pattern: [\\.\\-_/#A-Za-z0-9]+".

    moto checked the maximum length only: it created ``a b``, ``a:b``, ``a*b`` and the empty name.
    """

    def check(response: LogsResponse) -> None:
        problem = _log_group_name_problem(str(response._get_param("logGroupName") or ""))
        if problem:
            raise InvalidParameterException(problem)

    check_before(LogsResponse, "create_log_group", check)


def retention_days_enum() -> None:
    """PutRetentionPolicy accepts only the retention periods AWS offers (InvalidParameterException ``1 validation
    error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set:
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]``).
    CloudWatch Logs API reference, PutRetentionPolicy retentionInDays: "Possible values are: 1, 3, 5, 7, 14, 30, 60,
    90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653."

    moto stored any number (0, 2, 4000).
    """
    allowed = "[" + ", ".join(str(days) for days in RETENTION_DAYS) + "]"

    def check(response: LogsResponse) -> None:
        days = response._get_param("retentionInDays")
        if days not in RETENTION_DAYS:
            raise InvalidParameterException(constraint(days, "retentionInDays", f"satisfy enum value set: {allowed}"))

    check_before(LogsResponse, "put_retention_policy", check)
