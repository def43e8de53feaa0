# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ECS container definitions of the payment API, built from explicit arguments (documented in
container_definitions.yml next to this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.limits import APP_VARIABLES
from ansible_collections.payments.infra.plugins.module_utils.limits import BOOL
from ansible_collections.payments.infra.plugins.module_utils.limits import PORT
from ansible_collections.payments.infra.plugins.module_utils.limits import SECRET_VARIABLES
from ansible_collections.payments.infra.plugins.module_utils.limits import Invalid
from ansible_collections.payments.infra.plugins.module_utils.limits import check

# The database credentials: ECS secrets, each a JSON key of the RDS-managed secret, resolved by ECS
# when the task starts. They are never plain environment.
SECRETS = (("DB_USERNAME", "username"), ("DB_PASSWORD", "password"))
DATABASE_KEYS = ("host", "port", "name")


def _checked(what, value, limit):
    try:
        return check(value, limit)
    except Invalid as error:
        raise AnsibleFilterError(f"container_definitions: {what}={value!r} is invalid: {error}") from None


def _text(value):
    """An environment value as ECS wants it: a string (5432 -> '5432', as Jinja's string filter does)."""
    return value if isinstance(value, str) else str(value)


def _checked_extra_environment(database, extra_environment):
    """The extra environment (a mapping naming no built-in variable nor secret), once ``database`` is checked."""
    if not isinstance(database, dict) or sorted(database) != sorted(DATABASE_KEYS):
        raise AnsibleFilterError(
            f"container_definitions: database must have exactly the keys {', '.join(DATABASE_KEYS)}, got {database!r}"
        )
    extra_environment = extra_environment or {}
    if not isinstance(extra_environment, dict):
        raise AnsibleFilterError(
            f"container_definitions: extra_environment must be a mapping, got {extra_environment!r}"
        )
    reserved = {name.lower() for name in SECRET_VARIABLES + APP_VARIABLES}
    taken = sorted(str(key) for key in extra_environment if str(key).lower() in reserved)
    if taken:
        raise AnsibleFilterError(
            f"container_definitions: extra_environment may not set {', '.join(taken)}: "
            f"{', '.join(APP_VARIABLES)} are set by the project and {', '.join(SECRET_VARIABLES)} are secrets"
        )
    return extra_environment


def _environment(environment, database, transaction_log_bucket, extra_environment):
    """The plain environment, sorted by name ignoring case (as Jinja's sort filter), every value a string."""
    env = {
        "APP_ENV": environment,
        "DB_HOST": database["host"],
        "DB_PORT": database["port"],
        "DB_NAME": database["name"],
        "TRANSACTION_LOG_BUCKET": transaction_log_bucket,
    }
    env.update(extra_environment)  # no key in common (refused before)
    return [
        {"name": key, "value": _text(env[key])}
        for key in sorted(env, key=lambda k: k.lower() if isinstance(k, str) else k)
    ]


def container_definitions(
    name,
    image,
    port,
    readonly_root,
    environment,
    database,
    secret_arn,
    transaction_log_bucket,
    log_group,
    region,
    extra_environment=None,
):
    """The container definitions (a list of one container) of the payment API, in the ECS API's shape.

    name: the container's name (also the awslogs stream prefix). image: the image it runs.
    port: the container port (TCP). readonly_root: a read-only root file system.
    environment: the environment's name (APP_ENV). database: {host, port, name} of the database.
    secret_arn: the RDS-managed secret holding the credentials (JSON keys username and password).
    transaction_log_bucket: TRANSACTION_LOG_BUCKET. log_group, region: where awslogs writes.
    extra_environment: more plain environment variables; none may name a built-in one or a secret (refused,
    as the preflight refuses them in ecs_alb_environment_variables).

    The environment is sorted by name (ignoring case, as Jinja's sort filter), every value a string.
    """
    extra_environment = _checked_extra_environment(database, extra_environment)
    return [
        {
            "name": name,
            "image": image,
            "essential": True,
            "readonlyRootFilesystem": _checked("readonly_root", readonly_root, BOOL),
            "portMappings": [{"containerPort": _checked("port", port, PORT), "protocol": "tcp"}],
            "environment": _environment(environment, database, transaction_log_bucket, extra_environment),
            "secrets": [{"name": secret, "valueFrom": f"{secret_arn}:{key}::"} for secret, key in SECRETS],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": name},
            },
        }
    ]


class FilterModule:
    def filters(self):
        return {"container_definitions": container_definitions}
