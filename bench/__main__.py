"""`python -m bench` (make bench): this project against the stock build, every run on a fresh emulator.

python -m bench [--envs dev,prod] [--sides ours,stock] [--parallel 6] [--latency-scale 0.2]
                [--json .cache/bench/bench.json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.latency import DEFAULT_SCALE
from bench.latency import latency_row
from bench.latency import latency_run
from bench.measure import PHASES
from bench.measure import REPO_ROOT
from bench.measure import STOCK_BUILD
from bench.measure import Run
from bench.measure import measured
from bench.measure import ours_commands
from bench.measure import stock_commands
from bench.measure import stock_copy
from bench.report import parallel_row
from bench.report import table
from emulator.testing import running_emulator


def ours(env_name: str, mitogen: bool) -> list[Run]:
    """Cold create, no-op re-run and plan of one environment on one fresh emulator."""
    with running_emulator() as emulator:
        return [
            measured("ours", env_name, phase, mitogen, emulator, ours_commands(env_name, phase)) for phase in PHASES
        ]


def stock(env_name: str) -> list[Run]:
    """The stock build's cold create, no-op re-run and plan on one fresh plain emulator (moto as it is)."""
    with (
        tempfile.TemporaryDirectory(prefix="payments-bench-stock-") as scratch,
        running_emulator(start_args=["--plain"]) as emulator,
    ):
        copy = stock_copy(Path(scratch))
        return [
            measured("stock", env_name, phase, False, emulator, stock_commands(copy, env_name, phase, emulator.port))
            for phase in PHASES
        ]


def in_parallel(env_name: str, count: int) -> dict[str, object]:
    """One cold create alone, then ``count`` at once (each on its own fresh emulator): the wall times."""

    def cold(_: int) -> Run:
        with running_emulator() as emulator:
            return measured("ours", env_name, "cold", True, emulator, ours_commands(env_name, "cold"))

    alone = cold(0)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        runs = list(pool.map(cold, range(count)))
    together = time.monotonic() - start
    return {
        "env": env_name,
        "count": count,
        "alone_s": alone.wall_s,
        "together_s": round(together, 2),
        "ratio": round(together / alone.wall_s, 2) if alone.wall_s else None,
        "rc": max([alone.rc, *(run.rc for run in runs)]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="dev,prod", help="environments, comma-separated (default dev,prod)")
    parser.add_argument("--sides", default="ours,stock", help="ours, stock or both (default both)")
    parser.add_argument("--parallel", type=int, default=6, help="environments created at once (0: skip)")
    parser.add_argument(
        "--latency-scale",
        type=float,
        default=DEFAULT_SCALE,
        help=f"the latency-profile run's share of AWS's durations (default {DEFAULT_SCALE}; 0: skip)",
    )
    parser.add_argument("--json", type=Path, default=REPO_ROOT / ".cache" / "bench" / "bench.json")
    args = parser.parse_args(argv)
    envs = [env for env in args.envs.split(",") if env]
    sides = set(args.sides.split(","))
    if "stock" in sides and not STOCK_BUILD.is_dir():
        print(f"the stock build is not at {STOCK_BUILD}: run with --sides ours", file=sys.stderr)
        return 2

    runs: list[Run] = []
    for env_name in envs:
        if "stock" in sides:
            print(f"stock build, {env_name} ...", flush=True)
            runs += stock(env_name)
        if "ours" in sides:
            for mitogen in (True, False):
                print(f"ours, {env_name}, {'with' if mitogen else 'without'} Mitogen ...", flush=True)
                runs += ours(env_name, mitogen)
    parallel = None
    if args.parallel > 1 and "ours" in sides:
        print(f"ours, {args.parallel} x {envs[0]} cold at once ...", flush=True)
        parallel = in_parallel(envs[0], args.parallel)
    latency = None
    if args.latency_scale > 0 and "ours" in sides:
        print(f"ours, {envs[0]} cold under the latency profile (scale {args.latency_scale}) ...", flush=True)
        work = next(r for r in runs if r.side == "ours" and r.env == envs[0] and r.phase == "cold" and r.mitogen)
        latency = latency_run(envs[0], args.latency_scale, work.wall_s)

    print()
    print(table(runs))
    if parallel:
        print()
        print(parallel_row(parallel))
    if latency:
        print()
        print(latency_row(latency))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"runs": [run.as_dict() for run in runs], "parallel": parallel, "latency": latency}, indent=2),
        encoding="utf-8",
    )
    print(f"\nJSON: {args.json}")
    stock_failed = [f"{run.env} {run.phase}" for run in runs if run.side == "stock" and run.rc != 0]
    if stock_failed:
        print(f"the stock build failed its own runs (no ratio for them): {', '.join(stock_failed)}")
    failed = [f"{run.env} {run.phase} (Mitogen: {run.mitogen})" for run in runs if run.side == "ours" and run.rc != 0]
    if parallel and parallel["rc"]:
        failed.append("parallel")
    if latency and latency["rc"]:
        failed.append("latency profile")
    if failed:
        print(f"runs of ours that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
