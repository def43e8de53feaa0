"""IAM fidelity patches: role names as AWS limits them."""

from __future__ import annotations

import re

from moto.iam.exceptions import ValidationError
from moto.iam.responses import IamResponse

from emulator.fidelity._limits import check_before
from emulator.fidelity._limits import constraint

ROLE_NAME_PATTERN = r"[\w+=,.@-]+"
ROLE_NAME_LENGTH = (1, 64)


def _role_name_problem(name: str) -> str | None:
    low, high = ROLE_NAME_LENGTH
    if len(name) < low:
        return constraint(name, "roleName", f"have length greater than or equal to {low}")
    if len(name) > high:
        return constraint(name, "roleName", f"have length less than or equal to {high}")
    if not re.fullmatch(ROLE_NAME_PATTERN, name, flags=re.ASCII):
        return constraint(name, "roleName", f"satisfy regular expression pattern: {ROLE_NAME_PATTERN}")
    return None


def role_name_rules() -> None:
    """CreateRole refuses a RoleName AWS refuses (ValidationError ``1 validation error detected: Value 'a b' at
    'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+``, HTTP 400).
    IAM API reference, CreateRole RoleName: "Length Constraints: Minimum length of 1. Maximum length of 64. Pattern:
    [\\w+=,.@-]+" ("upper and lowercase alphanumeric characters with no spaces ... _+=,.@-").

    moto created roles named ``a b``, ``a/b``, the empty name and 65 characters.
    """

    def check(response: IamResponse) -> None:
        problem = _role_name_problem(str(response._get_param("RoleName") or ""))
        if problem:
            raise ValidationError(problem)

    check_before(IamResponse, "create_role", check)
