import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.network import cidr_subnet


@pytest.mark.parametrize(
    ("prefix", "newbits", "netnum", "expected"),
    [
        ("10.10.0.0/16", 8, 0, "10.10.0.0/24"),
        ("10.10.0.0/16", 8, 21, "10.10.21.0/24"),
        ("10.10.0.0/16", 4, 1, "10.10.16.0/20"),
        ("172.16.0.0/12", 4, 15, "172.31.0.0/16"),
    ],
)
def test_matches_terraform_cidrsubnet(prefix, newbits, netnum, expected):
    assert cidr_subnet(prefix, newbits, netnum) == expected


@pytest.mark.parametrize(
    ("prefix", "newbits", "netnum", "message"),
    [
        ("10.10.0.1/16", 8, 0, "not a network"),
        ("10.10.0.0/16", 8, 256, "outside 0..255"),
        ("10.10.0.0/16", 20, 0, "cannot add 20 bits"),
    ],
)
def test_rejects_bad_input(prefix, newbits, netnum, message):
    with pytest.raises(AnsibleFilterError, match=message):
        cidr_subnet(prefix, newbits, netnum)
