"""Unit-test harness for payments.infra modules: each module's main() runs in-process
against moto's in-process mock (no server, no network, no credentials)."""

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args
from moto import mock_aws

from emulator.fidelity import apply_all

# moto stands in for AWS here as in the emulator: with the same fidelity layer, so a module
# test sees AWS's answers (tag filters, client tokens, resource types), not moto's.
apply_all()


class ModuleExit(Exception):
    """main() called exit_json or fail_json; .result holds what it returned."""

    def __init__(self, result, failed):
        super().__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    """Dummy credentials and a region; never a real endpoint."""
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


_LOADERS = {}


@pytest.fixture(autouse=True)
def fast_moto(monkeypatch):
    """Speed only, answers unchanged: one botocore data loader for every session (each module run
    makes a new boto3 session, which would parse the API models again), and no default AMIs in
    moto's EC2 backend (loaded whenever an EC2 client is first used; no test reads AMIs)."""
    import botocore.loaders
    import botocore.session

    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

    def create_loader(search_path_string=None):
        if search_path_string not in _LOADERS:
            _LOADERS[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return _LOADERS[search_path_string]

    monkeypatch.setattr(botocore.session, "create_loader", create_loader)


@pytest.fixture
def api_calls(monkeypatch):
    """Every AWS API call made (operation name, parameters), in order: proves that validation
    fails before any call and that check mode writes nothing."""
    import copy

    import botocore.client

    calls = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append((operation_name, copy.deepcopy(api_params)))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


@pytest.fixture
def aws():
    """moto's in-process mock for the duration of one test."""
    with mock_aws():
        yield


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, args, check_mode=False, diff=False) -> result dict.

    Raises nothing on failure: the result carries ``failed: True`` and ``msg``.
    """
    from ansible.module_utils import basic

    def _exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise ModuleExit(kwargs, failed=False)

    def _fail_json(self, msg=None, **kwargs):
        kwargs["failed"] = True
        kwargs["msg"] = msg
        raise ModuleExit(kwargs, failed=True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)

    def _run(module, args, check_mode=False, diff=False):
        full = dict(args)
        full.setdefault("region", "us-east-1")
        full["_ansible_check_mode"] = check_mode
        full["_ansible_diff"] = diff
        with patch_module_args(full):
            try:
                module.main()
            except ModuleExit as done:
                # Results must be JSON-serialisable, as Ansible would need them to be.
                json.dumps(done.result, default=str)
                return done.result
        raise AssertionError("module returned without exit_json or fail_json")

    return _run


@pytest.fixture
def ec2_client(aws):
    import boto3

    return boto3.client("ec2", region_name=os.environ["AWS_DEFAULT_REGION"])
