"""ACM fidelity patches: imported certificates, their chain, re-import, use by load balancers."""

from __future__ import annotations

import functools
from typing import Any

from cryptography import x509
from moto.acm.exceptions import AWSValidationException
from moto.acm.exceptions import CertificateNotFound
from moto.acm.models import AWSCertificateManagerBackend
from moto.acm.models import CertBundle
from moto.acm.responses import AWSCertificateManagerResponse
from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.elbv2.models import elbv2_backends

# AWS's names for the X.509 key usages (attribute of cryptography's KeyUsage -> KeyUsageName).
KEY_USAGE_NAMES = {
    "digital_signature": "DIGITAL_SIGNATURE",
    "content_commitment": "NON_REPUDIATION",
    "key_encipherment": "KEY_ENCIPHERMENT",
    "data_encipherment": "DATA_ENCIPHERMENT",
    "key_agreement": "KEY_AGREEMENT",
    "key_cert_sign": "CERTIFICATE_SIGNING",
    "crl_sign": "CRL_SIGNING",
}
# Only meaningful with key_agreement; cryptography raises if read without it.
_AGREEMENT_ONLY_USAGES = {"encipher_only": "ENCIPHER_ONLY", "decipher_only": "DECIPHER_ONLY"}
# AWS's names for extended key usage OIDs (ExtendedKeyUsageName); other OIDs are CUSTOM.
EXTENDED_KEY_USAGE_NAMES = {
    "1.3.6.1.5.5.7.3.1": "TLS_WEB_SERVER_AUTHENTICATION",
    "1.3.6.1.5.5.7.3.2": "TLS_WEB_CLIENT_AUTHENTICATION",
    "1.3.6.1.5.5.7.3.3": "CODE_SIGNING",
    "1.3.6.1.5.5.7.3.4": "EMAIL_PROTECTION",
    "1.3.6.1.5.5.7.3.8": "TIME_STAMPING",
    "1.3.6.1.5.5.7.3.9": "OCSP_SIGNING",
    "1.3.6.1.5.5.7.3.5": "IPSEC_END_SYSTEM",
    "1.3.6.1.5.5.7.3.6": "IPSEC_TUNNEL",
    "1.3.6.1.5.5.7.3.7": "IPSEC_USER",
    "2.5.29.37.0": "ANY",
}
# ListCertificates without Includes.keyTypes lists only these (ACM API reference, ListCertificates).
DEFAULT_LISTED_KEY_TYPES = ("RSA_2048",)
# Instance attribute: users of a certificate other than ELBv2 load balancers (e.g. classic ELBs), as moto recorded.
_OTHER_USERS_ATTR = "_fidelity_other_users"


class ResourceInUseException(AWSError):
    TYPE = "ResourceInUseException"


def _is_elbv2_listener(arn: str) -> bool:
    return ":elasticloadbalancing:" in arn and ":listener/" in arn


def _key_algorithm(bundle: CertBundle) -> str:
    return str(bundle.describe()["Certificate"]["KeyAlgorithm"])


# ---- GetCertificate: the chain as imported --------------------------------------------------------------------------


def imported_chain_as_given() -> None:
    """GetCertificate (and ExportCertificate) return an imported certificate's ``CertificateChain`` exactly as it was
    imported: AWS appends nothing. The chain is "the certificate of the issuing CA and the intermediate certificates of
    any other subordinate CAs" (ACM API reference, GetCertificate), i.e. what the importer supplied; for a certificate
    imported without a chain (a self-signed one, which is its own issuing CA) it is the certificate itself, which is
    also what community.aws's acm_certificate compares it with when no chain is given.

    moto appends its own copy of an Amazon root CA to every imported chain (and answers that root alone when no chain
    was given), so community.aws.acm_certificate finds the chain different from its ``certificate_chain`` and
    re-imports the certificate on every run. Certificates requested from ACM (AMAZON_ISSUED, PRIVATE) keep moto's
    chain. ``CertBundle.__init__`` is wrapped; moto's chain checks still run on the input.
    """
    original_init = CertBundle.__init__

    @functools.wraps(original_init)
    def __init__(
        self: CertBundle,
        account_id: str,
        certificate: bytes,
        private_key: bytes,
        chain: bytes | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        original_init(self, account_id, certificate, private_key, chain, *args, **kwargs)
        if self.type == "IMPORTED":
            self.chain = chain or certificate

    CertBundle.__init__ = __init__  # type: ignore[method-assign]


# ---- ImportCertificate with CertificateArn: re-import in place ------------------------------------------------------


def reimport_in_place() -> None:
    """ImportCertificate with the ``CertificateArn`` of an imported certificate replaces its body, private key and
    chain in place: the ARN, the tags, the options and the AWS service associations (``InUseBy``) are preserved
    (ACM user guide, "Reimport a certificate"). AWS refuses ``Tags`` on a re-import with
    ``ValidationException: Tagging is not permitted on re-import.`` and, as the user guide says the key type and size
    cannot be changed, a certificate with another key algorithm (``ValidationException``; the wording after the code
    is the emulator's).

    moto builds a brand-new certificate under the old ARN, so a re-import silently dropped every tag (a certificate
    found by its ``Name`` tag vanished from the next lookup) and applied the request's tags instead of refusing them.
    Certificates requested from ACM keep moto's behaviour.
    """
    original = AWSCertificateManagerBackend.import_certificate

    @functools.wraps(original)
    def import_certificate(
        self: AWSCertificateManagerBackend,
        certificate: bytes,
        private_key: bytes,
        chain: bytes | None,
        arn: str | None,
        tags: list[dict[str, str]],
    ) -> str:
        existing = self._certificates.get(arn) if arn is not None else None
        if existing is None or existing.type != "IMPORTED":
            return original(self, certificate, private_key, chain, arn, tags)
        if tags:
            raise AWSValidationException("Tagging is not permitted on re-import.")
        bundle = CertBundle(self.account_id, certificate, private_key, chain=chain, region=self.region_name, arn=arn)
        old_algorithm, new_algorithm = _key_algorithm(existing), _key_algorithm(bundle)
        if new_algorithm != old_algorithm:
            raise AWSValidationException(
                f"The certificate's key algorithm {new_algorithm} differs from {old_algorithm}, the key algorithm "
                f"of certificate {arn}: the key type and size cannot be changed on re-import."
            )
        bundle.tags = existing.tags
        bundle.cert_options = existing.cert_options
        setattr(bundle, _OTHER_USERS_ATTR, list(getattr(existing, _OTHER_USERS_ATTR, [])))
        self._certificates[arn] = bundle
        return arn

    AWSCertificateManagerBackend.import_certificate = import_certificate  # type: ignore[method-assign]


# ---- InUseBy: the load balancers using the certificate now ----------------------------------------------------------


def _elbv2_users(bundle: CertBundle) -> set[str]:
    """ARNs of the ELBv2 load balancers (of the certificate's account and region) with a listener using it."""
    parts = bundle.arn.split(":")
    region, account_id = parts[3], parts[4]
    backend = elbv2_backends[account_id][region]
    return {
        balancer.arn
        for balancer in backend.load_balancers.values()
        for listener in balancer.listeners.values()
        if bundle.arn in (listener.certificates or [])
    }


def in_use_by_load_balancers() -> None:
    """DescribeCertificate's ``InUseBy`` lists the ARNs of the load balancers whose listeners use the certificate
    now (as default or additional listener certificate), once each, and ListCertificates' ``InUse`` follows it; a
    load balancer drops out when its last listener stops using the certificate (ModifyListener,
    RemoveListenerCertificates, DeleteListener, DeleteLoadBalancer).

    moto appended the *listener* ARN at CreateListener only: ModifyListener and AddListenerCertificates never
    registered a use and nothing ever removed one, so a certificate stayed "in use" after its load balancer was gone.
    The list is now derived from moto's ELBv2 state when read; other users moto records (classic ELBs) are kept.
    """
    original_set = AWSCertificateManagerBackend.set_certificate_in_use_by

    def get_in_use_by(self: CertBundle) -> list[str]:
        users = sorted(_elbv2_users(self))
        return users + [user for user in getattr(self, _OTHER_USERS_ATTR, []) if user not in users]

    def set_in_use_by(self: CertBundle, users: list[str]) -> None:
        setattr(self, _OTHER_USERS_ATTR, [user for user in users if not _is_elbv2_listener(user)])

    @functools.wraps(original_set)
    def set_certificate_in_use_by(self: AWSCertificateManagerBackend, arn: str, load_balancer_name: str) -> None:
        if arn not in self._certificates:
            raise CertificateNotFound(arn=arn, account_id=self.account_id)
        if _is_elbv2_listener(load_balancer_name):
            return  # derived from the listeners when read
        bundle = self._certificates[arn]
        users = getattr(bundle, _OTHER_USERS_ATTR, [])
        if load_balancer_name not in users:
            setattr(bundle, _OTHER_USERS_ATTR, [*users, load_balancer_name])

    CertBundle.in_use_by = property(get_in_use_by, set_in_use_by)  # type: ignore[assignment]
    AWSCertificateManagerBackend.set_certificate_in_use_by = set_certificate_in_use_by  # type: ignore[method-assign]


def delete_in_use_refused() -> None:
    """DeleteCertificate refuses a certificate that an AWS service uses (``InUseBy`` not empty) with
    ``ResourceInUseException`` and keeps it: "You cannot delete an ACM certificate that is being used by another AWS
    service" (ACM user guide, "Delete certificates"); the listener has to let go of it first. The code is AWS's, the
    message wording the emulator's.

    moto deleted it and left the listener pointing at a certificate that no longer exists, so a teardown that deletes
    the certificate before the load balancer passed on the emulator and fails on AWS.
    """
    original = AWSCertificateManagerBackend.delete_certificate

    @functools.wraps(original)
    def delete_certificate(self: AWSCertificateManagerBackend, arn: str) -> None:
        bundle = self._certificates.get(arn)
        if bundle is not None and bundle.in_use_by:
            raise ResourceInUseException(f"Certificate {arn} in account {self.account_id} is in use.")
        original(self, arn)

    AWSCertificateManagerBackend.delete_certificate = delete_certificate  # type: ignore[method-assign]


# ---- DescribeCertificate / ListCertificates: fields read from the certificate ---------------------------------------


def _serial(cert: x509.Certificate) -> str:
    number = cert.serial_number
    return ":".join(f"{byte:02x}" for byte in number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big"))


def key_usages(cert: x509.Certificate) -> list[str]:
    """AWS's KeyUsageName values for the certificate's Key Usage extension (empty without one)."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    names = [name for attribute, name in KEY_USAGE_NAMES.items() if getattr(usage, attribute)]
    if usage.key_agreement:
        names += [name for attribute, name in _AGREEMENT_ONLY_USAGES.items() if getattr(usage, attribute)]
    return names


def extended_key_usages(cert: x509.Certificate) -> list[tuple[str, str]]:
    """(ExtendedKeyUsageName, OID) pairs for the certificate's Extended Key Usage extension (empty without one)."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [(EXTENDED_KEY_USAGE_NAMES.get(oid.dotted_string, "CUSTOM"), oid.dotted_string) for oid in usage]


def describe_certificate_details() -> None:
    """DescribeCertificate reports ``Serial`` as colon-separated hex bytes (``07:71:71:f4:...``, as in the ACM API
    examples) and ``KeyUsages`` (``[{"Name": "DIGITAL_SIGNATURE"}, ...]``) and ``ExtendedKeyUsages``
    (``[{"Name": "TLS_WEB_SERVER_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.1"}, ...]``) read from the certificate's
    extensions.

    moto answered the serial as a decimal integer, no KeyUsages and always an empty ExtendedKeyUsages list.
    """
    original = CertBundle.describe

    @functools.wraps(original)
    def describe(self: CertBundle) -> dict[str, Any]:
        result = original(self)
        detail = result["Certificate"]
        detail["Serial"] = _serial(self._cert)
        detail["KeyUsages"] = [{"Name": name} for name in key_usages(self._cert)]
        detail["ExtendedKeyUsages"] = [{"Name": name, "OID": oid} for name, oid in extended_key_usages(self._cert)]
        return result

    CertBundle.describe = describe  # type: ignore[method-assign]


def _summary(bundle: CertBundle) -> dict[str, Any]:
    """A CertificateSummary as ListCertificates returns it."""
    detail = bundle.describe()["Certificate"]
    names = detail["SubjectAlternativeNames"] or [detail["DomainName"]]
    summary = {
        "CertificateArn": detail["CertificateArn"],
        "DomainName": detail["DomainName"],
        "SubjectAlternativeNameSummaries": names,
        "HasAdditionalSubjectAlternativeNames": False,
        "Status": detail["Status"],
        "Type": detail["Type"],
        "KeyAlgorithm": detail["KeyAlgorithm"],
        "KeyUsages": [usage["Name"] for usage in detail.get("KeyUsages", [])],
        "ExtendedKeyUsages": [usage["Name"] for usage in detail.get("ExtendedKeyUsages", [])],
        "InUse": bool(detail["InUseBy"]),
        "Exported": bundle.cert_options.get("Export") == "ENABLED",
        "RenewalEligibility": detail["RenewalEligibility"],
        "NotBefore": detail["NotBefore"],
        "NotAfter": detail["NotAfter"],
    }
    for stamp in ("CreatedAt", "IssuedAt", "ImportedAt"):
        if stamp in detail:
            summary[stamp] = detail[stamp]
    return summary


def list_certificates_summaries() -> None:
    """ListCertificates answers CertificateSummary objects (``SubjectAlternativeNameSummaries``, ``KeyUsages`` and
    ``ExtendedKeyUsages`` as lists of names, ``InUse``, ``Exported``, ...) and, without ``Includes.keyTypes``, lists
    only RSA_2048 certificates ("Default filtering returns only RSA_2048 certificates", ACM API reference).

    moto listed every key type by default (a client that forgets the filter, like amazon.aws before #1567, passed on
    the emulator and misses RSA_4096/ECDSA certificates on AWS) and answered DescribeCertificate's detail shape.
    """

    def handler(self: AWSCertificateManagerResponse) -> ActionResult:
        includes = dict(self._get_param("Includes") or {})
        includes.setdefault("keyTypes", list(DEFAULT_LISTED_KEY_TYPES))
        statuses = self._get_param("CertificateStatuses")
        bundles = self.acm_backend.list_certificates(statuses, includes)
        return ActionResult({"CertificateSummaryList": [_summary(bundle) for bundle in bundles]})

    AWSCertificateManagerResponse.list_certificates = handler  # type: ignore[method-assign]
