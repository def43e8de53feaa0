"""The bad-input matrix (issue 16), generated from the one table of limits (plugins/module_utils/limits.py).

One site.yml run holds every case: for every variable, values just outside each limit and of a wrong type
(limits_cases.bad_cases); one case per rule joining several variables; every production protection lowered on
prod; references to what does not exist (a certificate, KMS keys). The preflight reports every refusal of a host
at once, so the generated cases share hosts: host bad-k sets the k-th bad value of every variable (a variable is
never bad twice in one host), and each case's refusal must be in its host's message, naming the variable and
saying what is valid. A rule's case has a host of its own (a rule runs on valid values only), so has each
reference. The run must write nothing, and no output may hold a traceback or a raw templating error.
"""

import json
import re
from collections import defaultdict

import pytest
import yaml
from conftest import EMULATOR_VARS
from conftest import ROOT
from conftest import make_runner
from limits_cases import RULE_CASES
from limits_cases import UUID
from limits_cases import bad_cases
from limits_cases import protection_cases

pytestmark = pytest.mark.integration

LIMITS_TASK = "Refuse every input outside its limits"
# A generated case's refusal: its variable (or an item of it) named, then what is wrong and what is valid.
REFUSED = r"(?<![a-z_]){name}(=|\[|\.| key)[^\n]{{0,600}}?(is invalid|is missing|is not a known key|cannot be set here)"
RAW_ERRORS = ("Traceback", "Finalization of task args", "The filter plugin", "deserialization", "is undefined")


def _base(env_name):
    """A case host's variables before its case: the environment's host, with the emulator's allowance of a
    self-signed certificate (EMULATOR_VARS) as a host variable, so that a case can set it to a bad value (an
    extra variable would override the case)."""
    [base] = yaml.safe_load((ROOT / "inventories" / env_name / "hosts.yml").read_text())[env_name]["hosts"].values()
    return {**base, **EMULATOR_VARS}


def reference_cases(aws):
    """Well-formed references to what does not exist or cannot be used in the region (the emulator holds them).

    (A certificate pending validation is refused the same way; the emulator issues it after a minute, so it is
    not one of these cases.)
    """
    kms = aws("kms")
    disabled = kms.create_key(Description="disabled")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    missing = f"arn:aws:acm:us-east-1:123456789012:certificate/{UUID}"
    return [
        (
            {"payments_certificate_arn": missing},
            f"payments_certificate_arn={missing} is invalid",
            "no such certificate",
        ),
        ({"s3_encryption": "aws:kms", "s3_kms_key_id": "alias/nope"}, "s3_kms_key_id=alias/nope is invalid", "no such"),
        ({"rds_kms_key_id": disabled}, f"rds_kms_key_id={disabled} is invalid", "that key is Disabled"),
    ]


@pytest.fixture(scope="module")
def matrix(scratch_emulator, tmp_path_factory):
    scratch_emulator.client.reset()
    from conftest import make_clients

    aws = make_clients(scratch_emulator)
    cases = {}  # case -> (host, environment, its host variables, the texts its refusal must hold)
    seen = defaultdict(int)
    for name, value, why in bad_cases():
        host = f"bad-{seen[name]}"
        seen[name] += 1
        cases[f"{name} #{seen[name]}: {why}"] = (host, "dev", {name: value}, [REFUSED.format(name=re.escape(name))])
    for rule_name, examples in RULE_CASES.items():
        for index, (values, text) in enumerate(examples):
            host = f"rule-{rule_name.strip('_')}-{index}"
            cases[host] = (host, "dev", values, [re.escape(text)])
    lowered = dict(protection_cases())
    for name, value in lowered.items():
        texts = [re.escape(f"{name}={str(value).lower()}"), "is production", re.escape("-e confirm=prod")]
        cases[f"protect {name}"] = ("protections", "prod", {name: value}, texts)
    for index, (values, *texts) in enumerate(reference_cases(aws)):
        cases[f"reference-{index}"] = (f"reference-{index}", "dev", values, [re.escape(t) for t in texts])
    inventory = {env: {"hosts": {}} for env in ("dev", "prod")}
    for host, env_name, values, _ in cases.values():
        inventory[env_name]["hosts"].setdefault(host, dict(_base(env_name))).update(values)
    path = tmp_path_factory.mktemp("limits") / "cases.yml"
    path.write_text(yaml.safe_dump(inventory))
    seq = scratch_emulator.client.last_seq()
    run = make_runner(scratch_emulator)("site.yml", [str(path)], forks=8, emulator_vars=False)
    return run, cases, scratch_emulator.client.mutating_calls(since=seq)


def test_every_bad_input_is_refused_in_the_preflight_naming_it_and_nothing_is_written(matrix):
    run, cases, mutating = matrix
    wrong = {}
    for case, (host, _, values, texts) in cases.items():
        message = " ".join(run.messages(host).split())
        if run.stats.get(host, {}).get("failures", 0) == 0:
            wrong[case] = f"{values} was not refused"
        elif not all(re.search(text, message) for text in texts):
            wrong[case] = f"{values}: {message[:400]}"
    assert wrong == {}, json.dumps(wrong, indent=1)
    assert mutating == []
    hosts = {host for host, *_ in cases.values()}
    print(f"\n{len(cases)} bad inputs in {len(hosts)} hosts of one run: every one refused in the preflight, 0 writes")


def test_the_limits_are_checked_before_any_aws_call_and_said_without_raw_errors(matrix):
    run, cases, _ = matrix
    for case, (host, *_) in cases.items():
        if case.startswith("reference-"):
            continue
        failed = [line for line in run.messages(host).splitlines() if line.strip()]
        assert failed and failed[0].startswith(LIMITS_TASK), f"{case}: {failed[:1]}"
    text = json.dumps(run.output) + run.stderr
    assert [raw for raw in RAW_ERRORS if raw in text] == []
