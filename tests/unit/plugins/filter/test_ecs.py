import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.ecs import container_definitions
from ansible_collections.payments.infra.plugins.module_utils.limits import APP_VARIABLES
from ansible_collections.payments.infra.plugins.module_utils.limits import SECRET_VARIABLES

ARN = "arn:aws:secretsmanager:{region}:123456789012:secret:rds!db-{env}-AbCdEf"


def inputs(env="dev", region="us-east-1", **overrides):
    """The arguments the ecs_alb role hands in for one environment, overridden where a case says so."""
    args = {
        "name": "payment-api",
        "image": f"123456789012.dkr.ecr.{region}.amazonaws.com/payment-api:v1.2.3",
        "port": 8080,
        "readonly_root": True,
        "environment": env,
        "database": {"host": f"payment-db-{env}.abc.{region}.rds.amazonaws.com", "port": 5432, "name": "payments"},
        "secret_arn": ARN.format(region=region, env=env),
        "transaction_log_bucket": f"payment-logs-{env}-123456789012",
        "log_group": f"/payment/{env}/app",
        "region": region,
        "extra_environment": {},
    }
    args.update(overrides)
    return args


CASES = {
    "dev": inputs(),
    "staging": inputs("staging", "eu-west-1", readonly_root="true"),
    "prod": inputs("prod", "eu-central-1", extra_environment={"LOG_LEVEL": "warn", "WORKERS": 4}),
    "port as a string": inputs(port="9090", database={"host": "db", "port": "6432", "name": "app"}),
    "read-write root": inputs(readonly_root=False, name="worker"),
    "read-write root (a string)": inputs(readonly_root="no"),
    "mixed-case extras": inputs(extra_environment={"aa_lower": "1", "Zz": 1.5, "bb": "x", "APP_MODE": ""}),
    "no extras (none)": inputs(extra_environment=None),
}
BUILT_IN = APP_VARIABLES


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request):
    args = CASES[request.param]
    name = args["name"]
    rest = {k: v for k, v in args.items() if k != "name"}
    (container,) = container_definitions(name, **rest)
    return args, container


def expected_environment(args):
    """Each built-in variable from its input, the extras beside them, every value as str() makes it."""
    db = args["database"]
    built_in = (args["environment"], db["host"], db["port"], db["name"], args["transaction_log_bucket"])
    env = dict(zip(BUILT_IN, built_in, strict=True)) | (args["extra_environment"] or {})
    return {k: str(v) for k, v in env.items()}


def test_the_container_is_named_runs_the_image_and_is_essential(case):
    args, container = case
    assert container["name"] == args["name"]
    assert container["image"] == args["image"]
    assert container["essential"] is True
    assert list(container) == [
        "name",
        "image",
        "essential",
        "readonlyRootFilesystem",
        "portMappings",
        "environment",
        "secrets",
        "logConfiguration",
    ]


def test_the_credentials_are_secrets_of_the_secret_arn_only(case):
    args, container = case
    assert [s["name"] for s in container["secrets"]] == list(SECRET_VARIABLES)
    assert [s["valueFrom"] for s in container["secrets"]] == [
        f"{args['secret_arn']}:username::",
        f"{args['secret_arn']}:password::",
    ]
    names = {e["name"].upper() for e in container["environment"]}
    assert not names & set(SECRET_VARIABLES)
    assert all(args["secret_arn"] not in e["value"] for e in container["environment"])


def test_every_environment_value_is_a_string_and_the_names_are_sorted(case):
    args, container = case
    environment = container["environment"]
    assert all(set(e) == {"name", "value"} and isinstance(e["value"], str) for e in environment)
    names = [e["name"] for e in environment]
    assert names == sorted(names, key=str.lower)
    assert len(names) == len(set(names))
    assert {e["name"]: e["value"] for e in environment} == expected_environment(args)


def test_the_database_port_is_a_string(case):
    args, container = case
    db_port = next(e["value"] for e in container["environment"] if e["name"] == "DB_PORT")
    assert db_port == str(args["database"]["port"])


@pytest.mark.parametrize("name", [*APP_VARIABLES, *SECRET_VARIABLES, "db_host", "Db_Password"])
def test_an_extra_variable_cannot_shadow_a_built_in_one_or_a_secret(name):
    """Whatever the preflight did: an extra DB_HOST would send the credentials to another host."""
    args = inputs(extra_environment={"LOG_LEVEL": "info", name: "elsewhere"})
    with pytest.raises(AnsibleFilterError, match=f"extra_environment may not set {name}:"):
        container_definitions(args.pop("name"), **args)


def test_the_port_is_an_int_over_tcp(case):
    args, container = case
    assert container["portMappings"] == [{"containerPort": int(args["port"]), "protocol": "tcp"}]
    assert type(container["portMappings"][0]["containerPort"]) is int


def test_the_root_file_system_is_a_bool(case):
    args, container = case
    assert container["readonlyRootFilesystem"] is (str(args["readonly_root"]).lower() in ("true", "yes", "1"))


def test_the_logs_go_to_the_group_in_the_region(case):
    args, container = case
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": args["log_group"],
            "awslogs-region": args["region"],
            "awslogs-stream-prefix": args["name"],
        },
    }


def test_the_inputs_are_left_as_they_were():
    args = inputs(extra_environment={"APP_MODE": "blue"})
    before = {k: (dict(v) if isinstance(v, dict) else v) for k, v in args.items()}
    container_definitions(args.pop("name"), **args)
    assert args["extra_environment"] == before["extra_environment"]
    assert args["database"] == before["database"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"port": 0}, "port=0 is invalid"),
        ({"port": 70000}, "port=70000 is invalid"),
        ({"port": "http"}, "port='http' is invalid"),
        ({"port": True}, "port=True is invalid"),
        ({"readonly_root": "maybe"}, "readonly_root='maybe' is invalid"),
        ({"readonly_root": None}, "readonly_root=None is invalid"),
        ({"database": {"host": "db", "port": 5432}}, "exactly the keys host, port, name"),
        ({"database": {"host": "db", "port": 5432, "name": "x", "user": "u"}}, "exactly the keys"),
        ({"extra_environment": ["A=1"]}, "extra_environment must be a mapping"),
    ],
)
def test_refuses_inputs_it_cannot_render(overrides, message):
    args = inputs(**overrides)
    with pytest.raises(AnsibleFilterError, match=message):
        container_definitions(args.pop("name"), **args)
