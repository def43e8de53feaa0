"""payments.infra.ecs_task_definition against moto in-process (with the emulator's fidelity patches)."""

import copy

import boto3
import pytest

from ansible_collections.payments.infra.plugins.modules import ecs_task_definition

FAMILY = "payment-api-dev"
REGION = "us-east-1"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/payment-task-execution-dev"
TASK_ROLE = "arn:aws:iam::123456789012:role/payment-task-dev"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/payment-api:1.4.2"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-abc:password::"
WRITE_OPS = {"RegisterTaskDefinition", "DeregisterTaskDefinition", "TagResource", "UntagResource"}


def writes(calls):
    return [name for name, _ in calls if name in WRITE_OPS]


def call(calls, operation):
    return next(params for name, params in calls if name == operation)


def container(**extra):
    base = {
        "name": "payment-api",
        "image": IMAGE,
        "essential": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": "DB_HOST", "value": "db.example"}, {"name": "DB_PORT", "value": "5432"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET}],
        "readonlyRootFilesystem": True,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/payment/dev/app",
                "awslogs-region": REGION,
                "awslogs-stream-prefix": "payment-api",
            },
        },
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def args(containers=None, **extra):
    base = {
        "family": FAMILY,
        "cpu": "256",
        "memory": "512",
        "runtime_platform": {"cpu_architecture": "X86_64", "operating_system_family": "LINUX"},
        "execution_role_arn": EXECUTION_ROLE,
        "task_role_arn": TASK_ROLE,
        "container_definitions": containers if containers is not None else [container()],
        "tags": {"Environment": "dev"},
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def ecs(aws):
    return boto3.client("ecs", region_name=REGION)


@pytest.fixture
def warnings(monkeypatch):
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    seen = []
    monkeypatch.setattr(AnsibleAWSModule, "warn", lambda self, message, *a, **kw: seen.append(message))
    return seen


def latest(ecs, family=FAMILY):
    answer = ecs.describe_task_definition(taskDefinition=family, include=["TAGS"])
    return answer["taskDefinition"], {t["key"]: t["value"] for t in answer.get("tags") or []}


def active_revisions(ecs, family=FAMILY):
    arns = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    return [int(arn.rsplit(":", 1)[1]) for arn in arns]


def test_first_run_registers_revision_1_with_tags_then_nothing(ecs, run_module, api_calls, warnings):
    result = run_module(ecs_task_definition, args(), diff=True)
    assert result["changed"] and result["registered"], result
    assert writes(api_calls) == ["RegisterTaskDefinition"]
    request = call(api_calls, "RegisterTaskDefinition")
    assert request["tags"] == [{"key": "Environment", "value": "dev"}]
    assert request["cpu"] == "256" and request["memory"] == "512"
    assert request["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    assert request["containerDefinitions"] == [container()]  # passed as given

    view = result["task_definition"]
    assert view["revision"] == 1 and view["family"] == FAMILY and view["status"] == "ACTIVE"
    assert view["arn"].endswith(f":task-definition/{FAMILY}:1")
    assert view["family_revision"] == f"{FAMILY}:1"
    assert view["cpu"] == "256" and view["memory"] == "512"
    assert view["tags"] == {"Environment": "dev"}
    assert view["runtime_platform"] == {"cpu_architecture": "X86_64", "operating_system_family": "LINUX"}
    # Container definitions stay in the API's camelCase, with names and keys of the user's untouched.
    (returned,) = view["container_definitions"]
    assert {"portMappings", "readonlyRootFilesystem", "logConfiguration"} <= set(returned)
    assert returned["logConfiguration"]["options"]["awslogs-stream-prefix"] == "payment-api"
    assert {e["name"] for e in returned["environment"]} == {"DB_HOST", "DB_PORT"}
    assert returned["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": SECRET}]
    assert returned["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["tags"] == {"Environment": "dev"}
    assert latest(ecs)[1] == {"Environment": "dev"}
    assert warnings == []

    # The same options again (or a run killed after registering, then run again): nothing registered.
    api_calls.clear()
    again = run_module(ecs_task_definition, args(), diff=True)
    assert not again["changed"] and not again["registered"], again["diff"]
    assert writes(api_calls) == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["task_definition"]["arn"] == view["arn"]
    assert active_revisions(ecs) == [1]


def _with_container(**extra):
    return {"container_definitions": [container(**extra)]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _with_container(
                environment=[{"name": "DB_HOST", "value": "db2.example"}, {"name": "DB_PORT", "value": "5432"}]
            ),
            "container payment-api (environment)",
        ),
        (
            _with_container(secrets=[{"name": "DB_PASSWORD", "valueFrom": SECRET.replace("db-abc", "db-xyz")}]),
            "container payment-api (secrets)",
        ),
        (_with_container(image=IMAGE.replace("1.4.2", "1.4.3")), "container payment-api (image)"),
        ({"cpu": "512", "memory": "1024"}, "cpu"),
        ({"memory": "1024"}, "memory"),
        ({"execution_role_arn": EXECUTION_ROLE + "-2"}, "execution_role_arn"),
        ({"task_role_arn": TASK_ROLE + "-2"}, "task_role_arn"),
        (_with_container(readonlyRootFilesystem=False), "container payment-api (readonlyRootFilesystem)"),
        (
            _with_container(
                logConfiguration={
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/payment/dev/other",
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "payment-api",
                    },
                }
            ),
            "container payment-api (logConfiguration)",
        ),
        (
            _with_container(portMappings=[{"containerPort": 8080}, {"containerPort": 9090}]),
            "container payment-api (portMappings)",
        ),
        ({"runtime_platform": {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}}, "runtime_platform"),
    ],
    ids=[
        "environment-value",
        "secret-valueFrom",
        "image",
        "cpu",
        "memory",
        "execution-role",
        "task-role",
        "readonlyRootFilesystem",
        "log-options",
        "port-added",
        "runtime-platform",
    ],
)
def test_any_difference_registers_a_new_revision(ecs, run_module, api_calls, warnings, change, expected):
    """Among them, what community.aws.ecs_taskdefinition misses: equal-length environment and secrets lists with a
    changed value, and the task-level cpu, memory and execution role."""
    run_module(ecs_task_definition, args())
    api_calls.clear()
    result = run_module(ecs_task_definition, args(**change), diff=True)
    assert result["changed"] and result["registered"], result
    assert writes(api_calls) == ["RegisterTaskDefinition"]
    assert expected in result["changes"], result["changes"]
    assert result["task_definition"]["revision"] == 2
    assert result["diff"]["before"] != result["diff"]["after"]
    assert latest(ecs)[0]["revision"] == 2
    assert latest(ecs)[1] == {"Environment": "dev"}
    assert warnings == []
    # And it is then the one compared: no third revision.
    api_calls.clear()
    assert not run_module(ecs_task_definition, args(**change))["changed"]
    assert writes(api_calls) == []


def test_ecs_defaults_and_order_are_no_change(ecs, run_module, api_calls):
    """A revision as ECS describes it (essential, cpu 0, hostPort, protocol, empty lists filled in), compared with
    options that leave all of those out and list variables in another order: equal."""
    ecs.register_task_definition(
        family=FAMILY,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=EXECUTION_ROLE,
        taskRoleArn=TASK_ROLE,
        runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        containerDefinitions=[
            container(
                essential=True,
                cpu=0,
                portMappings=[{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                mountPoints=[],
                volumesFrom=[],
                systemControls=[],
                healthCheck={"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3},
            )
        ],
        tags=[{"key": "Environment", "value": "dev"}],
    )
    sparse = container(
        essential=None,
        portMappings=[{"containerPort": "8080"}],
        environment=[{"name": "DB_PORT", "value": 5432}, {"name": "DB_HOST", "value": "db.example"}],
        healthCheck={"command": ["CMD", "true"]},
        readonlyRootFilesystem=True,
    )
    api_calls.clear()
    result = run_module(ecs_task_definition, args([sparse], cpu=256, memory=512), diff=True)
    assert not result["changed"], result["diff"]
    assert writes(api_calls) == []
    assert result["task_definition"]["revision"] == 1


def test_numbers_become_strings_and_stay_equal(ecs, run_module, api_calls, warnings):
    numeric = container(
        environment=[{"name": "DB_HOST", "value": "db.example"}, {"name": "DB_PORT", "value": 5432}],
        dockerLabels={"team": "payments", "tier": 1},
    )
    result = run_module(ecs_task_definition, args([numeric], cpu=256, memory=512))
    assert result["changed"]
    request = call(api_calls, "RegisterTaskDefinition")
    assert {"name": "DB_PORT", "value": "5432"} in request["containerDefinitions"][0]["environment"]
    assert request["containerDefinitions"][0]["dockerLabels"] == {"team": "payments", "tier": "1"}
    api_calls.clear()
    assert not run_module(ecs_task_definition, args([numeric], cpu=256, memory=512))["changed"]
    assert writes(api_calls) == []
    assert warnings == []


def test_tags_only_are_converged_without_a_new_revision(ecs, run_module, api_calls):
    run_module(ecs_task_definition, args(tags={"Environment": "dev", "Owner": "payments"}))
    api_calls.clear()
    result = run_module(ecs_task_definition, args(tags={"Environment": "dev", "CostCenter": "42"}), diff=True)
    assert result["changed"] and not result["registered"]
    assert sorted(writes(api_calls)) == ["TagResource", "UntagResource"]
    assert call(api_calls, "UntagResource")["tagKeys"] == ["Owner"]
    definition, tags = latest(ecs)
    assert definition["revision"] == 1
    assert tags == {"Environment": "dev", "CostCenter": "42"}
    assert result["task_definition"]["tags"] == tags
    assert result["diff"]["before"]["tags"] == {"Environment": "dev", "Owner": "payments"}
    assert result["diff"]["after"]["tags"] == tags

    # purge_tags=false only adds; tags omitted leaves them alone.
    api_calls.clear()
    kept = run_module(ecs_task_definition, args(tags={"Extra": "1"}, purge_tags=False))
    assert kept["changed"] and writes(api_calls) == ["TagResource"]
    assert latest(ecs)[1] == {"Environment": "dev", "CostCenter": "42", "Extra": "1"}
    api_calls.clear()
    assert not run_module(ecs_task_definition, args(tags=None))["changed"]
    assert writes(api_calls) == []


def test_new_revision_without_tags_option_keeps_the_tags(ecs, run_module, api_calls):
    run_module(ecs_task_definition, args(tags={"Environment": "dev", "Owner": "payments"}))
    api_calls.clear()
    result = run_module(ecs_task_definition, args(tags=None, memory="1024"))
    assert result["registered"] and result["task_definition"]["revision"] == 2
    assert latest(ecs)[1] == {"Environment": "dev", "Owner": "payments"}
    assert writes(api_calls) == ["RegisterTaskDefinition"]


def test_check_mode_registers_nothing_and_reports_the_next_revision(ecs, run_module, api_calls):
    result = run_module(ecs_task_definition, args(), check_mode=True, diff=True)
    assert result["changed"] and result["registered"]
    assert writes(api_calls) == []
    assert result["task_definition"]["revision"] == 1 and result["task_definition"]["arn"] is None
    assert result["diff"]["before"] == {} and result["diff"]["after"]["cpu"] == "256"
    assert active_revisions(ecs) == []

    first = run_module(ecs_task_definition, args())
    api_calls.clear()
    result = run_module(ecs_task_definition, args(cpu="512", memory="2048"), check_mode=True, diff=True)
    assert result["changed"] and result["registered"]
    assert writes(api_calls) == []
    planned = result["task_definition"]
    assert planned["revision"] == 2
    assert planned["arn"] == first["task_definition"]["arn"][: -len(":1")] + ":2"
    assert planned["cpu"] == "512" and planned["tags"] == {"Environment": "dev"}
    assert result["diff"]["before"]["cpu"] == "256" and result["diff"]["after"]["cpu"] == "512"
    assert active_revisions(ecs) == [1]

    # Revision numbers go on after deregistered ones: 1 active, 2 inactive -> the next is 3.
    ecs.register_task_definition(**call_request(first))
    ecs.deregister_task_definition(taskDefinition=f"{FAMILY}:2")
    result = run_module(ecs_task_definition, args(cpu="512", memory="2048"), check_mode=True)
    assert result["task_definition"]["revision"] == 3
    assert result["task_definition"]["family_revision"] == f"{FAMILY}:3"

    # A tag change in check mode writes nothing either.
    api_calls.clear()
    result = run_module(ecs_task_definition, args(tags={"Environment": "prod"}), check_mode=True)
    assert result["changed"] and not result["registered"] and writes(api_calls) == []
    assert latest(ecs)[1] == {"Environment": "dev"}


def call_request(result):
    """A RegisterTaskDefinition request for another revision of the family (what someone else might register)."""
    view = result["task_definition"]
    return {
        "family": view["family"],
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "1024",
        "memory": "2048",
        "executionRoleArn": EXECUTION_ROLE,
        "containerDefinitions": [{"name": "other", "image": "nginx:1"}],
    }


def test_only_the_latest_active_revision_is_compared(ecs, run_module, api_calls):
    """A rollback to older settings is a new revision, and a deregistered newer revision is not "the latest"."""
    run_module(ecs_task_definition, args())  # 1
    run_module(ecs_task_definition, args(memory="1024"))  # 2
    api_calls.clear()
    rollback = run_module(ecs_task_definition, args())
    assert rollback["registered"] and rollback["task_definition"]["revision"] == 3
    assert active_revisions(ecs) == [1, 2, 3]

    ecs.deregister_task_definition(taskDefinition=f"{FAMILY}:3")
    api_calls.clear()
    # The latest ACTIVE is now 2 (memory 1024): the options of 3 register 4, those of 2 are no change.
    assert not run_module(ecs_task_definition, args(memory="1024"))["changed"]
    assert writes(api_calls) == []
    again = run_module(ecs_task_definition, args())
    assert again["registered"] and again["task_definition"]["revision"] == 4


def test_absent_deregisters_every_active_revision(ecs, run_module, api_calls):
    for memory in ("512", "1024", "2048"):
        run_module(ecs_task_definition, args(memory=memory))
    ecs.deregister_task_definition(taskDefinition=f"{FAMILY}:2")
    other = ecs.register_task_definition(**call_request({"task_definition": {"family": f"{FAMILY}-worker"}}))
    api_calls.clear()

    checked = run_module(ecs_task_definition, {"family": FAMILY, "state": "absent"}, check_mode=True)
    assert checked["changed"] and writes(api_calls) == []
    assert [arn.rsplit(":", 1)[1] for arn in checked["deregistered"]] == ["3", "1"]
    assert active_revisions(ecs) == [1, 3]

    result = run_module(ecs_task_definition, {"family": FAMILY, "state": "absent"}, diff=True)
    assert result["changed"] and result["task_definition"] == {}
    assert writes(api_calls) == ["DeregisterTaskDefinition", "DeregisterTaskDefinition"]
    assert result["deregistered"] == checked["deregistered"]
    assert result["diff"]["after"] == {"active_revisions": []}
    assert active_revisions(ecs) == []
    # Another family (sharing the prefix) is untouched.
    assert active_revisions(ecs, f"{FAMILY}-worker") == [other["taskDefinition"]["revision"]]

    api_calls.clear()
    again = run_module(ecs_task_definition, {"family": FAMILY, "state": "absent"})
    assert not again["changed"] and again["deregistered"] == [] and writes(api_calls) == []
    # The family then has no ACTIVE revision: present registers the next number.
    assert run_module(ecs_task_definition, args())["task_definition"]["revision"] == 4


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"memory": "4096"}, ["memory='4096' is not valid with cpu='256'", "512, 1024, 2048", "cpu 16384"]),
        ({"cpu": "300"}, ["cpu='300' is not a Fargate task CPU size", "256, 512, 1024, 2048, 4096, 8192, 16384"]),
        ({"cpu": "1024", "memory": "9216"}, ["valid with cpu 1024: memory 2048 to 8192 in steps of 1024"]),
        ({"memory": None}, ["memory must be set", "cpu 256: memory 512, 1024, 2048"]),
        ({"cpu": "0.25 vCPU"}, ["cpu='0.25 vCPU' is not a whole number of CPU units"]),
        ({"network_mode": "bridge"}, ["network_mode='bridge'", "awsvpc"]),
        (
            {"runtime_platform": {"operating_system_family": "WINDOWS_SERVER_2022_CORE"}},
            ["Windows tasks on Fargate take cpu 1024, 2048, 4096"],
        ),
        (
            {"container_definitions": [container(), container(image="nginx:1")]},
            ["container name 'payment-api' is used more than once"],
        ),
        ({"container_definitions": [container(image=None)]}, ["every container needs an image"]),
        ({"container_definitions": [{"image": "nginx:1"}]}, ["every container needs a name"]),
        (
            {"container_definitions": [container(portMappings=[{"containerPort": 70000}])]},
            ["portMappings[0].containerPort=70000 is not a port (1 to 65535)"],
        ),
        (
            {"container_definitions": [container(portMappings=[{"containerPort": 8080, "hostPort": 80}])]},
            ["hostPort=80 differs from containerPort=8080"],
        ),
        (
            {
                "container_definitions": [
                    container(
                        environment=[{"name": "DB_PASSWORD", "value": "x"}],
                        secrets=[{"name": "DB_PASSWORD", "valueFrom": SECRET}],
                    )
                ]
            },
            ["'DB_PASSWORD' is set both in environment and in secrets"],
        ),
        (
            {"container_definitions": [container(environment=[{"name": "DEBUG", "value": True}])]},
            ["environment DEBUG: True is a boolean", "quote it"],
        ),
        ({"execution_role_arn": None}, ["secrets need execution_role_arn"]),
        (
            {"execution_role_arn": None, "container_definitions": [container(secrets=None)]},
            ["awslogs log driver on Fargate needs execution_role_arn"],
        ),
        (
            {"container_definitions": [container(mountPoints=[{"sourceVolume": "tmp", "containerPath": "/tmp"}])]},
            ["sourceVolume='tmp' is not a volume of the task"],
        ),
        ({"family": "payment api"}, ["family='payment api'"]),
    ],
    ids=[
        "fargate-memory",
        "fargate-cpu",
        "fargate-step",
        "fargate-no-memory",
        "vcpu-form",
        "fargate-bridge",
        "windows-small-cpu",
        "duplicate-names",
        "no-image",
        "no-name",
        "port-range",
        "awsvpc-host-port",
        "env-and-secret",
        "boolean-env",
        "secrets-without-role",
        "awslogs-without-role",
        "unknown-volume",
        "family-name",
    ],
)
def test_refused_before_any_api_call(aws, run_module, api_calls, change, expected):
    result = run_module(ecs_task_definition, args(**change))
    assert result["failed"], result
    for text in expected:
        assert text in result["msg"], result["msg"]
    assert api_calls == []


LEAKED = "hunter2-the-real-password"


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        ([{"name": "DB_PASSWORD", "valueFrom": LEAKED}], "secrets DB_PASSWORD: valueFrom is not the ARN"),
        ([{"valueFrom": LEAKED}], "secrets[0]: every entry needs a name"),
    ],
    ids=["plain-text-valueFrom", "no-name"],
)
def test_secret_given_as_plain_text_is_refused_without_echoing_it(aws, run_module, api_calls, secrets, expected):
    result = run_module(ecs_task_definition, args([container(secrets=secrets)]))
    assert result["failed"]
    assert expected in result["msg"], result["msg"]
    assert LEAKED not in result["msg"]
    assert api_calls == []


def test_snake_case_field_is_refused_naming_the_camel_case_one(aws, run_module, api_calls):
    wrong = copy.deepcopy(container())
    wrong["port_mappings"] = wrong.pop("portMappings")
    result = run_module(ecs_task_definition, args([wrong]))
    assert result["failed"]
    assert "'port_mappings' is not a field of an ECS container; did you mean portMappings?" in result["msg"]
    assert api_calls == []


def test_volumes_and_mount_points(ecs, run_module, api_calls):
    mounted = container(mountPoints=[{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}])
    result = run_module(ecs_task_definition, args([mounted], volumes=[{"name": "tmp"}]))
    assert result["registered"] and result["task_definition"]["volumes"] == [{"name": "tmp"}]
    api_calls.clear()
    assert not run_module(ecs_task_definition, args([mounted], volumes=[{"name": "tmp", "host": {}}]))["changed"]
    assert writes(api_calls) == []
    changed = run_module(ecs_task_definition, args([mounted], volumes=[{"name": "tmp"}, {"name": "cache"}]), diff=True)
    assert changed["registered"] and "volumes" in changed["changes"]


def test_aws_refusal_is_reported_with_the_family(ecs, run_module):
    """What the options cannot show (an EC2 container without any memory) is ECS's to refuse."""
    bare = {"name": "app", "image": "nginx:1"}
    result = run_module(
        ecs_task_definition,
        {
            "family": FAMILY,
            "requires_compatibilities": ["EC2"],
            "network_mode": "bridge",
            "container_definitions": [bare],
        },
    )
    assert result["failed"]
    assert f"task definition family '{FAMILY}'" in result["msg"]
    assert "At least one of 'memory' or 'memoryReservation' must be specified" in result["msg"]
    assert active_revisions(ecs) == []


def test_absent_needs_no_container_definitions(aws, run_module):
    result = run_module(ecs_task_definition, {"family": "never-registered", "state": "absent"})
    assert not result["changed"] and result["deregistered"] == []


def test_present_needs_container_definitions(aws, run_module, api_calls):
    result = run_module(ecs_task_definition, {"family": FAMILY})
    assert result["failed"] and "container_definitions" in result["msg"]
    assert api_calls == []


def test_absent_keeps_the_revisions_asked_for(ecs, run_module, api_calls):
    for memory in ("512", "1024", "2048"):
        run_module(ecs_task_definition, args(memory=memory))
    running = f"{FAMILY}:3"
    result = run_module(ecs_task_definition, {"family": FAMILY, "state": "absent", "keep": [running]}, diff=True)
    assert result["changed"] and [arn.rsplit(":", 1)[1] for arn in result["deregistered"]] == ["2", "1"]
    assert active_revisions(ecs) == [3]
    assert [a.rsplit(":", 1)[1] for a in result["diff"]["after"]["active_revisions"]] == ["3"]
    assert not run_module(ecs_task_definition, {"family": FAMILY, "state": "absent", "keep": [running]})["changed"]


def test_present_reports_the_active_revisions_left_to_deregister(ecs, run_module, api_calls):
    """state=present says which revisions are ACTIVE after it, so that the role deregisters only when one is
    superseded: one revision after a first run, two after a change, the planned one added in check mode."""
    first = run_module(ecs_task_definition, args())
    assert [a.rsplit(":", 1)[1] for a in first["active_revisions"]] == ["1"]
    again = run_module(ecs_task_definition, args())
    assert not again["changed"] and again["active_revisions"] == [again["task_definition"]["arn"]]
    planned = run_module(ecs_task_definition, args(memory="1024"), check_mode=True)
    assert [a.rsplit(":", 1)[1] for a in planned["active_revisions"]] == ["2", "1"]
    assert active_revisions(ecs) == [1]
    changed = run_module(ecs_task_definition, args(memory="1024"))
    assert [a.rsplit(":", 1)[1] for a in changed["active_revisions"]] == ["2", "1"]
    run_module(ecs_task_definition, {"family": FAMILY, "state": "absent", "keep": [f"{FAMILY}:2"]})
    assert run_module(ecs_task_definition, args(memory="1024"))["active_revisions"] == [
        changed["task_definition"]["arn"]
    ]
