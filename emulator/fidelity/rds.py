"""RDS fidelity patches."""

from __future__ import annotations

import functools
from typing import Any

from moto.rds.models import DBInstance

BASELINE_LOW = (3000, 125)
BASELINE_HIGH = (12000, 500)
# Engines whose gp3 baseline rises to BASELINE_HIGH at this allocated storage (GiB).
_HIGH_BASELINE_THRESHOLD_GIB = {"postgres": 400, "mysql": 400, "mariadb": 400, "db2": 400, "oracle": 200}
_GP3_FIELDS = ("iops", "storage_throughput")
# Instance attribute naming the gp3 fields this patch filled in (rather than the caller).
_DEFAULTED_ATTR = "_fidelity_gp3_defaults"


def gp3_baseline(engine: str, allocated_storage: int) -> tuple[int, int] | None:
    """(IOPS, MiB/s) AWS provisions for a gp3 DB instance of this engine and size, None if not modelled."""
    if engine.lower().startswith("sqlserver"):
        return BASELINE_LOW
    threshold = _HIGH_BASELINE_THRESHOLD_GIB.get(engine.lower().split("-")[0])
    if threshold is None:
        return None
    return BASELINE_HIGH if allocated_storage >= threshold else BASELINE_LOW


def _apply_gp3_baseline(db: DBInstance, given: set[str]) -> None:
    """Fill (or refresh, or drop) the baseline Iops/StorageThroughput the caller did not set explicitly."""
    if db.db_cluster_identifier is not None:
        return  # Aurora instances take storage from the cluster.
    defaulted = set(getattr(db, _DEFAULTED_ATTR, frozenset())) - given
    baseline = gp3_baseline(db.engine, int(db.allocated_storage)) if db.storage_type == "gp3" else None
    if baseline is None:
        for field in defaulted:
            setattr(db, field, None)
        defaulted.clear()
    else:
        for field, value in zip(_GP3_FIELDS, baseline, strict=True):
            if field not in given and (getattr(db, field) is None or field in defaulted):
                setattr(db, field, value)
                defaulted.add(field)
    # Reassigned, never mutated: read replicas start as shallow copies of their primary.
    setattr(db, _DEFAULTED_ATTR, frozenset(defaulted))


def _given(kwargs: dict[str, Any]) -> set[str]:
    """The gp3 performance fields a create/modify request set explicitly."""
    return {field for field in _GP3_FIELDS if kwargs.get(field) is not None}


def gp3_baseline_performance() -> None:
    """Every gp3 DB instance reports ``Iops`` and ``StorageThroughput``, including when they were not given.

    AWS provisions the gp3 baseline and returns it from CreateDBInstance, DescribeDBInstances and
    ModifyDBInstance: for Db2, MariaDB, MySQL and PostgreSQL 3000 IOPS / 125 MiB/s below 400 GiB and
    12000 IOPS / 500 MiB/s from 400 GiB (Oracle: from 200 GiB; SQL Server: always 3000 / 125). Growing the
    storage past the threshold raises a baseline that was not set explicitly; explicit values are kept; leaving
    gp3 drops the baseline values. moto omits both unless they were passed, and amazon.aws's rds_instance then
    fails on re-runs with ``KeyError: 'StorageThroughput'``. ``DBInstance.__init__`` and ``DBInstance.update``
    (used by ModifyDBInstance and read replicas) are wrapped; the response serializer reads the model's
    ``iops``/``storage_throughput`` attributes, so the values appear in every DBInstance response.
    """
    original_init = DBInstance.__init__
    original_update = DBInstance.update

    @functools.wraps(original_init)
    def __init__(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        _apply_gp3_baseline(self, _given(kwargs))

    @functools.wraps(original_update)
    def update(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_update(self, *args, **kwargs)
        _apply_gp3_baseline(self, _given(kwargs))

    DBInstance.__init__ = __init__  # type: ignore[method-assign]
    DBInstance.update = update  # type: ignore[method-assign]
