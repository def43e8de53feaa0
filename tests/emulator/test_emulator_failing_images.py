"""ecs.failing_images: tasks of the images a test names never start, so the deployment circuit breaker fails the
deployment or rolls it back, as AWS reports it; the control endpoint, its validation and reset; and our ecs_service
module (its module_utils wait, and the module run by ansible-playbook) failing with the rollback reason."""

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.payments.infra.plugins.module_utils import ecs as ecs_utils
from emulator.client import EmulatorError
from emulator.fidelity import PATCHES
from emulator.fidelity import ecs as ecs_fidelity
from emulator.fidelity import patch_name
from emulator.testing import RunningEmulator
from emulator.testing import run_local_play

REASON = "ECS deployment circuit breaker: tasks failed to start."
ROLLBACK = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
NO_ROLLBACK = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}


@pytest.fixture(autouse=True)
def no_failing_images(emu: RunningEmulator) -> Iterator[None]:
    """The setting is process-wide on the shared emulator: nothing fails before or after a test."""
    emu.client.clear_failing_images()
    yield
    emu.client.clear_failing_images()


@pytest.fixture
def setup(aws: Callable[..., Any]) -> dict[str, Any]:
    """A cluster, a subnet and security group, task definition revisions 1 (a good image) and 2 (an image of its
    own that the tests make fail). Per test: a test may reset the emulator."""
    ec2, ecs = aws("ec2"), aws("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.89.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.89.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"ecs-{uuid.uuid4().hex[:8]}", Description="ecs", VpcId=vpc)["GroupId"]
    suffix = uuid.uuid4().hex[:8]
    family, cluster = f"failing-{suffix}", f"failing-{suffix}"
    images = [f"payments/app:good-{suffix}", f"payments/app:crash-{suffix}"]
    arns = [
        ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": image}],
        )["taskDefinition"]["taskDefinitionArn"]
        for image in images
    ]
    ecs.create_cluster(clusterName=cluster)
    return {"cluster": cluster, "family": family, "arns": arns, "images": images, "subnet": subnet, "group": group}


def network(setup: dict[str, Any], public: bool = False) -> dict[str, Any]:
    awsvpc = {"subnets": [setup["subnet"]], "securityGroups": [setup["group"]]}
    if public:
        awsvpc["assignPublicIp"] = "ENABLED"
    return {"awsvpcConfiguration": awsvpc}


def create(aws: Callable[..., Any], setup: dict[str, Any], revision: int, **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "cluster": setup["cluster"],
        "serviceName": "api",
        "taskDefinition": setup["arns"][revision - 1],
        "desiredCount": 2,
        "launchType": "FARGATE",
        "networkConfiguration": network(setup),
        "deploymentConfiguration": ROLLBACK,
    }
    request.update(extra)
    return aws("ecs").create_service(**{k: v for k, v in request.items() if v is not None})["service"]


def update(aws: Callable[..., Any], setup: dict[str, Any], **request: Any) -> dict[str, Any]:
    return aws("ecs").update_service(cluster=setup["cluster"], service="api", **request)["service"]


def describe(aws: Callable[..., Any], setup: dict[str, Any]) -> dict[str, Any]:
    return aws("ecs").describe_services(cluster=setup["cluster"], services=["api"])["services"][0]


def messages(service: dict[str, Any]) -> list[str]:
    return [event["message"] for event in service["events"]]


def test_patch_is_registered(emu: RunningEmulator) -> None:
    assert ecs_fidelity.failing_images in PATCHES
    assert patch_name(ecs_fidelity.failing_images) in emu.client.health()["fidelity"]


def test_control_endpoint(emu: RunningEmulator) -> None:
    assert emu.client.failing_images() == []
    assert emu.client.set_failing_images(["app:2", "registry.example/app@sha256:ab", "app:2"]) == [
        "app:2",
        "registry.example/app@sha256:ab",
    ]
    with urllib.request.urlopen(f"{emu.endpoint}/_payments/ecs/failing-images") as answer:
        assert json.loads(answer.read()) == {"images": ["app:2", "registry.example/app@sha256:ab"]}
    assert emu.client.set_failing_images(["other:1"]) == ["other:1"]  # replaces the list
    assert emu.client.clear_failing_images() == []
    assert emu.client.failing_images() == []
    assert emu.client.set_failing_images([]) == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", 'the body must be a JSON object {"images"'),
        (b"{not json", "the body is not JSON"),
        (b'["app:1"]', 'the body must be a JSON object {"images"'),
        (b"{}", '"images" is missing'),
        (b'{"images": "app:1"}', "images must be a list of image names, got 'app:1'"),
        (b'{"images": ["app:1", ""]}', "images[1] must be a non-empty string"),
        (b'{"images": ["  "]}', "images[0] must be a non-empty string"),
        (b'{"images": [3]}', "images[0] must be a non-empty string (an image as task definitions name it), got 3"),
        (b'{"images": [], "services": ["ecs"]}', "unknown field(s) 'services'; known: images"),
    ],
)
def test_bad_bodies_are_refused(emu: RunningEmulator, body: bytes, error: str) -> None:
    emu.client.set_failing_images(["kept:1"])
    request = urllib.request.Request(f"{emu.endpoint}/_payments/ecs/failing-images", data=body, method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400
    assert error in json.loads(refused.value.read())["error"]
    assert emu.client.failing_images() == ["kept:1"]  # unchanged


def test_client_refuses_a_lone_string_and_other_methods(emu: RunningEmulator) -> None:
    with pytest.raises(EmulatorError, match="HTTP 400: images must be a list of image names, got 'app:1'"):
        emu.client.set_failing_images("app:1")
    request = urllib.request.Request(f"{emu.endpoint}/_payments/ecs/failing-images", method="POST", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 405


def test_circuit_breaker_rolls_back_to_the_last_completed_deployment(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    first = create(aws, setup, 1)["deployments"][0]
    assert first["rolloutState"] == "COMPLETED"
    emu.client.set_failing_images([setup["images"][1]])

    # UpdateService answers the deployment it started: PRIMARY, no task running yet, the old one still serving.
    answer = update(aws, setup, taskDefinition=setup["arns"][1], networkConfiguration=network(setup, public=True))
    started, old = answer["deployments"]
    assert started["id"] != first["id"] and started["status"] == "PRIMARY"
    assert started["taskDefinition"] == setup["arns"][1] and answer["taskDefinition"] == setup["arns"][1]
    assert (started["rolloutState"], started["runningCount"], started["failedTasks"]) == ("IN_PROGRESS", 0, 0)
    assert (old["id"], old["status"], old["runningCount"]) == (first["id"], "ACTIVE", 2)
    assert answer["runningCount"] == 2 and answer["events"] == []

    # Then the tasks fail to start, the circuit breaker trips and rolls the service back: once the rollback has
    # completed only the deployment rolled back to is left, PRIMARY again with its id and revision.
    service = describe(aws, setup)
    (rolled_back,) = service["deployments"]
    assert rolled_back["id"] == first["id"] and rolled_back["status"] == "PRIMARY"
    assert rolled_back["taskDefinition"] == setup["arns"][0] and service["taskDefinition"] == setup["arns"][0]
    assert rolled_back["rolloutState"] == "COMPLETED"
    assert rolled_back["rolloutStateReason"] == f"ECS deployment {first['id']} completed."
    assert rolled_back["runningCount"] == rolled_back["desiredCount"] == 2
    assert "assignPublicIp" not in service["networkConfiguration"]["awsvpcConfiguration"]
    assert "assignPublicIp" not in rolled_back["networkConfiguration"]["awsvpcConfiguration"]
    assert (service["runningCount"], service["pendingCount"], service["desiredCount"]) == (2, 0, 2)
    assert messages(service) == [
        "(service api) has reached a steady state.",
        f"(service api) (deployment {first['id']}) deployment completed.",
        f"(service api) rolling back to deployment {first['id']}.",
        f"(service api) (deployment {started['id']}) deployment failed: tasks failed to start.",
    ]
    times = [event["createdAt"] for event in service["events"]]
    assert times == sorted(times, reverse=True)
    assert all(event["id"] for event in service["events"])

    # The same failing revision again: failed and rolled back again; the newest events first.
    again = update(aws, setup, taskDefinition=setup["arns"][1])["deployments"][0]
    service = describe(aws, setup)
    assert [d["id"] for d in service["deployments"]] == [first["id"]]
    assert messages(service)[3] == f"(service api) (deployment {again['id']}) deployment failed: tasks failed to start."
    assert len(service["events"]) == 8


def test_without_rollback_the_deployment_stays_failed(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    first = create(aws, setup, 1, deploymentConfiguration=NO_ROLLBACK)["deployments"][0]
    emu.client.set_failing_images([setup["images"][1]])
    started = update(aws, setup, taskDefinition=setup["arns"][1])["deployments"][0]

    service = describe(aws, setup)
    failed, old = service["deployments"]
    assert (failed["id"], failed["status"], failed["taskDefinition"]) == (started["id"], "PRIMARY", setup["arns"][1])
    assert (failed["rolloutState"], failed["rolloutStateReason"]) == ("FAILED", REASON)
    assert (failed["runningCount"], failed["pendingCount"], failed["failedTasks"]) == (0, 0, 3)
    # minimumHealthyPercent 100: the old tasks keep serving, the service stays on the new task definition.
    assert (old["id"], old["status"], old["runningCount"]) == (first["id"], "ACTIVE", 2)
    assert service["taskDefinition"] == setup["arns"][1] and service["runningCount"] == 2
    assert messages(service) == [
        f"(service api) (deployment {started['id']}) deployment failed: tasks failed to start."
    ]

    # A new desired count does not start the failed deployment's tasks.
    update(aws, setup, desiredCount=3)
    failed = describe(aws, setup)["deployments"][0]
    assert (failed["desiredCount"], failed["runningCount"], failed["rolloutState"]) == (3, 0, "FAILED")


def test_without_rollback_and_minimum_healthy_0_nothing_runs(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    configuration = {**NO_ROLLBACK, "minimumHealthyPercent": 0, "maximumPercent": 100}
    create(aws, setup, 1, deploymentConfiguration=configuration, desiredCount=8)
    emu.client.set_failing_images([setup["images"][1]])
    update(aws, setup, taskDefinition=setup["arns"][1])

    service = describe(aws, setup)
    (failed,) = service["deployments"]
    assert (failed["rolloutState"], failed["failedTasks"], failed["runningCount"]) == ("FAILED", 4, 0)
    assert service["runningCount"] == 0 and service["taskDefinition"] == setup["arns"][1]


def test_the_first_deployment_fails_with_nothing_to_roll_back_to(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    emu.client.set_failing_images([setup["images"][1]])
    answer = create(aws, setup, 2)
    (started,) = answer["deployments"]
    assert (started["rolloutState"], started["runningCount"], answer["runningCount"]) == ("IN_PROGRESS", 0, 0)

    service = describe(aws, setup)
    (failed,) = service["deployments"]
    assert (failed["id"], failed["rolloutState"], failed["rolloutStateReason"]) == (started["id"], "FAILED", REASON)
    assert service["runningCount"] == 0 and service["taskDefinition"] == setup["arns"][1]
    assert messages(service) == [
        f"(service api) (deployment {started['id']}) deployment failed: tasks failed to start."
    ]

    # The images start again: a new deployment completes, and is then what a later failure rolls back to.
    emu.client.clear_failing_images()
    forced = update(aws, setup, forceNewDeployment=True)["deployments"][0]
    service = describe(aws, setup)
    assert [(d["id"], d["rolloutState"]) for d in service["deployments"]] == [(forced["id"], "COMPLETED")]
    assert service["runningCount"] == 2
    emu.client.set_failing_images([setup["images"][1]])
    update(aws, setup, forceNewDeployment=True)
    assert [d["id"] for d in describe(aws, setup)["deployments"]] == [forced["id"]]


def test_without_circuit_breaker_the_deployment_never_ends(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    first = create(aws, setup, 1, deploymentConfiguration=None)["deployments"][0]
    emu.client.set_failing_images([setup["images"][1]])
    started = update(aws, setup, taskDefinition=setup["arns"][1])["deployments"][0]

    service = describe(aws, setup)
    trying, old = service["deployments"]
    assert (trying["id"], trying["rolloutState"], trying["runningCount"]) == (started["id"], "IN_PROGRESS", 0)
    assert trying["failedTasks"] == 2
    assert (old["id"], old["runningCount"]) == (first["id"], 2)
    assert messages(service) == [
        "(service api) is unable to consistently start tasks successfully. For more information, see the "
        "Troubleshooting section of the Amazon ECS Developer Guide."
    ]


def test_only_essential_containers_and_new_deployments_count(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    sidecar = aws("ecs").register_task_definition(
        family=setup["family"],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "app", "image": setup["images"][0]},
            {"name": "sidecar", "image": setup["images"][1], "essential": False},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    create(aws, setup, 1)
    emu.client.set_failing_images([setup["images"][1]])
    update(aws, setup, taskDefinition=sidecar)
    assert describe(aws, setup)["deployments"][0]["rolloutState"] == "COMPLETED"
    # Scaling is no new deployment: running tasks are not affected by the setting.
    emu.client.set_failing_images([setup["images"][0]])
    scaled = update(aws, setup, desiredCount=4)
    assert (scaled["deployments"][0]["rolloutState"], scaled["runningCount"]) == ("COMPLETED", 4)


def test_a_failing_rollback_target_fails_too(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    """With minimumHealthyPercent 50, one old task was stopped for the new ones: the rollback must start it again."""
    first = create(aws, setup, 1, deploymentConfiguration={**ROLLBACK, "minimumHealthyPercent": 50})["deployments"][0]
    emu.client.set_failing_images(setup["images"])
    started = update(aws, setup, taskDefinition=setup["arns"][1])["deployments"][0]

    service = describe(aws, setup)
    (rollback,) = service["deployments"]
    assert (rollback["id"], rollback["status"], rollback["rolloutState"]) == (first["id"], "PRIMARY", "FAILED")
    assert (rollback["runningCount"], rollback["desiredCount"], service["runningCount"]) == (1, 2, 1)
    assert service["taskDefinition"] == setup["arns"][0]
    assert messages(service) == [
        f"(service api) (deployment {first['id']}) deployment failed: tasks failed to start.",
        f"(service api) rolling back to deployment {first['id']}.",
        f"(service api) (deployment {started['id']}) deployment failed: tasks failed to start.",
    ]


def test_reset_clears_the_failing_images(emu: RunningEmulator) -> None:
    emu.client.set_failing_images(["app:1"])
    emu.client.reset()
    assert emu.client.failing_images() == []

    emu.client.set_failing_images(["app:1"])
    urllib.request.urlopen(urllib.request.Request(f"{emu.endpoint}/moto-api/reset", method="POST"))
    assert emu.client.failing_images() == []


# ---- our ecs_service module ------------------------------------------------------------------------------------------


def test_wait_for_deployment_reports_the_rollback(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    """As ecs_service waits: for the id of the deployment its UpdateService started."""
    create(aws, setup, 1)
    emu.client.set_failing_images([setup["images"][1]])
    started = ecs_utils.update_service(
        aws("ecs"), cluster=setup["cluster"], service="api", taskDefinition=setup["arns"][1]
    )
    deployment_id = ecs_utils.primary_deployment(started)["id"]

    with pytest.raises(ecs_utils.ECSDeploymentError) as failed:
        ecs_utils.wait_for_deployment(aws("ecs"), setup["cluster"], "api", deployment_id, timeout=30)

    message = failed.value.message
    assert f"deployment {deployment_id} is no longer the service's primary deployment" in message
    assert "the deployment circuit breaker rolled it back" in message
    assert "deployment failed: tasks failed to start." in message
    assert "rolling back to deployment" in message
    assert failed.value.service["taskDefinition"] == setup["arns"][0]


def test_a_later_wait_without_a_deployment_of_its_own_is_not_failed_by_the_past_rollback(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    """The next run changes nothing and waits on no deployment: the rollback an earlier run reported is history."""
    create(aws, setup, 1)
    emu.client.set_failing_images([setup["images"][1]])
    ecs_utils.update_service(aws("ecs"), cluster=setup["cluster"], service="api", taskDefinition=setup["arns"][1])

    service = ecs_utils.wait_for_deployment(aws("ecs"), setup["cluster"], "api", None, timeout=30)

    assert service["taskDefinition"] == setup["arns"][0]
    assert any("rolling back to deployment" in e["message"] for e in service["events"])


def test_wait_for_deployment_reports_the_failed_deployment(
    emu: RunningEmulator, aws: Callable[..., Any], setup: dict[str, Any]
) -> None:
    create(aws, setup, 1, deploymentConfiguration=NO_ROLLBACK)
    emu.client.set_failing_images([setup["images"][1]])
    started = ecs_utils.update_service(
        aws("ecs"), cluster=setup["cluster"], service="api", taskDefinition=setup["arns"][1]
    )
    deployment_id = ecs_utils.primary_deployment(started)["id"]

    with pytest.raises(ecs_utils.ECSDeploymentError) as failed:
        ecs_utils.wait_for_deployment(aws("ecs"), setup["cluster"], "api", deployment_id, timeout=30)

    assert f"deployment {deployment_id} failed (rolloutState FAILED): {REASON}" in failed.value.message
    assert not failed.value.timed_out


ECS_SERVICE_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Deploy revision {{ revision }}
      payments.infra.ecs_service:
        name: api
        cluster: "{{ cluster }}"
        task_definition: "{{ family }}:{{ revision }}"
        desired_count: 2
        launch_type: FARGATE
        network_configuration:
          subnets: ["{{ subnet }}"]
          security_groups: ["{{ group }}"]
        deployment_configuration:
          deployment_circuit_breaker:
            enable: true
            rollback: true
        wait: true
        wait_timeout: 60
      register: deployed
      ignore_errors: true
"""


@pytest.mark.integration
def test_ecs_service_module_fails_with_the_rollback_reason(
    emu: RunningEmulator, setup: dict[str, Any], tmp_path: Path
) -> None:
    play = tmp_path / "ecs_service.yml"
    play.write_text(ECS_SERVICE_PLAY)
    extra = {key: setup[key] for key in ("cluster", "family", "subnet", "group")}

    [first] = run_local_play(emu, play, {**extra, "revision": 1})
    assert first.get("failed") is not True, first
    assert first["deployment"]["rollout_state"] == "COMPLETED"

    emu.client.set_failing_images([setup["images"][1]])
    [second] = run_local_play(emu, play, {**extra, "revision": 2})

    assert second["failed"] is True and second["changed"] is True
    assert "the deployment circuit breaker rolled it back" in second["msg"]
    assert "deployment failed: tasks failed to start." in second["msg"]
    assert f"rolling back to deployment {first['deployment']['id']}" in second["msg"]
    assert second["service"]["task_definition"] == setup["arns"][0]
    assert second["deployment"]["id"] == first["deployment"]["id"]
