"""The lanes of the integration tests (``make integration``: ``-n 3 --dist loadgroup``); conftest.py imports the hooks.

Kept apart from conftest.py so that tests/unit/test_integration_lanes.py can run these very hooks on a sample suite.
"""

import pytest

# Three lanes under pytest-xdist (make integration: -n 3 --dist loadgroup), each worker with its own emulators:
# the tests reading the provisioned environments in one (one session fixture provisions them once); the
# kill-safety chain, the concurrent runs under faults and the killed runs' processes in another; the other
# tests that need an empty emulator in the third. Much of a run is spent waiting (AWS-style sleeps and
# polls), so three lanes share two cores well.
# ---------------------------------------------------------------------------------------------
CHAOS_LANE = {"test_kill_safety.py", "test_concurrency_and_faults.py", "test_no_process_left.py"}
# Tests on an empty emulator of their own that run beside the chaos tests rather than after the change matrix,
# which alone fills most of the third lane. Local run of 2026-12-03 (63 min 39 s): chaos lane about 55 min with
# test_cross_tier (kill-safety 1565 s, AWX jobs 846 s, destroy 390 s, faults 254 s, cross-tier 248 s), the
# third lane about 48 min: test_cross_tier moved back there.
BESIDE_CHAOS = {"test_destroy.py", "test_awx_jobs.py"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the lane into the node id
def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.path.name in CHAOS_LANE | BESIDE_CHAOS:
            lane = "chaos"
        elif "clean_emulator" in fixtures or "scratch_emulator" in fixtures:
            lane = "scratch"
        else:
            lane = "provisioned"
        item.add_marker(pytest.mark.xdist_group(name=lane))


def pytest_collection_finish(session):
    # xdist groups by a "@<lane>" suffix it writes into each node id. pytest 9.2 keeps node ids elsewhere, so
    # that write is lost and every test goes to any worker (each then provisions its own environments): fail
    # loudly instead of running three times the work (requirements.txt pins pytest 9.1.1 for this).
    if getattr(session.config.option, "loadgroup", False):
        ungrouped = [item.nodeid for item in session.items if "@" not in item.nodeid]
        if ungrouped:
            raise pytest.UsageError(
                f"--dist loadgroup lost the lanes of {len(ungrouped)} test(s) (e.g. {ungrouped[0]}): "
                "this pytest and pytest-xdist do not group together; see requirements.txt"
            )
