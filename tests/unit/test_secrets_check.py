"""tests/integration/secrets_check.py against moto in-process: a leaked password is caught and named,
without the failure message showing it; output without it passes."""

import importlib.util
import json
from pathlib import Path

import boto3
import pytest

_PATH = Path(__file__).resolve().parents[1] / "integration" / "secrets_check.py"
_SPEC = importlib.util.spec_from_file_location("secrets_check", _PATH)
secrets_check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(secrets_check)

PASSWORD = "XTWoTLE2tkneLh6EAvMENiVcPogqC9KE"
API_KEY = "sk_live_0123456789"


class Moto:
    """Stands for the emulator: no endpoint, so boto3 talks to moto's in-process mock."""

    endpoint = None


@pytest.fixture
def secrets(aws):
    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.create_secret(
        Name="rds!db-payment-db-dev", SecretString=json.dumps({"username": "payments_admin", "password": PASSWORD})
    )
    client.create_secret(Name="payment/api-key", SecretString=API_KEY)
    client.create_secret(Name="payment/short", SecretString="short")


def test_inventory_regions_include_us_east_1():
    regions = secrets_check.inventory_regions()
    assert "us-east-1" in regions
    assert regions == sorted(set(regions))


def test_clean_output_passes(secrets):
    secrets_check.assert_no_secret_in(Moto(), "ok: [payments-dev] master_username: payments_admin short")


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (f"TASK [x] ok: password={PASSWORD}\n", "rds!db-payment-db-dev"),
        (json.dumps({"msg": json.dumps({"password": PASSWORD})}), "rds!db-payment-db-dev"),
        (f"stderr: {API_KEY}", "payment/api-key"),
    ],
)
def test_leaked_secret_fails_naming_it_not_showing_it(secrets, text, leaked):
    with pytest.raises(AssertionError) as failure:
        secrets_check.assert_no_secret_in(Moto(), text)
    message = str(failure.value)
    assert leaked in message
    assert PASSWORD not in message and API_KEY not in message


def test_secret_values_skip_identifiers_and_short_values():
    values = secrets_check.secret_values(json.dumps({"username": "payments_admin", "password": PASSWORD, "port": 5432}))
    assert PASSWORD in values
    assert "payments_admin" not in values and "5432" not in values
    assert secrets_check.secret_values("short") == set()
