"""RDS fidelity patches."""

from __future__ import annotations

import ast
import functools
import json
import math
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.ec2.models.instance_types import INSTANCE_TYPES
from moto.rds.exceptions import DBParameterGroupNotFoundError
from moto.rds.exceptions import RDSClientError
from moto.rds.models import DBInstance
from moto.rds.models import DBParameterGroup
from moto.rds.models import MasterUserSecret
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse

from emulator import latency

BASELINE_LOW = (3000, 125)
BASELINE_HIGH = (12000, 500)
# Engines whose gp3 baseline rises to BASELINE_HIGH at this allocated storage (GiB).
_HIGH_BASELINE_THRESHOLD_GIB = {"postgres": 400, "mysql": 400, "mariadb": 400, "db2": 400, "oracle": 200}
_GP3_FIELDS = ("iops", "storage_throughput")
# Instance attribute naming the gp3 fields this patch filled in (rather than the caller).
_DEFAULTED_ATTR = "_fidelity_gp3_defaults"


def gp3_baseline(engine: str, allocated_storage: int) -> tuple[int, int] | None:
    """(IOPS, MiB/s) AWS provisions for a gp3 DB instance of this engine and size, None if not modelled."""
    if engine.lower().startswith("sqlserver"):
        return BASELINE_LOW
    threshold = _HIGH_BASELINE_THRESHOLD_GIB.get(engine.lower().split("-")[0])
    if threshold is None:
        return None
    return BASELINE_HIGH if allocated_storage >= threshold else BASELINE_LOW


def _apply_gp3_baseline(db: DBInstance, given: set[str]) -> None:
    """Fill (or refresh, or drop) the baseline Iops/StorageThroughput the caller did not set explicitly."""
    if db.db_cluster_identifier is not None:
        return  # Aurora instances take storage from the cluster.
    defaulted = set(getattr(db, _DEFAULTED_ATTR, frozenset())) - given
    baseline = gp3_baseline(db.engine, int(db.allocated_storage)) if db.storage_type == "gp3" else None
    if baseline is None:
        for field in defaulted:
            setattr(db, field, None)
        defaulted.clear()
    else:
        for field, value in zip(_GP3_FIELDS, baseline, strict=True):
            if field not in given and (getattr(db, field) is None or field in defaulted):
                setattr(db, field, value)
                defaulted.add(field)
    # Reassigned, never mutated: read replicas start as shallow copies of their primary.
    setattr(db, _DEFAULTED_ATTR, frozenset(defaulted))


def _given(kwargs: dict[str, Any]) -> set[str]:
    """The gp3 performance fields a create/modify request set explicitly."""
    return {field for field in _GP3_FIELDS if kwargs.get(field) is not None}


def gp3_baseline_performance() -> None:
    """Every gp3 DB instance reports ``Iops`` and ``StorageThroughput``, including when they were not given.

    AWS provisions the gp3 baseline and returns it from CreateDBInstance, DescribeDBInstances and
    ModifyDBInstance: for Db2, MariaDB, MySQL and PostgreSQL 3000 IOPS / 125 MiB/s below 400 GiB and
    12000 IOPS / 500 MiB/s from 400 GiB (Oracle: from 200 GiB; SQL Server: always 3000 / 125). Growing the
    storage past the threshold raises a baseline that was not set explicitly; explicit values are kept; leaving
    gp3 drops the baseline values. moto omits both unless they were passed, and amazon.aws's rds_instance then
    fails on re-runs with ``KeyError: 'StorageThroughput'``. ``DBInstance.__init__`` and ``DBInstance.update``
    (used by ModifyDBInstance and read replicas) are wrapped; the response serializer reads the model's
    ``iops``/``storage_throughput`` attributes, so the values appear in every DBInstance response.
    """
    original_init = DBInstance.__init__
    original_update = DBInstance.update

    @functools.wraps(original_init)
    def __init__(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        _apply_gp3_baseline(self, _given(kwargs))

    @functools.wraps(original_update)
    def update(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_update(self, *args, **kwargs)
        _apply_gp3_baseline(self, _given(kwargs))

    DBInstance.__init__ = __init__  # type: ignore[method-assign]
    DBInstance.update = update  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------------------------
# RDS for PostgreSQL catalog: engine versions, orderable instance options and engine-default parameters, as AWS
# publishes them (emulator/data/rds_postgres.json says from where and when). Only the ``postgres`` engine is modelled;
# other engines keep moto's answers.
# --------------------------------------------------------------------------------------------------------------------

_DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "rds_postgres.json"
ENGINE = "postgres"
# Parameter-group families AWS accepts for postgres without this catalog modelling them (older or newer majors).
_UNMODELLED_POSTGRES_FAMILIES = {"postgres9.3", "postgres9.4", "postgres9.5", "postgres9.6", "postgres10"}
_UNMODELLED_POSTGRES_FAMILIES |= {"postgres11", "postgres12", "postgres18"}
_MAX_PARAMETERS_PER_CALL = 20
# Parameters in 8 kB pages that must fit in the instance class memory for PostgreSQL to start. shared_buffers is
# allocated at start; effective_cache_size is only a planner estimate (nothing is allocated), and AWS starts
# instances with it above the class memory: the seed's own fix ran effective_cache_size=393216 (3 GiB in 8 kB pages)
# on db.t3.micro (1 GiB) and db.t3.small (2 GiB), both deployed. Values above its AllowedValues are refused at
# ModifyDBParameterGroup instead.
MEMORY_BOUND_PARAMETERS: tuple[str, ...] = ("shared_buffers",)
_PAGE_BYTES = 8192
_GP3_PROVISIONING_MIN_GIB = 400
INCOMPATIBLE_PARAMETERS = "incompatible-parameters"


@functools.cache
def postgres_catalog() -> dict[str, Any]:
    """The RDS for PostgreSQL catalog (emulator/data/rds_postgres.json), loaded once."""
    with _DATA_FILE.open(encoding="utf-8") as handle:
        catalog: dict[str, Any] = json.load(handle)
    return catalog


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _major(version: str) -> str:
    return version.split(".", maxsplit=1)[0]


def available_versions() -> list[str]:
    """Every PostgreSQL version AWS offers (status ``available``), oldest first."""
    majors = postgres_catalog()["Majors"].values()
    return sorted((v for major in majors for v in major["Versions"]), key=version_key)


def family_of(version: str) -> str | None:
    """DBParameterGroupFamily of an offered version, None if the version is not offered."""
    major = postgres_catalog()["Majors"].get(_major(version))
    return major["DBParameterGroupFamily"] if major and version in major["Versions"] else None


def resolve_engine_version(version: str | None) -> str | None:
    """The version AWS creates for a requested EngineVersion: the engine default when none is given, the default minor
    of a major given alone ("15"), the version itself when offered; None when AWS has no such version."""
    catalog = postgres_catalog()
    if not version:
        return str(catalog["DefaultEngineVersion"])
    if version in catalog["Majors"]:
        return str(catalog["Majors"][version]["DefaultVersion"])
    return version if family_of(version) else None


def modelled_families() -> set[str]:
    return set(postgres_catalog()["EngineDefaults"])


def engine_defaults(family: str) -> list[dict[str, Any]] | None:
    """AWS's engine-default parameters of a family (API fields only), None if the family is not modelled."""
    parameters = postgres_catalog()["EngineDefaults"].get(family)
    if parameters is None:
        return None
    return [{key: value for key, value in p.items() if key != "Unit"} for p in parameters]


def _parameter_metadata(family: str | None) -> dict[str, dict[str, Any]] | None:
    defaults = engine_defaults(family) if family else None
    return None if defaults is None else {p["ParameterName"]: p for p in defaults}


def storage_types_for(instance_class: str) -> list[str]:
    """Storage types orderable with a DB instance class."""
    family = instance_class.rsplit(".", 1)[0]
    return [
        name
        for name, limits in postgres_catalog()["StorageTypes"].items()
        if family in limits.get("InstanceClassFamilies", [family])
    ]


def is_orderable(version: str, instance_class: str) -> bool:
    return family_of(version) is not None and instance_class in postgres_catalog()["InstanceClasses"]


def class_memory_bytes(instance_class: str) -> int | None:
    """Memory of a DB instance class, from moto's EC2 instance-type data (``db.r6g.large`` -> ``r6g.large``)."""
    info = INSTANCE_TYPES.get(instance_class.removeprefix("db."))
    return None if info is None else int(info["MemoryInfo"]["SizeInMiB"]) * 1024 * 1024


def _class_vcpus(instance_class: str) -> int:
    info = INSTANCE_TYPES.get(instance_class.removeprefix("db."), {})
    return int(info.get("VCpuInfo", {}).get("DefaultVCpus", 2))


# ---- parameter values: formulas and AllowedValues -------------------------------------------------------------------

_FORMULA_FUNCTIONS: dict[str, Callable[..., float]] = {
    "LEAST": min,
    "GREATEST": max,
    "SUM": lambda *args: float(sum(args)),
    "LOG": lambda x: math.log2(x) if x > 0 else 0.0,
}


def _divide(left: float, right: float) -> float:
    if right == 0:
        raise ValueError("division by zero")
    return left / right


_FORMULA_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: _divide,
}

_FORMULA_START = re.compile(r"^\s*(\{|\$\{|(LEAST|GREATEST|SUM)\s*\()", re.IGNORECASE)


def is_formula(value: str) -> bool:
    """An RDS parameter formula: ``{DBInstanceClassMemory*3/32768}``, ``LEAST({...},5000)``, ``GREATEST(...)``."""
    return bool(_FORMULA_START.match(value))


def evaluate_formula(value: str, variables: dict[str, float]) -> float:
    """Evaluate an RDS parameter formula; ValueError if it is not one RDS could evaluate."""
    expression = value.replace("${", "{").replace("{", "(").replace("}", ")")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        raise ValueError(value) from error

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in variables:
            return float(variables[node.id])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        operator = _FORMULA_OPERATORS.get(type(node.op)) if isinstance(node, ast.BinOp) else None
        if operator is not None:
            return operator(walk(node.left), walk(node.right))  # type: ignore[attr-defined]
        function = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args and not node.keywords:
            function = _FORMULA_FUNCTIONS.get(node.func.id.upper())
        if function is None:
            raise ValueError(value)
        return float(function(*(walk(arg) for arg in node.args)))  # type: ignore[attr-defined]

    return walk(tree)


def _formula_variables(instance_class: str | None = None, allocated_storage: int = 20, port: int = 5432) -> dict:
    memory = class_memory_bytes(instance_class or "") or 1024**3
    return {
        "DBInstanceClassMemory": memory,
        "DBInstanceVCPU": _class_vcpus(instance_class or ""),
        "AllocatedStorage": allocated_storage * 1024**3,
        "EndPointPort": port,
    }


_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_RANGE = re.compile(rf"^({_NUMBER})-({_NUMBER})$")


def _number_allowed(number: float, allowed: str) -> bool:
    for item in allowed.split(","):
        match = _RANGE.match(item.strip())
        if match and float(match.group(1)) <= number <= float(match.group(2)):
            return True
        if not match and re.fullmatch(_NUMBER, item.strip()) and float(item) == number:
            return True
    return False


def _is_valid_number(data_type: str, allowed: str | None, value: str) -> bool:
    if is_formula(value):
        try:
            evaluate_formula(value, _formula_variables())
        except ValueError:
            return False
        return True
    try:
        number = int(value) if data_type == "integer" else float(value)
    except ValueError:
        return False
    return allowed is None or _number_allowed(number, allowed)


def is_valid_value(parameter: dict[str, Any], value: str) -> bool:
    """Whether RDS accepts ``value`` for a parameter with this metadata (DataType and AllowedValues)."""
    data_type, allowed = parameter.get("DataType", "string"), parameter.get("AllowedValues")
    if data_type in ("integer", "float"):
        return _is_valid_number(data_type, allowed, value)
    if allowed is None:
        return True
    choices = {choice.strip().lower() for choice in allowed.split(",")}
    items = value.split(",") if data_type == "list" else [value]
    return all(item.strip().lower() in choices for item in items if item.strip() or data_type != "list")


# ---- errors ---------------------------------------------------------------------------------------------------------


def _combination(message: str) -> RDSClientError:
    return RDSClientError("InvalidParameterCombination", message)


def _invalid(message: str) -> RDSClientError:
    return RDSClientError("InvalidParameterValue", message)


def _version_not_found(version: str) -> RDSClientError:
    return _combination(f"Cannot find version {version} for {ENGINE}")


def _class_not_orderable(instance_class: str, version: str) -> RDSClientError:
    return _combination(
        "RDS does not support creating a DB instance with the following combination: "
        f"DBInstanceClass={instance_class}, Engine={ENGINE}, EngineVersion={version}, "
        f"LicenseModel={postgres_catalog()['LicenseModel']}. For supported combinations of instance class and "
        "database engine version, see the documentation."
    )


def _group_not_found(name: str) -> RDSClientError:
    return RDSClientError("DBParameterGroupNotFound", f"DBParameterGroup not found: {name}")


# ---- DescribeDBEngineVersions ---------------------------------------------------------------------------------------


_CA_CERTIFICATES = ["rds-ca-2019", "rds-ca-ecc384-g1", "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1"]


def _engine_version_entry(version: str, status: str) -> dict[str, Any]:
    catalog = postgres_catalog()
    major = _major(version)
    targets = [
        {
            "Engine": ENGINE,
            "EngineVersion": target,
            "Description": f"PostgreSQL {target}-R1",
            "AutoUpgrade": False,
            "IsMajorVersionUpgrade": _major(target) != major,
            "SupportedEngineModes": ["provisioned"],
            "SupportsParallelQuery": False,
            "SupportsGlobalDatabases": False,
            "SupportsBabelfish": False,
            "SupportsLimitlessDatabase": False,
            "SupportsLocalWriteForwarding": False,
            "SupportsIntegrations": False,
        }
        for target in available_versions()
        if version_key(target) > version_key(version)
    ]
    return {
        "Engine": ENGINE,
        "EngineVersion": version,
        "MajorEngineVersion": major,
        "DBParameterGroupFamily": catalog["Majors"][major]["DBParameterGroupFamily"],
        "DBEngineDescription": catalog["DBEngineDescription"],
        "DBEngineVersionDescription": f"PostgreSQL {version}-R1",
        "ValidUpgradeTarget": targets,
        "ExportableLogTypes": ["postgresql", "upgrade"],
        "SupportsLogExportsToCloudwatchLogs": True,
        "SupportsReadReplica": True,
        "SupportedEngineModes": ["provisioned"],
        "SupportedFeatureNames": ["Lambda", "s3Export", "s3Import"],
        "Status": status,
        "SupportsParallelQuery": False,
        "SupportsGlobalDatabases": False,
        "SupportsBabelfish": False,
        "SupportsLimitlessDatabase": False,
        "SupportsCertificateRotationWithoutRestart": True,
        "SupportedCACertificateIdentifiers": [
            "rds-ca-2019",
            "rds-ca-ecc384-g1",
            "rds-ca-rsa2048-g1",
            "rds-ca-rsa4096-g1",
        ],
        "SupportsLocalWriteForwarding": False,
        "SupportsIntegrations": False,
    }


def _matches_version(version: str, wanted: str) -> bool:
    return version == wanted or version.startswith(wanted + ".")


def find_engine_versions(
    engine: str | None = None,
    engine_version: str | None = None,
    family: str | None = None,
    default_only: bool = False,
    include_all: bool = False,
    filters: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """The DBEngineVersions AWS lists for these DescribeDBEngineVersions arguments (postgres only)."""
    filters = filters or {}
    engines = filters.get("engine", []) + ([engine] if engine else [])
    if any(name != ENGINE for name in engines):
        return []
    catalog = postgres_catalog()
    statuses = set(filters.get("status", ["available", "deprecated"] if include_all else ["available"]))
    families = set(filters.get("db-parameter-group-family", [])) | ({family} if family else set())
    wanted_versions = filters.get("engine-version", []) + ([engine_version] if engine_version else [])
    if "provisioned" not in filters.get("engine-mode", ["provisioned"]):
        return []
    found = []
    for info in catalog["Majors"].values():
        if families and info["DBParameterGroupFamily"] not in families:
            continue
        for status, versions in (("available", info["Versions"]), ("deprecated", info["DeprecatedVersions"])):
            for version in versions:
                if status not in statuses or not all(_matches_version(version, w) for w in wanted_versions):
                    continue
                if default_only:
                    narrowed = bool(families or wanted_versions)
                    default = info["DefaultVersion"] if narrowed else catalog["DefaultEngineVersion"]
                    if version != default:
                        continue
                found.append(_engine_version_entry(version, status))
    return sorted(found, key=lambda entry: version_key(entry["EngineVersion"]))


def _page(items: list[dict[str, Any]], params: Any) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a Describe answer per MaxRecords (default 100) and Marker (opaque to clients: an offset here)."""
    size = int(params.get("MaxRecords") or 100)
    marker = params.get("Marker")
    start = int(marker) if marker and str(marker).isdigit() else 0
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _filters(params: Any) -> dict[str, list[str]]:
    return {f["Name"]: list(f.get("Values") or []) for f in params.get("Filters") or []}


def describe_db_engine_versions() -> None:
    """DescribeDBEngineVersions lists the PostgreSQL versions AWS offers (13.15 ... 17.6; no 15.4, which AWS retired),
    each with its DBParameterGroupFamily, honouring Engine, EngineVersion (exact or a major such as ``15``),
    DBParameterGroupFamily, DefaultOnly, IncludeAll (adds retired versions, Status ``deprecated``), the ``engine``,
    ``engine-version``, ``db-parameter-group-family``, ``status`` and ``engine-mode`` filters and MaxRecords/Marker.

    moto does not implement the action (HTTP 500), so amazon.aws.rds_engine_versions_info fails and no client can ask
    which version to use. Only the postgres engine is catalogued: any other engine gets an empty list.
    """

    def handler(self: RDSResponse) -> ActionResult:
        versions = find_engine_versions(
            engine=self.params.get("Engine"),
            engine_version=self.params.get("EngineVersion"),
            family=self.params.get("DBParameterGroupFamily"),
            default_only=bool(self.params.get("DefaultOnly")),
            include_all=bool(self.params.get("IncludeAll")),
            filters=_filters(self.params),
        )
        page, marker = _page(versions, self.params)
        return ActionResult({"DBEngineVersions": page, "Marker": marker})

    RDSResponse.describe_db_engine_versions = handler  # type: ignore[attr-defined]


# ---- DescribeEngineDefaultParameters --------------------------------------------------------------------------------


def _check_family(family: str | None) -> None:
    """AWS's answer to an unknown postgres parameter-group family."""
    if family and family.startswith(ENGINE) and family not in modelled_families() | _UNMODELLED_POSTGRES_FAMILIES:
        raise _invalid(f"ParameterGroupFamily {family} is not a valid parameter group family")


def describe_engine_default_parameters() -> None:
    """DescribeEngineDefaultParameters returns AWS's engine defaults of a postgres13 ... postgres17 family: every
    parameter with its default (formulas such as ``{DBInstanceClassMemory/16384}`` kept as strings), Description,
    Source, ApplyType, DataType, AllowedValues, IsModifiable and ApplyMethod; paginated with MaxRecords/Marker.
    An unknown postgres family answers ``InvalidParameterValue: ParameterGroupFamily <family> is not a valid
    parameter group family``.

    moto does not implement the action. Families of other engines (not catalogued) return no parameters.
    """

    def handler(self: RDSResponse) -> ActionResult:
        family = self.params.get("DBParameterGroupFamily")
        _check_family(family)
        page, marker = _page(engine_defaults(family) or [], self.params)
        defaults = {"DBParameterGroupFamily": family, "Parameters": page, "Marker": marker}
        return ActionResult({"EngineDefaults": defaults})

    RDSResponse.describe_engine_default_parameters = handler  # type: ignore[attr-defined]


# ---- DescribeOrderableDBInstanceOptions -----------------------------------------------------------------------------


def orderable_options(
    backend: Any,
    engine_version: str | None = None,
    instance_class: str | None = None,
    license_model: str | None = None,
    vpc: bool | None = None,
) -> list[dict[str, Any]]:
    """OrderableDBInstanceOptions rows for postgres: one per (version, instance class, storage type)."""
    catalog = postgres_catalog()
    if (license_model and license_model != catalog["LicenseModel"]) or vpc is False:
        return []
    zones = [
        {"Name": zone.name}
        for zone in ec2_backends[backend.account_id][backend.region_name].zones.get(backend.region_name, [])
    ] or [{"Name": f"{backend.region_name}{suffix}"} for suffix in "abc"]
    versions = [v for v in available_versions() if not engine_version or _matches_version(v, engine_version)]
    classes = [c for c in catalog["InstanceClasses"] if not instance_class or c == instance_class]
    rows = []
    for version in versions:
        for db_class in classes:
            for storage_type in storage_types_for(db_class):
                limits = {
                    k: v for k, v in catalog["StorageTypes"][storage_type].items() if k != "InstanceClassFamilies"
                }
                rows.append(
                    {
                        "Engine": ENGINE,
                        "EngineVersion": version,
                        "DBInstanceClass": db_class,
                        "LicenseModel": catalog["LicenseModel"],
                        "AvailabilityZoneGroup": backend.region_name,
                        "AvailabilityZones": zones,
                        "MultiAZCapable": True,
                        "ReadReplicaCapable": True,
                        "Vpc": True,
                        "SupportsStorageEncryption": True,
                        "StorageType": storage_type,
                        **limits,
                        "SupportsEnhancedMonitoring": True,
                        "SupportsIAMDatabaseAuthentication": True,
                        "SupportsPerformanceInsights": True,
                        "AvailableProcessorFeatures": [],
                        "SupportedEngineModes": ["provisioned"],
                        "SupportsStorageAutoscaling": True,
                        "SupportsKerberosAuthentication": True,
                        "OutpostCapable": False,
                        "SupportedActivityStreamModes": [],
                        "SupportsGlobalDatabases": False,
                        "SupportedNetworkTypes": ["IPV4", "DUAL"],
                        "SupportsClusters": False,
                        "SupportsDedicatedLogVolume": False,
                    }
                )
    return rows


def describe_orderable_db_instance_options() -> None:
    """DescribeOrderableDBInstanceOptions answers for postgres as AWS does: a row per offered version, orderable DB
    instance class (db.t3/db.t4g micro..2xlarge, db.m5/m6g/m6i/m7g and db.r5/r6g/r6i/r7g large and up) and storage
    type (gp2, gp3, io1; io2 on Graviton/6th-gen Intel classes) with MinStorageSize/MaxStorageSize, the IOPS and
    storage-throughput ranges and AvailabilityZones; honouring EngineVersion, DBInstanceClass, LicenseModel, Vpc and
    MaxRecords/Marker.

    moto answers only aurora-postgresql and neptune and returns an empty list for postgres.
    """
    original = RDSResponse.describe_orderable_db_instance_options

    @functools.wraps(original)
    def handler(self: RDSResponse) -> ActionResult:
        if self.params.get("Engine") != ENGINE:
            return original(self)
        rows = orderable_options(
            self.backend,
            engine_version=self.params.get("EngineVersion"),
            instance_class=self.params.get("DBInstanceClass"),
            license_model=self.params.get("LicenseModel"),
            vpc=self.params.get("Vpc"),
        )
        page, marker = _page(rows, self.params)
        return ActionResult({"OrderableDBInstanceOptions": page, "Marker": marker})

    RDSResponse.describe_orderable_db_instance_options = handler  # type: ignore[method-assign]


# ---- DB parameter groups --------------------------------------------------------------------------------------------


def _default_group(backend: RDSBackend, name: str | None) -> DBParameterGroup | None:
    """The named group; AWS's built-in ``default.<family>`` groups of modelled families exist in every account, so
    they are made on first reference (moto makes them only for an instance that uses one)."""
    if not name:
        return None
    group = backend.db_parameter_groups.get(name)
    family = name.removeprefix("default.")
    if group is None and name.startswith("default.") and family in modelled_families():
        group = DBParameterGroup(
            backend=backend,
            db_parameter_group_name=name,
            description=f"Default parameter group for {family}",
            db_parameter_group_family=family,
            tags=[],
        )
        backend.db_parameter_groups[name] = group
    return group


def effective_parameters(group: DBParameterGroup) -> list[dict[str, Any]] | None:
    """Every parameter of a group as DescribeDBParameters reports it: the family's engine defaults with the values the
    user set (Source ``user``); None if the family is not modelled."""
    metadata = _parameter_metadata(group.family)
    if metadata is None:
        return None
    for name, user_set in group.parameters.items():
        entry = dict(metadata.get(name) or {"ParameterName": name, "IsModifiable": True})
        if user_set.get("ParameterValue") is not None:
            entry["ParameterValue"] = str(user_set["ParameterValue"])
        entry["Source"] = "user"
        entry["ApplyMethod"] = user_set.get("ApplyMethod") or "pending-reboot"
        metadata[name] = entry
    return [metadata[name] for name in sorted(metadata)]


def _group_not_found_init(self: DBParameterGroupNotFoundError, db_parameter_group_name: str) -> None:
    RDSClientError.__init__(self, "DBParameterGroupNotFound", f"DBParameterGroup not found: {db_parameter_group_name}")


def parameter_group_not_found() -> None:
    """DescribeDBParameterGroups for a name that does not exist fails with ``DBParameterGroupNotFound:
    DBParameterGroup not found: <name>`` (AWS's wording, also used now wherever moto raises that error), and AWS's
    built-in ``default.postgres13`` ... ``default.postgres17`` groups exist (listed, describable) without an instance.

    moto returns an empty list for a missing name, which crashes amazon.aws.rds_instance_param_group
    (``list index out of range``) and lets clients believe a lookup succeeded.
    """
    DBParameterGroupNotFoundError.__init__ = _group_not_found_init  # type: ignore[method-assign]
    original = RDSResponse.describe_db_parameter_groups

    @functools.wraps(original)
    def handler(self: RDSResponse) -> ActionResult:
        name = self.params.get("DBParameterGroupName")
        if name:
            if _default_group(self.backend, name) is None:
                raise _group_not_found(name)
        else:
            for family in sorted(modelled_families()):
                _default_group(self.backend, f"default.{family}")
        return original(self)

    RDSResponse.describe_db_parameter_groups = handler  # type: ignore[method-assign]


def parameter_group_family_validation() -> None:
    """CreateDBParameterGroup with a postgres family AWS does not have (``postgres15.4``, ``postgres99``) fails with
    ``InvalidParameterValue: ParameterGroupFamily <family> is not a valid parameter group family``.

    moto accepts any family string. Families of other engines are not checked (not catalogued).
    """
    original = RDSResponse.create_db_parameter_group

    @functools.wraps(original)
    def handler(self: RDSResponse) -> ActionResult:
        _check_family(self.params.get("DBParameterGroupFamily"))
        return original(self)

    RDSResponse.create_db_parameter_group = handler  # type: ignore[method-assign]


def describe_db_parameters_full() -> None:
    """DescribeDBParameters returns every parameter of a postgres group: the family's engine defaults merged with the
    values set by the user (Source ``user``), each with Description, ApplyType, DataType, AllowedValues, IsModifiable
    and ApplyMethod, sorted by name; the Source filter (``user``, ``system``, ``engine-default``) and MaxRecords/Marker
    are honoured, and a missing group fails with ``DBParameterGroupNotFound``.

    moto returns only the parameters that were set, without any metadata, and ignores Source; clients that compare
    against the defaults or check AllowedValues see nothing to compare. Groups of non-modelled families keep moto's
    answer.
    """
    original = RDSResponse.describe_db_parameters

    @functools.wraps(original)
    def handler(self: RDSResponse) -> ActionResult:
        name = self.params.get("DBParameterGroupName")
        group = _default_group(self.backend, name)
        if group is None:
            raise _group_not_found(name)
        parameters = effective_parameters(group)
        if parameters is None:
            return original(self)
        source = self.params.get("Source")
        if source:
            parameters = [p for p in parameters if p.get("Source") == source]
        page, marker = _page(parameters, self.params)
        return ActionResult({"Parameters": page, "Marker": marker})

    RDSResponse.describe_db_parameters = handler  # type: ignore[method-assign]


def validate_parameter_changes(group: DBParameterGroup, changes: list[dict[str, Any]], resetting: bool = False) -> None:
    """Raise AWS's error for the first change RDS refuses; nothing is applied unless every change is valid."""
    if group.name.startswith("default."):
        raise _invalid("Cannot modify a default parameter group.")
    if len(changes) > _MAX_PARAMETERS_PER_CALL:
        raise _invalid(
            f"You can modify up to {_MAX_PARAMETERS_PER_CALL} parameters in a single request "
            f"({len(changes)} were given)."
        )
    metadata = _parameter_metadata(group.family)
    if metadata is None:
        return
    for change in changes:
        name, value = change.get("ParameterName"), change.get("ParameterValue")
        parameter = metadata.get(str(name))
        if parameter is None:
            raise _invalid(f"Could not find parameter with name: {name}")
        if not parameter["IsModifiable"]:
            raise _invalid(f"The parameter {name} cannot be modified.")
        if not resetting and value is not None and not is_valid_value(parameter, str(value)):
            allowed = parameter.get("AllowedValues", "")
            raise _invalid(f"Invalid parameter value: {value} for: {name} allowed values are: {allowed}")
        if change.get("ApplyMethod") == "immediate" and parameter["ApplyType"] == "static":
            raise _combination("cannot use immediate apply method for static parameter")


def _requested_changes(params: Any) -> list[dict[str, Any]]:
    return [p.original_dict() if hasattr(p, "original_dict") else dict(p) for p in params.get("Parameters") or []]


def modify_db_parameter_group_validation() -> None:
    """ModifyDBParameterGroup refuses, with nothing changed, what RDS refuses: an unknown parameter
    (``InvalidParameterValue: Could not find parameter with name: <name>``), a non-modifiable one (``The parameter
    <name> cannot be modified.``), a value outside AllowedValues or not of the DataType (``Invalid parameter value:
    <value> for: <name> allowed values are: <AllowedValues>``; formulas such as ``{DBInstanceClassMemory*3/32768}``
    are accepted for integer parameters), ApplyMethod ``immediate`` for a static parameter
    (``InvalidParameterCombination: cannot use immediate apply method for static parameter``), a default group
    (``Cannot modify a default parameter group.``) and more than 20 parameters in one call.

    moto stores any name and value (``effective_cache_size=-5``, ``log_statement=bogus``). Non-modelled families are
    checked only for the default-group and 20-parameter rules.
    """
    original = RDSResponse.modify_db_parameter_group

    @functools.wraps(original)
    def handler(self: RDSResponse) -> ActionResult:
        group = _default_group(self.backend, self.params.get("DBParameterGroupName"))
        if group is not None:
            validate_parameter_changes(group, _requested_changes(self.params))
        return original(self)

    RDSResponse.modify_db_parameter_group = handler  # type: ignore[method-assign]


def reset_db_parameter_group() -> None:
    """ResetDBParameterGroup returns parameters of a group to the engine defaults: all of them with
    ResetAllParameters, otherwise the listed ones, with the same name / modifiable / static-immediate checks as
    ModifyDBParameterGroup (and ``Cannot modify a default parameter group.``).

    moto does not implement the action.
    """

    def handler(self: RDSResponse) -> ActionResult:
        name = self.params.get("DBParameterGroupName")
        group = _default_group(self.backend, name)
        if group is None:
            raise _group_not_found(name)
        changes = _requested_changes(self.params)
        if self.params.get("ResetAllParameters"):
            validate_parameter_changes(group, [], resetting=True)
            group.parameters.clear()
        else:
            validate_parameter_changes(group, changes, resetting=True)
            for change in changes:
                group.parameters.pop(change.get("ParameterName"), None)
        return ActionResult({"DBParameterGroupName": group.name})

    RDSResponse.reset_db_parameter_group = handler  # type: ignore[attr-defined]


# ---- DB instances ---------------------------------------------------------------------------------------------------


def _is_postgres_instance(engine: str | None, cluster_identifier: str | None) -> bool:
    return (engine or "").lower() == ENGINE and not cluster_identifier


def _check_group_family(backend: RDSBackend, name: str | None, family: str | None) -> None:
    group = _default_group(backend, name)
    if group is not None and family is not None and group.family != family:
        raise _combination(
            f"The Parameter Group {group.name} with DBParameterGroupFamily {group.family} cannot be used for this "
            f"instance. Please use a Parameter Group with DBParameterGroupFamily {family}"
        )


def _check_storage(storage_type: str | None, allocated: Any, iops: Any, throughput: Any) -> None:
    limits = postgres_catalog()["StorageTypes"].get(storage_type or "")
    if limits is None or allocated is None:
        return
    size = int(allocated)
    if not limits["MinStorageSize"] <= size <= limits["MaxStorageSize"]:
        raise _invalid(f"Invalid storage size for engine name {ENGINE} and storage type {storage_type}: {size}")
    if storage_type == "gp3" and size < _GP3_PROVISIONING_MIN_GIB and (iops is not None or throughput is not None):
        raise _combination(
            f"You can't specify IOPS or storage throughput for engine {ENGINE} and a storage size less than "
            f"{_GP3_PROVISIONING_MIN_GIB}."
        )


# CreateDBInstance limits for RDS for PostgreSQL (API reference, CreateDBInstance).
POSTGRES_NAME_MAX = 63
_POSTGRES_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
PORT_RANGE = (1150, 65535)
BACKUP_RETENTION_RANGE = (0, 35)
# MaxAllocatedStorage: "at least 10% more than the current allocated storage" (User Guide, storage autoscaling).
STORAGE_AUTOSCALING_MIN_HEADROOM = 1.1
# Names the engine reserves: RDS's own roles and PostgreSQL's reserved key words (PostgreSQL documentation, SQL Key
# Words, the "reserved" entries of the PostgreSQL column). "postgres" is not one: it is the console's default master
# user name.
POSTGRES_RESERVED_NAMES = frozenset(
    {
        "rdsadmin", "rdsrepladmin", "rds_superuser", "rds_replication", "rds_iam", "rds_password", "rdstopmgr",
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
        "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
        "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
        "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
        "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
        "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
        "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union",
        "unique", "user", "using", "variadic", "when", "where", "window", "with",
    }
)  # fmt: skip


def _check_name(parameter: str, name: Any) -> None:
    if name is None:
        return
    name = str(name)
    if not 1 <= len(name) <= POSTGRES_NAME_MAX or not _POSTGRES_NAME.match(name):
        raise _invalid(
            f"{parameter} must be 1 to {POSTGRES_NAME_MAX} letters, numbers or underscores and begin with a letter: "
            f"{name}"
        )
    if name.lower() in POSTGRES_RESERVED_NAMES or name.lower().startswith("pg_"):
        raise _invalid(f"{parameter} {name} cannot be used as it is a reserved word used by the engine")


def _check_backup_retention(period: Any) -> None:
    low, high = BACKUP_RETENTION_RANGE
    if period is not None and not low <= int(period) <= high:
        raise _invalid(f"Invalid backup retention period: {period}. It must be a value from {low} to {high}.")


def _check_max_allocated_storage(maximum: Any, allocated: Any, storage_type: str | None) -> None:
    if maximum is None or allocated is None:
        return
    maximum, allocated = int(maximum), int(allocated)
    # equal: autoscaling off (moto then reports none); below: moto's own InvalidParameterCombination
    if allocated < maximum < math.ceil(allocated * STORAGE_AUTOSCALING_MIN_HEADROOM):
        raise _invalid(f"Invalid max storage size for engine name {ENGINE} and storage type {storage_type}: {maximum}")


def _validate_instance_limits(db_kwargs: Any) -> None:
    _check_name("DBName", db_kwargs.get("db_name"))
    _check_name("MasterUsername", db_kwargs.get("master_username"))
    port = db_kwargs.get("port")
    if port is not None and not PORT_RANGE[0] <= int(port) <= PORT_RANGE[1]:
        raise _invalid(f"Invalid port {port}: the port must be from {PORT_RANGE[0]} to {PORT_RANGE[1]}")
    _check_backup_retention(db_kwargs.get("backup_retention_period"))
    _check_max_allocated_storage(
        db_kwargs.get("max_allocated_storage"),
        db_kwargs.get("allocated_storage"),
        db_kwargs.get("storage_type") or ("io1" if db_kwargs.get("iops") else "gp2"),
    )


def _validate_new_instance(backend: RDSBackend, db_kwargs: Any) -> None:
    _validate_instance_limits(db_kwargs)
    requested = db_kwargs.get("engine_version")
    version = resolve_engine_version(requested)
    if version is None:
        raise _version_not_found(requested)
    db_kwargs["engine_version"] = version
    instance_class = db_kwargs.get("db_instance_class")
    if not is_orderable(version, instance_class):
        raise _class_not_orderable(instance_class, version)
    iops = db_kwargs.get("iops")
    storage_type = db_kwargs.get("storage_type") or ("io1" if iops else "gp2")
    _check_storage(storage_type, db_kwargs.get("allocated_storage"), iops, db_kwargs.get("storage_throughput"))
    _check_group_family(backend, db_kwargs.get("db_parameter_group_name"), family_of(version))


def _validate_modification(backend: RDSBackend, database: DBInstance, db_kwargs: Any) -> None:
    _check_backup_retention(db_kwargs.get("backup_retention_period"))
    _check_max_allocated_storage(
        db_kwargs.get("max_allocated_storage"),
        db_kwargs.get("allocated_storage") or database.allocated_storage,
        db_kwargs.get("storage_type") or database.storage_type,
    )
    current = str(database.engine_version)
    requested = db_kwargs.get("engine_version")
    version = current
    if requested:
        resolved = resolve_engine_version(requested)
        if resolved is None:
            raise _version_not_found(requested)
        if version_key(resolved) < version_key(current):
            raise _combination(f"Cannot upgrade {ENGINE} from {current} to {resolved}")
        if _major(resolved) != _major(current) and not db_kwargs.get("allow_major_version_upgrade"):
            raise _combination(
                "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version."
            )
        db_kwargs["engine_version"] = version = resolved
    if family_of(version) is None:
        return  # not created through this catalog (e.g. restored from a snapshot): nothing to compare with
    instance_class = db_kwargs.get("db_instance_class")
    if (requested or instance_class) and not is_orderable(version, instance_class or database.db_instance_class):
        raise _class_not_orderable(instance_class or database.db_instance_class, version)
    family = family_of(version)
    group_name = db_kwargs.get("db_parameter_group_name")
    if group_name is None and family != family_of(current):
        current_group = database.db_parameter_group_name
        if not current_group or current_group.startswith("default."):
            db_kwargs["db_parameter_group_name"] = group_name = f"default.{family}"
        else:
            group_name = current_group
    _check_group_family(backend, group_name, family)
    iops, throughput = db_kwargs.get("iops"), db_kwargs.get("storage_throughput")
    storage_type = db_kwargs.get("storage_type") or database.storage_type
    allocated = db_kwargs.get("allocated_storage") or database.allocated_storage
    if (
        iops is not None
        or throughput is not None
        or db_kwargs.get("allocated_storage")
        or db_kwargs.get("storage_type")
    ):
        _check_storage(storage_type, allocated, iops, throughput)


def postgres_instance_validation() -> None:
    """CreateDBInstance and ModifyDBInstance for postgres refuse what AWS refuses:

    - a version AWS does not offer: ``InvalidParameterCombination: Cannot find version 15.4 for postgres``; a major
      alone (``15``) becomes that major's default minor, no version at all the engine default;
    - an instance class not orderable for the version: ``InvalidParameterCombination: RDS does not support creating a
      DB instance with the following combination: DBInstanceClass=..., Engine=postgres, EngineVersion=...,
      LicenseModel=postgresql-license. For supported combinations ..., see the documentation.``;
    - a parameter group of another family: ``InvalidParameterCombination: The Parameter Group <name> with
      DBParameterGroupFamily <family> cannot be used for this instance. Please use a Parameter Group with
      DBParameterGroupFamily <family>`` (also on a major upgrade that keeps a custom group of the old family; a
      default group follows the new major);
    - gp3 IOPS or throughput below 400 GiB: ``InvalidParameterCombination: You can't specify IOPS or storage throughput
      for engine postgres and a storage size less than 400.``; a size outside the storage type's range:
      ``InvalidParameterValue: Invalid storage size for engine name postgres and storage type <type>: <size>``;
    - limits of the API reference (CreateDBInstance) for RDS for PostgreSQL, InvalidParameterValue unless said:
      ``DBName`` "Must contain 1 to 63 letters, numbers, or underscores. Must begin with a letter. ... Can't be a word
      reserved by the specified database engine."; ``MasterUsername`` 1 to 63 letters, numbers or underscores
      beginning with a letter, not a reserved word (``MasterUsername rdsadmin cannot be used as it is a reserved word
      used by the engine``; the per-engine text of the reference, "PostgreSQL: Must be 1 to 63 letters or numbers",
      which its newer generic text shortens to 16 for every engine); ``Port`` "Valid Values: 1150-65535";
      ``BackupRetentionPeriod`` "Must be a value from 0 to 35" (also on ModifyDBInstance); ``MaxAllocatedStorage``
      at least 10% above ``AllocatedStorage`` when it switches storage autoscaling on (User Guide, storage
      autoscaling: "You must set the maximum storage threshold to at least 10% more than the current allocated
      storage. ... If you don't, you get an error such as Invalid max storage size for engine_name"; equal to it
      means autoscaling off, below it moto's own ``Max storage size must be greater than storage size``; also on
      ModifyDBInstance);
    - ModifyDBInstance to another major without AllowMajorVersionUpgrade (``The AllowMajorVersionUpgrade flag must be
      present when upgrading to a new major version.``) or to an older version (``Cannot upgrade postgres from <a> to
      <b>``).

    moto accepts any version (15.4, 99.9), any class and any group, so the seed's failure 2.1 passed on moto.
    """
    original_create = RDSBackend.create_db_instance
    original_modify = RDSBackend.modify_db_instance

    @functools.wraps(original_create)
    def create_db_instance(self: RDSBackend, db_kwargs: Any) -> DBInstance:
        if _is_postgres_instance(db_kwargs.get("engine"), db_kwargs.get("db_cluster_identifier")):
            _validate_new_instance(self, db_kwargs)
        return original_create(self, db_kwargs)

    @functools.wraps(original_modify)
    def modify_db_instance(self: RDSBackend, db_instance_identifier: str, db_kwargs: Any) -> DBInstance:
        database = self.describe_db_instances(db_instance_identifier)[0]
        if _is_postgres_instance(database.engine, database.db_cluster_identifier):
            _validate_modification(self, database, db_kwargs)
        return original_modify(self, db_instance_identifier, db_kwargs)

    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]
    RDSBackend.modify_db_instance = modify_db_instance  # type: ignore[method-assign]


def memory_misfits(database: DBInstance) -> list[str]:
    """The memory-bound parameters (8 kB pages) of the instance's group that exceed its class memory."""
    try:
        group = database.db_parameter_groups()[0]
    except (KeyError, IndexError):
        return []
    metadata = _parameter_metadata(group.family)
    memory = class_memory_bytes(str(database.db_instance_class))
    if metadata is None or memory is None:
        return []
    variables = _formula_variables(str(database.db_instance_class), int(database.allocated_storage or 20))
    misfits = []
    for name in MEMORY_BOUND_PARAMETERS:
        user_set = group.parameters.get(name) or {}
        value = user_set.get("ParameterValue") or metadata.get(name, {}).get("ParameterValue")
        if value is None:
            continue
        try:
            pages = evaluate_formula(str(value), variables) if is_formula(str(value)) else float(value)
        except ValueError:
            continue
        if pages * _PAGE_BYTES > memory:
            misfits.append(name)
    return misfits


def refresh_instance_status(database: DBInstance) -> None:
    """Status after the instance (re)starts: ``incompatible-parameters`` if its group does not fit its class."""
    if not _is_postgres_instance(database.engine, database.db_cluster_identifier):
        return
    if database.status in ("available", INCOMPATIBLE_PARAMETERS):
        database.status = INCOMPATIBLE_PARAMETERS if memory_misfits(database) else "available"


def incompatible_parameters_status() -> None:
    """A postgres instance whose parameter group sets shared_buffers (8 kB pages, formulas evaluated with the class
    memory) above the memory of its instance class is created but does not start: its DBInstanceStatus is
    ``incompatible-parameters`` instead of ``available`` (effective_cache_size is not memory-bound: see
    MEMORY_BOUND_PARAMETERS). The status is re-evaluated when the
    instance starts again: RebootDBInstance, StartDBInstance, and ModifyDBInstance changing the class or version
    (a changed parameter group applies at the next reboot, as on AWS). The class memory comes from moto's EC2
    instance-type data (``db.t3.micro`` -> ``t3.micro``: 1024 MiB).

    moto reports every instance ``available`` whatever its parameters (the seed's failure 2.4 passed on moto).
    """
    original_create = RDSBackend.create_db_instance
    original_modify = RDSBackend.modify_db_instance
    original_reboot = RDSBackend.reboot_db_instance
    original_start = RDSBackend.start_db_instance

    @functools.wraps(original_create)
    def create_db_instance(self: RDSBackend, db_kwargs: Any) -> DBInstance:
        database = original_create(self, db_kwargs)
        refresh_instance_status(database)
        return database

    @functools.wraps(original_modify)
    def modify_db_instance(self: RDSBackend, db_instance_identifier: str, db_kwargs: Any) -> DBInstance:
        before = self.describe_db_instances(db_instance_identifier)[0]
        restart = (before.db_instance_class, before.engine_version)
        database = original_modify(self, db_instance_identifier, db_kwargs)
        if (database.db_instance_class, database.engine_version) != restart:
            refresh_instance_status(database)
        return database

    @functools.wraps(original_reboot)
    def reboot_db_instance(self: RDSBackend, *args: Any, **kwargs: Any) -> DBInstance:
        database = original_reboot(self, *args, **kwargs)
        refresh_instance_status(database)
        return database

    @functools.wraps(original_start)
    def start_db_instance(self: RDSBackend, *args: Any, **kwargs: Any) -> DBInstance:
        database = original_start(self, *args, **kwargs)
        refresh_instance_status(database)
        return database

    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]
    RDSBackend.modify_db_instance = modify_db_instance  # type: ignore[method-assign]
    RDSBackend.reboot_db_instance = reboot_db_instance  # type: ignore[method-assign]
    RDSBackend.start_db_instance = start_db_instance  # type: ignore[method-assign]


def parameter_group_in_use() -> None:
    """DeleteDBParameterGroup refuses a group that DB instances still use (``InvalidDBParameterGroupState: One or more
    database instances are still members of this parameter group <name>, so the group cannot be deleted``) and AWS's
    default groups (``InvalidDBParameterGroupState: Default DBParameterGroup cannot be deleted: <name>``); the group
    is kept.

    moto deletes the group and leaves its instances pointing at a group that no longer exists.
    """
    original = RDSBackend.delete_db_parameter_group

    @functools.wraps(original)
    def delete_db_parameter_group(self: RDSBackend, db_parameter_group_name: str) -> DBParameterGroup:
        name = db_parameter_group_name.lower()
        if name.startswith("default."):
            raise RDSClientError("InvalidDBParameterGroupState", f"Default DBParameterGroup cannot be deleted: {name}")
        if any((db.db_parameter_group_name or "").lower() == name for db in self.databases.values()):
            raise RDSClientError(
                "InvalidDBParameterGroupState",
                f"One or more database instances are still members of this parameter group {db_parameter_group_name}, "
                "so the group cannot be deleted",
            )
        return original(self, db_parameter_group_name)

    RDSBackend.delete_db_parameter_group = delete_db_parameter_group  # type: ignore[method-assign]


def managed_master_secret_content() -> None:
    """The secret RDS creates for ``ManageMasterUserPassword`` holds the instance's own master user name and a
    generated password: ``{"username": <MasterUsername>, "password": <random>}``.

    moto writes the same ``{"username": "admin", "password": "P@55w0rd!"}`` into every such secret, so an
    application reading the secret gets a user that does not exist, and every environment shares one
    well-known password.
    """
    original = MasterUserSecret._generate_secret_string

    @functools.wraps(original)
    def _generate_secret_string(self: MasterUserSecret) -> str:
        username = getattr(self.resource, "master_username", None) or "admin"
        return json.dumps({"username": username, "password": secrets.token_urlsafe(24)})

    MasterUserSecret._generate_secret_string = _generate_secret_string  # type: ignore[method-assign]


def modify_db_subnet_group_keeps_the_group() -> None:
    """ModifyDBSubnetGroup changes the group's subnets (and description) and keeps the group.

    moto pops the group from its backend and never puts it back, so the group vanishes: a DB subnet group
    that grows with the network's AZ count was gone after the change (every DescribeDBSubnetGroups empty).
    """
    original = RDSBackend.modify_db_subnet_group

    @functools.wraps(original)
    def modify_db_subnet_group(self: RDSBackend, subnet_name: str, description: str, subnets: list[Any]) -> Any:
        group = original(self, subnet_name, description, subnets)
        self.subnet_groups[subnet_name] = group
        return group

    RDSBackend.modify_db_subnet_group = modify_db_subnet_group  # type: ignore[method-assign]


def db_instance_latency() -> None:
    """With the latency profile on (:mod:`emulator.latency`), a new DB instance is ``creating``, without an
    ``Endpoint``, for its scaled creation time, then ``available`` (or ``incompatible-parameters`` when its group does
    not fit its class: see :func:`incompatible_parameters_status`), as AWS answers CreateDBInstance and
    DescribeDBInstances. The instance becomes available when it is next described after its time.

    moto answers ``available`` with an endpoint at once. Off (the default): unchanged.
    """
    original_create = RDSBackend.create_db_instance
    original_describe = RDSBackend.describe_db_instances
    original_endpoint = DBInstance.endpoint

    @functools.wraps(original_create)
    def create_db_instance(self: RDSBackend, db_kwargs: Any) -> DBInstance:
        database = original_create(self, db_kwargs)
        if latency.mark(database, "rds_db_instance"):
            database.status = "creating"
        return database

    @functools.wraps(original_describe)
    def describe_db_instances(self: RDSBackend, *args: Any, **kwargs: Any) -> list[DBInstance]:
        for database in list(self.databases.values()):
            _advance_instance(database)
        return original_describe(self, *args, **kwargs)

    def endpoint(self: DBInstance) -> dict[str, Any] | None:
        # No endpoint until the describe that finds the creation over (the same answer never has both).
        creating = self.status == "creating" and getattr(self, "_latency_window", None) is not None
        return None if creating else original_endpoint.fget(self)

    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]
    RDSBackend.describe_db_instances = describe_db_instances  # type: ignore[method-assign]
    DBInstance.endpoint = property(endpoint)  # type: ignore[assignment,method-assign]


def _advance_instance(database: DBInstance) -> None:
    """A ``creating`` instance whose scaled creation time is over is available (or incompatible-parameters)."""
    if getattr(database, "_latency_window", None) is None or latency.pending(database):
        return
    database.__dict__.pop("_latency_window")
    if database.status == "creating":
        database.status = "available"
        refresh_instance_status(database)
