# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a live database instance cannot take in place: the preflight refuses it before any change."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

REPLACE = (
    "or replace the instance: snapshot it, playbooks/destroy.yml, then site.yml restoring the snapshot "
    "(a new endpoint and secret)."
)


def _major(version):
    return str(version).split(".")[0]


def _version_key(version):
    return tuple(int(part) if part.isdigit() else 0 for part in str(version).split("."))


def _live_port(live):
    """The port the instance listens on: its endpoint's (none while it is being created), else DbInstancePort."""
    return (live.get("endpoint") or {}).get("port") or live.get("db_instance_port") or None


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
    refusals = []
    storage = wanted.get("rds_allocated_storage")
    if storage is not None and int(storage) < int(live.get("allocated_storage") or 0):
        refusals.append(
            f"rds_allocated_storage={storage} but {name} has {live['allocated_storage']} GiB: RDS storage cannot "
            f"shrink. Keep rds_allocated_storage: {live['allocated_storage']} or more (growing is done in place), "
            + REPLACE
        )
    for variable, field, what in (
        ("rds_db_name", "db_name", "its initial database"),
        ("rds_master_username", "master_username", "its master user"),
    ):
        value = wanted.get(variable)
        if value is not None and live.get(field) is not None and str(value) != str(live[field]):
            refusals.append(
                f"{variable}={value} but {name} was created with {what} {live[field]!r}, which RDS cannot rename. "
                f"Keep {variable}: {live[field]}, " + REPLACE
            )
    port, live_port = wanted.get("rds_port"), _live_port(live)
    if port is not None and live_port and int(port) != int(live_port):
        refusals.append(
            f"rds_port={port} (payments_database_port) but {name} listens on {live_port}: changing the port of a live "
            "database restarts it at once, whatever rds_apply_immediately says, and cuts every connection. Keep "
            f"payments_database_port: {live_port}, or move the port in a planned change window: aws rds "
            f"modify-db-instance --db-instance-identifier {name} --db-port-number {port} --apply-immediately, then "
            f"run site.yml with payments_database_port: {port} (the security groups and the service's DB_PORT follow; "
            "the service cannot reach the database until that run ends)."
        )
    version, live_version = wanted.get("rds_engine_version"), live.get("engine_version")
    if version is not None and live_version:
        if _major(version) != _major(live_version):
            upgrade = _version_key(version) > _version_key(live_version)
            refusals.append(
                f"rds_engine_version={version} but {name} runs PostgreSQL {live_version}: "
                + (
                    "a major version upgrade is not made by a plain run (it restarts the database and may need "
                    "an upgraded parameter group and extensions). Keep rds_engine_version: "
                    f"'{_major(live_version)}', and upgrade with a planned change window "
                    "(aws rds modify-db-instance --allow-major-version-upgrade), then set the new version here."
                    if upgrade
                    else f"RDS cannot downgrade. Keep rds_engine_version: '{_major(live_version)}', " + REPLACE
                )
            )
        elif "." in str(version) and _version_key(version) < _version_key(live_version):
            refusals.append(
                f"rds_engine_version={version} but {name} runs PostgreSQL {live_version}: RDS cannot downgrade. "
                f"Keep rds_engine_version: '{_major(live_version)}' or '{live_version}'."
            )
    return refusals


class FilterModule:
    def filters(self):
        return {"rds_live_refusals": rds_live_refusals}
