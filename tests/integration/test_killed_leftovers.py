"""What a run killed between two calls of a stock module leaves behind, taken back by the next run.

The kill-safety chain (test_kill_safety.py) lands its kills at random; these are the two windows between two
calls of a stock module, planted on purpose: an internet gateway created but not attached
(amazon.aws.ec2_vpc_igw creates, then attaches) and a certificate imported but not tagged
(community.aws.acm_certificate imports, then tags).
"""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.testing import self_signed

pytestmark = pytest.mark.integration

DOMAIN = "api.dev.payment.internal"
KEY_TYPES = ["RSA_2048", "EC_prime256v1", "EC_secp384r1"]


def certificates(acm):
    found = acm.list_certificates(Includes={"keyTypes": KEY_TYPES})["CertificateSummaryList"]
    return sorted(c["CertificateArn"] for c in found if c["DomainName"] == DOMAIN)


def test_a_detached_gateway_and_an_untagged_certificate_are_taken_back(provisioned, emulator, ansible, aws):
    ec2, acm = aws("ec2"), aws("acm")
    by_name = [{"Name": "tag:Name", "Values": ["payment-igw-dev"]}]
    [igw] = ec2.describe_internet_gateways(Filters=by_name)["InternetGateways"]
    vpc_id = igw["Attachments"][0]["VpcId"]
    ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc_id)
    [ours] = certificates(acm)
    body, key = self_signed(DOMAIN, ec.generate_private_key(ec.SECP384R1()))  # what the role generates
    orphan = acm.import_certificate(Certificate=body, PrivateKey=key)["CertificateArn"]

    run = ansible("site.yml", "dev")
    assert run.rc == 0, run.messages()
    gateways = ec2.describe_internet_gateways(Filters=by_name)["InternetGateways"]
    assert [(g["InternetGatewayId"], [a["VpcId"] for a in g["Attachments"]]) for g in gateways] == [
        (igw["InternetGatewayId"], [vpc_id])
    ]
    assert certificates(acm) == [ours], f"the untagged copy {orphan} is still there"
    assert sorted(run.changed_tasks()) == sorted(
        [
            "Internet gateway (a detached one of ours attached, rather than a second one created)",
            "Delete those untagged, unused copies",
        ]
    )
