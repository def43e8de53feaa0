"""Helpers for the limit patches: check a request before moto handles it, and AWS's wording of a refusal.

A limit patch wraps a moto response handler (or backend method) with a check that raises the error AWS raises; the
wrapped method then runs unchanged, so nothing is stored for a refused request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def check_before(owner: Any, method: str, check: Callable[..., None]) -> None:
    """Run ``check`` with the arguments of ``owner.method`` before it; ``check`` raises to refuse the request."""
    original = getattr(owner, method)

    @functools.wraps(original)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        check(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    setattr(owner, method, checked)


def constraint(value: Any, member: str, rule: str) -> str:
    """AWS's message for a value outside its API model's constraints (length, range, pattern, enum)."""
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must {rule}"
    )


def as_int(value: Any) -> int | None:
    """The integer a request parameter holds (query protocols send strings), None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def range_problem(value: Any, member: str, low: int | None, high: int | None) -> str | None:
    """The constraint message when ``value`` lies outside ``[low, high]`` (None bounds are open)."""
    number = as_int(value)
    if number is None:
        return None
    if low is not None and number < low:
        return constraint(value, member, f"have value greater than or equal to {low}")
    if high is not None and number > high:
        return constraint(value, member, f"have value less than or equal to {high}")
    return None


def length_problem(value: Any, member: str, low: int | None, high: int | None) -> str | None:
    """The constraint message when the string ``value`` is shorter than ``low`` or longer than ``high``."""
    if value is None:
        return None
    if low is not None and len(str(value)) < low:
        return constraint(value, member, f"have length greater than or equal to {low}")
    if high is not None and len(str(value)) > high:
        return constraint(value, member, f"have length less than or equal to {high}")
    return None
