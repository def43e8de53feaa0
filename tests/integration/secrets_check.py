"""No secret in any run output: every Secrets Manager secret of the emulator, looked for in a run's text.

``assert_no_secret_in(emu, text)`` lists every secret of the emulator in every region the inventories
use (and us-east-1), reads each value and fails when a value, or a field value of a JSON secret (the
``password`` of an RDS managed secret), appears in ``text``. The failure names the secrets that leaked,
never their values.
"""

import json
from pathlib import Path

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
# Shorter values (ports, "true", engine names) would match by chance.
MIN_LENGTH = 8
# Fields of a JSON secret that identify rather than protect (the RDS managed secret's username is
# printed by the modules that create the instance): not looked for.
NON_SECRET_FIELDS = frozenset(
    {"username", "user", "engine", "host", "port", "dbname", "dbInstanceIdentifier", "dbClusterIdentifier"}
)


def inventory_regions(root=ROOT):
    """us-east-1 and every ``payments_region`` of inventories/*/hosts.yml, sorted."""
    regions = {"us-east-1"}

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "payments_region" and isinstance(value, str):
                    regions.add(value)
                else:
                    collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for hosts in sorted(Path(root, "inventories").glob("*/hosts.yml")):
        collect(yaml.safe_load(hosts.read_text()))
    return sorted(regions)


def secret_values(secret_string):
    """The values to look for in one secret string: itself, and every field value of a JSON secret
    (nested too) except the identifying fields, each at least MIN_LENGTH characters long."""
    values = {secret_string}

    def leaves(node, key=None):
        if isinstance(node, dict):
            for field, value in node.items():
                leaves(value, field)
        elif isinstance(node, list):
            for value in node:
                leaves(value, key)
        elif node is not None and not isinstance(node, bool) and key not in NON_SECRET_FIELDS:
            values.add(str(node))

    try:
        document = json.loads(secret_string)
    except ValueError:
        document = None
    if isinstance(document, dict | list):
        leaves(document)
    return {value for value in values if len(value) >= MIN_LENGTH}


def _client(endpoint, region):
    return boto3.client(
        "secretsmanager",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # Throttling injected by the emulator's fault mode must not fail the check.
        config=Config(retries={"mode": "standard", "max_attempts": 10}),
    )


def emulator_secrets(endpoint, regions=None):
    """[(name, secret string)] of every readable secret on ``endpoint`` (None: the default AWS endpoint,
    e.g. under moto's in-process mock), in ``regions`` (default: those of the inventories)."""
    found = []
    for region in regions or inventory_regions():
        client = _client(endpoint, region)
        for page in client.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
            for secret in page["SecretList"]:
                try:
                    value = client.get_secret_value(SecretId=secret["ARN"])
                except ClientError:
                    continue  # scheduled for deletion, or no value yet
                string = value.get("SecretString")
                if string is None and "SecretBinary" in value:
                    try:
                        string = value["SecretBinary"].decode("utf-8")
                    except UnicodeDecodeError:
                        continue
                if string:
                    found.append((secret["Name"], string))
    return found


def leaked_secrets(endpoint, text, regions=None):
    """Names of the secrets whose value (or a field value of it) appears in ``text``, sorted."""
    leaked = set()
    for name, string in emulator_secrets(endpoint, regions):
        for value in secret_values(string):
            # As written, and as a JSON string escapes it (the json stdout callback).
            if value in text or json.dumps(value)[1:-1] in text:
                leaked.add(name)
                break
    return sorted(leaked)


def assert_no_secret_in(emu, text):
    """Fail when a secret of the emulator ``emu`` (its ``endpoint``; None for moto in-process) appears in
    ``text``. The message names the secrets, never their values."""
    leaked = leaked_secrets(getattr(emu, "endpoint", None), text)
    assert not leaked, (
        f"the run output holds the value of secret(s) {', '.join(leaked)} "
        "(or a field of it, such as the password); values not shown"
    )
