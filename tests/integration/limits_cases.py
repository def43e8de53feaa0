"""The bad-input matrix, generated from the one table of limits (plugins/module_utils/limits.py).

For every variable with a limit: values just outside each bound, of a wrong type, off its pattern or its choices,
and for its items (a list's elements, a dict's keys and values, a list of dicts' options); for every variable
with a production protection, the lowered value on prod. The valid edges (each end of each range, every choice)
are generated the same way. Used by tests/unit/plugins/module_utils/test_limits.py (every bad case is refused and
every edge accepted by the table) and tests/integration/test_input_limits.py (every bad case refused by a real
run before its first AWS call).
"""

from __future__ import annotations

from ansible_collections.payments.infra.plugins.module_utils.limits import LIMITS
from ansible_collections.payments.infra.plugins.module_utils.limits import check

WRONG_TYPE = {
    "int": "twelve",
    "float": "fast",
    "bool": "maybe",
    "str": ["a", "list"],
    "list": {"a": "mapping"},
    "dict": ["a", "list"],
}
UUID = "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
# Variables the run reads beyond the table: an inventory's connection settings, botocore's config.
NOT_INPUTS = ("payments_aws_config",)


def _number(limit, value):
    return int(value) if limit["type"] == "int" else round(value, 3)


def _valid_str(limit):
    """A value the string limit accepts (for lengthening, or as the base of an item)."""
    if limit.get("format") == "cidr":
        return f"10.0.0.0/{limit['min']}" if limit["min"] >= 8 else "0.0.0.0/0"
    for candidate in ("payment", "a1", "/health", "200", "db.t3.micro", "15", "payments", ""):
        try:
            check(candidate, limit)
            return candidate
        except ValueError:
            continue
    return None


def bad_values(limit):
    """[(value, what is wrong)] just outside the limit."""
    kind = limit["type"]
    found = [(WRONG_TYPE[kind], "wrong type")]
    if limit.get("choices"):
        choices = limit["choices"]
        if kind == "int":
            outside = next(c + 1 for c in choices if c + 1 not in choices)
            found.append((outside, "not a choice"))
        else:
            found.append((f"{choices[0]}-not-a-choice", "not a choice"))
        return found
    if kind in ("int", "float"):
        step = 1 if kind == "int" else 0.001
        if limit.get("min") is not None:
            found.append((_number(limit, limit["min"] - step), "below the minimum"))
        if limit.get("max") is not None:
            found.append((_number(limit, limit["max"] + step), "above the maximum"))
        if limit.get("multiple_of"):
            found.append((limit["min"] + 1, "not a multiple"))
        return found
    if kind == "str":
        fmt = limit.get("format")
        if fmt == "cidr":
            found += [
                ("10.0.0.1/16" if limit["min"] <= 16 else f"10.0.0.1/{limit['min']}", "host bits set"),
                ("10.0.0.0/33", "not a prefix"),
                ("ten.zero/16", "not a CIDR"),
            ]
            if limit["min"] > 0:
                found.append((f"10.0.0.0/{limit['min'] - 1}", "prefix too short"))
            if limit["max"] < 32:
                found.append((f"10.0.0.0/{limit['max'] + 1}", "prefix too long"))
        elif fmt == "region":
            found += [("us-east-7", "no such region"), ("Mars", "not a region")]
        elif fmt == "acm_arn":
            found += [
                ("arn:aws:acm:us-east-1:123456789012:certificate/not-an-id", "malformed ARN"),
                ("certificate", "not an ARN"),
            ]
        elif fmt == "kms_key":
            found += [("not a key", "not a key reference"), ("arn:aws:s3:::bucket", "not a KMS ARN")]
        base = _valid_str(limit)
        if limit.get("pattern") and base is not None:
            found.append((base + " !", "off its pattern"))
        if limit.get("max_length") is not None:
            found.append(("a" * (limit["max_length"] + 1), "too long"))
        elif limit.get("pattern") and "{" in limit["pattern"] and base:
            found.append((base + "a" * 1100, "too long"))
        if limit.get("min_length"):
            found.append(("", "empty"))
        for reserved in limit.get("reserved", ())[:1]:
            found.append((reserved, "reserved"))
        return found
    if kind == "list":
        if limit.get("min_length"):
            found.append(([], "empty"))
        if limit.get("elements"):
            element, _ = bad_values(limit["elements"])[-1]
            found.append(([element], "a bad element"))
        return found
    if kind == "dict":
        if limit.get("keys"):
            found.append(({"aws:bad key!": "v"}, "a bad key"))
        if limit.get("values"):
            found.append(({"Key": ["a", "list"]}, "a bad value"))
        for reserved in limit.get("reserved", ())[:1]:
            found.append(({reserved: "x"}, "reserved key"))
        if limit.get("options"):
            found.append(({"unknown_key": 1}, "an unknown key"))
        return found
    return found


def _list_of_dicts_cases(name, limit):
    element = limit["elements"]
    valid = {key: edge_values(option)[0] for key, option in element["options"].items() if key in element["required"]}
    if name == "observability_alarm_subscriptions":
        valid = {"protocol": "email", "endpoint": "oncall@example.com"}
    if name == "ecr_lifecycle_rules":
        valid = {"tag_status": "untagged", "expire_after_days": 7}
    found = [([{k: v for k, v in valid.items() if k != key}], f"{key} missing") for key in element["required"]]
    for key, option in element["options"].items():
        value, why = bad_values(option)[-1]
        found.append(([{**valid, key: value}], f"{key} {why}"))
    return found


def bad_cases():
    """[(variable, value, what is wrong)] for every variable of the table."""
    found = []
    for name, limit in LIMITS.items():
        if name in NOT_INPUTS:
            continue
        values = bad_values(limit)
        if limit["type"] == "list" and limit.get("elements", {}).get("options"):
            values = values[:1] + _list_of_dicts_cases(name, limit)
        found += [(name, value, why) for value, why in values]
    return found


def edge_values(limit):  # noqa: PLR0911 (one return per kind of limit)
    """Valid values at the edges of the limit: each end of each range, every choice."""
    kind = limit["type"]
    if limit.get("choices"):
        return list(limit["choices"])
    if kind == "bool":
        return [True, False, "yes"]
    if kind in ("int", "float"):
        lo, hi = limit.get("min"), limit.get("max")
        found = [v for v in (lo, hi) if v is not None]
        if limit.get("multiple_of"):
            found = [lo, hi - hi % limit["multiple_of"]]
        return found or [0]
    if kind == "str":
        if limit.get("format") == "cidr":
            return [f"10.0.0.0/{limit['min']}" if limit["min"] >= 8 else "0.0.0.0/0", f"10.0.0.0/{limit['max']}"]
        if limit.get("format") == "region":
            return ["us-east-1", "eu-west-1"]
        if limit.get("format") == "acm_arn":
            return ["", f"arn:aws:acm:us-east-1:123456789012:certificate/{UUID}"]
        if limit.get("format") == "kms_key":
            return ["", "alias/payments", UUID]
        base = _valid_str(limit)
        found = [base] if base is not None else []
        if limit.get("max_length") and not limit.get("pattern"):
            found.append("a" * limit["max_length"])
        return found
    if kind == "list":
        element = limit.get("elements", {})
        if element.get("options"):
            return [[]] if not limit.get("min_length") else [[{"tag_status": "untagged", "expire_after_days": 1}]]
        return ([[]] if not limit.get("min_length") else []) + [[value] for value in edge_values(element)[:1]]
    if kind == "dict":
        return [{}]
    return []


def protection_cases():
    """[(variable, lowered value)] for every protection a production environment keeps."""
    found = []
    for name, limit in LIMITS.items():
        keep = limit.get("protect")
        if keep is None:
            continue
        found.append((name, (not keep) if isinstance(keep, bool) else keep - 1))
    return found


# One case per rule joining several variables (a unit test fails on a rule without one): host variables on dev,
# and a text of the refusal.
RULE_CASES = {
    "_ports_differ": [({"network_app_port": 5432}, "network_database_port=5432 equals network_app_port")],
    "_subnet_plan": [
        ({"network_vpc_cidr": "10.10.0.0/20", "network_subnet_newbits": 12}, "below AWS's smallest subnet (/28)"),
        ({"network_database_subnet_offset": 255}, "needs subnet numbers 255 to 256"),
        ({"network_private_subnet_offset": 1}, "must be at least network_az_count=2 apart"),
    ],
    "_ecr_key": [({"ecr_kms_key": "alias/x"}, "ecr_kms_key='alias/x' is set but ecr_encryption_type=AES256")],
    "_ecr_lifecycle": [
        (
            {"ecr_lifecycle_rules": [{"tag_status": "tagged", "keep_last": 5}]},
            "ecr_lifecycle_rules[0]: tag status 'tagged' needs a non-empty tag_prefixes or tag_patterns",
        ),
        (
            {
                "ecr_lifecycle_rules": [
                    {"tag_status": "any", "keep_last": 5},
                    {"tag_status": "untagged", "keep_last": 1},
                ]
            },
            "ecr_lifecycle_rules[0]: a rule with tag status 'any' must have the highest priority",
        ),
    ],
    "_s3_key": [({"s3_kms_key_id": "alias/x"}, "s3_kms_key_id='alias/x' is set but s3_encryption=AES256")],
    "_s3_days": [
        ({"s3_lifecycle_glacier_days": 30}, "s3_lifecycle_glacier_days=30 is invalid: it must be greater than"),
        ({"s3_lifecycle_expiration_days": 60}, "s3_lifecycle_expiration_days=60 is invalid: it must be greater than"),
    ],
    "_access_log_prefix": [
        ({"ecs_alb_access_logs_prefix": "edge"}, "ecs_alb_access_logs_prefix='edge' differs from s3_access_log_prefix")
    ],
    "_rds_autoscaling": [({"rds_max_allocated_storage": 15}, "rds_max_allocated_storage=15 is invalid: 0 (no storage")],
    "_rds_performance": [
        ({"rds_iops": 3000}, "are invalid for gp3 under 400 GiB"),
        ({"rds_allocated_storage": 400, "rds_iops": 2000}, "rds_iops=2000 is invalid for gp3"),
        ({"rds_storage_type": "io1"}, "rds_storage_type=io1 needs rds_iops"),
        ({"rds_storage_type": "io1", "rds_iops": 1000}, "needs rds_allocated_storage of 100 GiB or more"),
        (
            {"rds_storage_type": "io1", "rds_iops": 10000, "rds_allocated_storage": 100},
            "is 100 IOPS per GiB: io1 takes 0.5 to 50 IOPS per GiB",
        ),
        ({"rds_storage_type": "gp2", "rds_storage_throughput": 250}, "only gp3 takes it"),
    ],
    "_rds_force_ssl": [({"rds_parameters": {"rds.force_ssl": 0}}, "rds_parameters['rds.force_ssl']=0 is refused")],
    "_fargate_size": [({"ecs_alb_task_memory": 4096}, "ecs_alb_task_memory=4096 does not fit ecs_alb_task_cpu=256")],
    "_scaling_bounds": [
        ({"ecs_alb_desired_count": 5}, "ecs_alb_desired_count=5 is outside the auto scaling bounds: valid is 1 to 2"),
        ({"ecs_alb_autoscaling_min_capacity": 3}, "is below ecs_alb_autoscaling_min_capacity=3"),
    ],
    "_certificate": [
        (
            {"payments_certificate_arn": f"arn:aws:acm:eu-west-1:123456789012:certificate/{UUID}"},
            "is a certificate of region eu-west-1",
        ),
        ({"ecs_alb_self_signed_certificate": False}, "ecs_alb_certificate_arn is empty"),
    ],
    "_alarm_window": [({"observability_alarm_evaluation_periods": 300}, "CloudWatch evaluates at most 86400 s")],
    "_subscription_endpoints": [
        (
            {"observability_alarm_subscriptions": [{"protocol": "email", "endpoint": "oncall"}]},
            "observability_alarm_subscriptions[0].endpoint='oncall' is invalid for protocol email",
        )
    ],
}
