#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_task_definition
short_description: Register an ECS task definition revision only when it differs, with tags; or deregister a family
version_added: 0.1.0
description:
  - Ensures the latest C(ACTIVE) revision of the task definition family O(family) is the task definition described
    by the options, registering a new revision (with its tags) when it is not, or deregisters every C(ACTIVE)
    revision of the family.
  - The latest C(ACTIVE) revision is compared with the options field by field, after both sides are brought to one
    form with the defaults ECS fills in (C(essential=true), container C(cpu=0), port mapping C(protocol=tcp) and, in
    the awsvpc network mode, C(hostPort) equal to C(containerPort), health check timings, C(false) for other
    booleans), empty values dropped and lists whose order means nothing (environment, secrets, port mappings, mount
    points, containers by name, volumes by name, O(requires_compatibilities)) sorted. So the same options give
    RV(changed=false) and register nothing, and a run killed after registering finds its revision on the next run.
  - Every field of every container counts (image, environment values, secret C(valueFrom), ports, read-only root
    file system, log options, ...), and so do the task-level O(cpu), O(memory), O(execution_role_arn),
    O(task_role_arn), O(network_mode), O(requires_compatibilities), O(runtime_platform) and O(volumes). Unlike
    M(community.aws.ecs_taskdefinition), a changed environment value, secret ARN or task size registers a new
    revision.
  - Only the latest C(ACTIVE) revision is compared. Going back to the settings of an older revision (a rollback)
    registers a new revision with those settings; older revisions are never reused or reactivated.
  - When the latest revision is equal, only its tags are converged (C(TagResource), C(UntagResource)).
  - Options are validated before any API call; Fargate cpu and memory combinations, the awsvpc network mode on
    Fargate, the execution role that secrets, C(awslogs) and ECR images need, container names and ports, secrets that
    must be ARNs, variables set both in C(environment) and C(secrets), and fields ECS does not know (for example a
    snake_case C(port_mappings)).
author:
  - payments.infra maintainers
options:
  family:
    description:
      - The task definition family, for example V(payment-api-dev). 1 to 255 letters, digits, hyphens and
        underscores.
    type: str
    required: true
  state:
    description:
      - V(present) registers a new revision when the latest C(ACTIVE) one differs (or there is none).
      - V(absent) deregisters every C(ACTIVE) revision of the family but those in O(keep) (they become
        C(INACTIVE); services already running one keep running it). A family without such a revision is not a
        change.
    type: str
    choices: [present, absent]
    default: present
  keep:
    description:
      - With O(state=absent), the revisions (ARNs or C(family:revision)) left C(ACTIVE), for example the one a
        service runs after a deployment, so that the revisions it superseded go.
    type: list
    elements: str
    default: []
  cpu:
    description:
      - The task CPU units, as a string or a number, for example V(256) (1024 units are 1 vCPU). Forms such as
        C(0.25 vCPU) are refused.
      - Required with V(FARGATE) in O(requires_compatibilities), where it must be one of V(256), V(512), V(1024),
        V(2048), V(4096), V(8192), V(16384), with a matching O(memory).
    type: str
  memory:
    description:
      - The task memory in MiB, as a string or a number, for example V(512). Forms such as C(1 GB) are refused.
      - "Required with V(FARGATE) in O(requires_compatibilities), where the valid values depend on O(cpu):
        256: 512, 1024, 2048; 512: 1024 to 4096; 1024: 2048 to 8192; 2048: 4096 to 16384; 4096: 8192 to 30720
        (all in steps of 1024); 8192: 16384 to 61440 in steps of 4096; 16384: 32768 to 122880 in steps of 8192.
        Windows tasks take cpu 1024, 2048 or 4096 only."
    type: str
  network_mode:
    description:
      - The Docker network mode of the task's containers. Fargate needs V(awsvpc).
    type: str
    choices: [awsvpc, bridge, host, none]
    default: awsvpc
  requires_compatibilities:
    description:
      - The launch types the task definition is validated against. Compared as a set.
    type: list
    elements: str
    choices: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]
    default: [FARGATE]
  runtime_platform:
    description:
      - The operating system and CPU architecture the task runs on. Without it, ECS's default (Linux, X86_64) applies
        and nothing is compared.
    type: dict
    suboptions:
      cpu_architecture:
        description: The CPU architecture.
        type: str
        choices: [X86_64, ARM64]
      operating_system_family:
        description: The operating system family, for example V(LINUX).
        type: str
        choices:
          - LINUX
          - WINDOWS_SERVER_2019_FULL
          - WINDOWS_SERVER_2019_CORE
          - WINDOWS_SERVER_2016_FULL
          - WINDOWS_SERVER_2004_CORE
          - WINDOWS_SERVER_2022_CORE
          - WINDOWS_SERVER_2022_FULL
          - WINDOWS_SERVER_2025_CORE
          - WINDOWS_SERVER_2025_FULL
          - WINDOWS_SERVER_20H2_CORE
  execution_role_arn:
    description:
      - The IAM role ECS uses to start the task; pull images from ECR, read O(container_definitions) C(secrets), write
        C(awslogs) logs. Required for each of these (on Fargate, for ECR images and C(awslogs) too).
    type: str
  task_role_arn:
    description:
      - The IAM role the containers' AWS SDK calls use.
    type: str
  container_definitions:
    description:
      - The containers, each a dict in the ECS API's own camelCase shape (as in the C(containerDefinitions) of a JSON
        task definition, for example C(portMappings), C(readonlyRootFilesystem), C(logConfiguration)), passed to
        C(RegisterTaskDefinition) as given. A snake_case field name is refused, naming the camelCase one.
      - Each container needs a C(name) (unique in the task definition) and an C(image).
      - "A few conversions: numbers given for string values of the API (C(environment) values, C(logConfiguration)
        C(options), C(dockerLabels)) become strings, and ports given as strings become numbers. Booleans there are
        refused: quote them."
      - C(secrets) C(valueFrom) must be the ARN of a Secrets Manager secret or of an SSM parameter; a name may not be
        set both in C(environment) and in C(secrets). In the awsvpc network mode a C(hostPort) must equal its
        C(containerPort).
      - Required with O(state=present).
    type: list
    elements: dict
  volumes:
    description:
      - The task's data volumes, each a dict in the ECS API's camelCase shape (for example a bind mount volume named
        C(tmp) only, which a container with C(readonlyRootFilesystem) can mount to write to). Compared sorted by name.
      - Every C(mountPoints) C(sourceVolume) of a container must be one of them.
    type: list
    elements: dict
notes:
  - O(tags) are set in the C(RegisterTaskDefinition) call of a new revision, or converged on an equal latest revision.
    Without O(tags), a new revision gets the tags of the latest one and the tags of an equal revision are left alone;
    O(purge_tags=false) keeps (copies) tags not in O(tags).
  - Check mode is supported; nothing is registered, tagged or deregistered, and RV(task_definition) shows the revision
    that would be registered (its RV(task_definition.revision) the next revision number of the family).
  - RV(diff) is always returned and holds the compared settings (the forms actually compared, with ECS's defaults
    applied) and tags before and after.
  - Placement constraints, proxy configuration, PID and IPC modes, ephemeral storage and inference accelerators are
    not managed by this module.
  - Deregistered (C(INACTIVE)) revisions are not deleted (C(DeleteTaskDefinitions)).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The payment API's task definition (a new revision only when something changed)
  payments.infra.ecs_task_definition:
    family: payment-api-dev
    cpu: "256"
    memory: "512"
    runtime_platform:
      cpu_architecture: X86_64
      operating_system_family: LINUX
    execution_role_arn: arn:aws:iam::123456789012:role/payment-task-execution-dev
    task_role_arn: arn:aws:iam::123456789012:role/payment-task-dev
    container_definitions:
      - name: payment-api
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/payment-api:1.4.2
        essential: true
        portMappings:
          - containerPort: 8080
            protocol: tcp
        environment:
          - name: DB_HOST
            value: db.example
        secrets:
          - name: DB_PASSWORD
            valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-abc:password::"
        readonlyRootFilesystem: true
        mountPoints:
          - sourceVolume: tmp
            containerPath: /tmp
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /payment/dev/app
            awslogs-region: us-east-1
            awslogs-stream-prefix: payment-api
    volumes:
      - name: tmp
    tags:
      Environment: dev
  register: td

- name: Deploy exactly that revision
  payments.infra.ecs_service:
    name: payment-api
    cluster: payments-dev
    task_definition: "{{ td.task_definition.arn }}"
    network_configuration:
      subnets: "{{ private_subnet_ids }}"

- name: Deregister every active revision of a scratch family
  payments.infra.ecs_task_definition:
    family: payment-scratch
    state: absent
"""

RETURN = r"""
task_definition:
  description:
    - The latest C(ACTIVE) revision after the run; the one registered, or the equal one found. In check mode, the one
      that would be registered (its RV(task_definition.arn) is null when the family has no revision yet).
    - Empty when O(state=absent).
  returned: always
  type: dict
  contains:
    arn:
      description: The ARN of the revision.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:task-definition/payment-api-dev:3
    family:
      description: The family.
      type: str
      sample: payment-api-dev
    revision:
      description: The revision number.
      type: int
      sample: 3
    family_revision:
      description: V(family:revision), as M(payments.infra.ecs_service) takes it.
      type: str
      sample: payment-api-dev:3
    status:
      description: C(ACTIVE).
      type: str
      sample: ACTIVE
    cpu:
      description: The task CPU units.
      type: str
      sample: "256"
    memory:
      description: The task memory in MiB.
      type: str
      sample: "512"
    network_mode:
      description: The network mode.
      type: str
      sample: awsvpc
    requires_compatibilities:
      description: The launch types the task definition was validated against.
      type: list
      elements: str
      sample: [FARGATE]
    compatibilities:
      description: The launch types ECS found the task definition compatible with.
      type: list
      elements: str
      sample: [EC2, FARGATE]
    runtime_platform:
      description: The runtime platform (C(cpu_architecture), C(operating_system_family)); empty when not set.
      type: dict
    execution_role_arn:
      description: The task execution role.
      type: str
    task_role_arn:
      description: The task role.
      type: str
    volumes:
      description: The volumes, as ECS gives them (camelCase).
      type: list
      elements: dict
    container_definitions:
      description:
        - The container definitions as ECS gives them back, in the API's camelCase with ECS's defaults filled in
          (environment variable names and log option keys untouched).
      type: list
      elements: dict
      sample:
        - name: payment-api
          image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/payment-api:1.4.2
          essential: true
          cpu: 0
          portMappings: [{containerPort: 8080, hostPort: 8080, protocol: tcp}]
          environment: [{name: DB_HOST, value: db.example}]
    registered_at:
      description: When the revision was registered (if ECS reports it).
      type: str
    tags:
      description: The tags of the revision.
      type: dict
      sample: {"Environment": "dev"}
registered:
  description: True when this run registered a new revision (in check mode, would register one).
  returned: always
  type: bool
deregistered:
  description: The ARNs of the revisions deregistered (in check mode, that would be) with O(state=absent).
  returned: always
  type: list
  elements: str
active_revisions:
  description:
    - With O(state=present), the ARNs of the family's C(ACTIVE) revisions after the run, newest first (in check mode,
      with the one that would be registered). More than one means superseded revisions are left to deregister with
      O(state=absent) once no service runs them.
  returned: when O(state=present)
  type: list
  elements: str
changes:
  description: What differs between the latest C(ACTIVE) revision and the options (settings, and containers with their
    fields), when a new revision is registered over one.
  returned: when a new revision is (or would be) registered over an existing one
  type: list
  elements: str
  sample: ["cpu", "container payment-api (environment, image)"]
diff:
  description:
    - The compared settings (named like the options; container definitions and volumes in the form compared, with
      ECS's defaults applied) and tags, of the latest C(ACTIVE) revision before and after the run.
    - With O(state=absent), the C(ACTIVE) revisions before and after.
  returned: always
  type: dict
  contains:
    before:
      description: The settings before (empty when the family had no C(ACTIVE) revision).
      type: dict
    after:
      description: The settings after.
      type: dict
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.ecs import AnsibleECSError
from ansible_collections.payments.infra.plugins.module_utils.ecs import ECSValidationError
from ansible_collections.payments.infra.plugins.module_utils.ecs import tag_resource
from ansible_collections.payments.infra.plugins.module_utils.ecs import tags_dict
from ansible_collections.payments.infra.plugins.module_utils.ecs import untag_resource
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import COMPATIBILITIES
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import NETWORK_MODES
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import check_known_keys
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import comparable_view
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import deregister_task_definition
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import describe_latest_active
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import differences
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import list_revisions
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import model_members
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import newest_revision_number
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import next_arn
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import planned_task_definition
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import register_task_definition
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import task_definition_request
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import task_definition_view
from ansible_collections.payments.infra.plugins.module_utils.ecs_task_definition import validate_task_definition_params

OS_FAMILIES = [
    "LINUX",
    "WINDOWS_SERVER_2019_FULL",
    "WINDOWS_SERVER_2019_CORE",
    "WINDOWS_SERVER_2016_FULL",
    "WINDOWS_SERVER_2004_CORE",
    "WINDOWS_SERVER_2022_CORE",
    "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2025_CORE",
    "WINDOWS_SERVER_2025_FULL",
    "WINDOWS_SERVER_20H2_CORE",
]


def _with_tags(view, tags):
    return dict(view, tags={to_text(k): to_text(v) for k, v in (tags or {}).items()}) if view else {}


def converge_tags(client, module, latest, current_tags, result):
    """The latest revision equals the options: converge its tags only."""
    params = module.params
    final_tags, to_set, to_unset = desired_tags(current_tags, params["tags"], params["purge_tags"])
    if to_set or to_unset:
        result["changed"] = True
        if not module.check_mode:
            untag_resource(client, latest["taskDefinitionArn"], to_unset)
            tag_resource(client, latest["taskDefinitionArn"], to_set)
    view = comparable_view(latest)
    result.update(
        task_definition=task_definition_view(latest, final_tags),
        diff=make_diff(_with_tags(view, current_tags), _with_tags(view, final_tags)),
    )
    return result


def register(client, module, containers, latest, current_tags, result):
    """Register a new revision (with its tags); in check mode, report the one that would be registered."""
    params = module.params
    final_tags = desired_tags(current_tags, params["tags"], params["purge_tags"])[0]
    request = task_definition_request(params, containers, final_tags)
    wanted = comparable_view(request)
    result.update(changed=True, registered=True)
    if module.check_mode:
        family = params["family"]
        newest = max(
            (latest or {}).get("revision") or 0,
            newest_revision_number(client, family, "INACTIVE"),
        )
        revision = newest + 1
        arn = next_arn((latest or {}).get("taskDefinitionArn"), revision)
        registered = planned_task_definition(request, arn, revision)
    else:
        registered = register_task_definition(client, request)
        # ECS answers what it stored; if it differs from what was asked in a way the comparison does not know,
        # the next run would register again: say so rather than loop silently.
        stored = comparable_view(registered)
        if stored != wanted:
            module.warn(
                f"ECS stored revision {registered.get('revision')} of {params['family']} with settings that compare "
                f"differently from the options ({', '.join(differences(wanted, stored))}); the next run will "
                "register another revision. Report this with the diff."
            )
    result.update(
        task_definition=task_definition_view(registered, final_tags),
        diff=make_diff(_with_tags(comparable_view(latest), current_tags), _with_tags(wanted, final_tags)),
    )
    if latest:
        result["changes"] = differences(comparable_view(latest), wanted)
    return result


def ensure_present(client, module, containers):
    params = module.params
    result = {"changed": False, "registered": False, "deregistered": []}
    found = describe_latest_active(client, params["family"])
    latest, current_tags = (found[0], tags_dict(found[1])) if found else (None, {})
    if latest and latest.get("status") == "ACTIVE":
        wanted = comparable_view(task_definition_request(params, containers, None))
        if comparable_view(latest) == wanted:
            return with_active_revisions(client, module, converge_tags(client, module, latest, current_tags, result))
    else:
        latest, current_tags = None, {}
    return with_active_revisions(client, module, register(client, module, containers, latest, current_tags, result))


def with_active_revisions(client, module, result):
    """Add the family's ACTIVE revisions after the run (in check mode, with the one that would be registered), so
    that a caller deregisters the superseded ones only when there are any (state=absent is then no module run)."""
    active = list_revisions(client, module.params["family"], "ACTIVE")
    registered = result["task_definition"].get("arn")
    if registered and registered not in active:  # check mode: the revision it would register
        active.insert(0, registered)
    result["active_revisions"] = active
    return result


def ensure_absent(client, module):
    family = module.params["family"]
    kept = {arn.rsplit("/", 1)[-1] for arn in module.params["keep"]}
    every = list_revisions(client, family, "ACTIVE")
    active = [arn for arn in every if arn.rsplit("/", 1)[-1] not in kept]
    result = {
        "changed": bool(active),
        "registered": False,
        "deregistered": active,
        "task_definition": {},
        "diff": make_diff({"active_revisions": every}, {"active_revisions": [a for a in every if a not in active]}),
    }
    if module.check_mode:
        return result
    for arn in active:
        deregister_task_definition(client, arn)
    return result


def main():
    argument_spec = dict(
        family=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        keep=dict(type="list", elements="str", default=[]),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        network_mode=dict(type="str", choices=list(NETWORK_MODES), default="awsvpc"),
        requires_compatibilities=dict(type="list", elements="str", choices=list(COMPATIBILITIES), default=["FARGATE"]),
        runtime_platform=dict(
            type="dict",
            options=dict(
                cpu_architecture=dict(type="str", choices=["X86_64", "ARM64"]),
                operating_system_family=dict(type="str", choices=OS_FAMILIES),
            ),
        ),
        execution_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        container_definitions=dict(type="list", elements="dict"),
        volumes=dict(type="list", elements="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["container_definitions"])],
        supports_check_mode=True,
    )
    params = module.params
    try:
        containers = validate_task_definition_params(params)
    except ECSValidationError as e:
        module.fail_json(msg=str(e))

    client = module.client("ecs")
    if params["state"] == "present":
        try:
            check_known_keys(
                containers, "container_definitions", model_members(client, "ContainerDefinition"), "container"
            )
            check_known_keys(params["volumes"], "volumes", model_members(client, "Volume"), "volume")
        except ECSValidationError as e:
            module.fail_json(msg=str(e))

    try:
        if params["state"] == "present":
            result = ensure_present(client, module, containers)
        else:
            result = ensure_absent(client, module)
    except AnsibleECSError as e:
        where = f"task definition family {params['family']!r}"
        if e.exception is not None:
            module.fail_json_aws(e.exception, msg=f"{e.message} ({where})")
        module.fail_json(msg=f"{e.message} ({where})")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
