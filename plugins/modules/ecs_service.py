#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service
short_description: Create, update or delete one Fargate (awsvpc) ECS service and optionally wait for its deployment
version_added: 0.1.0
description:
  - Ensures an Amazon ECS service named O(name) exists in cluster O(cluster) with the given task definition, task
    count, network configuration, load balancers, deployment settings and tags, or deletes it.
  - The service is found with C(DescribeServices); a service ECS reports C(MISSING) or C(INACTIVE) (deleted) does
    not exist. A missing service is created with every setting and its tags in the one C(CreateService) call, with
    a client token derived from the cluster and service name, so that a create retried after a lost answer (or
    repeated by a run killed after the call reached AWS) returns the service the first call made instead of making
    a second one. When C(CreateService) answers that a service of that name was created meanwhile by someone else,
    that service is looked up again and adopted (RV(adopted=true)).
  - Everything C(UpdateService) can change is compared and changed in one C(UpdateService) call; the task
    definition, desired count, network configuration (subnets and security groups compared as sets, and the public
    IP assignment), load balancers, health check grace period, deployment configuration with its circuit breaker,
    capacity provider strategy, platform version, ECS Exec, tag propagation and ECS managed tags. Unlike
    M(community.aws.ecs_service), changed subnets or security groups are compared and applied.
  - What C(UpdateService) cannot change (switching between a launch type and a capacity provider strategy, another
    launch type, a C(DAEMON) scheduling strategy, a deployment controller other than C(ECS), service registries, a
    load balancer IAM role) makes the module fail before any change, saying what differs and what to do.
  - With O(wait=true), the module waits until the deployment it started (or the current one) has completed, and
    fails when the deployment circuit breaker failed it or rolled it back, with the rollout reason and the last
    service events.
  - Options are validated before any API call, and the task definition is checked before it is deployed (it
    exists, is active, uses the awsvpc network mode, is Fargate-compatible and has the containers and ports the
    load balancers name).
author:
  - payments.infra maintainers
options:
  name:
    description:
      - The name of the service, for example V(payment-api). 1 to 255 letters, digits, hyphens and underscores.
    type: str
    required: true
  cluster:
    description:
      - The name or ARN of the cluster the service runs in (see M(payments.infra.ecs_cluster)).
      - A cluster that does not exist makes O(state=present) fail; for O(state=absent) there is then nothing to delete.
    type: str
    required: true
  state:
    description:
      - Whether the service should exist.
      - V(absent) scales the service to 0 tasks, then deletes it (C(DeleteService) without force). A service that
        does not exist (or is C(INACTIVE)) is not a change.
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description:
      - The task definition, as V(family:revision) (for example V(payment-api:42)) or its ARN. A family without
        a revision is refused (its latest revision would change under the service unnoticed).
      - Required with O(state=present).
    type: str
  desired_count:
    description:
      - The number of tasks to keep running.
      - Without it, a new service starts with 1 task and the task count of an existing service is not compared (so
        that Application Auto Scaling can own it).
    type: int
  launch_type:
    description:
      - The launch type. Only V(FARGATE); it is used when O(capacity_provider_strategy) is not given.
      - Mutually exclusive with O(capacity_provider_strategy).
    type: str
    choices: [FARGATE]
  capacity_provider_strategy:
    description:
      - Run the service on capacity providers of the cluster (for example V(FARGATE) and V(FARGATE_SPOT)) instead of
        the V(FARGATE) launch type. Compared as a set.
      - A service cannot be switched between a launch type and a strategy in place; the module fails for that.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: The capacity provider.
        type: str
        required: true
      weight:
        description: The relative share of tasks placed with this provider, 0 to 1000.
        type: int
        default: 1
      base:
        description: The number of tasks placed with this provider first, 0 to 100000 (on one provider only).
        type: int
        default: 0
  platform_version:
    description: The Fargate platform version, for example V(1.4.0), or V(LATEST).
    type: str
    default: LATEST
  network_configuration:
    description:
      - The awsvpc network configuration of the tasks. Required with O(state=present).
    type: dict
    suboptions:
      subnets:
        description: The subnets of the tasks (1 to 16), compared as a set.
        type: list
        elements: str
        required: true
      security_groups:
        description:
          - The security groups of the tasks (up to 5), compared as a set.
          - Without it, a new service gets the VPC's default security group and the groups of an existing service
            are not compared.
        type: list
        elements: str
      assign_public_ip:
        description: Whether tasks get a public IP address (needed in public subnets without a NAT gateway).
        type: bool
        default: false
  load_balancers:
    description:
      - The ELBv2 target groups (of target type C(ip)) the tasks are registered with, as the complete list (V([])
        removes all). Without it, the load balancers of an existing service are not compared.
    type: list
    elements: dict
    suboptions:
      target_group_arn:
        description: The ARN of the target group.
        type: str
        required: true
      container_name:
        description: The container of the task definition that receives the traffic.
        type: str
        required: true
      container_port:
        description: The container port (a port mapping of that container).
        type: int
        required: true
  health_check_grace_period_seconds:
    description:
      - Seconds during which ECS ignores failing load balancer and container health checks of a new task.
      - Without it, not compared (ECS's default is 0).
    type: int
  deployment_configuration:
    description: How rolling deployments replace tasks.
    type: dict
    suboptions:
      minimum_healthy_percent:
        description: The share of O(desired_count) that must keep running during a deployment, 0 to 100.
        type: int
        default: 100
      maximum_percent:
        description:
          - The share of O(desired_count) that may run during a deployment, above
            O(deployment_configuration.minimum_healthy_percent).
        type: int
        default: 200
      deployment_circuit_breaker:
        description: The deployment circuit breaker, which fails a deployment whose tasks do not reach a steady state.
        type: dict
        suboptions:
          enable:
            description: Whether the circuit breaker fails deployments that cannot reach a steady state.
            type: bool
            default: true
          rollback:
            description:
              - Whether a failed deployment is rolled back to the last completed one.
              - Needs O(deployment_configuration.deployment_circuit_breaker.enable=true).
            type: bool
            default: true
  enable_execute_command:
    description: Whether ECS Exec (C(aws ecs execute-command)) is enabled for the tasks. Applies to new tasks.
    type: bool
    default: false
  propagate_tags:
    description: Whether the tasks get the tags of the service, of the task definition, or none.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: SERVICE
  enable_ecs_managed_tags:
    description: Whether ECS tags the tasks with the cluster and service names (C(aws:ecs:clusterName), ...).
    type: bool
    default: true
  force_new_deployment:
    description:
      - Start a new deployment even when nothing changed (for example to pull a new image behind the same tag).
        Reports a change on every run.
    type: bool
    default: false
  wait:
    description:
      - Wait until the deployment has completed; the primary deployment's rollout state is C(COMPLETED), no older
        deployment is left and the running task count equals the desired count.
      - The module fails when the deployment circuit breaker failed the deployment or rolled it back, reporting the
        rollout state reason and the last service events.
      - With O(state=absent), wait until the deleted service is C(INACTIVE) (its tasks stopped).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
notes:
  - Check mode is supported; RV(changed) and the diff report what would be done and no write API is called.
  - RV(diff) is always returned and holds the compared settings and tags before and after.
  - Service Connect, service registries (Cloud Map), placement, VPC Lattice, volume configurations, deployment
    alarms and blue/green deployments are not managed by this module.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The payment API behind its target group; wait for the deployment (fails if it is rolled back)
  payments.infra.ecs_service:
    name: payment-api
    cluster: payments-dev
    task_definition: "payment-api:{{ task_revision }}"
    desired_count: 2
    network_configuration:
      subnets: "{{ private_subnet_ids }}"
      security_groups: ["{{ app_security_group_id }}"]
    load_balancers:
      - target_group_arn: "{{ target_group_arn }}"
        container_name: payment-api
        container_port: 8080
    health_check_grace_period_seconds: 60
    wait: true
    tags:
      Environment: dev
      Project: payment-api
  register: service

- name: A worker on Fargate Spot with one on-demand task, its count owned by auto scaling
  payments.infra.ecs_service:
    name: payment-worker
    cluster: payments-prod
    task_definition: arn:aws:ecs:us-east-1:123456789012:task-definition/payment-worker:7
    capacity_provider_strategy:
      - capacity_provider: FARGATE
        base: 1
        weight: 1
      - capacity_provider: FARGATE_SPOT
        weight: 3
    network_configuration:
      subnets: "{{ private_subnet_ids }}"
      security_groups: ["{{ worker_security_group_id }}"]
    deployment_configuration:
      minimum_healthy_percent: 50
      maximum_percent: 200

- name: Delete the service (scaled to 0 first)
  payments.infra.ecs_service:
    name: payment-scratch
    cluster: payments-dev
    state: absent
    wait: true
"""

RETURN = r"""
service:
  description:
    - The service after the run (in check mode, as it would be). Empty when O(state=absent) and it is gone.
    - In check mode, identifiers of a service still to be created are null.
  returned: always
  type: dict
  contains:
    service_name:
      description: The name of the service.
      type: str
      sample: payment-api
    service_arn:
      description: The ARN of the service.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:service/payments-dev/payment-api
    cluster_arn:
      description: The ARN of the cluster.
      type: str
    status:
      description: C(ACTIVE), C(DRAINING) (being deleted) or C(INACTIVE).
      type: str
      sample: ACTIVE
    task_definition:
      description: The ARN of the task definition of the service.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:task-definition/payment-api:42
    desired_count:
      description: The desired number of tasks.
      type: int
      sample: 2
    running_count:
      description: The number of running tasks.
      type: int
    pending_count:
      description: The number of pending tasks.
      type: int
    launch_type:
      description: The launch type; null for a service on a capacity provider strategy.
      type: str
      sample: FARGATE
    capacity_provider_strategy:
      description: The capacity provider strategy (empty with a launch type).
      type: list
      elements: dict
    platform_version:
      description: The platform version.
      type: str
      sample: LATEST
    network_configuration:
      description: The awsvpc network configuration.
      type: dict
      contains:
        subnets:
          description: The subnets (sorted).
          type: list
          elements: str
        security_groups:
          description: The security groups (sorted).
          type: list
          elements: str
        assign_public_ip:
          description: Whether tasks get a public IP.
          type: bool
    load_balancers:
      description: The target groups, each with C(target_group_arn), C(container_name) and C(container_port).
      type: list
      elements: dict
    health_check_grace_period_seconds:
      description: The health check grace period; null when never set.
      type: int
    deployment_configuration:
      description: The deployment configuration.
      type: dict
      contains:
        minimum_healthy_percent:
          description: The minimum healthy percent.
          type: int
          sample: 100
        maximum_percent:
          description: The maximum percent.
          type: int
          sample: 200
        deployment_circuit_breaker:
          description: The circuit breaker, with C(enable) and C(rollback).
          type: dict
          sample: {"enable": true, "rollback": true}
    enable_execute_command:
      description: Whether ECS Exec is enabled.
      type: bool
    propagate_tags:
      description: C(SERVICE), C(TASK_DEFINITION) or C(NONE).
      type: str
    enable_ecs_managed_tags:
      description: Whether ECS managed tags are on.
      type: bool
    scheduling_strategy:
      description: C(REPLICA).
      type: str
    deployment_controller:
      description: The deployment controller type, C(ECS).
      type: str
    role_arn:
      description: The IAM role ECS uses for the load balancers (the service-linked role), if reported.
      type: str
    created_at:
      description: When the service was created.
      type: str
    deployments:
      description: Every deployment of the service, as in RV(deployment).
      type: list
      elements: dict
    tags:
      description: The tags of the service.
      type: dict
      sample: {"Environment": "dev"}
deployment:
  description:
    - The primary deployment of the service after the run (the one this run started, when it started one). Empty
      when there is none (check mode for a service to be created, O(state=absent)).
  returned: always
  type: dict
  contains:
    id:
      description: The deployment ID.
      type: str
      sample: ecs-svc/1234567890123456789
    status:
      description: C(PRIMARY).
      type: str
    rollout_state:
      description: C(IN_PROGRESS), C(COMPLETED) or C(FAILED).
      type: str
      sample: COMPLETED
    rollout_state_reason:
      description: Why the deployment is in its rollout state.
      type: str
      sample: ECS deployment ecs-svc/1234567890123456789 completed.
    task_definition:
      description: The task definition ARN the deployment runs.
      type: str
    desired_count:
      description: Tasks the deployment wants.
      type: int
    running_count:
      description: Tasks of the deployment running.
      type: int
    pending_count:
      description: Tasks of the deployment pending.
      type: int
    failed_tasks:
      description: Tasks of the deployment that failed to start.
      type: int
    created_at:
      description: When the deployment started.
      type: str
    updated_at:
      description: When the deployment last changed.
      type: str
created:
  description: True when this run created the service (in check mode, would create it).
  returned: always
  type: bool
adopted:
  description:
    - True when C(CreateService) answered that a service of that name already exists (created by someone else
      after this run looked) and the existing service was adopted and converged.
  returned: always
  type: bool
diff:
  description: The compared settings (named like the options) and tags before and after the run.
  returned: always
  type: dict
  contains:
    before:
      description: The settings before (empty for a service to be created).
      type: dict
    after:
      description: The settings after (empty for a service to be deleted).
      type: dict
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import error_code
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.ecs import AnsibleECSError
from ansible_collections.payments.infra.plugins.module_utils.ecs import ECSDeploymentError
from ansible_collections.payments.infra.plugins.module_utils.ecs import ECSValidationError
from ansible_collections.payments.infra.plugins.module_utils.ecs import create_service
from ansible_collections.payments.infra.plugins.module_utils.ecs import create_service_request
from ansible_collections.payments.infra.plugins.module_utils.ecs import delete_service
from ansible_collections.payments.infra.plugins.module_utils.ecs import deployment_view
from ansible_collections.payments.infra.plugins.module_utils.ecs import describe_service
from ansible_collections.payments.infra.plugins.module_utils.ecs import describe_task_definition
from ansible_collections.payments.infra.plugins.module_utils.ecs import error_message
from ansible_collections.payments.infra.plugins.module_utils.ecs import immutable_message
from ansible_collections.payments.infra.plugins.module_utils.ecs import plan_service
from ansible_collections.payments.infra.plugins.module_utils.ecs import planned_service
from ansible_collections.payments.infra.plugins.module_utils.ecs import primary_deployment
from ansible_collections.payments.infra.plugins.module_utils.ecs import service_settings_view
from ansible_collections.payments.infra.plugins.module_utils.ecs import service_view
from ansible_collections.payments.infra.plugins.module_utils.ecs import tag_resource
from ansible_collections.payments.infra.plugins.module_utils.ecs import tags_dict
from ansible_collections.payments.infra.plugins.module_utils.ecs import task_definition_problem
from ansible_collections.payments.infra.plugins.module_utils.ecs import untag_resource
from ansible_collections.payments.infra.plugins.module_utils.ecs import update_service
from ansible_collections.payments.infra.plugins.module_utils.ecs import validate_service_params
from ansible_collections.payments.infra.plugins.module_utils.ecs import wait_for_deployment
from ansible_collections.payments.infra.plugins.module_utils.ecs import wait_until_deleted

NOT_IDEMPOTENT = "not idempotent"


def _wanted_tags(params):
    return {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}


def _where(params):
    return f"ECS service {params['name']!r} in cluster {params['cluster']!r}"


def find_service(module, client):
    """The service (None when MISSING or INACTIVE); False when the cluster does not exist."""
    params = module.params
    try:
        service = describe_service(client, params["cluster"], params["name"])
    except AnsibleECSError as e:
        if error_code(e) == "ClusterNotFoundException":
            return False
        raise
    if service is None or service.get("status") == "INACTIVE":
        return None
    return service


def _fail_deployment(module, error, tags, result):
    service = error.service
    module.fail_json(
        msg=error.message,
        service=service_view(service, tags) if service else {},
        deployment=deployment_view(primary_deployment(service)),
        timed_out=error.timed_out,
        **result,
    )


def find_task_definition(module, client):
    """The task definition of the options (described); fails when ECS does not know it."""
    params = module.params
    task_definition = describe_task_definition(client, params["task_definition"])
    if task_definition is None:
        module.fail_json(
            msg=(
                f"{_where(params)}: task definition {params['task_definition']} does not exist in this region; "
                "register it first (or name an existing revision). Nothing was changed."
            )
        )
    return task_definition


def check_task_definition(module, task_definition):
    """Fail, before any write, when the task definition cannot run the service as configured."""
    problem = task_definition_problem(task_definition, module.params)
    if problem:
        module.fail_json(msg=f"{_where(module.params)}: {problem}. Nothing was changed.")


def create(client, module, result):
    """CreateService; the new service, or the existing one when CreateService says it exists (adopt it)."""
    params = module.params
    tags = _wanted_tags(params)
    task_definition = find_task_definition(module, client)
    check_task_definition(module, task_definition)
    arn = task_definition["taskDefinitionArn"]
    if module.check_mode:
        planned = planned_service(params, arn)
        result.update(
            changed=True,
            created=True,
            service=service_view(planned, tags),
            deployment={},
            diff=make_diff({}, service_settings_view(planned, tags)),
        )
        return None
    try:
        service = create_service(client, **create_service_request(params, arn))
    except AnsibleECSError as e:
        if error_code(e) != "InvalidParameterException" or NOT_IDEMPOTENT not in error_message(e):
            raise
        # Created by someone else (another token) since we looked: adopt and converge it.
        found = find_service(module, client)
        if not found:
            raise AnsibleECSError(
                message=(
                    f"CreateService answered that {_where(params)} already exists, but DescribeServices does not find "
                    "it (deleted again in the meantime?); run again"
                ),
                exception=e.exception,
            ) from e
        return found
    result.update(changed=True, created=True)
    if params["wait"]:
        try:
            service = wait_for_deployment(
                client,
                params["cluster"],
                params["name"],
                (primary_deployment(service) or {}).get("id"),
                params["wait_timeout"],
            )
        except ECSDeploymentError as e:
            _fail_deployment(module, e, tags, {"changed": True, "created": True})
    result.update(
        service=service_view(service, tags),
        deployment=deployment_view(primary_deployment(service)),
        diff=make_diff({}, service_settings_view(service, tags)),
    )
    return None


def _checked_plan(module, client, service, current_tags):
    """The plan of changes; fails on what cannot change in place, checks a new task definition."""
    params = module.params
    task_definition = find_task_definition(module, client)
    plan = plan_service(params, service, task_definition["taskDefinitionArn"])
    if plan.immutable:
        module.fail_json(
            msg=immutable_message(params["cluster"], params["name"], plan.immutable),
            service=service_view(service, current_tags),
            deployment=deployment_view(primary_deployment(service)),
        )
    if "task_definition" in plan.changes or "load_balancers" in plan.changes:
        # The running revision is not judged again (it may be deregistered since); a new one, or new target
        # groups, must fit.
        check_task_definition(module, task_definition)
    return plan


def _converged_service(client, module, service, deployment_id, final_tags, result):
    """The service after the changes: with wait, once the deployment (this run's or one in progress) is over."""
    params = module.params
    if params["wait"]:
        try:
            return wait_for_deployment(client, params["cluster"], params["name"], deployment_id, params["wait_timeout"])
        except ECSDeploymentError as e:
            _fail_deployment(module, e, final_tags, {"changed": result["changed"], "adopted": result["adopted"]})
    if result["changed"]:
        return describe_service(client, params["cluster"], params["name"]) or service
    return service


def ensure_present(client, module, service):
    params = module.params
    result = {"changed": False, "created": False, "adopted": False}
    if service is None:
        service = create(client, module, result)
        if result["created"]:
            return result
        result["adopted"] = True

    current_tags = tags_dict(service.get("tags"))
    final_tags, to_set, to_unset = desired_tags(current_tags, params["tags"], params["purge_tags"])
    plan = _checked_plan(module, client, service, current_tags)
    before = service_settings_view(service, current_tags)
    after = dict(before, tags=final_tags)
    for option, (_before, wanted) in plan.changes.items():
        after[option] = wanted
    request = dict(plan.request)
    if params["force_new_deployment"]:
        request["forceNewDeployment"] = True

    result["changed"] = bool(request or to_set or to_unset)
    # None: this run started no deployment; the wait then follows one still in progress, if any.
    deployment_id = None
    if module.check_mode:
        view = service_view(service, final_tags)
        for option in plan.changes:
            view[option] = after[option]
    else:
        if request:
            service = update_service(client, cluster=params["cluster"], service=params["name"], **request)
            deployment_id = (primary_deployment(service) or {}).get("id")
        if to_set or to_unset:
            untag_resource(client, service["serviceArn"], to_unset)
            tag_resource(client, service["serviceArn"], to_set)
        service = _converged_service(client, module, service, deployment_id, final_tags, result)
        view = service_view(service, final_tags)
    result.update(service=view, deployment=deployment_view(primary_deployment(service)), diff=make_diff(before, after))
    return result


def ensure_absent(client, module, service):
    params = module.params
    result = {"changed": False, "created": False, "adopted": False, "service": {}, "deployment": {}}
    if not service:
        result["diff"] = make_diff({}, {})
        return result
    current_tags = tags_dict(service.get("tags"))
    result["diff"] = make_diff(service_settings_view(service, current_tags), {})
    if service.get("status") == "DRAINING":
        # Deleted already (by an earlier, perhaps killed, run or by someone else): not our change.
        if params["wait"] and not module.check_mode:
            try:
                wait_until_deleted(client, params["cluster"], params["name"], params["wait_timeout"])
            except ECSDeploymentError as e:
                _fail_deployment(module, e, current_tags, {"changed": False})
        else:
            result["service"] = service_view(service, current_tags)
        return result
    result["changed"] = True
    if module.check_mode:
        return result
    if service.get("desiredCount"):
        update_service(client, cluster=params["cluster"], service=params["name"], desiredCount=0)
    deleted = delete_service(client, params["cluster"], params["name"])
    if deleted is False:
        return result  # gone meanwhile; scaling it to 0 was our change
    if params["wait"]:
        try:
            wait_until_deleted(client, params["cluster"], params["name"], params["wait_timeout"])
        except ECSDeploymentError as e:
            _fail_deployment(module, e, current_tags, {"changed": True})
    else:
        result["service"] = service_view(deleted, current_tags)
    return result


DEPLOYMENT_OPTIONS = dict(
    minimum_healthy_percent=dict(type="int", default=100),
    maximum_percent=dict(type="int", default=200),
    deployment_circuit_breaker=dict(
        type="dict",
        apply_defaults=True,
        options=dict(
            enable=dict(type="bool", default=True),
            rollback=dict(type="bool", default=True),
        ),
    ),
)


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        cluster=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        launch_type=dict(type="str", choices=["FARGATE"]),
        capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=1),
                base=dict(type="int", default=0),
            ),
        ),
        platform_version=dict(type="str", default="LATEST"),
        network_configuration=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str"),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        load_balancers=dict(
            type="list",
            elements="dict",
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int"),
        deployment_configuration=dict(type="dict", apply_defaults=True, options=DEPLOYMENT_OPTIONS),
        enable_execute_command=dict(type="bool", default=False),
        propagate_tags=dict(type="str", choices=["SERVICE", "TASK_DEFINITION", "NONE"], default="SERVICE"),
        enable_ecs_managed_tags=dict(type="bool", default=True),
        force_new_deployment=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=900),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def _no_cluster(module):
    """The cluster does not exist: nothing to delete, or nothing to create the service in."""
    if module.params["state"] == "absent":
        module.exit_json(changed=False, created=False, adopted=False, service={}, deployment={}, diff=make_diff({}, {}))
    module.fail_json(
        msg=(
            f"{_where(module.params)}: the cluster does not exist in this region; create it first "
            "(payments.infra.ecs_cluster). Nothing was changed."
        )
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ["task_definition", "network_configuration"])],
        mutually_exclusive=[("launch_type", "capacity_provider_strategy")],
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "present" and not params["capacity_provider_strategy"]:
        params["launch_type"] = params["launch_type"] or "FARGATE"
    try:
        validate_service_params(params)
    except ECSValidationError as e:
        module.fail_json(msg=str(e))

    client = module.client("ecs")
    try:
        service = find_service(module, client)
        if service is False:
            _no_cluster(module)
        if params["state"] == "present":
            result = ensure_present(client, module, service)
        else:
            result = ensure_absent(client, module, service)
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
