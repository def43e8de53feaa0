"""The latency-profile run of `make bench`: a cold create while slow resources take (a share of) AWS's time.

The emulator's latency profile (emulator/latency.py) keeps an RDS instance ``creating``, a load balancer
``provisioning``, a NAT gateway ``pending`` and an ECS deployment ``IN_PROGRESS`` for ``scale`` times what AWS
takes. A run that starts each slow resource and waits for it before starting the next pays every wait in turn; one
that starts them all and awaits them together pays only its longest dependency chain.

The chains are AWS's, not the playbooks': an ECS deployment completes once its tasks run, and its tasks need the
NAT gateways (to pull the image from ECR in a private subnet), the database (its endpoint is in the container
definitions) and the load balancer (their targets register with it). So the longest chain of waits is the longest
of NAT, RDS and ALB, then the ECS deployment.

The critical path of a run is the work it does with the profile off (the cold run measured on its own, every
resource ready at once) plus that longest chain of waits; the ratio is the run's wall time under the profile over
it. A run that waited for each slow resource in turn would approach ``(work + every wait) / (work + longest
chain)``; one that overlaps the waits, 1.0 (below 1 when the run's own work overlaps the waits as well).
"""

from __future__ import annotations

from bench.measure import measured
from bench.measure import ours_commands
from emulator.latency import DURATIONS
from emulator.testing import running_emulator

# Each chain in the order AWS makes its links wait on one another (see the docstring).
CHAINS: tuple[tuple[str, ...], ...] = (
    ("nat_gateway", "ecs_deployment"),
    ("rds_db_instance", "ecs_deployment"),
    ("load_balancer", "ecs_deployment"),
)
DEFAULT_SCALE = 0.2


def chain_seconds(chain: tuple[str, ...], scale: float) -> float:
    """The waits of one chain under ``scale``, in seconds."""
    return sum(DURATIONS[kind][0] for kind in chain) * scale


def longest_chain(scale: float) -> tuple[tuple[str, ...], float]:
    """The chain whose waits add up to the most under ``scale``, and that sum."""
    chain = max(CHAINS, key=lambda links: chain_seconds(links, scale))
    return chain, chain_seconds(chain, scale)


def every_wait(scale: float) -> float:
    """Every slow resource's wait under ``scale`` one after the other: what a run that overlaps nothing pays."""
    return sum(seconds for seconds, _source in DURATIONS.values()) * scale


def critical_path(work_s: float, scale: float) -> dict[str, object]:
    """The critical path of a run whose own work (profile off) took ``work_s``, and the figures it is built from."""
    chain, waits = longest_chain(scale)
    return {
        "scale": scale,
        "work_s": round(work_s, 2),
        "chain": list(chain),
        "chain_wait_s": round(waits, 2),
        "critical_path_s": round(work_s + waits, 2),
        "sequential_s": round(work_s + every_wait(scale), 2),
    }


def latency_run(env_name: str, scale: float, work_s: float) -> dict[str, object]:
    """A cold create of ``env_name`` (Mitogen) on a fresh emulator with the profile at ``scale``, against its
    critical path (``work_s``: the same cold create with the profile off)."""
    with running_emulator(start_args=["--latency-scale", str(scale)]) as emulator:
        run = measured("ours", env_name, "latency", True, emulator, ours_commands(env_name, "cold"))
    figures = critical_path(work_s, scale)
    critical = figures["critical_path_s"]
    return {
        "env": env_name,
        **figures,
        "wall_s": run.wall_s,
        "ratio": round(run.wall_s / critical, 2) if critical else None,
        "sequential_ratio": round(figures["sequential_s"] / critical, 2) if critical else None,
        "rc": run.rc,
    }


def latency_row(latency: dict[str, object]) -> str:
    """The latency-profile measurement as one sentence."""
    return (
        f"{latency['env']} cold under the latency profile (scale {latency['scale']}): {latency['wall_s']} s against a"
        f" critical path of {latency['critical_path_s']} s ({latency['work_s']} s of work with the profile off +"
        f" {latency['chain_wait_s']} s of {' -> '.join(latency['chain'])}): ratio {latency['ratio']}"
        f" (waiting for each in turn: {latency['sequential_ratio']})"
    )
