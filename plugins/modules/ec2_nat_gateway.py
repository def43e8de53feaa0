#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_nat_gateway
short_description: Kill-safe NAT gateway together with its Elastic IP
version_added: 0.1.0
description:
  - Ensures exactly one NAT gateway named O(name) in a subnet, with exactly one Elastic IP
    allocated for it, or removes both.
  - Unlike M(amazon.aws.ec2_vpc_nat_gateway), the Elastic IP is allocated with its tags in
    the same call and found again by its C(Name) tag whether or not it is associated yet,
    and the NAT gateway is created with a deterministic client token and its tags in the
    same call. A run killed between any two calls leaves tagged resources that the next
    run finds and reuses, so a re-run never creates a second NAT gateway or Elastic IP.
  - A NAT gateway still C(pending) is awaited, never created again.
  - An untagged NAT gateway already in the subnet (made by hand or by another tool) is
    adopted, tagged and reported with RV(adopted=true).
  - More than one NAT gateway or Elastic IP carrying O(name) (duplicates left by an earlier
    tool) converge to one; the extra ones are removed and listed in RV(duplicates_removed).
author:
  - payments.infra maintainers
options:
  state:
    description: Whether the NAT gateway and its Elastic IP should exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Value of the C(Name) tag that identifies the NAT gateway.
      - The Elastic IP carries the C(Name) tag O(eip_name).
    type: str
    required: true
  eip_name:
    description: Value of the C(Name) tag of the Elastic IP. Defaults to O(name) with C(-eip) appended.
    type: str
  subnet_id:
    description:
      - The public subnet the NAT gateway lives in.
      - Required when O(state=present).
    type: str
  connectivity_type:
    description: C(public) NAT gateways get an Elastic IP; C(private) ones do not.
    type: str
    choices: [public, private]
    default: public
  wait:
    description: Wait until the NAT gateway is C(available) (or deleted, with O(state=absent)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait before giving up.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One NAT gateway per availability zone
  payments.infra.ec2_nat_gateway:
    name: "payment-nat-dev-{{ item.az }}"
    subnet_id: "{{ item.subnet_id }}"
    tags:
      Environment: dev
      Project: payment-api
  loop: "{{ public_subnets }}"

- name: Remove the NAT gateway and release its Elastic IP
  payments.infra.ec2_nat_gateway:
    name: payment-nat-dev-us-east-1a
    state: absent
"""

RETURN = r"""
nat_gateway:
  description:
    - The NAT gateway. Empty when O(state=absent).
    - In check mode, what the NAT gateway would be; ids that do not exist yet are null.
  returned: always
  type: dict
  contains:
    nat_gateway_id:
      description: NAT gateway id.
      type: str
      sample: nat-0123456789abcdef0
    subnet_id:
      description: Subnet of the NAT gateway.
      type: str
    vpc_id:
      description: VPC of the NAT gateway.
      type: str
    state:
      description: NAT gateway state.
      type: str
      sample: available
    allocation_id:
      description: Allocation id of its Elastic IP.
      type: str
    public_ip:
      description: Public address of its Elastic IP.
      type: str
    private_ip:
      description: Private address of the NAT gateway in its subnet.
      type: str
    tags:
      description: Tags of the NAT gateway.
      type: dict
eip:
  description: The Elastic IP of the NAT gateway.
  returned: when O(connectivity_type=public) and O(state=present)
  type: dict
  contains:
    allocation_id:
      description: Allocation id.
      type: str
    public_ip:
      description: Public address.
      type: str
adopted:
  description: True when an untagged NAT gateway found in the subnet was taken over.
  returned: always
  type: bool
duplicates_removed:
  description: Ids of extra NAT gateways and Elastic IPs carrying the same name that were removed.
  returned: always
  type: list
  elements: str
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import add_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import allocate_address
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import create_nat_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import delete_nat_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_addresses
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_nat_gateways
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import release_address
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import remove_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.waiters import get_waiter

from ansible_collections.payments.infra.plugins.module_utils.common import client_token
from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff

LIVE_STATES = ["pending", "available"]


def _tags(resource):
    return boto3_tag_list_to_ansible_dict(resource.get("Tags", []))


def _by_name(name):
    return [{"Name": "tag:Name", "Values": [name]}]


def find_nat_gateways(client, name, subnet_id):
    """NAT gateways carrying our name; else untagged live ones in the subnet (to adopt)."""
    named = describe_nat_gateways(client, Filters=_by_name(name) + [{"Name": "state", "Values": LIVE_STATES}])
    if named or not subnet_id:
        return named, False
    in_subnet = describe_nat_gateways(
        client, Filters=[{"Name": "subnet-id", "Values": [subnet_id]}, {"Name": "state", "Values": LIVE_STATES}]
    )
    orphans = [gw for gw in in_subnet if "Name" not in _tags(gw)]
    return orphans[:1], bool(orphans)


def pick_one(gateways):
    """Keep the available (then oldest) gateway; the rest are duplicates."""
    ordered = sorted(gateways, key=lambda gw: (gw["State"] != "available", gw.get("CreateTime") or 0))
    return ordered[0], ordered[1:]


def nat_summary(gateway):
    if not gateway:
        return {}
    address = (gateway.get("NatGatewayAddresses") or [{}])[0]
    return {
        "nat_gateway_id": gateway.get("NatGatewayId"),
        "subnet_id": gateway.get("SubnetId"),
        "vpc_id": gateway.get("VpcId"),
        "state": gateway.get("State"),
        "allocation_id": address.get("AllocationId"),
        "public_ip": address.get("PublicIp"),
        "private_ip": address.get("PrivateIp"),
        "tags": _tags(gateway),
    }


def converge_tags(client, module, resource_id, current, wanted, purge_tags):
    """Tags from the describe call we already made; no extra DescribeTags round trip."""
    final, to_set, to_unset = desired_tags(current, wanted, purge_tags)
    changed = remove_ec2_tags(client, module, resource_id, to_unset)
    changed |= add_ec2_tags(client, module, resource_id, to_set)
    return changed, final


def wait_for(client, module, waiter_name, nat_gateway_id):
    delay = 5 if waiter_name == "nat_gateway_available" else 10
    try:
        get_waiter(client, waiter_name).wait(
            NatGatewayIds=[nat_gateway_id],
            WaiterConfig={"Delay": delay, "MaxAttempts": max(1, module.params["wait_timeout"] // delay)},
        )
    except botocore.exceptions.WaiterError as e:
        module.fail_json_aws(e, msg=f"NAT gateway {nat_gateway_id} did not reach the expected state ({waiter_name})")


def refresh(client, nat_gateway_id):
    found = describe_nat_gateways(client, NatGatewayIds=[nat_gateway_id])
    return found[0] if found else {}


def ensure_eip(client, module, eip_name, tags, purge_tags, in_use_allocation, result):
    """Exactly one Elastic IP named eip_name; returns it (or a planned one in check mode)."""
    addresses = describe_addresses(client, Filters=_by_name(eip_name) + [{"Name": "domain", "Values": ["vpc"]}])
    if in_use_allocation:
        # The NAT gateway's own address wins; other addresses with our name are leftovers.
        keep = [a for a in addresses if a["AllocationId"] == in_use_allocation]
        if not keep:
            keep = describe_addresses(client, AllocationIds=[in_use_allocation])
    else:
        keep = sorted(addresses, key=lambda a: bool(a.get("AssociationId")), reverse=True)[:1]
    keep_id = keep[0]["AllocationId"] if keep else None
    for extra in addresses:
        if extra["AllocationId"] != keep_id and not extra.get("AssociationId"):
            result["duplicates_removed"].append(extra["AllocationId"])
            result["changed"] = True
            if not module.check_mode:
                release_address(client, extra["AllocationId"])
    if keep:
        address = keep[0]
        changed, _ = converge_tags(client, module, address["AllocationId"], _tags(address), tags, purge_tags)
        result["changed"] |= changed
        return address
    result["changed"] = True
    if module.check_mode:
        return {}
    return allocate_address(
        client, Domain="vpc", TagSpecifications=boto3_tag_specifications(tags or {}, types="elastic-ip")
    )


def ensure_present(client, module):
    params = module.params
    name, subnet_id = params["name"], params["subnet_id"]
    eip_name = params["eip_name"] or f"{name}-eip"
    # The Name tag is the identity and always enforced; other tags follow tags/purge_tags.
    tags = params["tags"]
    purge_tags = params["purge_tags"] and tags is not None
    nat_tags = dict(tags or {}, Name=name)
    eip_tags = dict(tags or {}, Name=eip_name)
    result = {"changed": False, "adopted": False, "duplicates_removed": []}

    gateways, adopted = find_nat_gateways(client, name, subnet_id)
    gateway, duplicates = pick_one(gateways) if gateways else ({}, [])
    before = nat_summary(gateway)

    if gateway and gateway["SubnetId"] != subnet_id:
        module.fail_json(
            msg=(
                f"NAT gateway {gateway['NatGatewayId']} named {name!r} is in subnet {gateway['SubnetId']}, "
                f"not in subnet_id {subnet_id!r}. A NAT gateway cannot move between subnets: delete it "
                f"(state=absent) or give this one another name."
            )
        )
    for extra in duplicates:
        result["duplicates_removed"].append(extra["NatGatewayId"])
        result["changed"] = True
        if not module.check_mode:
            delete_nat_gateway(client, extra["NatGatewayId"])

    address = {}
    if params["connectivity_type"] == "public":
        in_use = nat_summary(gateway).get("allocation_id") if gateway else None
        address = ensure_eip(client, module, eip_name, eip_tags, purge_tags, in_use, result)

    if gateway:
        if adopted:
            result["adopted"] = True
        changed, final_tags = converge_tags(
            client, module, gateway["NatGatewayId"], _tags(gateway), nat_tags, purge_tags
        )
        result["changed"] |= changed
        if gateway["State"] == "pending" and params["wait"] and not module.check_mode:
            wait_for(client, module, "nat_gateway_available", gateway["NatGatewayId"])
        after = dict(before, tags=final_tags)
        if not module.check_mode:
            gateway = refresh(client, gateway["NatGatewayId"]) or gateway
            after = nat_summary(gateway)
    else:
        result["changed"] = True
        after = {
            "subnet_id": subnet_id,
            "state": "available",
            "allocation_id": address.get("AllocationId"),
            "public_ip": address.get("PublicIp"),
            "tags": nat_tags,
        }
        if not module.check_mode:
            create = {
                "SubnetId": subnet_id,
                "ConnectivityType": params["connectivity_type"],
                "ClientToken": client_token("nat", name, subnet_id, address.get("AllocationId")),
                "TagSpecifications": boto3_tag_specifications(nat_tags, types="natgateway"),
            }
            if address:
                create["AllocationId"] = address["AllocationId"]
            gateway = create_nat_gateway(client, **create)
            if params["wait"]:
                wait_for(client, module, "nat_gateway_available", gateway["NatGatewayId"])
            gateway = refresh(client, gateway["NatGatewayId"]) or gateway
            after = nat_summary(gateway)

    result["nat_gateway"] = after
    if address:
        result["eip"] = {"allocation_id": address.get("AllocationId"), "public_ip": address.get("PublicIp")}
    if module._diff and result["changed"]:
        result["diff"] = make_diff(before, after)
    return result


def ensure_absent(client, module):
    params = module.params
    name = params["name"]
    eip_name = params["eip_name"] or f"{name}-eip"
    result = {"changed": False, "adopted": False, "duplicates_removed": [], "nat_gateway": {}}
    gateways = describe_nat_gateways(
        client, Filters=_by_name(name) + [{"Name": "state", "Values": LIVE_STATES + ["deleting"]}]
    )
    before = nat_summary(gateways[0]) if gateways else {}
    for gateway in gateways:
        if gateway["State"] != "deleting":
            result["changed"] = True
            if not module.check_mode:
                delete_nat_gateway(client, gateway["NatGatewayId"])
    if not module.check_mode and params["wait"]:
        for gateway in gateways:
            wait_for(client, module, "nat_gateway_deleted", gateway["NatGatewayId"])
    addresses = describe_addresses(client, Filters=_by_name(eip_name) + [{"Name": "domain", "Values": ["vpc"]}])
    for address in addresses:
        result["changed"] = True
        if module.check_mode:
            continue
        if address.get("AssociationId") and not params["wait"]:
            module.warn(f"Elastic IP {address['AllocationId']} is still associated; re-run with wait=true")
            continue
        try:
            release_address(client, address["AllocationId"])
        except AnsibleEC2Error as e:
            if not is_boto3_error_code("InvalidAllocationID.NotFound", e=e.exception):
                raise
    if module._diff and result["changed"]:
        result["diff"] = make_diff(before, {})
    return result


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str", required=True),
        eip_name=dict(type="str"),
        subnet_id=dict(type="str"),
        connectivity_type=dict(type="str", choices=["public", "private"], default="public"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["subnet_id"])],
        supports_check_mode=True,
    )
    client = module.client("ec2")
    try:
        if module.params["state"] == "present":
            result = ensure_present(client, module)
        else:
            result = ensure_absent(client, module)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
