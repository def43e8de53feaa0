"""Latency profile: slow resources stay in their pending state for a share of the time AWS takes to make them.

moto answers every resource ready at once (an RDS instance ``available``, a load balancer ``active``, a NAT gateway
``available``, an ECS deployment ``COMPLETED``), so the waits of a playbook never wait. With a scale ``f`` above 0
(``PAYMENTS_EMULATOR_LATENCY_SCALE``, ``--latency-scale``, ``PUT /_payments/latency``) a resource made at time ``t``
reports its pending state until ``t + duration * f`` (the durations below), then its ready state, as AWS does.
0 (the default) is off: everything is ready at once, as moto answers.

The scale applies to resources made after it is set; the fidelity patches that use it (``rds.db_instance_latency``,
``elbv2.load_balancer_latency``, ``ec2.nat_gateway_latency``, ``ecs.deployment_latency``) look at it when a resource
is made and at the clock when it is described. Importing this module does not import moto.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

LATENCY_SCALE_ENV = "PAYMENTS_EMULATOR_LATENCY_SCALE"
MAX_SCALE = 1.0

# What AWS takes, in seconds, from the call that makes the resource to its ready state; with the source.
DURATIONS: dict[str, tuple[float, str]] = {
    "rds_db_instance": (
        570.0,
        "DB instance creating -> available: seed MODEL_FAILURES.md, dev deployment, 'RDS Creation Time: ~9.5 minutes'"
        " (staging ~10.7)",
    ),
    "load_balancer": (
        390.0,
        "ALB provisioning -> active: seed MODEL_FAILURES.md, dev deployment, 'ALB Creation Time: ~6.5 minutes'"
        " (staging ~3)",
    ),
    "nat_gateway": (
        120.0,
        "NAT gateway pending -> available: about 2 minutes (FINDINGS.md: 'NAT 1-5 min'; the seed gives no figure)",
    ),
    "ecs_deployment": (
        180.0,
        "ECS deployment IN_PROGRESS -> COMPLETED (tasks running, one deployment): about 3 minutes, assumed (neither"
        " the seed's MODEL_FAILURES.md nor FINDINGS.md gives a figure)",
    ),
}

_lock = threading.Lock()
_scale = 0.0


class LatencyConfigError(ValueError):
    """The latency scale is not valid; the message names the setting and the value."""


def parse_scale(value: Any, name: str) -> float:
    """A scale from 0 (off) to MAX_SCALE (AWS's own durations): a number, or text from the environment/command line."""
    scale: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        scale = float(value)
    elif isinstance(value, str):
        try:
            scale = float(value.strip() or "0")
        except ValueError:
            scale = None
    if scale is None or not math.isfinite(scale) or not 0.0 <= scale <= MAX_SCALE:
        raise LatencyConfigError(
            f"{name} must be a number from 0 (off) to {MAX_SCALE:g} (AWS's durations), e.g. 0.01, got {value!r}"
        )
    return scale


def scale_from_env(environ: Mapping[str, str] | None = None) -> float:
    """The scale ``PAYMENTS_EMULATOR_LATENCY_SCALE`` gives (unset or empty: 0, off)."""
    environ = os.environ if environ is None else environ
    return parse_scale(environ.get(LATENCY_SCALE_ENV) or "0", LATENCY_SCALE_ENV)


def get_scale() -> float:
    """The scale in force (0: off)."""
    with _lock:
        return _scale


def set_scale(scale: float) -> dict[str, Any]:
    """Set the scale for the resources made from now on; returns :func:`status`."""
    global _scale  # noqa: PLW0603 - one process-wide setting, like the fault settings
    value = parse_scale(scale, "scale")
    with _lock:
        _scale = value
    return status()


def status() -> dict[str, Any]:
    """The profile as ``/_payments/health`` and ``/_payments/latency`` show it."""
    scale = get_scale()
    return {
        "scale": scale,
        "active": scale > 0,
        "durations_s": {kind: round(seconds * scale, 3) for kind, (seconds, _source) in DURATIONS.items()},
        "aws_durations_s": {kind: seconds for kind, (seconds, _source) in DURATIONS.items()},
    }


def window(kind: str) -> tuple[float, float] | None:
    """``(start, end)`` on the wall clock of a ``kind`` resource made now, or None when the profile is off."""
    scale = get_scale()
    if scale <= 0:
        return None
    now = time.time()
    return now, now + DURATIONS[kind][0] * scale


def mark(resource: Any, kind: str, attr: str = "_latency_window") -> bool:
    """Give ``resource`` (a moto object) its pending window; False (nothing set) when the profile is off."""
    span = window(kind)
    if span is None:
        return False
    setattr(resource, attr, span)
    return True


def pending(resource: Any, attr: str = "_latency_window") -> bool:
    """True while ``resource`` is inside the pending window :func:`mark` gave it."""
    span = getattr(resource, attr, None)
    return span is not None and time.time() < span[1]


def progress(span: tuple[float, float]) -> float:
    """How far along ``span`` the clock is, from 0 to 1."""
    start, end = span
    if end <= start:
        return 1.0
    return min(1.0, max(0.0, (time.time() - start) / (end - start)))


def describe(data: Mapping[str, Any]) -> str:
    """One line for humans: ``scale 0.01: rds_db_instance 5.7 s, ...`` or ``off``."""
    if not data.get("active"):
        return "off (resources ready at once)"
    durations = ", ".join(f"{kind} {seconds:g} s" for kind, seconds in data["durations_s"].items())
    return f"scale {data['scale']:g}: {durations}"
