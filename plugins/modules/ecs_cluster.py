#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_cluster
short_description: Create, update or delete one ECS cluster with Container Insights, capacity providers and tags
version_added: 0.1.0
description:
  - Ensures an Amazon ECS cluster named O(name) exists with the given Container Insights setting, capacity
    providers, default capacity provider strategy and tags, or deletes it.
  - The cluster is found by name. A missing cluster, or a deleted one that ECS still reports as C(INACTIVE), is
    created with its settings, capacity providers, strategy and tags in the one C(CreateCluster) call.
  - An existing cluster is converged in place; Container Insights with C(UpdateClusterSettings), capacity
    providers and the default strategy with C(PutClusterCapacityProviders), tags with C(TagResource) and
    C(UntagResource).
  - Unlike M(community.aws.ecs_cluster), the cluster is tagged and its Container Insights setting is managed.
  - Options are validated before any API call (strategy weights and bases, providers of the strategy missing from
    O(capacity_providers), duplicates).
author:
  - payments.infra maintainers
options:
  name:
    description:
      - The name of the cluster, for example V(payments-dev). 1 to 255 letters, digits, hyphens and underscores.
    type: str
    required: true
  state:
    description:
      - Whether the cluster should exist.
      - V(absent) refuses to delete a cluster that still has services (C(ACTIVE) or C(DRAINING)) and fails naming
        them; delete them first (M(payments.infra.ecs_service) with O(state=absent)). A cluster that does not
        exist, or is C(INACTIVE), is not a change.
    type: str
    choices: [present, absent]
    default: present
  container_insights:
    description:
      - CloudWatch Container Insights for the cluster. V(enhanced) is Container Insights with enhanced
        observability (task and container level metrics).
    type: str
    choices: [enabled, disabled, enhanced]
    default: enabled
  capacity_providers:
    description:
      - The capacity providers of the cluster, as the complete list (V([]) removes all). Order does not matter.
      - Capacity providers still used by a service cannot be removed; ECS refuses it.
    type: list
    elements: str
    default: [FARGATE, FARGATE_SPOT]
  default_capacity_provider_strategy:
    description:
      - The strategy of services and tasks started without a launch type or strategy of their own, as the complete
        list. Order does not matter. Every provider must be in O(capacity_providers).
      - At least one entry needs a weight above 0, and at most one entry may have a base.
    type: list
    elements: dict
    default: [{capacity_provider: FARGATE, weight: 1, base: 0}]
    suboptions:
      capacity_provider:
        description: The capacity provider, for example V(FARGATE) or V(FARGATE_SPOT).
        type: str
        required: true
      weight:
        description: The relative share of tasks placed with this provider, 0 to 1000.
        type: int
        default: 1
      base:
        description: The number of tasks placed with this provider first, 0 to 100000.
        type: int
        default: 0
notes:
  - Check mode is supported; RV(changed) and the diff report what would be done and no write API is called.
  - RV(diff) is always returned and holds the compared settings and tags before and after.
  - The cluster's execute command configuration, service connect defaults and managed storage configuration are
    not managed by this module.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The dev cluster (Fargate and Fargate Spot, Container Insights on)
  payments.infra.ecs_cluster:
    name: payments-dev
    tags:
      Environment: dev
      Project: payment-api
  register: cluster

- name: Production with enhanced Container Insights and two Fargate tasks as a base before Spot
  payments.infra.ecs_cluster:
    name: payments-prod
    container_insights: enhanced
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
        base: 2
      - capacity_provider: FARGATE_SPOT
        weight: 3
    tags:
      Environment: prod

- name: Delete the scratch cluster (fails naming its services while it still has some)
  payments.infra.ecs_cluster:
    name: payments-scratch
    state: absent
"""

RETURN = r"""
cluster:
  description:
    - The cluster after the run (in check mode, as it would be). Empty when O(state=absent).
    - In check mode, identifiers of a cluster still to be created are null.
  returned: always
  type: dict
  contains:
    cluster_name:
      description: The name of the cluster.
      type: str
      sample: payments-dev
    cluster_arn:
      description: The ARN of the cluster.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:cluster/payments-dev
    status:
      description: C(ACTIVE), or C(PROVISIONING) while ECS sets up capacity providers.
      type: str
      sample: ACTIVE
    container_insights:
      description: The Container Insights setting (C(disabled) when the cluster reports none).
      type: str
      sample: enabled
    settings:
      description: The cluster settings as ECS reports them.
      type: list
      elements: dict
      sample: [{"name": "containerInsights", "value": "enabled"}]
    capacity_providers:
      description: The capacity providers of the cluster.
      type: list
      elements: str
      sample: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      description: The default capacity provider strategy.
      type: list
      elements: dict
      contains:
        capacity_provider:
          description: The capacity provider.
          type: str
        weight:
          description: Its weight.
          type: int
        base:
          description: Its base.
          type: int
      sample: [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]
    active_services_count:
      description: The number of services in the cluster (as ECS counts them).
      type: int
    running_tasks_count:
      description: The number of running tasks.
      type: int
    pending_tasks_count:
      description: The number of pending tasks.
      type: int
    registered_container_instances_count:
      description: The number of registered container instances (0 with Fargate only).
      type: int
    tags:
      description: The tags of the cluster.
      type: dict
      sample: {"Environment": "dev"}
created:
  description: True when this run created the cluster (in check mode, would create it), including re-creating an
    C(INACTIVE) one.
  returned: always
  type: bool
diff:
  description: The compared settings (named like the options) and tags before and after the run.
  returned: always
  type: dict
  contains:
    before:
      description: The settings before (empty for a cluster to be created).
      type: dict
    after:
      description: The settings after (empty for a cluster to be deleted).
      type: dict
"""

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import error_code
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.ecs import CONTAINER_INSIGHTS
from ansible_collections.payments.infra.plugins.module_utils.ecs import AnsibleECSError
from ansible_collections.payments.infra.plugins.module_utils.ecs import ECSValidationError
from ansible_collections.payments.infra.plugins.module_utils.ecs import cluster_settings_view
from ansible_collections.payments.infra.plugins.module_utils.ecs import cluster_view
from ansible_collections.payments.infra.plugins.module_utils.ecs import comparable_strategy
from ansible_collections.payments.infra.plugins.module_utils.ecs import container_insights_of
from ansible_collections.payments.infra.plugins.module_utils.ecs import create_cluster
from ansible_collections.payments.infra.plugins.module_utils.ecs import delete_cluster
from ansible_collections.payments.infra.plugins.module_utils.ecs import describe_cluster
from ansible_collections.payments.infra.plugins.module_utils.ecs import live_services
from ansible_collections.payments.infra.plugins.module_utils.ecs import put_cluster_capacity_providers
from ansible_collections.payments.infra.plugins.module_utils.ecs import strategy_request
from ansible_collections.payments.infra.plugins.module_utils.ecs import tag_list
from ansible_collections.payments.infra.plugins.module_utils.ecs import tag_resource
from ansible_collections.payments.infra.plugins.module_utils.ecs import tags_dict
from ansible_collections.payments.infra.plugins.module_utils.ecs import untag_resource
from ansible_collections.payments.infra.plugins.module_utils.ecs import update_cluster_settings
from ansible_collections.payments.infra.plugins.module_utils.ecs import validate_cluster_params


def _wanted_tags(params):
    return {to_text(k): to_text(v) for k, v in (params["tags"] or {}).items()}


def _settings(params):
    return [{"name": CONTAINER_INSIGHTS, "value": params["container_insights"]}]


def create_request(params):
    request = {
        "clusterName": params["name"],
        "settings": _settings(params),
        "capacityProviders": list(params["capacity_providers"]),
        "defaultCapacityProviderStrategy": strategy_request(params["default_capacity_provider_strategy"]),
    }
    tags = _wanted_tags(params)
    if tags:
        request["tags"] = tag_list(tags)
    return request


def planned_cluster(params):
    """The DescribeClusters entry CreateCluster should produce (for check mode)."""
    request = create_request(params)
    return {
        "clusterName": params["name"],
        "clusterArn": None,
        "status": "ACTIVE",
        "settings": request["settings"],
        "capacityProviders": request["capacityProviders"],
        "defaultCapacityProviderStrategy": request["defaultCapacityProviderStrategy"],
        "activeServicesCount": 0,
        "runningTasksCount": 0,
        "pendingTasksCount": 0,
        "registeredContainerInstancesCount": 0,
    }


def create(client, module, result):
    params = module.params
    tags = _wanted_tags(params)
    cluster = planned_cluster(params) if module.check_mode else create_cluster(client, **create_request(params))
    result.update(
        changed=True,
        created=True,
        cluster=cluster_view(cluster, tags),
        diff=make_diff({}, cluster_settings_view(cluster, tags)),
    )
    return result


def ensure_present(client, module, cluster):
    params = module.params
    result = {"changed": False, "created": False}
    if cluster is None or cluster.get("status") == "INACTIVE":
        return create(client, module, result)

    name, arn = params["name"], cluster["clusterArn"]
    current_tags = tags_dict(cluster.get("tags"))
    final_tags, to_set, to_unset = desired_tags(current_tags, params["tags"], params["purge_tags"])
    before = cluster_settings_view(cluster, current_tags)
    after_cluster = dict(cluster)

    if container_insights_of(cluster) != params["container_insights"]:
        result["changed"] = True
        after_cluster["settings"] = [
            s for s in cluster.get("settings") or [] if s.get("name") != CONTAINER_INSIGHTS
        ] + _settings(params)
        if not module.check_mode:
            update_cluster_settings(client, name, _settings(params))

    wanted_strategy = strategy_request(params["default_capacity_provider_strategy"])
    providers_differ = set(cluster.get("capacityProviders") or []) != set(params["capacity_providers"])
    strategy_differs = comparable_strategy(cluster.get("defaultCapacityProviderStrategy")) != comparable_strategy(
        wanted_strategy
    )
    if providers_differ or strategy_differs:
        result["changed"] = True
        after_cluster["capacityProviders"] = list(params["capacity_providers"])
        after_cluster["defaultCapacityProviderStrategy"] = wanted_strategy
        if not module.check_mode:
            try:
                put_cluster_capacity_providers(client, name, list(params["capacity_providers"]), wanted_strategy)
            except AnsibleECSError as e:
                if error_code(e) not in ("ResourceInUseException", "InvalidParameterException", "ClientException"):
                    raise
                module.fail_json(
                    msg=(
                        f"ECS refused to set the capacity providers of cluster {name!r} to "
                        f"{', '.join(params['capacity_providers']) or 'none'}: {e.exception}. A capacity provider "
                        "that a service still uses cannot be removed: change or delete those services first."
                    ),
                    cluster=cluster_view(cluster, current_tags),
                    changed=result["changed"],
                )

    if to_set or to_unset:
        result["changed"] = True
        if not module.check_mode:
            untag_resource(client, arn, to_unset)
            tag_resource(client, arn, to_set)

    if result["changed"] and not module.check_mode:
        after_cluster = describe_cluster(client, name) or after_cluster
    result.update(
        cluster=cluster_view(after_cluster, final_tags),
        diff=make_diff(before, cluster_settings_view(after_cluster, final_tags)),
    )
    return result


def _services_message(name, services):
    listed = ", ".join(f"{s.get('serviceName')} ({s.get('status')})" for s in services)
    return (
        f"ECS cluster {name!r} still has {len(services)} service(s): {listed}; it was not deleted. Delete them first "
        "(payments.infra.ecs_service with state=absent scales each to 0 and deletes it), then run again."
    )


def ensure_absent(client, module, cluster):
    name = module.params["name"]
    result = {"changed": False, "created": False, "cluster": {}}
    if cluster is None or cluster.get("status") == "INACTIVE":
        result["diff"] = make_diff({}, {})
        return result
    current_tags = tags_dict(cluster.get("tags"))
    result["diff"] = make_diff(cluster_settings_view(cluster, current_tags), {})
    services = live_services(client, name)
    if services:
        module.fail_json(msg=_services_message(name, services), cluster=cluster_view(cluster, current_tags))
    result["changed"] = True
    if module.check_mode:
        return result
    try:
        if delete_cluster(client, name) is False:
            result["changed"] = False
    except AnsibleECSError as e:
        code = error_code(e)
        if code == "ClusterContainsServicesException":
            # A service was created after we looked.
            module.fail_json(
                msg=_services_message(name, live_services(client, name)), cluster=cluster_view(cluster, current_tags)
            )
        if code in ("ClusterContainsTasksException", "ClusterContainsContainerInstancesException"):
            what = "tasks" if code == "ClusterContainsTasksException" else "registered container instances"
            module.fail_json(
                msg=(
                    f"ECS cluster {name!r} still has {what} ({e.exception}); it was not deleted. Stop the tasks "
                    "(or deregister the container instances) first, then run again."
                ),
                cluster=cluster_view(cluster, current_tags),
            )
        raise
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"], default="enabled"),
        capacity_providers=dict(type="list", elements="str", default=["FARGATE", "FARGATE_SPOT"]),
        default_capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            default=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=1),
                base=dict(type="int", default=0),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        validate_cluster_params(params)
    except ECSValidationError as e:
        module.fail_json(msg=str(e))

    client = module.client("ecs")
    try:
        cluster = describe_cluster(client, params["name"])
        if params["state"] == "present":
            result = ensure_present(client, module, cluster)
        else:
            result = ensure_absent(client, module, cluster)
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
