"""The table `make bench` prints: per environment and phase, stock against ours with and without Mitogen."""

from __future__ import annotations

from bench.measure import PHASES
from bench.measure import Run

COLUMNS = (
    "env",
    "run",
    "stock s",
    "ours s",
    "ours/stock",
    "ours plain s",
    "plain/stock",
    "module runs stock/ours",
    "API calls stock/ours",
    "changed stock/ours",
)


def ratio(ours: float | None, stock: float | None) -> str:
    """ours/stock to two places, or '-' when either side was not measured."""
    if ours is None or not stock:
        return "-"
    return f"{ours / stock:.2f}"


def _cell(run: Run | None, field: str) -> str:
    """A run's figure; '-' if not measured; marked when the run failed (its figures stop where it did)."""
    if run is None:
        return "-"
    return str(getattr(run, field)) + ("" if run.rc == 0 else f" (failed, rc={run.rc})")


def _wall(run: Run | None) -> float | None:
    """The wall time of a run that succeeded (a failed run's time compares with nothing)."""
    return run.wall_s if run is not None and run.rc == 0 else None


def rows(runs: list[Run]) -> list[tuple[str, ...]]:
    """One row per environment and phase, in the order measured."""
    by_key = {(run.side, run.env, run.phase, run.mitogen): run for run in runs}
    envs = list(dict.fromkeys(run.env for run in runs))
    table_rows = []
    for env in envs:
        for phase in PHASES:
            stock = by_key.get(("stock", env, phase, False))
            fast = by_key.get(("ours", env, phase, True))
            plain = by_key.get(("ours", env, phase, False))
            table_rows.append(
                (
                    env,
                    phase,
                    _cell(stock, "wall_s"),
                    _cell(fast, "wall_s"),
                    ratio(_wall(fast), _wall(stock)),
                    _cell(plain, "wall_s"),
                    ratio(_wall(plain), _wall(stock)),
                    f"{_cell(stock, 'module_runs')}/{_cell(fast or plain, 'module_runs')}",
                    f"{_cell(stock, 'api_calls')}/{_cell(fast or plain, 'api_calls')}",
                    f"{_cell(stock, 'changed')}/{_cell(fast or plain, 'changed')}",
                )
            )
    return table_rows


def table(runs: list[Run]) -> str:
    """A Markdown table of :func:`rows`."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(runs)]
    return "\n".join(lines)


def parallel_row(parallel: dict[str, object]) -> str:
    """The parallel measurement as one sentence."""
    return (
        f"{parallel['count']} x {parallel['env']} cold at once: {parallel['together_s']} s"
        f" against {parallel['alone_s']} s alone (ratio {parallel['ratio']})"
    )
