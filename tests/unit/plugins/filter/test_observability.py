"""alarm_specs (plugins/filter/observability.py): the rules the alarms of an environment follow, checked over the
inputs of every environment (role defaults, group_vars/all, group_vars/<env>.yml) and variations of them."""

import functools
import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

from ansible_collections.payments.infra.plugins.filter.names import resource_names
from ansible_collections.payments.infra.plugins.filter.observability import THRESHOLDS
from ansible_collections.payments.infra.plugins.filter.observability import FilterModule
from ansible_collections.payments.infra.plugins.filter.observability import alarm_specs
from ansible_collections.payments.infra.plugins.filter.observability import metric_alarms
from ansible_collections.payments.infra.plugins.modules import cloudwatch_metric_alarms

ROOT = Path(__file__).resolve().parents[4]
ROLE = ROOT / "roles" / "observability"
ENVIRONMENTS = sorted(p.stem for p in (ROOT / "group_vars").glob("*.yml"))
NAMES = ("ecs_cluster_name", "ecs_service_name", "db_instance_identifier", "alb_name", "target_group_name")
ACCOUNT_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012"


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


@functools.cache
def _resolved(env):
    variables = {}
    for path in (ROLE / "defaults/main.yml", ROOT / "group_vars/all/main.yml", ROOT / f"group_vars/{env}.yml"):
        variables.update(yaml.safe_load(path.read_text()) or {})
    templar = Templar(loader=DataLoader(), variables=_trusted(variables))
    # This collection's filter, as a run resolves it from the checkout (the unit tests load no collection path).
    templar.environment.filters["payments.infra.resource_names"] = resource_names
    return {
        key[len("observability_") :]: templar.template(_trusted(value))
        for key, value in variables.items()
        if key.startswith("observability_") and key != "observability_tags"
    }


def observability_vars(env):
    """The role's variables for ``env`` as a run sees them: defaults, then group_vars/all, then the environment's."""
    return dict(_resolved(env))


def arguments(variables):
    """The arguments roles/observability/vars/main.yml hands alarm_specs, from the role's variables."""
    return {
        "name_prefix": variables["name_prefix"],
        "environment": variables["environment"],
        **{name: variables[name] for name in NAMES},
        "thresholds": {key: variables[key] for key in THRESHOLDS},
    }


def found_alb(name="payment-alb-x"):
    return [{"load_balancer_arn": f"{ACCOUNT_ARN}:loadbalancer/app/{name}/50dc6c495c0c9188", "dns_name": "x"}]


def found_tg(name="payment-tg-x"):
    return [{"target_group_arn": f"{ACCOUNT_ARN}:targetgroup/{name}/73e2d6bc24d8a067", "port": 8080}]


FOUND = {
    "nothing found": ([], []),
    "load balancer only": (found_alb(), []),
    "load balancer and target group": (found_alb(), found_tg()),
    "target group only": ([], found_tg()),
}


def _distinct_thresholds(args):
    """Every threshold a different value (a float, an int, a large int), so an alarm's value names its threshold."""
    values = [97.5, 91, 83, 5368709120, 250, 7, 0.75, 3]
    return {**args, "thresholds": dict(zip(THRESHOLDS, values, strict=True))}


def _other_names(args):
    return {**args, "name_prefix": "acme", "environment": "dev-eu", **{n: f"acme-{n}-dev-eu" for n in NAMES}}


VARIATIONS = {"as configured": lambda a: a, "distinct thresholds": _distinct_thresholds, "other names": _other_names}


def cases():
    for env in ENVIRONMENTS:
        for variation in VARIATIONS:
            for found in FOUND:
                yield pytest.param((env, variation, found), id=f"{env}-{variation}-{found}".replace(" ", "_"))


@pytest.fixture(params=list(cases()))
def case(request):
    env, variation, found = request.param
    args = VARIATIONS[variation](arguments(observability_vars(env)))
    load_balancers, target_groups = FOUND[found]
    alarms = alarm_specs(**args, load_balancers=load_balancers, target_groups=target_groups)
    return args, load_balancers, target_groups, alarms


def _suffix(arn, marker):
    return arn.split(marker, 1)[1]


def test_every_environment_is_covered():
    assert {"dev", "staging", "prod"} <= set(ENVIRONMENTS)


def test_names_are_unique_and_prefixed_by_the_environment(case):
    args, _, _, alarms = case
    prefix = f"{args['name_prefix']}-{args['environment']}-"
    full = [a["alarm_name"] for a in alarms]
    assert len(set(full)) == len(full)
    assert len({a["name"] for a in alarms}) == len(alarms)
    assert all(a["alarm_name"] == prefix + a["name"] for a in alarms)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", a["name"]) for a in alarms)


def test_the_load_balancer_alarms_exist_only_once_it_is_found(case):
    _, load_balancers, target_groups, alarms = case
    by_namespace = {}
    for alarm in alarms:
        by_namespace.setdefault(alarm["namespace"], []).append(alarm)
    assert len(by_namespace["AWS/ECS"]) == 2 and len(by_namespace["AWS/RDS"]) == 3
    elb = by_namespace.get("AWS/ApplicationELB", [])
    if not load_balancers:
        assert elb == []
    else:
        # The unhealthy-hosts alarm (the one on the target group) needs the target group too.
        assert len(elb) == (4 if target_groups else 3)
        assert any("TargetGroup" in a["dimensions"] for a in elb) == bool(target_groups)
    # ECS and RDS first, the load balancer's after: what exists from the first run keeps its place.
    namespaces = [a["namespace"] for a in alarms]
    assert namespaces == sorted(namespaces, key=lambda n: n == "AWS/ApplicationELB")


def test_dimensions_name_the_watched_resource(case):
    args, load_balancers, target_groups, alarms = case
    for alarm in alarms:
        dimensions = alarm["dimensions"]
        if alarm["namespace"] == "AWS/ECS":
            assert dimensions == {"ClusterName": args["ecs_cluster_name"], "ServiceName": args["ecs_service_name"]}
            assert args["ecs_service_name"] in alarm["description"]
        elif alarm["namespace"] == "AWS/RDS":
            assert dimensions == {"DBInstanceIdentifier": args["db_instance_identifier"]}
            assert args["db_instance_identifier"] in alarm["description"]
        else:
            lb = _suffix(load_balancers[0]["load_balancer_arn"], ":loadbalancer/")
            assert lb.startswith("app/") and dimensions["LoadBalancer"] == lb
            if "TargetGroup" in dimensions:
                assert dimensions == {
                    "LoadBalancer": lb,
                    "TargetGroup": "targetgroup/" + _suffix(target_groups[0]["target_group_arn"], ":targetgroup/"),
                }
                assert args["target_group_name"] in alarm["description"]
            else:
                assert set(dimensions) == {"LoadBalancer"}
                assert args["alb_name"] in alarm["description"]


def test_each_alarm_has_its_threshold_as_given_and_says_it(case):
    args, _, _, alarms = case
    given = args["thresholds"]
    for alarm in alarms:
        assert alarm["threshold"] in given.values()
        assert type(alarm["threshold"]) in {type(v) for v in given.values() if v == alarm["threshold"]}
        assert f" {alarm['threshold']}" in alarm["description"]


def test_one_alarm_per_threshold_and_two_for_the_5xx_count():
    args = _distinct_thresholds(arguments(observability_vars("dev")))
    alarms = alarm_specs(**args, load_balancers=found_alb(), target_groups=found_tg())
    by_value = {value: key for key, value in args["thresholds"].items()}
    used = [by_value[a["threshold"]] for a in alarms]
    assert sorted(set(used)) == sorted(THRESHOLDS)
    assert {key: used.count(key) for key in THRESHOLDS if used.count(key) != 1} == {"alb_5xx_count": 2}
    # The two on the 5xx count: the load balancer's own responses and its targets'.
    five_xx = [a for a in alarms if by_value[a["threshold"]] == "alb_5xx_count"]
    assert sorted(a["metric"] for a in five_xx) == ["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"]


def test_comparison_statistic_and_missing_data_follow_the_kind_of_alarm(case):
    _, _, _, alarms = case
    for alarm in alarms:
        if alarm["name"].endswith("-low"):
            assert (alarm["comparison"], alarm["statistic"]) == ("LessThanThreshold", "Minimum")
        elif alarm["name"].endswith("-hosts"):
            assert (alarm["comparison"], alarm["statistic"]) == ("GreaterThanOrEqualToThreshold", "Maximum")
        else:
            assert alarm["comparison"] == "GreaterThanThreshold"
        # A count of responses has no data when nothing was answered: that is no breach.
        assert alarm.get("missing") == ("notBreaching" if alarm["metric"].endswith("_Count") else None)
        assert ("missing" in alarm) == (alarm["statistic"] == "Sum")


def test_the_role_hands_every_threshold_from_its_own_variable():
    """roles/observability/vars/main.yml wires threshold X from observability_X, each name from its variable."""
    wiring = yaml.safe_load((ROLE / "vars/main.yml").read_text())["__observability_alarm_specs"]
    for key in THRESHOLDS:
        assert f"'{key}': observability_{key}," in wiring or f"'{key}': observability_{key}}}" in wiring
    for name in NAMES:
        assert f"{name}=observability_{name}" in wiring
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    assert {f"observability_{key}" for key in THRESHOLDS} <= set(defaults)


TOPIC = "arn:aws:sns:us-east-1:123456789012:payment-alarms-dev"


def test_every_alarm_the_role_makes_notifies_the_topic_and_is_tagged():
    """One task converges every alarm: the alarm_specs of the environment through metric_alarms, tagged."""
    tasks = yaml.safe_load((ROLE / "tasks/topic_and_alarms.yml").read_text())
    (make,) = [t for t in tasks if "payments.infra.cloudwatch_metric_alarms" in t]
    assert "loop" not in make
    args = make["payments.infra.cloudwatch_metric_alarms"]
    assert args["tags"] == "{{ observability_tags }}" and args["purge_tags"] is True
    wiring = " ".join(args["alarms"].split())
    assert wiring.startswith("{{ __observability_alarm_specs | payments.infra.metric_alarms(")
    assert "period=observability_alarm_period_seconds | int" in wiring
    assert "evaluation_periods=observability_alarm_evaluation_periods | int" in wiring
    assert "actions=[__observability_topic.sns_arn]" in wiring


def test_metric_alarms_are_the_specs_as_the_module_takes_them(case):
    _args, _lbs, _tgs, alarms = case
    made = metric_alarms(alarms, period=60, evaluation_periods=3, actions=[TOPIC])
    assert [m["name"] for m in made] == [a["alarm_name"] for a in alarms]
    for spec, alarm in zip(alarms, made, strict=True):
        assert alarm == {
            "name": spec["alarm_name"],
            "description": spec["description"],
            "namespace": spec["namespace"],
            "metric_name": spec["metric"],
            "statistic": spec["statistic"],
            "comparison": spec["comparison"],
            "threshold": float(spec["threshold"]),
            "period": 60,
            "evaluation_periods": 3,
            "dimensions": spec["dimensions"],
            "treat_missing_data": spec.get("missing", "missing"),
            "alarm_actions": [TOPIC],
            "ok_actions": [TOPIC],
        }
        assert isinstance(alarm["threshold"], float)


def test_metric_alarms_options_are_the_module_s():
    """Every key metric_alarms makes is an option of the module's alarms (a typo would fail the run)."""
    options = set(cloudwatch_metric_alarms.ALARM_OPTIONS)
    args = arguments(observability_vars("dev"))
    made = metric_alarms(alarm_specs(**args, load_balancers=found_alb(), target_groups=found_tg()), 300, 2, [TOPIC])
    assert len(made) == 9 and all(set(alarm) <= options for alarm in made)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"period": 0}, "period must be a positive integer, got 0"),
        ({"period": "300"}, "period must be a positive integer, got '300'"),
        ({"evaluation_periods": True}, "evaluation_periods must be a positive integer, got True"),
        ({"actions": []}, "actions must be a non-empty list of ARNs"),
        ({"actions": [None]}, "actions must be a non-empty list of ARNs"),
        ({"specs": [{"name": "x"}]}, "is not an alarm of alarm_specs"),
    ],
)
def test_metric_alarms_bad_inputs_are_refused(change, message):
    args = {"specs": alarm_specs(**arguments(observability_vars("dev"))), "period": 300, "evaluation_periods": 2}
    args["actions"] = [TOPIC]
    args.update(change)
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        metric_alarms(args.pop("specs"), **args)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"environment": ""}, "environment must be a non-empty string"),
        ({"name_prefix": None}, "name_prefix must be a non-empty string"),
        ({"thresholds": None}, "thresholds must be a dict"),
        ({"thresholds": {"ecs_cpu_high_percent": 80}}, "thresholds lack ecs_memory_high_percent"),
        ({"load_balancers": [{"load_balancer_arn": "arn:aws:ec2:::vpc/x"}]}, "is not a load balancer ARN"),
        ({"load_balancers": [{}]}, "has no load_balancer_arn"),
        ({"load_balancers": found_alb(), "target_groups": [{"port": 80}]}, "has no target_group_arn"),
    ],
)
def test_bad_inputs_are_refused(change, message):
    args = {**arguments(observability_vars("dev")), **change}
    with pytest.raises(AnsibleFilterError, match=message):
        alarm_specs(**args)


def test_the_filter_is_exposed_under_its_name():
    assert FilterModule().filters() == {"alarm_specs": alarm_specs, "metric_alarms": metric_alarms}
