"""A local CA and a server certificate signed by it, for the demo's HTTPS listener and the tests.

Writes three PEM files into ``--out-dir``: ``cert.pem`` (the server certificate: RSA 2048, ``CN`` and a DNS
subjectAltName of ``--common-name``, serverAuth), ``key.pem`` (its unencrypted PKCS#1 key, mode 0600) and
``chain.pem`` (the self-signed local CA that issued it), so that an ACM import exercises the
``CertificateChain`` field. Both are valid for ten years (from an hour ago, to tolerate clock skew). The CA's
private key is discarded once the certificate is signed: nothing can issue further certificates from it.

Idempotent: files that already hold a usable set (the key matches the certificate, the name is the one asked
for, the chain is the certificate's issuer and signed it, and at least 30 days of validity are left) are
reused untouched; otherwise all three are written anew (atomically, one file at a time).

Usage::

    python -m emulator.selfsigned --common-name payments.example.test --out-dir .tls
    # prints a JSON object: {"changed": ..., "cert": ..., "key": ..., "chain": ..., "not_after": ...}

From Python: ``ensure_certificate("payments.example.test", Path(".tls"))``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
CHAIN_FILE = "chain.pem"
KEY_SIZE = 2048
VALIDITY_DAYS = 3650
RENEW_BEFORE_DAYS = 30
BACKDATE = datetime.timedelta(hours=1)
KEY_MODE = 0o600
ORGANIZATION = "payments.infra local CA"


@dataclass(frozen=True)
class CertificateFiles:
    """Paths of a certificate set and whether :func:`ensure_certificate` (re)wrote them."""

    cert: Path
    key: Path
    chain: Path
    not_after: datetime.datetime
    changed: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "changed": self.changed,
            "cert": str(self.cert),
            "key": str(self.key),
            "chain": str(self.chain),
            "not_after": self.not_after.isoformat(),
        }


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def issue(common_name: str, days: int = VALIDITY_DAYS) -> tuple[bytes, bytes, bytes]:
    """A fresh (certificate, key, chain) PEM triple: a server certificate for ``common_name`` and its CA."""
    now = datetime.datetime.now(datetime.UTC)
    not_before, not_after = now - BACKDATE, now + datetime.timedelta(days=days)
    ca_key, key = _new_key(), _new_key()
    ca_name = _name(f"{common_name} local CA", "emulator")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, "server"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.TraditionalOpenSSL,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem, ca.public_bytes(serialization.Encoding.PEM)


def _load(
    cert_path: Path, key_path: Path, chain_path: Path
) -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey] | None:
    """(certificate, CA, key) parsed from the files, None if one is missing or unreadable or the key is not RSA."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        ca = x509.load_pem_x509_certificate(chain_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    return (cert, ca, key) if isinstance(key, rsa.RSAPrivateKey) else None


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    ca_public = ca.public_key()
    if cert.issuer != ca.subject or not isinstance(ca_public, rsa.RSAPublicKey) or not cert.signature_hash_algorithm:
        return False
    try:
        ca_public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    except InvalidSignature:
        return False
    return True


def _usable(common_name: str, cert_path: Path, key_path: Path, chain_path: Path) -> x509.Certificate | None:
    """The existing certificate if the three files form a set :func:`ensure_certificate` may keep, else None."""
    loaded = _load(cert_path, key_path, chain_path)
    if loaded is None:
        return None
    cert, ca, key = loaded
    names = [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    now = datetime.datetime.now(datetime.UTC)
    renew_at = now + datetime.timedelta(days=RENEW_BEFORE_DAYS)
    usable = (
        key.key_size == KEY_SIZE
        and key.public_key().public_numbers() == cert.public_key().public_numbers()
        and names == [common_name]
        and _signed_by(cert, ca)
        and cert.not_valid_before_utc <= now
        and min(cert.not_valid_after_utc, ca.not_valid_after_utc) >= renew_at
    )
    return cert if usable else None


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` atomically with ``data``, created with ``mode`` (never readable by others meanwhile)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_certificate(common_name: str, out_dir: Path, days: int = VALIDITY_DAYS) -> CertificateFiles:
    """Make sure ``out_dir`` holds a usable cert.pem/key.pem/chain.pem for ``common_name``; reuse what is there."""
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path, key_path, chain_path = out_dir / CERT_FILE, out_dir / KEY_FILE, out_dir / CHAIN_FILE
    existing = _usable(common_name, cert_path, key_path, chain_path)
    if existing is not None:
        if key_path.stat().st_mode & 0o777 != KEY_MODE:
            key_path.chmod(KEY_MODE)
        return CertificateFiles(cert_path, key_path, chain_path, existing.not_valid_after_utc, changed=False)
    cert_pem, key_pem, chain_pem = issue(common_name, days)
    _write(key_path, key_pem, KEY_MODE)
    _write(chain_path, chain_pem, 0o644)
    _write(cert_path, cert_pem, 0o644)
    not_after = x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc
    return CertificateFiles(cert_path, key_path, chain_path, not_after, changed=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulator.selfsigned",
        description="Create (or reuse) a local CA + server certificate: cert.pem, key.pem (0600), chain.pem.",
    )
    parser.add_argument("--common-name", required=True, help="DNS name of the server (CN and subjectAltName)")
    parser.add_argument("--out-dir", required=True, type=Path, help="directory for cert.pem, key.pem, chain.pem")
    parser.add_argument("--days", type=int, default=VALIDITY_DAYS, help="validity of new certificates (3650)")
    args = parser.parse_args(argv)
    if args.days <= RENEW_BEFORE_DAYS:
        parser.error(f"--days must be more than {RENEW_BEFORE_DAYS}")
    try:
        files = ensure_certificate(args.common_name, args.out_dir, args.days)
    except (OSError, ValueError) as error:
        print(f"selfsigned: {error}", file=sys.stderr)
        return 1
    print(json.dumps(files.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
