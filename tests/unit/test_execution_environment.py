"""The execution environment AWX runs this project in (execution-environment.yml), built offline.

`ansible-builder create` writes the build context without a container runtime or a network; the tests read
what it wrote and hold it against what the tests of this repository run with: constraints.txt (Python),
requirements.yml (collections, as installed in .venv), galaxy.yml (this collection), and the collections the
roles and playbooks actually call (scanned from their FQCNs, so a collection used but not declared fails here).
"""

import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EE = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
REQUIREMENTS = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
PINS = {
    name.lower(): version
    for name, version in (
        line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line
    )
}


def installed_version(collection):
    """The version of ``collection`` the tests run with (the `ansible` package in .venv)."""
    namespace, name = collection.split(".")
    for root in __import__("ansible_collections").__path__:
        manifest = Path(root) / namespace / name / "MANIFEST.json"
        if manifest.exists():
            return json.loads(manifest.read_text())["collection_info"]["version"]
    return None


def within(version, spec):
    """Is ``version`` inside a galaxy range such as '>=10.0.0,<11.0.0' (or '==x')?"""
    from packaging.specifiers import SpecifierSet

    return version in SpecifierSet(spec)


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context `make ee` writes: this collection built from the checkout, then ansible-builder create."""
    work = tmp_path_factory.mktemp("ee")
    collection = work / "collection"
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", collection, ROOT],
        check=True,
        capture_output=True,
    )
    # The definition names its collection tarball relative to itself (.cache/collection): build from a copy of
    # the definition beside the files it names, as `make ee` does in the checkout.
    (work / ".cache").mkdir()
    (work / ".cache" / "collection").symlink_to(collection)
    for name in ("execution-environment.yml", "requirements.yml", "bindep.txt"):
        (work / name).write_text((ROOT / name).read_text())
    out = work / "context"
    done = subprocess.run(
        [BIN / "ansible-builder", "create", "-f", work / "execution-environment.yml", "--context", out],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_ansible_core_and_runner_are_the_pinned_versions(context):
    containerfile = (context / "Dockerfile").read_text()
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]+)"', containerfile).group(1).split()
    pinned = [f"{name}=={PINS[name]}" for name in ("ansible-core", "ansible-runner")]
    assert sorted(refs) == pinned


def test_the_base_image_is_a_build_argument(context):
    containerfile = (context / "Dockerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{EE["images"]["base_image"]["name"]}"' in containerfile
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile


def test_python_packages_are_pinned_as_constraints_pins_them(context):
    written = [line for line in (context / "_build" / "requirements.txt").read_text().splitlines() if line.strip()]
    assert written, "no Python package in the image"
    for line in written:
        name, _, version = line.partition("==")
        assert version, f"{line!r} is not pinned"
        assert PINS.get(name.lower()) == version, f"{line!r}: constraints.txt pins {PINS.get(name.lower())}"


def test_every_third_party_import_of_the_plugins_is_in_the_image(context):
    written = {line.split("==")[0].lower() for line in (context / "_build" / "requirements.txt").read_text().split()}
    imported = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        for module in re.findall(r"^\s*(?:import|from) (boto3|botocore|cryptography)\b", path.read_text(), re.M):
            imported.add(module)
    assert imported, "the scan found no import: the pattern is wrong"
    assert imported <= written, f"imported by plugins/ but not installed in the image: {sorted(imported - written)}"


def test_collections_are_pinned_to_the_tested_versions_inside_galaxy_ranges(context):
    written = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    assert written == REQUIREMENTS
    for entry in REQUIREMENTS:
        assert entry["version"].startswith("=="), entry
        version = entry["version"][2:]
        assert installed_version(entry["name"]) == version, f"{entry['name']}: the tests run with another version"
        assert entry["name"] in GALAXY["dependencies"], f"{entry['name']} is not a dependency in galaxy.yml"
        assert within(version, GALAXY["dependencies"][entry["name"]]), entry


def test_every_collection_the_project_calls_is_declared():
    """A module, lookup or filter named by FQCN in a role, a playbook or site.yml belongs to a declared collection."""
    used = set()
    files = [ROOT / "site.yml", *(ROOT / "roles").rglob("*.yml"), *(ROOT / "playbooks").rglob("*.yml")]
    # A task's module (``- community.crypto.x509_certificate_pipe:``), a filter, lookup or test
    # (``| payments.infra.cidr_subnet``, ``lookup('payments.infra.input_refusals'``), an action group; not comments.
    call = re.compile(r"(?:^\s*-?\s*|\|\s*|(?:lookup|query)\(['\"]|group/|\bis\s+)([a-z_]+\.[a-z_]+)\.[a-z_0-9]+\b")
    for path in files:
        for line in path.read_text().splitlines():
            if not line.lstrip().startswith("#"):
                used |= set(call.findall(line))
    namespaces = {"amazon", "community", "ansible", "payments", "awx"}
    used = {name for name in used if name.split(".")[0] in namespaces}
    assert {"community.crypto", "amazon.aws", "community.aws", "payments.infra"} <= used, f"the scan is wrong: {used}"
    declared = {entry["name"] for entry in REQUIREMENTS} | {"ansible.builtin", "payments.infra"}
    # awx.awx configures an AWX server from a controller (playbooks/awx_configure.yml), not inside the image.
    assert used - declared <= {"awx.awx"}, f"used but in neither requirements.yml nor galaxy.yml: {used - declared}"


def test_this_collection_is_in_the_image(context):
    [tarball] = (context / "_build" / "collection").glob("payments-infra-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (
        GALAXY["namespace"],
        GALAXY["name"],
        GALAXY["version"],
    )
    assert manifest["dependencies"] == GALAXY["dependencies"]
    needed = ("roles/network/tasks/main.yml", "plugins/modules/run_lock.py", "site.yml", "playbooks/provision.yml")
    assert set(needed) <= set(names)
    leaked = [n for n in names if n.split("/")[0] in {".venv", ".cache", ".emulator", "collections", "artifacts"}]
    assert leaked == []
    containerfile = (context / "Dockerfile").read_text()
    assert "/build/collection/payments-infra-*.tar.gz" in containerfile


def test_system_packages_are_bindep_txt(context):
    assert (context / "_build" / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()
