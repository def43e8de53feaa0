"""payments.infra.ecr_lifecycle_policy against moto in-process."""

import json

import boto3
import pytest

from ansible_collections.payments.infra.plugins.modules import ecr_lifecycle_policy

REPO = "payment-api"
REGION = "us-east-1"
WRITE_OPS = {"PutLifecyclePolicy", "DeleteLifecyclePolicy"}

# The seed's policy, as ECR stores it: untagged images expire after 7 days, the 10 newest tagged stay.
SEED_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire untagged images after 7 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "Keep the last 10 tagged images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": 10,
            },
            "action": {"type": "expire"},
        },
    ]
}


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


@pytest.fixture
def ecr(aws):
    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName=REPO)
    return client


def live_policy(ecr_client):
    try:
        return json.loads(ecr_client.get_lifecycle_policy(repositoryName=REPO)["lifecyclePolicyText"])
    except ecr_client.exceptions.LifecyclePolicyNotFoundException:
        return None


def put_live(ecr_client, text):
    ecr_client.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=text)


RELEASE_RULES = [
    {"description": "Keep the last 50 releases", "tag_status": "tagged", "tag_patterns": ["v*.*.*"], "keep_last": 50},
    {"tag_status": "tagged", "tag_prefixes": ["main-", "build"], "keep_last": 20},
    {"tag_status": "untagged", "expire_after_days": 3},
    {"description": "Anything else after 14 days", "tag_status": "any", "expire_after_days": 14},
]


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------
def test_default_is_the_seed_policy_rendered_exactly(run_module, ecr, api_calls):
    result = run_module(ecr_lifecycle_policy, {"repository": REPO})
    assert result["changed"] is True, result
    assert result["policy"] == SEED_POLICY
    assert result["policy_text"] == json.dumps(SEED_POLICY, sort_keys=True, separators=(",", ":"))
    assert writes(api_calls) == ["PutLifecyclePolicy"]
    put = next(p for name, p in api_calls if name == "PutLifecyclePolicy")
    assert put == {"repositoryName": REPO, "lifecyclePolicyText": result["policy_text"]}
    assert live_policy(ecr) == SEED_POLICY

    api_calls.clear()
    again = run_module(ecr_lifecycle_policy, {"repository": REPO})
    assert again["changed"] is False
    assert writes(api_calls) == []


def test_the_ecr_role_default_rules_are_the_seed_policy(run_module, ecr):
    rules = [
        {"description": "Expire untagged images after 7 days", "tag_status": "untagged", "expire_after_days": 7},
        {
            "description": "Keep the last 10 tagged images",
            "tag_status": "tagged",
            "tag_patterns": ["*"],
            "keep_last": 10,
        },
    ]
    run_module(ecr_lifecycle_policy, {"repository": REPO})
    result = run_module(ecr_lifecycle_policy, {"repository": REPO, "rules": rules})
    assert result["changed"] is False
    assert result["policy"] == SEED_POLICY


def test_rules_render_in_priority_order(run_module, ecr):
    result = run_module(ecr_lifecycle_policy, {"repository": REPO, "rules": RELEASE_RULES})
    assert result["changed"] is True, result
    assert result["policy"] == {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Keep the last 50 releases",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["v*.*.*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 50,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["main-", "build"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 20,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 3,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 4,
                "description": "Anything else after 14 days",
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                "action": {"type": "expire"},
            },
        ]
    }
    assert live_policy(ecr) == result["policy"]


def test_explicit_priorities_sort_the_rules(run_module, ecr):
    rules = [
        {"tag_status": "any", "keep_last": 100, "priority": 90},
        {"tag_status": "untagged", "expire_after_days": 1, "priority": 5},
    ]
    result = run_module(ecr_lifecycle_policy, {"repository": REPO, "rules": rules})
    assert [r["rulePriority"] for r in result["policy"]["rules"]] == [5, 90]
    assert [r["selection"]["tagStatus"] for r in result["policy"]["rules"]] == ["untagged", "any"]


# ---------------------------------------------------------------------------------------------
# validation: every invalid policy fails before any AWS call
# ---------------------------------------------------------------------------------------------
def tagged(**extra):
    return dict({"tag_status": "tagged", "tag_patterns": ["*"], "keep_last": 10}, **extra)


UNTAGGED = {"tag_status": "untagged", "expire_after_days": 7}

INVALID = {
    "tagged_without_prefix_or_pattern": (
        {"rules": [UNTAGGED, {"tag_status": "tagged", "keep_last": 10}]},
        ["rules[1]", "tag_prefixes or tag_patterns", "'*'"],
    ),
    "tagged_with_empty_prefixes": (
        {"rules": [{"tag_status": "tagged", "tag_prefixes": [], "keep_last": 10}]},
        ["rules[0]", "non-empty tag_prefixes or tag_patterns"],
    ),
    "prefixes_with_untagged": (
        {"rules": [dict(UNTAGGED, tag_prefixes=["v"])]},
        ["rules[0]", "tag_prefixes is only allowed with tag status 'tagged', not 'untagged'"],
    ),
    "patterns_with_any": (
        {"rules": [{"tag_status": "any", "tag_patterns": ["*"], "keep_last": 5}]},
        ["rules[0]", "tag_patterns is only allowed with tag status 'tagged', not 'any'"],
    ),
    "prefixes_and_patterns": (
        {"rules": [tagged(tag_prefixes=["v"])]},
        ["rules[0]", "tag_prefixes and tag_patterns are mutually exclusive"],
    ),
    "keep_last_and_expire_after_days": (
        {"rules": [UNTAGGED, tagged(expire_after_days=30)]},
        ["rules[1]", "exactly one of keep_last", "expire_after_days", "not both"],
    ),
    "neither_keep_last_nor_expire_after_days": (
        {"rules": [{"tag_status": "untagged"}]},
        ["rules[0]", "exactly one of keep_last"],
    ),
    "keep_last_zero": (
        {"rules": [tagged(keep_last=0)]},
        ["rules[0]", "keep_last must be a positive integer"],
    ),
    "expire_after_days_negative": (
        {"rules": [dict(UNTAGGED, expire_after_days=-1)]},
        ["rules[0]", "expire_after_days must be a positive integer"],
    ),
    "any_not_last": (
        {"rules": [{"tag_status": "any", "keep_last": 30}, UNTAGGED]},
        ["rules[0]", "tag status 'any' must have the highest priority", "rules[1] has 2"],
    ),
    "any_with_lower_explicit_priority": (
        {
            "rules": [
                dict(UNTAGGED, priority=2),
                {"tag_status": "any", "keep_last": 30, "priority": 1},
                tagged(priority=3),
            ]
        },
        ["rules[1]", "its priority is 1 and rules[2] has 3"],
    ),
    "duplicate_priorities": (
        {"rules": [dict(UNTAGGED, priority=2), tagged()]},
        ["rules[1]", "priority 2 is also the priority of rules[0]", "unique"],
    ),
    "five_wildcards": (
        {"rules": [tagged(tag_patterns=["release-*", "*a*b*c*d*"])]},
        ["rules[0]", "tag_patterns entry '*a*b*c*d*' has 5 wildcards", "at most 4"],
    ),
    "wildcard_in_prefix": (
        {"rules": [{"tag_status": "tagged", "tag_prefixes": ["v*"], "keep_last": 3}]},
        ["rules[0]", "tag_prefixes entry 'v*'", "use tag_patterns"],
    ),
    "empty_pattern": (
        {"rules": [tagged(tag_patterns=[""])]},
        ["rules[0]", "tag_patterns must not contain an empty string"],
    ),
    "priority_zero": (
        {"rules": [dict(UNTAGGED, priority=0)]},
        ["rules[0]", "priority must be an integer of at least 1"],
    ),
    "missing_tag_status": (
        {"rules": [{"keep_last": 3}]},
        ["rules[0]", "tag_status is required"],
    ),
    "no_rules": (
        {"rules": []},
        ["at least one rule", "state=absent"],
    ),
    "policy_too_long": (
        {"rules": [dict(UNTAGGED, description="x" * 31000)]},
        ["at most 30720"],
    ),
    "raw_policy_not_json": (
        {"raw_policy": '{"rules": [}'},
        ["raw_policy is not valid JSON"],
    ),
    "raw_policy_tagged_without_list": (
        {
            "raw_policy": {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1},
                        "action": {"type": "expire"},
                    }
                ]
            }
        },
        ["raw_policy.rules[0].selection", "tagPrefixList or tagPatternList"],
    ),
    "raw_policy_count_unit_with_image_count": (
        {
            "raw_policy": json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {
                                "tagStatus": "any",
                                "countType": "imageCountMoreThan",
                                "countUnit": "days",
                                "countNumber": 1,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                }
            )
        },
        ["raw_policy.rules[0].selection", "countUnit is only allowed with countType sinceImagePushed"],
    ),
    "rules_and_raw_policy": (
        {"rules": [UNTAGGED], "raw_policy": SEED_POLICY},
        ["mutually exclusive", "rules", "raw_policy"],
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID), ids=str)
def test_invalid_policies_fail_before_any_api_call(run_module, aws, api_calls, case):
    params, expected = INVALID[case]
    result = run_module(ecr_lifecycle_policy, dict(params, repository=REPO))
    assert result.get("failed") is True, result
    for fragment in expected:
        assert fragment in result["msg"], (fragment, result["msg"])
    assert api_calls == []


def test_validation_applies_in_check_mode_and_names_the_repository(run_module, aws, api_calls):
    result = run_module(
        ecr_lifecycle_policy, {"repository": REPO, "rules": [{"tag_status": "tagged", "keep_last": 1}]}, check_mode=True
    )
    assert result["failed"] is True
    assert result["msg"].startswith(f"Invalid lifecycle policy for ECR repository {REPO!r}: rules[0]")
    assert api_calls == []


# ---------------------------------------------------------------------------------------------
# comparison with the live policy
# ---------------------------------------------------------------------------------------------
def test_live_policy_with_other_key_order_and_whitespace_is_unchanged(run_module, ecr, api_calls):
    # Pretty-printed, keys reversed, rules in reverse order, countUnit absent-equivalent forms aside.
    reordered = {"rules": [_reverse_keys(rule) for rule in reversed(SEED_POLICY["rules"])]}
    put_live(ecr, json.dumps(reordered, indent=4))
    api_calls.clear()
    result = run_module(ecr_lifecycle_policy, {"repository": REPO}, diff=True)
    assert result["changed"] is False, result
    assert writes(api_calls) == []
    assert result["diff"]["before"] == result["diff"]["after"]


def _reverse_keys(value):
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    return value


def test_tag_list_order_is_not_a_change(run_module, ecr):
    rules = [{"tag_status": "tagged", "tag_prefixes": ["a", "b"], "keep_last": 2}]
    run_module(ecr_lifecycle_policy, {"repository": REPO, "rules": rules})
    rules[0]["tag_prefixes"] = ["b", "a"]
    assert run_module(ecr_lifecycle_policy, {"repository": REPO, "rules": rules})["changed"] is False


def test_raw_policy_json_string_equal_to_the_live_one_is_unchanged(run_module, ecr, api_calls):
    run_module(ecr_lifecycle_policy, {"repository": REPO})
    api_calls.clear()
    result = run_module(ecr_lifecycle_policy, {"repository": REPO, "raw_policy": json.dumps(SEED_POLICY, indent=2)})
    assert result["changed"] is False, result
    assert result["policy"] == SEED_POLICY
    assert writes(api_calls) == []


def test_change_is_put_with_a_diff(run_module, ecr, api_calls):
    run_module(ecr_lifecycle_policy, {"repository": REPO})
    rules = [UNTAGGED, tagged(keep_last=20)]
    api_calls.clear()
    result = run_module(ecr_lifecycle_policy, {"repository": REPO, "rules": rules}, diff=True)
    assert result["changed"] is True
    assert writes(api_calls) == ["PutLifecyclePolicy"]
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert before == SEED_POLICY
    assert before["rules"][1]["selection"]["countNumber"] == 10
    assert after["rules"][1]["selection"]["countNumber"] == 20
    assert "description" not in after["rules"][0]
    assert live_policy(ecr) == result["policy"]


def test_check_mode_writes_nothing(run_module, ecr, api_calls):
    result = run_module(ecr_lifecycle_policy, {"repository": REPO}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {}, "after": SEED_POLICY}
    assert writes(api_calls) == []
    assert live_policy(ecr) is None


def test_missing_repository_fails_clearly_but_only_warns_in_check_mode(run_module, aws, api_calls, monkeypatch):
    from ansible.module_utils import basic

    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning, **kw: warnings.append(warning))
    result = run_module(ecr_lifecycle_policy, {"repository": "not-there"})
    assert result["failed"] is True
    assert "ECR repository 'not-there' does not exist" in result["msg"]
    assert "payments.infra.ecr_repository" in result["msg"]
    assert writes(api_calls) == []

    checked = run_module(ecr_lifecycle_policy, {"repository": "not-there"}, check_mode=True)
    assert checked["changed"] is True and "failed" not in checked
    assert any("'not-there' does not exist" in w for w in warnings)
    assert checked["policy"] == SEED_POLICY


# ---------------------------------------------------------------------------------------------
# absent
# ---------------------------------------------------------------------------------------------
def test_absent_deletes_and_is_idempotent(run_module, ecr, api_calls):
    run_module(ecr_lifecycle_policy, {"repository": REPO})
    api_calls.clear()
    checked = run_module(ecr_lifecycle_policy, {"repository": REPO, "state": "absent"}, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["diff"] == {"before": SEED_POLICY, "after": {}}
    assert writes(api_calls) == [] and live_policy(ecr) == SEED_POLICY

    result = run_module(ecr_lifecycle_policy, {"repository": REPO, "state": "absent"})
    assert result["changed"] is True and result["policy"] == {}
    assert writes(api_calls) == ["DeleteLifecyclePolicy"]
    assert live_policy(ecr) is None

    api_calls.clear()
    again = run_module(ecr_lifecycle_policy, {"repository": REPO, "state": "absent"})
    assert again["changed"] is False
    assert writes(api_calls) == []
    # No repository at all: nothing to remove either.
    assert run_module(ecr_lifecycle_policy, {"repository": "not-there", "state": "absent"})["changed"] is False


def test_absent_ignores_invalid_rules(run_module, ecr):
    result = run_module(
        ecr_lifecycle_policy,
        {"repository": REPO, "state": "absent", "rules": [{"tag_status": "tagged", "keep_last": 1}]},
    )
    assert result["changed"] is False and "failed" not in result
