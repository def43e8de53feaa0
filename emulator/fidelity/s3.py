"""S3 fidelity patches: bucket lifecycle configurations, atomic conditional writes of an object."""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import json
import re
import threading
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

from moto.iam.access_control import IAMPolicyStatement
from moto.iam.access_control import PermissionResult
from moto.s3.exceptions import InvalidBucketName
from moto.s3.exceptions import MalformedXML
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeBucket
from moto.s3.models import LifecycleRule
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response

from emulator.fidelity._limits import check_before

# What AWS documents and enforces for PutBucketLifecycleConfiguration.
MAX_LIFECYCLE_RULES = 1000
MAX_RULE_ID_LENGTH = 255
IA_STORAGE_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MINIMUM_DAYS = 30
_ACTIONS = (
    "Expiration",
    "Transition",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransition",
    "AbortIncompleteMultipartUpload",
)
_SIZE_KEYS = ("ObjectSizeGreaterThan", "ObjectSizeLessThan")
# Day counts that must be positive ("must be a non-zero positive integer"), and those that may be 0 (a transition
# "can be 0 or any positive integer").
_POSITIVE_DAYS = (
    ("NoncurrentVersionExpiration", "NoncurrentDays"),
    ("AbortIncompleteMultipartUpload", "DaysAfterInitiation"),
)
_NON_NEGATIVE_DAYS = (("Transition", "Days"), ("NoncurrentVersionTransition", "NoncurrentDays"))
# Bucket names (S3 User Guide, general purpose bucket naming rules).
BUCKET_NAME_LENGTH = (3, 63)
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
BUCKET_NAME_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_NAME_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class LifecycleInvalidArgument(S3ClientError):
    code = "InvalidArgument"


class LifecycleInvalidRequest(S3ClientError):
    code = "InvalidRequest"


# ---------------------------------------------------------------------------------------------
# Hooks shared by the lifecycle patches: one wrapper each around FakeBucket.set_lifecycle (which
# receives the rules as parsed from the request XML, all values strings) and around the
# GetBucketLifecycleConfiguration response (which moto builds from its rule objects).
# ---------------------------------------------------------------------------------------------
_validators: list[Callable[[list[dict[str, Any]]], None]] = []
_after_set: list[Callable[[LifecycleRule, dict[str, Any]], None]] = []
_renderers: list[Callable[[dict[str, Any], LifecycleRule], None]] = []
_installed: list[str] = []


def _install_hooks() -> None:
    if _installed:
        return
    original_set = FakeBucket.set_lifecycle
    original_get = S3Response.get_bucket_lifecycle

    @functools.wraps(original_set)
    def set_lifecycle(self: FakeBucket, rules: list[dict[str, Any]]) -> None:
        for validate in _validators:
            validate(rules)
        original_set(self, rules)
        for rule, raw in zip(self.rules, rules, strict=False):
            for hook in _after_set:
                hook(rule, raw)

    @functools.wraps(original_get)
    def get_bucket_lifecycle(self: S3Response) -> Any:
        serialized = self.serialized

        def extended(action_result: Any) -> Any:
            rules = self.backend.get_bucket_lifecycle(self.bucket_name)
            for rendered, rule in zip(action_result.result.get("Rules", []), rules, strict=False):
                for render in _renderers:
                    render(rendered, rule)
            return serialized(action_result)

        self.serialized = extended  # type: ignore[method-assign]
        try:
            return original_get(self)
        finally:
            del self.serialized

    FakeBucket.set_lifecycle = set_lifecycle  # type: ignore[method-assign]
    S3Response.get_bucket_lifecycle = get_bucket_lifecycle  # type: ignore[method-assign]
    _installed.append("lifecycle")


def _as_list(value: Any) -> list[Any]:
    """xmltodict gives one element as a dict and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filter_parts(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """The Filter of a parsed rule and its And, the places where conditions can be."""
    lc_filter = rule.get("Filter") or {}
    if not isinstance(lc_filter, dict):
        return []
    and_filter = lc_filter.get("And") or {}
    return [lc_filter, and_filter] if isinstance(and_filter, dict) else [lc_filter]


def _filter_description(rule: dict[str, Any]) -> str:
    """How AWS names a rule's filter in its messages, e.g. ``(prefix=logs/)``."""
    prefix = rule.get("Prefix") or "".join(str(part.get("Prefix") or "") for part in _filter_parts(rule))
    return f"(prefix={prefix})"


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def _configuration_errors(rules: list[dict[str, Any]]) -> Iterator[S3ClientError]:
    if len(rules) > MAX_LIFECYCLE_RULES:
        yield MalformedXML()
    seen: set[str] = set()
    for rule in rules:
        rule_id = rule.get("ID")
        if rule_id is not None and len(str(rule_id)) > MAX_RULE_ID_LENGTH:
            yield LifecycleInvalidArgument(f"ID length should not exceed allowed limit of {MAX_RULE_ID_LENGTH}")
        if rule_id is not None and rule_id in seen:
            yield LifecycleInvalidArgument("Rule ID must be unique. Found same ID for more than one rule")
        seen.add(rule_id)
        yield from _rule_errors(rule)


def _rule_errors(rule: dict[str, Any]) -> Iterator[S3ClientError]:
    if not any(rule.get(action) is not None for action in _ACTIONS):
        yield LifecycleInvalidRequest("At least one action needs to be specified in a rule")
    for transition in _as_list(rule.get("Transition")):
        storage_class, days = transition.get("StorageClass"), _int(transition.get("Days"))
        if storage_class in IA_STORAGE_CLASSES and days is not None and days < IA_MINIMUM_DAYS:
            yield LifecycleInvalidArgument(
                f"'Days' in Transition action must be greater than or equal to {IA_MINIMUM_DAYS} "
                f"for storageClass '{storage_class}'"
            )
    for transition in _as_list(rule.get("NoncurrentVersionTransition")):
        storage_class, days = transition.get("StorageClass"), _int(transition.get("NoncurrentDays"))
        if storage_class in IA_STORAGE_CLASSES and days is not None and days < IA_MINIMUM_DAYS:
            yield LifecycleInvalidArgument(
                f"'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to "
                f"{IA_MINIMUM_DAYS} for storageClass '{storage_class}'"
            )
    yield from _day_count_errors(rule)
    expiration = rule.get("Expiration") or {}
    expiration_days = _int(expiration.get("Days")) if isinstance(expiration, dict) else None
    if expiration_days is not None:
        if expiration_days <= 0:
            yield LifecycleInvalidArgument("'Days' for Expiration action must be a positive integer")
        transition_days = [_int(t.get("Days")) for t in _as_list(rule.get("Transition"))]
        if any(days is not None and expiration_days <= days for days in transition_days):
            yield LifecycleInvalidArgument(
                f"'Days' in the Expiration action for filter '{_filter_description(rule)}' must be greater than "
                "'Days' in the Transition action"
            )
    parts = _filter_parts(rule)
    has_tags = any(part.get("Tag") is not None for part in parts)
    has_size = any(part.get(key) is not None for part in parts for key in _SIZE_KEYS)
    if rule.get("AbortIncompleteMultipartUpload") is not None:
        if has_tags:
            yield LifecycleInvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.")
        if has_size:
            yield LifecycleInvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Object Size.")
    if isinstance(expiration, dict) and str(expiration.get("ExpiredObjectDeleteMarker")).lower() == "true" and has_tags:
        yield LifecycleInvalidRequest("ExpiredObjectDeleteMarker cannot be specified with Tags.")


def _day_count_errors(rule: dict[str, Any]) -> Iterator[S3ClientError]:
    """Day counts AWS requires positive (non-zero) or non-negative, by action."""
    for action, field in _POSITIVE_DAYS:
        element = rule.get(action)
        days = _int(element.get(field)) if isinstance(element, dict) else None
        if days is not None and days <= 0:
            yield LifecycleInvalidArgument(f"'{field}' for {action} action must be a positive integer")
    for action, field in _NON_NEGATIVE_DAYS:
        for element in _as_list(rule.get(action)):
            days = _int(element.get(field)) if isinstance(element, dict) else None
            if days is not None and days < 0:
                yield LifecycleInvalidArgument(f"'{field}' in {action} action must be nonnegative")


def _validate_lifecycle(rules: list[dict[str, Any]]) -> None:
    for error in _configuration_errors(rules):
        raise error


def lifecycle_rule_validation() -> None:
    """PutBucketLifecycleConfiguration refuses what AWS refuses, and leaves the configuration unchanged:

    - a transition (or noncurrent version transition) to ``STANDARD_IA`` or ``ONEZONE_IA`` before 30 days
      (InvalidArgument ``'Days' in Transition action must be greater than or equal to 30 for storageClass
      'STANDARD_IA'``);
    - ``Expiration.Days`` not a positive integer, or not greater than the days of every transition of the rule
      (InvalidArgument);
    - two rules with the same ID, an ID longer than 255 characters (InvalidArgument), more than 1000 rules
      (MalformedXML);
    - a rule without any action (InvalidRequest ``At least one action needs to be specified in a rule``);
    - ``AbortIncompleteMultipartUpload`` in a rule filtered by tags or object size, ``ExpiredObjectDeleteMarker``
      in a rule filtered by tags (InvalidRequest);
    - ``NoncurrentVersionExpiration.NoncurrentDays`` or ``AbortIncompleteMultipartUpload.DaysAfterInitiation`` not a
      positive integer (API reference: NoncurrentDays "The value must be a non-zero positive integer"), a negative
      ``Transition.Days`` / ``NoncurrentVersionTransition.NoncurrentDays`` (Transition Days: "The value can be 0 or
      any positive integer", so 0 stays accepted) (InvalidArgument).

    moto stored all of these (it only checks the XML structure), so a client validated against moto fails on AWS
    at the first apply.
    """
    _install_hooks()
    _validators.append(_validate_lifecycle)


# ---------------------------------------------------------------------------------------------
# Round trip of fields moto drops
# ---------------------------------------------------------------------------------------------
_SIZES_ATTR = "_payments_filter_sizes"
_NEWER_VERSIONS_ATTR = "_payments_nve_newer_noncurrent_versions"


def _remember_sizes(rule: LifecycleRule, raw: dict[str, Any]) -> None:
    sizes: dict[str, dict[str, int]] = {}
    for where, part in zip(("Filter", "And"), _filter_parts(raw), strict=False):
        found = {key: int(part[key]) for key in _SIZE_KEYS if part.get(key) is not None}
        if found:
            sizes[where] = found
    setattr(rule, _SIZES_ATTR, sizes)


def _render_sizes(rendered: dict[str, Any], rule: LifecycleRule) -> None:
    sizes = getattr(rule, _SIZES_ATTR, {})
    if "Filter" in sizes:
        rendered.setdefault("Filter", {}).update(sizes["Filter"])
    if "And" in sizes:
        rendered.setdefault("Filter", {}).setdefault("And", {}).update(sizes["And"])


def lifecycle_object_size_filters() -> None:
    """A lifecycle rule keeps its object size conditions: ``Filter.ObjectSizeGreaterThan`` /
    ``Filter.ObjectSizeLessThan`` (alone or under ``Filter.And``) are stored, applied to the rule and returned by
    GetBucketLifecycleConfiguration, as AWS does.

    moto parses only ``Prefix`` and ``Tag`` of a filter and drops the sizes: a rule limited to large objects came
    back as ``Filter: {}`` (every object), so a client comparing its rules with the bucket's never converged.
    """
    _install_hooks()
    _after_set.append(_remember_sizes)
    _renderers.append(_render_sizes)


def _remember_newer_versions(rule: LifecycleRule, raw: dict[str, Any]) -> None:
    expiration = raw.get("NoncurrentVersionExpiration") or {}
    newer = expiration.get("NewerNoncurrentVersions") if isinstance(expiration, dict) else None
    setattr(rule, _NEWER_VERSIONS_ATTR, int(newer) if newer is not None else None)


def _render_newer_versions(rendered: dict[str, Any], rule: LifecycleRule) -> None:
    newer = getattr(rule, _NEWER_VERSIONS_ATTR, None)
    if newer is not None and "NoncurrentVersionExpiration" in rendered:
        rendered["NoncurrentVersionExpiration"]["NewerNoncurrentVersions"] = newer


def lifecycle_noncurrent_expiration_newer_versions() -> None:
    """``NoncurrentVersionExpiration.NewerNoncurrentVersions`` (how many noncurrent versions to keep whatever their
    age) is stored and returned by GetBucketLifecycleConfiguration, as AWS does.

    moto keeps only ``NoncurrentDays`` and drops it (it keeps the same field of NoncurrentVersionTransition), so the
    rule read back differed from the rule written.
    """
    _install_hooks()
    _after_set.append(_remember_newer_versions)
    _renderers.append(_render_newer_versions)


# ---------------------------------------------------------------------------------------------
# Conditional writes: the condition and the write of a key as one step
# ---------------------------------------------------------------------------------------------
class _KeyLocks:
    """A reentrant lock per object key, kept only while a request holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._entries: dict[tuple[str, ...], list[Any]] = {}  # key -> [RLock, holders and waiters]

    @contextlib.contextmanager
    def held(self, backend: S3Backend, bucket_name: str, key_name: str) -> Iterator[None]:
        key = (backend.account_id, backend.partition, bucket_name, key_name)
        with self._guard:
            entry = self._entries.setdefault(key, [threading.RLock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._entries[key]


_key_locks = _KeyLocks()


def conditional_writes_atomic() -> None:
    """A conditional write of an object is atomic, as on S3: its condition is evaluated against the key as it is
    when the write lands, so of concurrent ``PutObject`` requests with ``If-None-Match: *`` on one key exactly one
    succeeds and the others get 412 ``PreconditionFailed`` (S3 may also answer 409 ``ConditionalRequestConflict``
    while another write of the key is in progress; here they wait for it and then get 412), and of concurrent
    ``If-Match: <etag>`` writes or deletes naming the same ETag exactly one succeeds.

    moto evaluates ``If-None-Match``/``If-Match`` in its response layer and writes afterwards without any lock, so
    on the threaded emulator two conditional writes racing on one key could both get 200, the later silently
    overwriting the earlier (two runs both "holding" a create-only lock such as Terraform's ``use_lockfile`` or
    ``payments.infra.run_lock``). Now every write of a key is serialized per (account, bucket, key): PutObject,
    CopyObject (its destination), DeleteObject and CompleteMultipartUpload from their precondition check to the
    end of the write, and any other write through the backend (DeleteObjects, POST uploads) for its store.
    Requests on different keys still run in parallel.
    """

    def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(self: S3Response, *args: Any, **kwargs: Any) -> Any:
            with _key_locks.held(self.backend, self.bucket_name, self.parse_key_name()):
                return method(self, *args, **kwargs)

        return wrapper

    original_post = S3Response._key_response_post

    @functools.wraps(original_post)
    def key_response_post(
        self: S3Response, request: Any, body: bytes, bucket_name: str, query: dict[str, Any], key_name: str
    ) -> Any:
        if not query.get("uploadId"):  # only CompleteMultipartUpload writes the key
            return original_post(self, request, body, bucket_name, query, key_name)
        with _key_locks.held(self.backend, bucket_name, key_name):
            return original_post(self, request, body, bucket_name, query, key_name)

    def backend_write(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(self: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
            with _key_locks.held(self, bucket_name, key_name):
                return method(self, bucket_name, key_name, *args, **kwargs)

        return wrapper

    S3Response.put_object = serialized(S3Response.put_object)  # type: ignore[method-assign]
    S3Response.copy_object = serialized(S3Response.copy_object)  # type: ignore[method-assign]
    S3Response.delete_object = serialized(S3Response.delete_object)  # type: ignore[method-assign]
    S3Response._key_response_post = key_response_post  # type: ignore[method-assign]
    S3Backend.put_object = backend_write(S3Backend.put_object)  # type: ignore[method-assign]
    S3Backend.delete_object = backend_write(S3Backend.delete_object)  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Bucket policy conditions
# ---------------------------------------------------------------------------------------------
# The request context every request to the emulator has on AWS: S3 endpoints are reached over TLS (the
# emulator's plain HTTP stands in for the HTTPS endpoint, as its dummy credentials stand in for real ones).
REQUEST_CONTEXT = {"aws:securetransport": "true"}


def _values(value: Any) -> list[str]:
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(value)]


_NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike")


_OPERATORS: dict[str, Callable[[str, list[str]], bool]] = {
    "Bool": lambda actual, wanted: actual.lower() in [w.lower() for w in wanted],
    "StringEquals": lambda actual, wanted: actual in wanted,
    "StringNotEquals": lambda actual, wanted: actual not in wanted,
    "StringEqualsIgnoreCase": lambda actual, wanted: actual.lower() in [w.lower() for w in wanted],
    "StringLike": lambda actual, wanted: any(fnmatch.fnmatchcase(actual, w) for w in wanted),
}


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    """One condition of a statement, as IAM evaluates it; an operator not modelled here does not hold."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    actual = context.get(key.lower())
    wanted = _values(expected)
    if base == "Null":
        return (actual is None) == (wanted[0].lower() == "true")
    if actual is None:  # a key the request does not carry: only ...IfExists and negated operators hold
        return if_exists or base in _NEGATED
    check = _OPERATORS.get(base)
    return bool(check and check(actual, wanted))


def _conditions_hold(conditions: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, keys in (conditions or {}).items()
        for key, expected in keys.items()
    )


def bucket_policy_conditions() -> None:
    """A bucket policy statement applies only when its ``Condition`` holds for the request, as on S3.

    moto evaluates a bucket policy's statements for object requests but ignores the ``Bool`` operator (and most
    others) of their conditions, and turns a statement whose condition fails into an explicit deny. So the
    TLS-only statement every hardened bucket carries (``Deny`` ``s3:*`` to ``*`` when ``aws:SecureTransport`` is
    ``false``) denied *every* object request, where S3 denies only requests made without TLS; and a denied object
    request got a bare 403 without S3's ``AccessDenied`` error document. Now each statement
    is evaluated with the request context of a request to AWS (``aws:SecureTransport`` = ``true``: S3 is reached
    over HTTPS): a statement whose condition does not hold does not apply; ``Bool``, ``StringEquals``,
    ``StringNotEquals``, ``StringEqualsIgnoreCase``, ``StringLike``, ``Null`` and the ``...IfExists`` forms are
    evaluated; a condition on a key the request context lacks holds only with ``...IfExists``, ``Null: true`` or a
    negated operator (IAM's rule for a missing key), and an operator not modelled here does not hold.
    """

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
        permitted = False
        for statement in _as_list(document.get("Statement")):
            if not _conditions_hold(statement.get("Condition"), REQUEST_CONTEXT):
                continue
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    original_key_response = S3Response._key_response

    @functools.wraps(original_key_response)
    def key_response(self: S3Response, request: Any, full_url: str) -> Any:
        answer = original_key_response(self, request, full_url)
        if isinstance(answer, tuple) and answer[0] == 403 and not answer[2]:
            # moto's bare 403 of a policy deny: S3 answers it with an AccessDenied error document.
            raise S3AccessDeniedError()
        return answer

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    S3Response._key_response = key_response  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Bucket names
# ---------------------------------------------------------------------------------------------
def bucket_name_valid(name: str) -> bool:
    """Whether S3 accepts ``name`` for a new general purpose bucket."""
    low, high = BUCKET_NAME_LENGTH
    return (
        low <= len(name) <= high
        and _BUCKET_NAME.match(name) is not None
        and ".." not in name
        and _IP_ADDRESS.match(name) is None
        and not name.startswith(BUCKET_NAME_RESERVED_PREFIXES)
        and not name.endswith(BUCKET_NAME_RESERVED_SUFFIXES)
    )


def bucket_name_rules() -> None:
    """CreateBucket refuses a name S3 refuses (InvalidBucketName ``The specified bucket is not valid.``, HTTP 400). S3
    User Guide, general purpose bucket naming rules: "Bucket names must be between 3 (min) and 63 (max) characters
    long. Bucket names can consist only of lowercase letters, numbers, periods (.), and hyphens (-). Bucket names must
    begin and end with a letter or number. Bucket names must not contain two adjacent periods. Bucket names must not
    be formatted as an IP address (for example, 192.168.5.4). Bucket names must not start with the prefix xn--,
    sthree-, amzn-s3-demo-. Bucket names must not end with the suffix -s3alias, --ol-s3, .mrap, --x-s3,
    --table-s3."

    moto checked the length only: it created ``Abc``, ``-abc``, ``a_b``, ``a..b``, ``192.168.1.1``, ``abc-s3alias``.
    """

    def check(backend: S3Backend, bucket_name: str, *args: Any, **kwargs: Any) -> None:
        if not bucket_name_valid(bucket_name):
            raise InvalidBucketName()

    check_before(S3Backend, "create_bucket", check)
