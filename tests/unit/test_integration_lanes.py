"""The integration tests' lanes (tests/integration/conftest.py) hold under the pinned pytest and pytest-xdist.

`make integration` runs ``-n 3 --dist loadgroup``: a lane's tests must run on one worker, in particular every test
reading the ``provisioned`` session fixture, or each worker provisions dev, staging and prod for itself. With
pytest 9.2 and pytest-xdist 3.8 the grouping was silently lost. Here a sample suite named like the real one is run
by a real pytest-xdist session with the integration conftest's own hooks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = f"""
import sys
sys.path.insert(0, {str(ROOT / "tests" / "integration")!r})
import pytest
from lanes import pytest_collection_finish, pytest_collection_modifyitems  # noqa: F401

@pytest.fixture
def clean_emulator():
    return None

@pytest.fixture
def provisioned():
    return None
"""

RECORD = """
import json, os
def record(request):
    with open(os.environ["LANES_RECORD"], "a") as handle:
        handle.write(json.dumps([request.node.nodeid, os.environ["PYTEST_XDIST_WORKER"]]) + "\\n")
"""

SAMPLES = {
    # chaos lane, by file name
    "test_kill_safety.py": "def test_kill_{i}(request):\n    record(request)\n",
    # scratch lane, by fixture
    "test_rds.py": "def test_scratch_{i}(request, clean_emulator):\n    record(request)\n",
    # provisioned lane: the rest
    "test_network.py": "def test_read_{i}(request, provisioned):\n    record(request)\n",
}


def test_each_lane_runs_on_one_worker(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for name, body in SAMPLES.items():
        tests = "".join(body.format(i=i) for i in range(4))
        (suite / name).write_text(RECORD + "\n" + tests, encoding="utf-8")
    record = tmp_path / "record.jsonl"

    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-q", "-n", "3", "--dist", "loadgroup", "-p", "no:cacheprovider"]
        + ["--rootdir", str(suite)],
        env={**os.environ, "LANES_RECORD": str(record)},
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    ran = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert len(ran) == 12
    workers = {}
    for nodeid, worker in ran:
        lane = nodeid.rsplit("@", 1)[-1] if "@" in nodeid else None
        workers.setdefault(lane, set()).add(worker)
    assert set(workers) == {"chaos", "scratch", "provisioned"}, workers
    assert all(len(on) == 1 for on in workers.values()), workers
