#!/usr/bin/python
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the payments.infra.plan action (plugins/action/plan.py runs it on the controller)."""

DOCUMENTATION = r"""
module: plan
short_description: State in a plan what a real run would do where check mode cannot look it up
version_added: 1.1.0
description:
  - In check mode a resource that does not exist yet cannot be looked up, nor what depends on it. This action
    states what a real run would do instead, as a changed result with a before/after diff naming each resource,
    so that the plan shows it and the C(payments.infra.plan_summary) callback counts it.
  - >-
    Use it under C(when: ansible_check_mode) and whatever makes the lookup impossible; it changes nothing.
  - Runs on the controller as an action plugin.
author: payments.infra contributors
options:
  action:
    description: What a real run would do to the resources.
    type: str
    required: true
    choices: [create, change, replace, destroy]
  resources:
    description: The resources, one name each.
    type: list
    elements: str
    required: true
  msg:
    description: What the plan says; by default the action and the resources.
    type: str
  before:
    description:
      - What the resources are now, for the diff (by default their names, or nothing for a creation).
      - For a C(change) whose two sides are dicts of fields, only the fields that differ are kept on each side;
        when none differs nothing is planned (the result is not changed).
    type: raw
  after:
    description: What they would be, for the diff (by default their names, or nothing for a deletion).
    type: raw
"""

EXAMPLES = r"""
- name: Plan what check mode cannot look up yet
  when: ansible_check_mode and vpc_id | length == 0
  payments.infra.plan:
    action: create
    resources: [payment-vpc-dev, payment-public-dev-us-east-1a]
    msg: The VPC does not exist yet; a real run creates it with its subnets.

- name: Plan the VPC's tags (amazon.aws.ec2_vpc_net reports a change in check mode without a diff)
  when: ansible_check_mode
  payments.infra.plan:
    action: change
    resources: [payment-vpc-dev]
    before: {tags: "{{ vpc.vpc.tags }}", cidr: "{{ vpc.vpc.cidr_block }}"}
    after: {tags: "{{ wanted_tags }}", cidr: 10.10.0.0/16}

- name: Plan a change that a module without check mode would make
  when: ansible_check_mode
  payments.infra.plan:
    action: change
    resources: [payment-logs-dev-123456789012]
    before: {tags: {Environment: dev}}
    after: {tags: {Environment: dev, CostCentre: "42"}}
"""

RETURN = r"""
plan_action:
  description: The action.
  returned: always
  type: str
plan_resources:
  description: The resources.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.payments.infra.plugins.module_utils.plan import PLAN_ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=PLAN_ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="payments.infra.plan runs on the controller as an action plugin")


if __name__ == "__main__":
    main()
