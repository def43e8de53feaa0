"""acm.* fidelity patches (imported certificates as AWS keeps them) and the emulator.selfsigned tool."""

import datetime
import json
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emulator import selfsigned
from emulator.config import REPO_ROOT
from emulator.testing import RunningEmulator
from emulator.testing import run_local_play
from emulator.testing import self_signed

Pem = tuple[bytes, bytes, bytes]  # certificate, private key, chain


def common_name(cert_pem: bytes) -> str:
    return str(x509.load_pem_x509_certificate(cert_pem).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def unique_name() -> str:
    return f"fidelity-{uuid.uuid4().hex[:10]}.payments.test"


@pytest.fixture
def pem() -> Pem:
    """A fresh server certificate, its key and its CA chain (emulator.selfsigned.issue)."""
    return selfsigned.issue(unique_name())


def import_cert(acm: Any, pem: Pem, **extra: Any) -> str:
    cert, key, chain = pem
    return acm.import_certificate(Certificate=cert, PrivateKey=key, CertificateChain=chain, **extra)["CertificateArn"]


# ---- acm.imported_chain_as_given -------------------------------------------------------------------------------------


def test_get_certificate_returns_body_and_chain_as_imported(aws: Callable[..., Any], pem: Pem) -> None:
    acm = aws("acm")
    arn = import_cert(acm, pem)

    got = acm.get_certificate(CertificateArn=arn)

    assert got["Certificate"] == pem[0].decode()
    assert got["CertificateChain"] == pem[2].decode()


def test_certificate_imported_without_chain_is_its_own_chain(aws: Callable[..., Any]) -> None:
    acm = aws("acm")
    cert, key = self_signed(unique_name())
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]

    got = acm.get_certificate(CertificateArn=arn)

    assert got["Certificate"] == cert.decode()
    assert got["CertificateChain"] == cert.decode()


# ---- acm.reimport_in_place -------------------------------------------------------------------------------------------


def test_reimport_replaces_certificate_and_keeps_arn_and_tags(aws: Callable[..., Any], pem: Pem) -> None:
    acm = aws("acm")
    tags = [{"Key": "Name", "Value": "payments-demo"}, {"Key": "project", "Value": "payments"}]
    arn = import_cert(acm, pem, Tags=tags)
    renewed = selfsigned.issue(unique_name())

    again = import_cert(acm, renewed, CertificateArn=arn)

    assert again == arn
    assert sorted(acm.list_tags_for_certificate(CertificateArn=arn)["Tags"], key=lambda t: t["Key"]) == tags
    got = acm.get_certificate(CertificateArn=arn)
    assert (got["Certificate"], got["CertificateChain"]) == (renewed[0].decode(), renewed[2].decode())
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["DomainName"] == common_name(renewed[0])
    assert (detail["Type"], detail["Status"]) == ("IMPORTED", "ISSUED")


def test_reimport_with_tags_is_refused(aws: Callable[..., Any], pem: Pem) -> None:
    acm = aws("acm")
    arn = import_cert(acm, pem, Tags=[{"Key": "Name", "Value": "payments-demo"}])

    with pytest.raises(ClientError) as refused:
        import_cert(acm, selfsigned.issue(unique_name()), CertificateArn=arn, Tags=[{"Key": "x", "Value": "y"}])

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == "Tagging is not permitted on re-import."
    assert acm.get_certificate(CertificateArn=arn)["Certificate"] == pem[0].decode()


def test_reimport_with_another_key_algorithm_is_refused(aws: Callable[..., Any], pem: Pem) -> None:
    acm = aws("acm")
    arn = import_cert(acm, pem)
    cert, key = self_signed(unique_name(), ec.generate_private_key(ec.SECP256R1()))

    with pytest.raises(ClientError) as refused:
        acm.import_certificate(CertificateArn=arn, Certificate=cert, PrivateKey=key)

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["KeyAlgorithm"] == "RSA_2048"


def test_reimport_of_unknown_arn_is_not_found(aws: Callable[..., Any], pem: Pem) -> None:
    acm = aws("acm")
    arn = import_cert(acm, pem)
    acm.delete_certificate(CertificateArn=arn)

    with pytest.raises(ClientError) as missing:
        import_cert(acm, pem, CertificateArn=arn)

    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


# ---- acm.describe_certificate_details / acm.list_certificates_summaries ----------------------------------------------


def test_describe_certificate_reports_the_imported_certificate(aws: Callable[..., Any], pem: Pem) -> None:
    acm = aws("acm")
    arn = import_cert(acm, pem)
    cert = x509.load_pem_x509_certificate(pem[0])
    name = common_name(pem[0])

    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]

    assert detail["Type"] == "IMPORTED"
    assert detail["Status"] == "ISSUED"
    assert detail["DomainName"] == name
    assert detail["SubjectAlternativeNames"] == [name]
    assert detail["KeyAlgorithm"] == "RSA_2048"
    assert detail["InUseBy"] == []
    assert detail["NotBefore"] == cert.not_valid_before_utc.replace(microsecond=0)
    assert detail["NotAfter"] == cert.not_valid_after_utc.replace(microsecond=0)
    assert int(detail["Serial"].replace(":", ""), 16) == cert.serial_number
    assert all(len(part) == 2 for part in detail["Serial"].split(":"))
    assert detail["KeyUsages"] == [{"Name": "DIGITAL_SIGNATURE"}, {"Name": "KEY_ENCIPHERMENT"}]
    assert detail["ExtendedKeyUsages"] == [{"Name": "TLS_WEB_SERVER_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.1"}]
    assert "ImportedAt" in detail


def summaries(acm: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {c["CertificateArn"]: c for c in acm.list_certificates(**kwargs)["CertificateSummaryList"]}


def test_list_certificates_lists_rsa_2048_unless_asked_for_other_key_types(aws: Callable[..., Any], pem: Pem) -> None:
    acm = aws("acm")
    rsa_arn = import_cert(acm, pem)
    ec_cert, ec_key = self_signed(unique_name(), ec.generate_private_key(ec.SECP256R1()))
    ec_arn = acm.import_certificate(Certificate=ec_cert, PrivateKey=ec_key)["CertificateArn"]

    default = summaries(acm)
    both = summaries(acm, Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]})

    assert rsa_arn in default
    assert ec_arn not in default
    assert {rsa_arn, ec_arn} <= set(both)
    summary = default[rsa_arn]
    name = common_name(pem[0])
    assert summary["DomainName"] == name
    assert summary["SubjectAlternativeNameSummaries"] == [name]
    assert summary["KeyUsages"] == ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"]
    assert summary["ExtendedKeyUsages"] == ["TLS_WEB_SERVER_AUTHENTICATION"]
    assert (summary["Type"], summary["Status"], summary["InUse"]) == ("IMPORTED", "ISSUED", False)


# ---- acm.in_use_by_load_balancers / acm.delete_in_use_refused --------------------------------------------------------


@pytest.fixture
def load_balancer(aws: Callable[..., Any]) -> str:
    """An internet-facing ALB in a fresh two-AZ VPC; returns its ARN."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.91.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    name = f"fid-{uuid.uuid4().hex[:10]}"
    return aws("elbv2").create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]


def https_listener(elbv2: Any, load_balancer: str, certificate_arn: str) -> str:
    return elbv2.create_listener(
        LoadBalancerArn=load_balancer,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": certificate_arn}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]


def in_use_by(acm: Any, arn: str) -> list[str]:
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"]


def test_in_use_by_lists_the_load_balancer_while_a_listener_uses_it(
    aws: Callable[..., Any], pem: Pem, load_balancer: str
) -> None:
    acm, elbv2 = aws("acm"), aws("elbv2")
    arn = import_cert(acm, pem)

    listener = https_listener(elbv2, load_balancer, arn)

    assert in_use_by(acm, arn) == [load_balancer]
    assert summaries(acm)[arn]["InUse"] is True
    elbv2.delete_listener(ListenerArn=listener)
    assert in_use_by(acm, arn) == []
    assert summaries(acm)[arn]["InUse"] is False


def test_in_use_by_follows_modify_listener(aws: Callable[..., Any], pem: Pem, load_balancer: str) -> None:
    acm, elbv2 = aws("acm"), aws("elbv2")
    old, new = import_cert(acm, pem), import_cert(acm, selfsigned.issue(unique_name()))
    listener = https_listener(elbv2, load_balancer, old)

    elbv2.modify_listener(ListenerArn=listener, Certificates=[{"CertificateArn": new}])

    assert in_use_by(acm, old) == []
    assert in_use_by(acm, new) == [load_balancer]


def test_certificate_in_use_cannot_be_deleted(aws: Callable[..., Any], pem: Pem, load_balancer: str) -> None:
    acm, elbv2 = aws("acm"), aws("elbv2")
    arn = import_cert(acm, pem)
    https_listener(elbv2, load_balancer, arn)

    with pytest.raises(ClientError) as refused:
        acm.delete_certificate(CertificateArn=arn)

    assert refused.value.response["Error"]["Code"] == "ResourceInUseException"
    assert in_use_by(acm, arn) == [load_balancer]
    elbv2.delete_load_balancer(LoadBalancerArn=load_balancer)
    acm.delete_certificate(CertificateArn=arn)
    with pytest.raises(ClientError):
        acm.describe_certificate(CertificateArn=arn)


def test_reimport_keeps_the_certificate_in_use(aws: Callable[..., Any], pem: Pem, load_balancer: str) -> None:
    acm, elbv2 = aws("acm"), aws("elbv2")
    arn = import_cert(acm, pem)
    https_listener(elbv2, load_balancer, arn)

    import_cert(acm, selfsigned.issue(unique_name()), CertificateArn=arn)

    assert in_use_by(acm, arn) == [load_balancer]


# ---- community.aws.acm_certificate against the emulator --------------------------------------------------------------

ACM_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Import the HTTPS certificate
      community.aws.acm_certificate:
        state: present
        name_tag: "{{ name_tag }}"
        certificate: "{{ lookup('file', tls_dir ~ '/cert.pem') }}"
        private_key: "{{ lookup('file', tls_dir ~ '/key.pem') }}"
        certificate_chain: "{{ lookup('file', tls_dir ~ '/chain.pem') }}"
        tags:
          project: payments
          environment: demo
      register: imported
"""


@pytest.mark.integration
def test_stock_acm_certificate_import_is_idempotent(emu: RunningEmulator, tmp_path: Path) -> None:
    files = selfsigned.ensure_certificate(unique_name(), tmp_path / "tls")
    play = tmp_path / "acm.yml"
    play.write_text(ACM_PLAY)
    extra = {"tls_dir": str(files.cert.parent), "name_tag": f"payments-{uuid.uuid4().hex[:8]}"}

    [first] = run_local_play(emu, play, extra)
    seq = emu.client.last_seq()
    [second] = run_local_play(emu, play, extra)

    assert first["changed"] is True
    assert second["changed"] is False
    assert second["certificate"]["arn"] == first["certificate"]["arn"]
    assert emu.client.mutating_calls(since=seq) == []
    # A renewed certificate under the same Name tag is re-imported in place: same ARN, tags kept.
    for path in (files.cert, files.key, files.chain):
        path.unlink()
    selfsigned.ensure_certificate(first["certificate"]["domain_name"], files.cert.parent)
    [renewed] = run_local_play(emu, play, extra)
    assert renewed["changed"] is True
    assert renewed["certificate"]["arn"] == first["certificate"]["arn"]
    assert renewed["certificate"]["tags"] == {"Name": extra["name_tag"], "project": "payments", "environment": "demo"}


# ---- emulator.selfsigned ---------------------------------------------------------------------------------------------


def test_selfsigned_creates_a_ca_signed_server_certificate(tmp_path: Path) -> None:
    files = selfsigned.ensure_certificate("demo.payments.test", tmp_path / "tls")

    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    ca = x509.load_pem_x509_certificate(files.chain.read_bytes())
    key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    assert files.changed is True
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "demo.payments.test"
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["demo.payments.test"]
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert datetime.timedelta(days=3650) <= lifetime <= datetime.timedelta(days=3651)
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600


def test_selfsigned_reuses_existing_files(tmp_path: Path) -> None:
    first = selfsigned.ensure_certificate("demo.payments.test", tmp_path)
    before = [path.read_bytes() for path in (first.cert, first.key, first.chain)]
    first.key.chmod(0o644)

    again = selfsigned.ensure_certificate("demo.payments.test", tmp_path)

    assert again.changed is False
    assert [path.read_bytes() for path in (again.cert, again.key, again.chain)] == before
    assert stat.S_IMODE(again.key.stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", ["other_name", "foreign_key", "foreign_chain", "missing_chain"])
def test_selfsigned_replaces_an_unusable_set(tmp_path: Path, damage: str) -> None:
    first = selfsigned.ensure_certificate("demo.payments.test", tmp_path)
    name = "demo.payments.test"
    if damage == "other_name":
        name = "other.payments.test"
    elif damage == "foreign_key":
        first.key.write_bytes(selfsigned.issue("x.test")[1])
    elif damage == "foreign_chain":
        first.chain.write_bytes(selfsigned.issue("x.test")[2])
    else:
        first.chain.unlink()

    again = selfsigned.ensure_certificate(name, tmp_path)

    assert again.changed is True
    cert = x509.load_pem_x509_certificate(again.cert.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(again.chain.read_bytes()))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name


def test_selfsigned_cli(tmp_path: Path) -> None:
    args = [
        sys.executable,
        "-m",
        "emulator.selfsigned",
        "--common-name",
        "cli.payments.test",
        "--out-dir",
        str(tmp_path),
    ]

    first = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    second = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, check=True)

    assert json.loads(first.stdout)["changed"] is True
    assert json.loads(second.stdout) == {**json.loads(first.stdout), "changed": False}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cert.pem", "chain.pem", "key.pem"]
