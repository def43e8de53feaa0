"""SNS fidelity patches: the protocols and endpoints Subscribe accepts."""

from __future__ import annotations

import re

from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.responses import SNSResponse

from emulator.fidelity._limits import check_before

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _subscription_problem(protocol: str, endpoint: str) -> str | None:
    if protocol not in PROTOCOLS:
        return f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}"
    if protocol in ("email", "email-json") and not _EMAIL.match(endpoint):
        return "Invalid parameter: Email address"
    if protocol in ("http", "https") and not endpoint.lower().startswith(f"{protocol}://"):
        return "Invalid parameter: Endpoint must match the specified protocol"
    return None


def subscribe_protocol_and_endpoint() -> None:
    """Subscribe refuses a protocol SNS does not offer and an endpoint that does not fit the protocol (InvalidParameter,
    HTTP 400). SNS API reference, Subscribe: "Supported protocols include: http ... https ... email ... email-json ...
    sms ... sqs ... application ... lambda ... firehose"; Endpoint: "For the http protocol, the (public) endpoint is a
    URL beginning with http://. For the https protocol, the (public) endpoint is a URL beginning with https://. For
    the email protocol, the endpoint is an email address. For the email-json protocol, the endpoint is an email
    address."

    moto subscribed ``ftp``, an email endpoint ``notanaddress`` and an https subscription to ``http://...``.
    """

    def check(response: SNSResponse) -> None:
        problem = _subscription_problem(
            str(response._get_param("Protocol") or ""), str(response._get_param("Endpoint") or "")
        )
        if problem:
            raise SNSInvalidParameter(problem)

    check_before(SNSResponse, "subscribe", check)
