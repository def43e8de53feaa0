"""payments.infra.s3_bucket_lifecycle against moto in-process (with the emulator's fidelity layer)."""

import copy

import boto3
import pytest
import yaml

from ansible_collections.payments.infra.plugins.modules import s3_bucket_lifecycle

BUCKET = "payment-logs-dev-123456789012"
WRITE_OPS = {"PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"}

# The dev policy of the seed: STANDARD_IA at 30 days, GLACIER at 90, expire at 365, old versions after 90.
DEV_RULE = {
    "id": "transaction-logs-retention",
    "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}, {"days": 90, "storage_class": "GLACIER"}],
    "expiration_days": 365,
    "noncurrent_version_expiration_days": 90,
}
MULTIPART_RULE = {"id": "abort-multipart", "prefix": "uploads/", "abort_incomplete_multipart_upload_days": 7}


def ops(calls):
    return [name for name, _ in calls]


def writes(calls):
    return [name for name in ops(calls) if name in WRITE_OPS]


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def live_rules(s3):
    try:
        return s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    except s3.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"
        return []


def args(*rules, **extra):
    return {"bucket": BUCKET, "rules": [copy.deepcopy(r) for r in rules], **extra}


# ---------------------------------------------------------------------------------------------
# create / idempotence / change
# ---------------------------------------------------------------------------------------------
def test_create_renders_explicit_filter(run_module, s3, api_calls):
    result = run_module(s3_bucket_lifecycle, args(DEV_RULE, MULTIPART_RULE))

    assert result["changed"] is True, result
    assert result["rules"] == [
        {
            "id": "abort-multipart",
            "enabled": True,
            "prefix": "uploads/",
            "abort_incomplete_multipart_upload_days": 7,
        },
        {
            "id": "transaction-logs-retention",
            "enabled": True,
            "prefix": "",
            "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}, {"days": 90, "storage_class": "GLACIER"}],
            "expiration_days": 365,
            "noncurrent_version_expiration_days": 90,
        },
    ]
    assert writes(api_calls) == ["PutBucketLifecycleConfiguration"]
    put = next(params for name, params in api_calls if name == "PutBucketLifecycleConfiguration")
    by_id = {rule["ID"]: rule for rule in put["LifecycleConfiguration"]["Rules"]}
    # The seed's failure 1.2: a rule without a filter. Every rule carries an explicit one.
    assert by_id["transaction-logs-retention"]["Filter"] == {"Prefix": ""}
    assert by_id["abort-multipart"]["Filter"] == {"Prefix": "uploads/"}
    assert by_id["transaction-logs-retention"]["Status"] == "Enabled"
    assert "Prefix" not in by_id["transaction-logs-retention"]

    live = {rule["ID"]: rule for rule in live_rules(s3)}
    assert live["transaction-logs-retention"]["Expiration"] == {"Days": 365}
    assert live["transaction-logs-retention"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}


def test_rerun_is_unchanged_and_writes_nothing(run_module, s3, api_calls):
    run_module(s3_bucket_lifecycle, args(DEV_RULE, MULTIPART_RULE))
    api_calls.clear()

    again = run_module(s3_bucket_lifecycle, args(MULTIPART_RULE, DEV_RULE), diff=True)

    assert again["changed"] is False, again
    assert writes(api_calls) == []
    assert ops(api_calls) == ["GetBucketLifecycleConfiguration"]
    assert again["diff"]["before"] == again["diff"]["after"]


def test_changed_day_is_a_change_with_readable_diff(run_module, s3):
    run_module(s3_bucket_lifecycle, args(DEV_RULE))
    longer = dict(DEV_RULE, expiration_days=400)

    result = run_module(s3_bucket_lifecycle, args(longer), diff=True)

    assert result["changed"] is True
    before, after = result["diff"]["before"]["rules"], result["diff"]["after"]["rules"]
    assert [r["expiration_days"] for r in before] == [365]
    assert [r["expiration_days"] for r in after] == [400]
    assert {k: v for k, v in before[0].items() if k != "expiration_days"} == {
        k: v for k, v in after[0].items() if k != "expiration_days"
    }
    assert live_rules(s3)[0]["Expiration"] == {"Days": 400}
    assert run_module(s3_bucket_lifecycle, args(longer))["changed"] is False


def test_rules_not_listed_are_removed(run_module, s3, api_calls):
    run_module(s3_bucket_lifecycle, args(DEV_RULE, MULTIPART_RULE))
    api_calls.clear()

    result = run_module(s3_bucket_lifecycle, args(DEV_RULE), diff=True)

    assert result["changed"] is True
    assert [r["id"] for r in result["diff"]["before"]["rules"]] == ["abort-multipart", "transaction-logs-retention"]
    assert [r["id"] for r in result["rules"]] == ["transaction-logs-retention"]
    assert [r["ID"] for r in live_rules(s3)] == ["transaction-logs-retention"]
    put = next(params for name, params in api_calls if name == "PutBucketLifecycleConfiguration")
    assert [r["ID"] for r in put["LifecycleConfiguration"]["Rules"]] == ["transaction-logs-retention"]


def test_disabling_a_rule_is_a_change(run_module, s3):
    run_module(s3_bucket_lifecycle, args(DEV_RULE))
    result = run_module(s3_bucket_lifecycle, args(dict(DEV_RULE, enabled=False)))
    assert result["changed"] is True
    assert live_rules(s3)[0]["Status"] == "Disabled"


def test_filter_forms_and_sizes_round_trip(run_module, s3, api_calls):
    rules = [
        {"id": "one-tag", "tags": {"retention": "temporary"}, "expiration_days": 7},
        {"id": "prefix-and-tags", "prefix": "tmp/", "tags": {"b": "2", "a": "1"}, "expiration_days": 3},
        {
            "id": "large-exports",
            "prefix": "exports/",
            "object_size_greater_than": 1048576,
            "object_size_less_than": 1073741824,
            "transitions": [{"days": 0, "storage_class": "DEEP_ARCHIVE"}],
        },
        {"id": "only-small", "object_size_less_than": 1024, "expiration_days": 30},
    ]
    first = run_module(s3_bucket_lifecycle, args(*rules))
    assert first["changed"] is True, first
    put = next(params for name, params in api_calls if name == "PutBucketLifecycleConfiguration")
    filters = {rule["ID"]: rule["Filter"] for rule in put["LifecycleConfiguration"]["Rules"]}
    assert filters == {
        "one-tag": {"Tag": {"Key": "retention", "Value": "temporary"}},
        "prefix-and-tags": {
            "And": {"Prefix": "tmp/", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}
        },
        "large-exports": {
            "And": {"Prefix": "exports/", "ObjectSizeGreaterThan": 1048576, "ObjectSizeLessThan": 1073741824}
        },
        "only-small": {"ObjectSizeLessThan": 1024},
    }
    by_id = {rule["id"]: rule for rule in first["rules"]}
    assert by_id["large-exports"]["object_size_greater_than"] == 1048576
    assert by_id["prefix-and-tags"]["tags"] == {"a": "1", "b": "2"}

    assert run_module(s3_bucket_lifecycle, args(*rules))["changed"] is False


def test_noncurrent_versions_round_trip(run_module, s3):
    rule = {
        "id": "old-versions",
        "noncurrent_version_transitions": [
            {"noncurrent_days": 30, "storage_class": "STANDARD_IA"},
            {"noncurrent_days": 60, "storage_class": "GLACIER", "newer_noncurrent_versions": 2},
        ],
        "noncurrent_version_expiration_days": 365,
        "newer_noncurrent_versions": 3,
    }
    marker = {"id": "delete-markers", "expired_object_delete_marker": True}
    first = run_module(s3_bucket_lifecycle, args(rule, marker))
    assert first["changed"] is True, first
    live = {r["ID"]: r for r in live_rules(s3)}
    assert live["old-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 365, "NewerNoncurrentVersions": 3}
    assert live["delete-markers"]["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    assert run_module(s3_bucket_lifecycle, args(rule, marker))["changed"] is False


def test_transition_default_minimum_object_size_is_kept(run_module, s3, api_calls):
    run_module(s3_bucket_lifecycle, args(DEV_RULE))
    api_calls.clear()
    run_module(s3_bucket_lifecycle, args(DEV_RULE, MULTIPART_RULE))
    put = next(params for name, params in api_calls if name == "PutBucketLifecycleConfiguration")
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"


# ---------------------------------------------------------------------------------------------
# The same rules in another form of the API
# ---------------------------------------------------------------------------------------------
EQUIVALENT_LIVE = [
    # Listed in another order, transitions reversed, And holding a single prefix.
    {
        "ID": "transaction-logs-retention",
        "Status": "Enabled",
        "Filter": {"And": {"Prefix": ""}},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
        "Expiration": {"Days": 365},
        "Transitions": [{"StorageClass": "GLACIER", "Days": 90}, {"StorageClass": "STANDARD_IA", "Days": 30}],
    },
    # The legacy top-level Prefix instead of a Filter.
    {
        "ID": "abort-multipart",
        "Status": "Enabled",
        "Prefix": "uploads/",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    },
    # A single tag under And (the wanted rule also says expired_object_delete_marker=false: the same as unset).
    {
        "ID": "temporary",
        "Status": "Enabled",
        "Filter": {"And": {"Tags": [{"Key": "retention", "Value": "temporary"}]}},
        "Expiration": {"Days": 7},
    },
    # An empty Filter: every object, as Filter.Prefix="".
    {"ID": "delete-markers", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
]
EQUIVALENT_WANTED = [
    {"id": "abort-multipart", "prefix": "uploads/", "abort_incomplete_multipart_upload_days": 7},
    {"id": "delete-markers", "prefix": "", "expired_object_delete_marker": True},
    {
        "id": "temporary",
        "tags": {"retention": "temporary"},
        "expiration_days": 7,
        "expired_object_delete_marker": False,
    },
    DEV_RULE,
]


def test_equivalent_live_form_is_unchanged(run_module, s3, api_calls):
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": EQUIVALENT_LIVE})
    api_calls.clear()

    result = run_module(s3_bucket_lifecycle, args(*EQUIVALENT_WANTED), diff=True)

    assert result["changed"] is False, result["diff"]
    assert writes(api_calls) == []
    assert [r["id"] for r in result["rules"]] == ["abort-multipart", "delete-markers", "temporary", DEV_RULE["id"]]


@pytest.mark.parametrize(
    "live_change",
    [
        pytest.param({"Filter": {"Prefix": "logs/"}}, id="other-prefix"),
        pytest.param({"Filter": {"ObjectSizeGreaterThan": 0}}, id="size-filter-0-is-not-every-object"),
        pytest.param({"Expiration": {"Date": "2030-01-01T00:00:00Z"}}, id="expiration-by-date"),
        pytest.param({"Status": "Disabled"}, id="disabled"),
        pytest.param({"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}}, id="extra-action"),
    ],
)
def test_semantically_different_live_rule_is_a_change(run_module, s3, live_change):
    rule = {
        "ID": DEV_RULE["id"],
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
        "Expiration": {"Days": 365},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
    }
    rule.update(live_change)
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [rule]})

    result = run_module(s3_bucket_lifecycle, args(DEV_RULE))

    assert result["changed"] is True
    assert run_module(s3_bucket_lifecycle, args(DEV_RULE))["changed"] is False


# ---------------------------------------------------------------------------------------------
# check mode
# ---------------------------------------------------------------------------------------------
def test_check_mode_create_writes_nothing(run_module, s3, api_calls):
    result = run_module(s3_bucket_lifecycle, args(DEV_RULE), check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["before"] == {"rules": []}
    assert [r["id"] for r in result["diff"]["after"]["rules"]] == [DEV_RULE["id"]]
    assert result["rules"] == result["diff"]["after"]["rules"]
    assert writes(api_calls) == []
    assert live_rules(s3) == []


def test_check_mode_change_and_absent_write_nothing(run_module, s3, api_calls):
    run_module(s3_bucket_lifecycle, args(DEV_RULE))
    api_calls.clear()

    changed = run_module(s3_bucket_lifecycle, args(dict(DEV_RULE, expiration_days=500)), check_mode=True)
    unchanged = run_module(s3_bucket_lifecycle, args(DEV_RULE), check_mode=True)
    absent = run_module(s3_bucket_lifecycle, {"bucket": BUCKET, "state": "absent"}, check_mode=True)

    assert (changed["changed"], unchanged["changed"], absent["changed"]) == (True, False, True)
    assert changed["rules"][0]["expiration_days"] == 500
    assert writes(api_calls) == []
    assert live_rules(s3)[0]["Expiration"] == {"Days": 365}


# ---------------------------------------------------------------------------------------------
# Validation: before any AWS call
# ---------------------------------------------------------------------------------------------
def _rule(**overrides):
    rule = {"id": "r1", "expiration_days": 365}
    rule.update(overrides)
    return rule


INVALID = [
    pytest.param(
        [_rule(transitions=[{"days": 10, "storage_class": "STANDARD_IA"}])],
        ["rule 'r1'", "transitions[0].days is 10", "STANDARD_IA", "at least 30"],
        id="ia-before-30-days",
    ),
    pytest.param(
        [_rule(noncurrent_version_transitions=[{"noncurrent_days": 7, "storage_class": "ONEZONE_IA"}])],
        ["rule 'r1'", "noncurrent_version_transitions[0].noncurrent_days is 7", "ONEZONE_IA", "at least 30"],
        id="noncurrent-ia-before-30-days",
    ),
    pytest.param(
        [_rule(expiration_days=60, transitions=[{"days": 90, "storage_class": "GLACIER"}])],
        ["rule 'r1'", "expiration_days is 60", "GLACIER is at 90 days", "expiration_days > 90"],
        id="expiration-before-transition",
    ),
    pytest.param(
        [_rule(transitions=[{"days": 30, "storage_class": "GLACIER"}, {"days": 60, "storage_class": "STANDARD_IA"}])],
        ["rule 'r1'", "STANDARD_IA at 60", "after GLACIER at 30", "colder"],
        id="transitions-not-colder",
    ),
    pytest.param(
        [_rule(transitions=[{"days": 30, "storage_class": "GLACIER"}, {"days": 60, "storage_class": "GLACIER"}])],
        ["rule 'r1'", "GLACIER twice"],
        id="same-class-twice",
    ),
    pytest.param([_rule(), _rule()], ["rule 'r1' (rules[1])", "already used by rules[0]", "unique"], id="duplicate-id"),
    pytest.param([_rule(id="x" * 256)], ["rules[0].id is 256 characters", "at most 255"], id="id-too-long"),
    pytest.param(
        [{"id": "nothing", "prefix": "logs/"}], ["rule 'nothing'", "no action", "expiration_days"], id="no-action"
    ),
    pytest.param(
        [_rule(expired_object_delete_marker=True)],
        ["rule 'r1'", "expired_object_delete_marker=true cannot be combined with expiration_days (365)"],
        id="delete-marker-with-expiration",
    ),
    pytest.param(
        [{"id": "t", "tags": {"a": "b"}, "expired_object_delete_marker": True}],
        ["rule 't'", "expired_object_delete_marker=true cannot be combined with a tags filter"],
        id="delete-marker-with-tags",
    ),
    pytest.param(
        [{"id": "m", "object_size_greater_than": 100, "abort_incomplete_multipart_upload_days": 3}],
        ["rule 'm'", "abort_incomplete_multipart_upload_days cannot be combined with object_size_greater_than"],
        id="abort-with-size-filter",
    ),
    pytest.param(
        [_rule(expiration_days=0)], ["rule 'r1'", "expiration_days is 0", "at least 1"], id="expiration-zero-days"
    ),
    pytest.param(
        [_rule(object_size_greater_than=1000, object_size_less_than=10)],
        ["rule 'r1'", "object_size_less_than (10) must be greater than object_size_greater_than (1000)"],
        id="empty-size-range",
    ),
    pytest.param(
        [{"id": "n", "noncurrent_version_expiration_days": 30, "newer_noncurrent_versions": 101}],
        ["rule 'n'", "newer_noncurrent_versions is 101", "between 1 and 100"],
        id="too-many-newer-versions",
    ),
    pytest.param(
        [_rule(transitions=[{"days": 30, "storage_class": "COLD"}])],
        # Ansible's own validation of the documented suboptions answers first.
        ["storage_class must be one of", "COLD", "rules -> transitions"],
        id="unknown-storage-class",
    ),
    pytest.param([_rule(expires=3)], ["Unsupported parameters", "rules.expires"], id="unknown-option"),
    pytest.param([], ["rules is empty", "state=absent"], id="no-rules"),
    pytest.param(
        [_rule(id=f"r{i}", prefix=f"{i}/") for i in range(1001)], ["1001 rules", "at most 1000"], id="too-many-rules"
    ),
]


@pytest.mark.parametrize(("rules", "fragments"), INVALID)
def test_invalid_rules_fail_before_any_call(run_module, aws, api_calls, rules, fragments):
    result = run_module(s3_bucket_lifecycle, {"bucket": BUCKET, "rules": rules})

    assert result.get("failed") is True, result
    for fragment in fragments:
        assert fragment in result["msg"], (fragment, result["msg"])
    assert api_calls == []


def test_transition_to_glacier_at_day_0_is_valid(run_module, s3):
    rule = {"id": "archive", "transitions": [{"days": 0, "storage_class": "GLACIER"}]}
    assert run_module(s3_bucket_lifecycle, args(rule))["changed"] is True


# ---------------------------------------------------------------------------------------------
# absent, missing bucket
# ---------------------------------------------------------------------------------------------
def test_absent_and_absent_again(run_module, s3, api_calls):
    run_module(s3_bucket_lifecycle, args(DEV_RULE))
    api_calls.clear()

    removed = run_module(s3_bucket_lifecycle, {"bucket": BUCKET, "state": "absent"}, diff=True)
    assert removed["changed"] is True
    assert removed["rules"] == []
    assert [r["id"] for r in removed["diff"]["before"]["rules"]] == [DEV_RULE["id"]]
    assert removed["diff"]["after"] == {"rules": []}
    assert writes(api_calls) == ["DeleteBucketLifecycle"]
    assert live_rules(s3) == []

    api_calls.clear()
    again = run_module(s3_bucket_lifecycle, {"bucket": BUCKET, "state": "absent"})
    assert again["changed"] is False
    assert writes(api_calls) == []


def test_missing_bucket_fails_naming_it(run_module, aws):
    result = run_module(s3_bucket_lifecycle, {"bucket": "no-such-bucket-here", "rules": [DEV_RULE]})
    assert result.get("failed") is True
    assert "'no-such-bucket-here' does not exist" in result["msg"]


def test_check_mode_on_a_bucket_still_to_be_created_plans_the_whole_configuration(run_module, aws):
    plan = run_module(
        s3_bucket_lifecycle, {"bucket": "no-such-bucket-here", "rules": [DEV_RULE]}, check_mode=True, diff=True
    )
    assert plan.get("failed") is not True, plan
    assert plan["changed"] is True
    assert plan["diff"]["before"] == {"rules": []}
    assert [r["id"] for r in plan["diff"]["after"]["rules"]] == [DEV_RULE["id"]]


def test_absent_on_missing_bucket_is_not_a_change(run_module, aws):
    result = run_module(s3_bucket_lifecycle, {"bucket": "no-such-bucket-here", "state": "absent"})
    assert result.get("failed") is not True, result
    assert result["changed"] is False


# ---------------------------------------------------------------------------------------------
# Documentation: the per-rule spec is checked by the module itself, so check it against the docs here.
# ---------------------------------------------------------------------------------------------
def _compare_spec(documented, spec, path=""):
    problems = []
    for key in sorted(set(documented) | set(spec)):
        where = f"rules.{path}{key}"
        if key not in documented or key not in spec:
            problems.append(f"{where}: only in {'argument spec' if key in spec else 'documentation'}")
            continue
        doc, arg = documented[key], spec[key]
        for field, default in (("type", "str"), ("default", None), ("choices", None), ("elements", None)):
            if doc.get(field, default) != arg.get(field, default):
                problems.append(f"{where}: {field} {doc.get(field, default)!r} != {arg.get(field, default)!r}")
        if bool(doc.get("required")) != bool(arg.get("required")):
            problems.append(f"{where}: required differs")
        if "suboptions" in doc or "options" in arg:
            problems += _compare_spec(doc.get("suboptions", {}), arg.get("options", {}), f"{path}{key}.")
    return problems


def test_rule_suboptions_match_documentation():
    documented = yaml.safe_load(s3_bucket_lifecycle.DOCUMENTATION)["options"]["rules"]["suboptions"]
    assert _compare_spec(documented, s3_bucket_lifecycle.RULE_SPEC) == []


def test_examples_are_valid_rule_sets():
    tasks = yaml.safe_load(s3_bucket_lifecycle.EXAMPLES)
    rule_sets = [
        task["payments.infra.s3_bucket_lifecycle"]["rules"]
        for task in tasks
        if isinstance(task["payments.infra.s3_bucket_lifecycle"].get("rules"), list)
    ]
    assert len(rule_sets) >= 2
    for rules in rule_sets:
        parsed, error = s3_bucket_lifecycle.parse_rules(rules)
        assert error is None
        assert s3_bucket_lifecycle.validate_rules(parsed) is None
