# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address planning filters, standard library only (no netaddr needed)."""

import ipaddress

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: cidr_subnet
short_description: Terraform's cidrsubnet() for Ansible
version_added: 0.1.0
description:
  - Carves subnet number O(netnum) of O(newbits) additional prefix bits out of a CIDR block,
    as Terraform's C(cidrsubnet(prefix, newbits, netnum)) does.
options:
  _input:
    description: The CIDR block to carve from, for example C(10.10.0.0/16).
    type: str
    required: true
  newbits:
    description: Bits to add to the prefix length.
    type: int
    required: true
  netnum:
    description: Which of the 2^newbits subnets to return, from 0.
    type: int
    required: true
"""

EXAMPLES = r"""
public: "{{ '10.10.0.0/16' | payments.infra.cidr_subnet(8, 0) }}"   # 10.10.0.0/24
"""

RETURN = r"""
_value:
  description: The subnet in CIDR notation.
  type: str
"""


def cidr_subnet(prefix, newbits, netnum):
    try:
        network = ipaddress.ip_network(str(prefix), strict=True)
    except ValueError as e:
        raise AnsibleFilterError(f"cidr_subnet: {prefix!r} is not a network in CIDR notation: {e}") from e
    newbits, netnum = int(newbits), int(netnum)
    new_prefix = network.prefixlen + newbits
    if newbits < 0 or new_prefix > network.max_prefixlen:
        raise AnsibleFilterError(f"cidr_subnet: cannot add {newbits} bits to /{network.prefixlen}")
    count = 2**newbits
    if not 0 <= netnum < count:
        raise AnsibleFilterError(
            f"cidr_subnet: netnum {netnum} is outside 0..{count - 1} for {prefix} + {newbits} bits"
        )
    size = 2 ** (network.max_prefixlen - new_prefix)
    first = int(network.network_address) + netnum * size
    return str(ipaddress.ip_network((first, new_prefix)))


class FilterModule:
    def filters(self):
        return {"cidr_subnet": cidr_subnet}
