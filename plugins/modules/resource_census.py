#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: resource_census
short_description: List the resources of the types payments.infra makes that are named or tagged as ours, in one region
version_added: 0.1.0
description:
  - Read-only - never changes anything and always returns RV(changed=false).
  - Lists, in one region, every resource of the types this project makes whose name starts with
    O(name_prefix) B(or) that carries the tag O(tag_key)=O(tag_value) (by default C(ManagedBy=payments.infra)).
  - "The types: VPCs, subnets, internet gateways, NAT gateways (not deleted or failed), Elastic IPs, route tables,
    security groups (not C(default)), VPC flow logs, ELBv2 load balancers, target groups, RDS DB instances,
    DB parameter groups (not RDS's C(default.*)), DB subnet groups (not C(default)), Secrets Manager secrets,
    ECS clusters and services (active), ACM certificates, S3 buckets, ECR repositories, CloudWatch log groups,
    CloudWatch alarms, SNS topics and IAM roles (not service-linked)."
  - The name of a resource is its API name where it has one (security group name, load balancer name, DB
    identifier, bucket name, log group name, ...), else its C(Name) tag (VPCs, subnets, gateways, Elastic IPs,
    route tables, flow logs; ACM certificates fall back to their domain name). A leading C(/) of the name is
    ignored when it is compared to O(name_prefix), so the log group C(/payment/dev/app) matches C(payment).
  - S3 buckets and IAM roles are account-wide; they are listed whatever the region (a bucket with its own
    region in RV(resources[].region), a role with region null).
  - With O(desired_environments), also returns RV(findings) for an audit - resources tagged with an
    environment that is not desired, and resources named like ours without our tag.
  - The listing is in C(plugins/module_utils/census.py), one row per type in the table C(KINDS) read by
    one generic lister (C(LISTERS) holds it per type), for other modules and preflight checks to reuse.
author:
  - payments.infra maintainers
options:
  name_prefix:
    description:
      - Keep the resources whose name starts with this prefix, for example V(payment). Matched as a plain
        string prefix (V(payment) also matches C(payments-x)).
      - Omit it to find resources by tag only.
    type: str
  tag_key:
    description:
      - The key of the tag that marks a resource as managed by this project. Resources carrying
        O(tag_key)=O(tag_value) are kept whatever their name, and reported with RV(resources[].managed=true).
    type: str
    default: ManagedBy
  tag_value:
    description:
      - The value of O(tag_key) that marks a resource as managed by this project.
    type: str
    default: payments.infra
  types:
    description:
      - Restrict the census to these resource types. Default every type.
    type: list
    elements: str
    choices:
      - vpc
      - subnet
      - internet_gateway
      - nat_gateway
      - elastic_ip
      - route_table
      - security_group
      - flow_log
      - load_balancer
      - target_group
      - db_instance
      - db_parameter_group
      - db_subnet_group
      - secret
      - ecs_cluster
      - ecs_service
      - acm_certificate
      - s3_bucket
      - ecr_repository
      - log_group
      - alarm
      - sns_topic
      - iam_role
  desired_environments:
    description:
      - The environments that should exist, for example V([dev, staging, prod]). When given, RV(findings) lists
        every resource found whose C(Environment) tag is not one of them (C(environment_not_desired)) and every
        resource named with O(name_prefix) that lacks O(tag_key)=O(tag_value) (C(unmanaged_lookalike)).
      - An empty list makes every resource tagged with an environment a finding.
    type: list
    elements: str
notes:
  - Check mode is supported; the module never writes.
  - "Permissions: the C(Describe*)/C(List*) calls of EC2, ELBv2, RDS, Secrets Manager, ECS, ACM, ECR, CloudWatch
    Logs, CloudWatch and SNS, C(s3:ListAllMyBuckets), C(s3:GetBucketTagging), C(s3:GetBucketLocation),
    C(iam:ListRoles) and C(iam:ListRoleTags)."
  - Tags are read with one call per resource where the listing call does not return them (RDS groups, ACM,
    S3, ECR, log groups, alarms, SNS topics, IAM roles); every call is retried on throttling.
  - A resource deleted while the census runs is left out.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Everything named payment* or tagged ManagedBy=payments.infra in the region
  payments.infra.resource_census:
    name_prefix: payment
  register: census

- name: Only the network, found by tag
  payments.infra.resource_census:
    types: [vpc, subnet, nat_gateway, elastic_ip]
  register: network_census

- name: Audit - what is tagged with an environment we do not want, and lookalikes we do not manage
  payments.infra.resource_census:
    name_prefix: payment
    desired_environments: [dev, staging, prod]
  register: audit

- name: Fail a pipeline on any finding
  ansible.builtin.assert:
    that: audit.findings | length == 0
    fail_msg: "{{ audit.findings | map(attribute='name') | join(', ') }}"

- name: Preflight - is there already a VPC named like the one we are about to create?
  payments.infra.resource_census:
    name_prefix: payment-vpc-dev
    types: [vpc]
  register: existing_vpc
"""

RETURN = r"""
resources:
  description: The resources found, sorted by type (in the order of O(types)' choices), name and id.
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: The resource type, one of the choices of O(types).
      type: str
      sample: vpc
    id:
      description:
        - The identifier of the resource - the EC2 ID, the ARN (load balancers, target groups, secrets, ECS
          clusters and services, ACM certificates, SNS topics) or the name (RDS resources, buckets, ECR
          repositories, log groups, alarms, IAM roles).
      type: str
      sample: vpc-0a1b2c3d4e5f67890
    name:
      description: The name of the resource (see the description); null when it has none.
      type: str
      sample: payment-vpc-dev
    arn:
      description: The ARN of the resource when the API returns one (null for most EC2 resources).
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:db:payment-db-dev
    region:
      description: The region of the resource; the bucket's region for S3 buckets, null for IAM roles (global).
      type: str
      sample: us-east-1
    tags:
      description: The tags of the resource.
      type: dict
      sample: {"Name": "payment-vpc-dev", "Project": "payment-api", "Environment": "dev", "ManagedBy": "payments.infra"}
    environment:
      description: The value of the C(Environment) tag; null without one.
      type: str
      sample: dev
    environment_from:
      description:
        - V(tag) when RV(resources[].environment) is the C(Environment) tag, null when there is none.
      type: str
      sample: tag
    managed:
      description: Whether the resource carries O(tag_key)=O(tag_value).
      type: bool
      sample: true
    matched_by:
      description: Why it was kept - V(name) (matches O(name_prefix)) and/or V(tag) (carries the tag).
      type: list
      elements: str
      sample: ["name", "tag"]
    attributes:
      description:
        - A few attributes used to decide adoption - C(cidr_block) for a VPC, C(engine) and C(engine_version)
          for a DB instance; empty for the other types.
      type: dict
      sample: {"cidr_block": "10.10.0.0/16"}
counts:
  description: The number of resources found per type (types with none are left out).
  returned: always
  type: dict
  sample: {"vpc": 3, "subnet": 18}
by_environment:
  description: The number of resources found per C(Environment) tag value; V(none) counts those without one.
  returned: always
  type: dict
  sample: {"dev": 40, "none": 2}
findings:
  description:
    - With O(desired_environments), one entry per resource and kind of finding; empty without it.
  returned: always
  type: list
  elements: dict
  contains:
    finding:
      description: V(environment_not_desired) or V(unmanaged_lookalike).
      type: str
      sample: environment_not_desired
    reason:
      description: Why it is a finding, in words.
      type: str
      sample: tagged Environment=qa, not one of dev, prod, staging
    type:
      description: The resource type.
      type: str
      sample: vpc
    id:
      description: The identifier of the resource.
      type: str
      sample: vpc-0a1b2c3d4e5f67890
    name:
      description: The name of the resource; null when it has none.
      type: str
      sample: payment-vpc-qa
    arn:
      description: The ARN of the resource, when the API returns one.
      type: str
      sample: null
    region:
      description: The region of the resource.
      type: str
      sample: us-east-1
    environment:
      description: The C(Environment) tag; null without one.
      type: str
      sample: qa
    environment_from:
      description: V(tag), as RV(resources[].environment_from).
      type: str
      sample: tag
    managed:
      description: Whether the resource carries O(tag_key)=O(tag_value).
      type: bool
      sample: true
    tags:
      description: The tags of the resource.
      type: dict
      sample: {"Environment": "qa", "ManagedBy": "payments.infra"}
"""


from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.census import TYPES
from ansible_collections.payments.infra.plugins.module_utils.census import census
from ansible_collections.payments.infra.plugins.module_utils.census import count_by_environment
from ansible_collections.payments.infra.plugins.module_utils.census import count_by_type
from ansible_collections.payments.infra.plugins.module_utils.census import findings


def main():
    argument_spec = dict(
        name_prefix=dict(type="str"),
        tag_key=dict(type="str", default="ManagedBy", no_log=False),
        tag_value=dict(type="str", default="payments.infra"),
        types=dict(type="list", elements="str", choices=list(TYPES)),
        desired_environments=dict(type="list", elements="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["name_prefix"] is not None and not params["name_prefix"].strip("/ "):
        module.fail_json(msg="name_prefix must not be empty: omit it to find resources by tag only")
    if not params["tag_key"]:
        module.fail_json(msg="tag_key must not be empty")
    types = [t for t in TYPES if t in params["types"]] if params["types"] else list(TYPES)

    try:
        resources = census(
            module.client,
            module.region,
            types=types,
            name_prefix=params["name_prefix"],
            tag_key=params["tag_key"],
            tag_value=params["tag_value"],
        )
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {
        "changed": False,
        "resources": resources,
        "counts": count_by_type(resources),
        "by_environment": count_by_environment(resources),
        "findings": [],
    }
    if params["desired_environments"] is not None:
        result["findings"] = findings(
            resources, params["desired_environments"], params["name_prefix"], params["tag_key"], params["tag_value"]
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
