# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rds role's rules as filters: the engine version to build (resolved against what the region offers), what RDS
does not offer (version, instance class, storage type) and what a live instance cannot take in place, each refused
naming the variable, the bad value and what is valid."""

from __future__ import annotations

import difflib

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.rds import version_key
from ansible_collections.payments.infra.plugins.module_utils.rds_instance import in_place_sides

REPLACE = (
    "or replace the instance: snapshot it, playbooks/destroy.yml, then site.yml restoring the snapshot "
    "(a new endpoint and secret)."
)


def _major(version):
    return str(version).split(".")[0]


def _live_port(live):
    """The port the instance listens on: its endpoint's (none while it is being created), else DbInstancePort."""
    return (live.get("endpoint") or {}).get("port") or live.get("db_instance_port") or None


def _storage_refusals(name, live, wanted):
    storage, live_storage = wanted.get("rds_allocated_storage"), int(live.get("allocated_storage") or 0)
    at_least = -(-live_storage * 11 // 10)
    if storage is not None and live_storage < int(storage) < at_least:
        return [
            f"rds_allocated_storage={storage} but {name} has {live_storage} GiB: RDS grows storage by 10% at least. "
            f"Set rds_allocated_storage: {at_least} or more, or keep {live_storage}."
        ]
    if storage is not None and int(storage) < live_storage:
        return [
            f"rds_allocated_storage={storage} but {name} has {live['allocated_storage']} GiB: RDS storage cannot "
            f"shrink. Keep rds_allocated_storage: {live['allocated_storage']} or more (growing is done in place), "
            + REPLACE
        ]
    return []


# Named at creation, never renamed: (variable, field of the instance, what it is).
CREATION_NAMES = (
    ("rds_db_name", "db_name", "its initial database"),
    ("rds_master_username", "master_username", "its master user"),
)


def _name_refusals(name, live, wanted):
    refusals = []
    for variable, field, what in CREATION_NAMES:
        value = wanted.get(variable)
        if value is not None and live.get(field) is not None and str(value) != str(live[field]):
            refusals.append(
                f"{variable}={value} but {name} was created with {what} {live[field]!r}, which RDS cannot rename. "
                f"Keep {variable}: {live[field]}, " + REPLACE
            )
    return refusals


def _port_refusals(name, live, wanted):
    port, live_port = wanted.get("rds_port"), _live_port(live)
    if port is not None and live_port and int(port) != int(live_port):
        return [
            f"rds_port={port} (payments_database_port) but {name} listens on {live_port}: changing the port of a live "
            "database restarts it at once, whatever rds_apply_immediately says, and cuts every connection. Keep "
            f"payments_database_port: {live_port}, or move the port in a planned change window: aws rds "
            f"modify-db-instance --db-instance-identifier {name} --db-port-number {port} --apply-immediately, then "
            f"run site.yml with payments_database_port: {port} (the security groups and the service's DB_PORT follow; "
            "the service cannot reach the database until that run ends)."
        ]
    return []


def _version_refusals(name, live, wanted):
    version, live_version = wanted.get("rds_engine_version"), live.get("engine_version")
    if version is None or not live_version:
        return []
    if _major(version) != _major(live_version):
        upgrade = version_key(version) > version_key(live_version)
        return [
            f"rds_engine_version={version} but {name} runs PostgreSQL {live_version}: "
            + (
                "a major version upgrade is not made by a plain run (it restarts the database and may need "
                "an upgraded parameter group and extensions). Keep rds_engine_version: "
                f"'{_major(live_version)}', and upgrade with a planned change window "
                "(aws rds modify-db-instance --allow-major-version-upgrade), then set the new version here."
                if upgrade
                else f"RDS cannot downgrade. Keep rds_engine_version: '{_major(live_version)}', " + REPLACE
            )
        ]
    if "." in str(version) and version_key(version) < version_key(live_version):
        return [
            f"rds_engine_version={version} but {name} runs PostgreSQL {live_version}: RDS cannot downgrade. "
            f"Keep rds_engine_version: '{_major(live_version)}' or '{live_version}'."
        ]
    return []


def _io2_refusals(name, live, wanted):
    """Stock amazon.aws.rds_instance (10.1.2) converges the storage of a live instance, and knows no io2."""
    storage_type, live_type = wanted.get("rds_storage_type"), live.get("storage_type")
    if storage_type is None or not live_type:
        return []
    if storage_type == "io2" and live_type != "io2":
        return [
            f"rds_storage_type=io2 but {name} has {live_type} storage: amazon.aws.rds_instance, which converges a "
            "live instance, cannot make io2 storage. Keep rds_storage_type: " + live_type + ", or change the storage "
            f"in a planned change: aws rds modify-db-instance --db-instance-identifier {name} --storage-type io2 "
            "--iops <iops> --apply-immediately, then set rds_storage_type: io2 here."
        ]
    iops = wanted.get("rds_iops")
    if live_type == "io2" and (storage_type != "io2" or (iops is not None and int(iops) != live.get("iops"))):
        return [
            f"rds_storage_type={storage_type} / rds_iops={iops} but {name} has io2 storage with "
            f"{live.get('iops')} IOPS: amazon.aws.rds_instance, which converges a live instance, cannot change io2 "
            f"storage. Keep rds_storage_type: io2 and rds_iops: {live.get('iops')}, or change it in a planned "
            f"change: aws rds modify-db-instance --db-instance-identifier {name} ... --apply-immediately."
        ]
    return []


LIVE_REFUSALS = (_storage_refusals, _name_refusals, _port_refusals, _version_refusals, _io2_refusals)


def rds_live_refusals(found, wanted):
    """Messages refusing each value a live instance cannot take in place; [] when there is none (or no instance).

    found: the ``instances`` of amazon.aws.rds_instance_info for the identifier (snake_case keys). wanted: the
    role's variables rds_allocated_storage, rds_db_name, rds_master_username, rds_engine_version and rds_port.
    """
    if not isinstance(wanted, dict):
        raise AnsibleFilterError(f"rds_live_refusals: wanted must be a dict of the role's variables, got {wanted!r}")
    if not found:
        return []
    live = found[0]
    name = live.get("db_instance_identifier", "the instance")
    return [refusal for refusals_of in LIVE_REFUSALS for refusal in refusals_of(name, live, wanted)]


# ---- the plan of a live instance (--check: stock amazon.aws.rds_instance gives no diff) ----------------------------
INTEGERS = ("allocated_storage", "max_allocated_storage", "iops", "storage_throughput", "backup_retention_period")
BOOLEANS = (
    "multi_az",
    "deletion_protection",
    "publicly_accessible",
    "copy_tags_to_snapshot",
    "auto_minor_version_upgrade",
)


def _typed(wanted):
    typed = dict(wanted)
    for option in INTEGERS:
        if typed.get(option) is not None:
            typed[option] = int(typed[option])
    for option in BOOLEANS:
        if isinstance(typed.get(option), str):
            typed[option] = typed[option].strip().lower() in ("true", "yes", "1", "on")
    return typed


def rds_instance_plan(instance, wanted):
    """{before, after}: the settings (and tags) of an existing instance that differ from ``wanted``, as stock
    amazon.aws.rds_instance would change them.

    instance: the ``instance`` payments.infra.rds_db_instance returned. wanted: the settings by the same names (the
    rds role's ``__rds_in_place``); iops and storage_throughput 0 are AWS's baseline (never a difference),
    max_allocated_storage 0 is storage autoscaling off. Values waiting in the instance's pending_modified_values
    count as already requested.
    """
    if not isinstance(instance, dict) or not isinstance(wanted, dict):
        raise AnsibleFilterError(
            f"rds_instance_plan: expects the instance of rds_db_instance and a dict of settings, got {instance!r}"
        )
    before, after = in_place_sides(instance, _typed(wanted))
    return {"before": before, "after": after}


# ---- engine versions (amazon.aws.rds_engine_versions_info) ---------------------------------------------------------


def major_version(entry):
    """The major version of an entry of db_engine_versions: major_engine_version, else derived (PostgreSQL 10+:
    the first number, "15"; before and other engines: the first two, "9.6", "8.0")."""
    if entry.get("major_engine_version"):
        return str(entry["major_engine_version"])
    parts = str(entry["engine_version"]).split(".")
    if "postgres" in str(entry.get("engine", "")) and parts[0].isdigit() and int(parts[0]) >= 10:
        return parts[0]
    return ".".join(parts[:2])


def _offered(versions):
    """The entries a new instance can use (DescribeDBEngineVersions lists others only with IncludeAll)."""
    return [v for v in versions or [] if v.get("engine_version") and v.get("status", "available") == "available"]


def _listing(offered, requested):
    """The offered versions nearest a version that is not offered: those sharing its longest prefix, else the majors."""
    parts = requested.split(".")
    for n in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:n])
        same = sorted(
            {e["engine_version"] for e in offered if e["engine_version"].startswith(prefix + ".")}, key=version_key
        )
        if same:
            return f"offered {prefix}.x: {', '.join(same)} (newest {same[-1]})"
    return f"offered major versions: {', '.join(sorted({major_version(e) for e in offered}, key=version_key))}"


def rds_engine_version(versions, requested, engine="postgres"):
    """The version to build for ``requested`` among the ``db_engine_versions`` of amazon.aws.rds_engine_versions_info.

    ``requested`` is a major ("15": the newest offered 15.x) or an exact version ("15.14", which must be offered).
    Returns engine_version, major_version, parameter_group_family and offered_versions (of that major, oldest first),
    with refusals []; a version not offered gives those null and one refusal naming rds_engine_version, the value and
    the nearest offered versions.
    """
    if not isinstance(versions, list):
        raise AnsibleFilterError(
            f"rds_engine_version: expects the db_engine_versions list, got {type(versions).__name__}"
        )
    requested = str(requested).strip()
    offered = _offered(versions)
    exact = [e for e in offered if e["engine_version"] == requested]
    under = [e for e in offered if e["engine_version"].startswith(requested + ".")]
    entry = exact[0] if exact else max(under, key=lambda e: version_key(e["engine_version"])) if under else None
    if entry is None:
        if not offered:
            reason = f"the region offers no {engine} version"
        else:
            reason = _listing(offered, requested)
            if any(e["engine_version"] == requested + "0" for e in offered):
                reason += (
                    f"; if {requested + '0'!r} was meant, quote it in YAML (unquoted, {requested}0 is the number "
                    f"{requested})"
                )
        refusal = f"rds_engine_version {requested!r} is not offered for {engine} in the region; {reason}."
        return {
            "engine_version": None,
            "major_version": None,
            "parameter_group_family": None,
            "offered_versions": [],
            "refusals": [refusal],
        }
    major = major_version(entry)
    return {
        "engine_version": entry["engine_version"],
        "major_version": major,
        "parameter_group_family": entry.get("db_parameter_group_family"),
        "offered_versions": sorted(
            {e["engine_version"] for e in offered if major_version(e) == major}, key=version_key
        ),
        "refusals": [],
    }


# ---- orderable options (payments.infra.rds_orderable_info) --------------------------------------------------------
SIZES = ("nano", "micro", "small", "medium", "large", "xlarge")


def class_key(instance_class):
    """db.t3.micro < db.t3.small < db.t3.medium < db.t3.large < db.t3.xlarge < db.t3.2xlarge: by family, then size."""
    family, _, size = str(instance_class).rpartition(".")
    multiple = size[: -len("xlarge")] if size.endswith("xlarge") else ""
    rank = SIZES.index(size) if size in SIZES else len(SIZES)
    return (family, rank, int(multiple) if multiple.isdigit() else 0, size)


def rds_orderable_refusals(orderable, instance_class, storage_type, engine_version, engine="postgres"):
    """Refusals of an instance class, or a storage type of it, that RDS does not offer for the engine version.

    orderable: what payments.infra.rds_orderable_info returned for engine, engine_version and instance_class (a
    skipped task, the version having been refused already, gives []).
    """
    if not isinstance(orderable, dict):
        raise AnsibleFilterError(f"rds_orderable_refusals: expects the result of rds_orderable_info, got {orderable!r}")
    if "orderable_options" not in orderable:
        return []
    rows = [r for r in orderable["orderable_options"] if r.get("db_instance_class") == instance_class]
    offered_for = f"{engine} {engine_version}"
    if not rows:
        classes = sorted(set(orderable.get("instance_classes") or []), key=class_key)
        close = difflib.get_close_matches(instance_class, classes, n=3, cutoff=0.6)
        return [
            f"rds_instance_class {instance_class!r} is not offered for {offered_for} in the region"
            + (f" (closest: {', '.join(close)})" if close else "")
            + f"; offered classes: {', '.join(classes) if classes else 'none'}."
        ]
    storage_types = sorted({r["storage_type"] for r in rows if r.get("storage_type")})
    if storage_type not in storage_types:
        return [
            f"rds_storage_type {storage_type!r} is not offered for {instance_class} with {offered_for} in the region; "
            f"offered storage types: {', '.join(storage_types) if storage_types else 'none'}."
        ]
    return []


class FilterModule:
    def filters(self):
        return {
            "rds_engine_version": rds_engine_version,
            "rds_orderable_refusals": rds_orderable_refusals,
            "rds_live_refusals": rds_live_refusals,
            "rds_instance_plan": rds_instance_plan,
        }
