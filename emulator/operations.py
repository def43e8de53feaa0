"""Identify which AWS API operation an HTTP request addressed to the emulator is.

Service and region come from the SigV4 credential scope (``Authorization`` header, or ``X-Amz-Credential`` for
presigned URLs). The operation comes from the wire protocol: ``Action`` for the query/EC2 protocols,
``X-Amz-Target`` for the JSON protocol, the ``/service/<svc>/operation/<Op>`` path for Smithy RPC v2 CBOR, and for
REST protocols the botocore service model's ``http.method``/``http.requestUri`` (plus required query string and
header members) matched against the request.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import botocore.loaders
import botocore.model
from moto.moto_server.werkzeug_app import UNSIGNED_ACTIONS
from moto.moto_server.werkzeug_app import UNSIGNED_REQUESTS

READ_ONLY_PREFIXES = (
    "Describe",
    "Get",
    "List",
    "Head",
    "Lookup",
    "Search",
    "BatchGet",
    "BatchCheck",
    "Validate",
    "Estimate",
    "Preview",
)
UNKNOWN_OPERATION = "Unknown"

_CREDENTIAL_RE = re.compile(r"Credential=([^,\s]+)")
_CBOR_PATH_RE = re.compile(r"^/service/[^/]+/operation/([^/]+)$")


@dataclass(frozen=True)
class CallIdentity:
    """What a request is, as far as the recorder is concerned."""

    service: str
    region: str
    operation: str
    mutating: bool
    # The request path: for REST services (S3) it names the resource, e.g. /bucket/key.
    path: str = "/"


def is_mutating(operation: str, method: str) -> bool:
    """True unless the operation name starts with a read-only verb; unknown operations go by the HTTP method."""
    if operation == UNKNOWN_OPERATION:
        return method not in ("GET", "HEAD", "OPTIONS")
    return not operation.startswith(READ_ONLY_PREFIXES)


def _credential_scope(environ: Mapping[str, Any], query: Mapping[str, list[str]]) -> tuple[str, str] | None:
    """(service, region) from ``Credential=AKID/date/region/service/aws4_request``, if the request is SigV4 signed."""
    credential = None
    match = _CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        credential = match.group(1)
    elif query.get("X-Amz-Credential"):
        credential = query["X-Amz-Credential"][0]
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) != 5:
        return None
    return parts[3], parts[2]


def identify(environ: Mapping[str, Any], form: Mapping[str, list[str]]) -> CallIdentity | None:
    """Classify a request; ``form`` is the parsed url-encoded body (empty for other bodies).

    Returns None for requests that are not AWS API calls (no SigV4 scope and not a known unsigned call).
    """
    method = environ.get("REQUEST_METHOD", "GET")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    action = (form.get("Action") or query.get("Action") or [None])[0]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    scope = _credential_scope(environ, query)
    if scope is None:
        # The calls botocore sends unsigned, as moto itself routes them.
        if action in UNSIGNED_ACTIONS:
            scope = UNSIGNED_ACTIONS[action]
        elif target.partition(".")[0] in UNSIGNED_REQUESTS:
            scope = UNSIGNED_REQUESTS[target.partition(".")[0]]
        else:
            return None
    service, region = scope
    path = environ.get("PATH_INFO", "/") or "/"

    operation: str | None
    if action:
        operation = action
    elif target:
        operation = target.rpartition(".")[2]
    elif cbor := _CBOR_PATH_RE.match(path):
        operation = cbor.group(1)
    else:
        headers = {key[5:].replace("_", "-").lower() for key in environ if key.startswith("HTTP_")}
        operation = _REST_RESOLVER.resolve(service, method, path, query, headers)
    operation = operation or UNKNOWN_OPERATION
    return CallIdentity(
        service=service, region=region, operation=operation, mutating=is_mutating(operation, method), path=path
    )


@dataclass(frozen=True)
class _RestRoute:
    """One REST operation of a botocore service model, compiled for matching."""

    operation: str
    method: str
    path_re: re.Pattern[str]
    literal_chars: int
    uri_query: tuple[tuple[str, str | None], ...]
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    optional_query: tuple[str, ...]
    deprecated: bool
    service_rank: int

    @classmethod
    def from_model(cls, op: botocore.model.OperationModel, service_rank: int) -> _RestRoute:
        """Compile the operation's ``requestUri`` template and the input members bound to query/header."""
        path_template, _, query_template = op.http["requestUri"].partition("?")
        pattern = ""
        for piece in re.split(r"(\{[^}]+\})", path_template):
            if piece.startswith("{"):
                pattern += ".+" if piece.endswith("+}") else "[^/]+"
            else:
                pattern += re.escape(piece)
        literal_chars = len(re.sub(r"\{[^}]+\}", "", path_template))
        uri_query = tuple(
            (key, value if sep else None)
            for key, sep, value in (part.partition("=") for part in query_template.split("&") if part)
        )
        required_query: list[str] = []
        required_headers: list[str] = []
        optional_query: list[str] = []
        shape = op.input_shape
        if shape is not None:
            required = set(shape.required_members)
            for name, member in shape.members.items():
                location = member.serialization.get("location")
                wire_name = member.serialization.get("name", name)
                if location == "querystring":
                    (required_query if name in required else optional_query).append(wire_name)
                elif location == "header" and name in required:
                    required_headers.append(wire_name.lower())
        return cls(
            operation=op.name,
            method=op.http["method"],
            path_re=re.compile(f"^{pattern}/?$"),
            literal_chars=literal_chars,
            uri_query=uri_query,
            required_query=tuple(required_query),
            required_headers=tuple(required_headers),
            optional_query=tuple(optional_query),
            deprecated=bool(op.deprecated),
            service_rank=service_rank,
        )

    def score(self, path: str, query: Mapping[str, list[str]], headers: set[str]) -> tuple[int, ...] | None:
        """Sort key (higher is a better match) if the request satisfies this route, else None."""
        if not self.path_re.match(path):
            return None
        for key, value in self.uri_query:
            if key not in query or (value is not None and value not in query[key]):
                return None
        if any(key not in query for key in self.required_query):
            return None
        if any(name not in headers for name in self.required_headers):
            return None
        requirements = len(self.uri_query) + len(self.required_query) + len(self.required_headers)
        optional_hits = sum(1 for key in self.optional_query if key in query)
        return (
            requirements,
            self.literal_chars,
            optional_hits,
            -int(self.deprecated),
            -self.service_rank,
            -len(self.operation),
        )


class RestOperationResolver:
    """Maps (signing name, method, path, query keys, header names) to a REST operation name via botocore models.

    Several botocore services can share a signing name (``s3``/``s3control``, ``apigateway``/``apigatewayv2``);
    all of them are candidates, the one whose name equals the signing name ranked first on ties. Among matching
    routes the most specific wins: most satisfied requirements (requestUri query keys, required query string and
    header members), then most literal path characters, then most optional query members present, then not
    deprecated (``PutBucketLifecycleConfiguration`` over ``PutBucketLifecycle``), then the shortest name.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signing_index: dict[str, list[str]] | None = None
        self._routes: dict[str, list[_RestRoute]] = {}

    def warm(self) -> None:
        """Build the signing-name index now (about 3 s of model loading) instead of on the first REST call."""
        self._index()

    def _index(self) -> dict[str, list[str]]:
        """Signing name -> botocore service names, built once from every service model's metadata."""
        with self._lock:
            if self._signing_index is None:
                # A private loader: botocore's loaders cache every model they load, and only metadata is needed.
                loader = botocore.loaders.Loader()
                index: dict[str, list[str]] = {}
                for name in loader.list_available_services("service-2"):
                    metadata = loader.load_service_model(name, "service-2")["metadata"]
                    index.setdefault(metadata.get("signingName", metadata["endpointPrefix"]), []).append(name)
                self._signing_index = index
            return self._signing_index

    def _services_for(self, signing_name: str) -> list[str]:
        """botocore service names signed as ``signing_name``, exact name first."""
        return sorted(self._index().get(signing_name, []), key=lambda name: name != signing_name)

    def _routes_for(self, signing_name: str) -> list[_RestRoute]:
        """Compiled REST routes of every service signed as ``signing_name`` (cached)."""
        routes = self._routes.get(signing_name)
        if routes is None:
            routes = []
            for rank, name in enumerate(self._services_for(signing_name)):
                model = _service_model(name)
                if model.protocol not in ("rest-xml", "rest-json"):
                    continue
                routes.extend(_RestRoute.from_model(model.operation_model(op), rank) for op in model.operation_names)
            self._routes[signing_name] = routes
        return routes

    def resolve(
        self, signing_name: str, method: str, path: str, query: Mapping[str, list[str]], headers: set[str]
    ) -> str | None:
        """Operation name for a REST request, or None if no route of the service matches."""
        routes = self._routes_for(signing_name)
        explicit = (query.get("x-id") or [None])[0]
        if explicit and any(route.operation == explicit for route in routes):
            return explicit
        best: tuple[tuple[int, ...], str] | None = None
        for route in routes:
            if route.method != method:
                continue
            score = route.score(path, query, headers)
            if score is not None and (best is None or score > best[0]):
                best = (score, route.operation)
        return best[1] if best else None


@lru_cache(maxsize=64)
def _service_model(name: str) -> botocore.model.ServiceModel:
    """The botocore service model for a service name."""
    loader = botocore.loaders.create_loader()
    return botocore.model.ServiceModel(loader.load_service_model(name, "service-2"), service_name=name)


_REST_RESOLVER = RestOperationResolver()


@lru_cache(maxsize=1)
def _botocore_service_names() -> frozenset[str]:
    """Names of the services botocore has models for (a directory listing, no model loaded)."""
    return frozenset(botocore.loaders.create_loader().list_available_services("service-2"))


def botocore_signing_name(name: str) -> str | None:
    """The signing name of the botocore service ``name`` (``cloudwatch`` -> ``monitoring``); None if no such service.

    Loads that one model only, unlike :func:`signing_names`.
    """
    if name not in _botocore_service_names():
        return None
    metadata = _service_model(name).metadata
    return str(metadata.get("signingName", metadata["endpointPrefix"]))


def signing_names() -> dict[str, list[str]]:
    """Signing name (the service of a call record) -> the botocore service names signed with it."""
    return {name: list(services) for name, services in _REST_RESOLVER._index().items()}


def service_models(signing_name: str) -> list[botocore.model.ServiceModel]:
    """botocore models of the services signed as ``signing_name``, the one named like it first."""
    return [_service_model(name) for name in _REST_RESOLVER._services_for(signing_name)]


def primary_service_model(signing_name: str) -> botocore.model.ServiceModel | None:
    """The botocore model of the service signed as ``signing_name``: the one named like it (one model loaded),
    else the first of those signed so (``monitoring`` -> cloudwatch); None if there is none."""
    if botocore_signing_name(signing_name) == signing_name:
        return _service_model(signing_name)
    models = service_models(signing_name)
    return models[0] if models else None


def warm_rest_resolver() -> None:
    """Pre-build the REST resolver's signing-name index (called in a background thread at server start)."""
    _REST_RESOLVER.warm()
