import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.filter.rds import rds_live_refusals

LIVE = [
    {
        "db_instance_identifier": "payment-db-dev",
        "allocated_storage": 30,
        "db_name": "payments",
        "master_username": "payments_admin",
        "engine_version": "15.7",
        "endpoint": {"address": "payment-db-dev.example", "port": 6543},
        "db_instance_port": 0,
    }
]
AS_BUILT = {
    "rds_allocated_storage": 30,
    "rds_db_name": "payments",
    "rds_master_username": "payments_admin",
    "rds_engine_version": "15",
    "rds_port": 6543,
}


def test_nothing_refused_without_an_instance_or_without_a_change():
    assert rds_live_refusals([], {**AS_BUILT, "rds_allocated_storage": 1}) == []
    assert rds_live_refusals(LIVE, AS_BUILT) == []
    assert rds_live_refusals(LIVE, {**AS_BUILT, "rds_allocated_storage": 40, "rds_engine_version": "15.8"}) == []


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"rds_allocated_storage": 20}, ["rds_allocated_storage=20", "30 GiB", "cannot shrink"]),
        ({"rds_allocated_storage": 32}, ["rds_allocated_storage=32", "30 GiB", "10% at least", "33 or more"]),
        ({"rds_db_name": "ledger"}, ["rds_db_name=ledger", "'payments'", "cannot rename"]),
        ({"rds_master_username": "root_user"}, ["rds_master_username=root_user", "'payments_admin'"]),
        ({"rds_engine_version": "16"}, ["rds_engine_version=16", "15.7", "major version upgrade", "'15'"]),
        ({"rds_engine_version": "14"}, ["rds_engine_version=14", "cannot downgrade"]),
        ({"rds_engine_version": "15.2"}, ["rds_engine_version=15.2", "cannot downgrade"]),
        (
            {"rds_port": 6544},
            ["rds_port=6544", "payments_database_port", "listens on 6543", "restarts it", "--db-port-number 6544"],
        ),
    ],
)
def test_each_refusal_names_the_variable_the_values_and_the_way(change, names):
    (message,) = rds_live_refusals(LIVE, {**AS_BUILT, **change})
    for name in names:
        assert name in message


def test_the_port_of_an_instance_still_being_created_is_not_compared():
    """No endpoint yet (creating): the port is unknown and nothing is refused; the next run's preflight compares it."""
    creating = [{**LIVE[0], "endpoint": None, "db_instance_port": 0}]
    assert rds_live_refusals(creating, {**AS_BUILT, "rds_port": 6544}) == []
    assert rds_live_refusals([{**creating[0], "db_instance_port": 6543}], {**AS_BUILT, "rds_port": 6544})


def test_the_port_compares_as_a_number():
    assert rds_live_refusals(LIVE, {**AS_BUILT, "rds_port": "6543"}) == []


def test_every_refusal_is_given_at_once():
    assert len(rds_live_refusals(LIVE, {**AS_BUILT, "rds_allocated_storage": 20, "rds_db_name": "x"})) == 2


def test_wanted_must_be_the_variables():
    with pytest.raises(AnsibleFilterError, match="rds_live_refusals"):
        rds_live_refusals(LIVE, ["rds_db_name"])


def test_io2_on_a_live_instance_is_refused_as_the_stock_module_cannot_make_it():
    """Stock amazon.aws.rds_instance (10.1.2), which converges a live instance, has no io2 storage type."""
    gp3 = [{**LIVE[0], "storage_type": "gp3", "iops": 3000}]
    assert rds_live_refusals(gp3, {**AS_BUILT, "rds_storage_type": "gp3", "rds_iops": 0}) == []
    (message,) = rds_live_refusals(gp3, {**AS_BUILT, "rds_storage_type": "io2", "rds_iops": 3000})
    assert "rds_storage_type=io2" in message and "gp3 storage" in message and "--storage-type io2" in message
    io2 = [{**LIVE[0], "storage_type": "io2", "iops": 3000}]
    assert rds_live_refusals(io2, {**AS_BUILT, "rds_storage_type": "io2", "rds_iops": 3000}) == []
    for change in ({"rds_storage_type": "io2", "rds_iops": 4000}, {"rds_storage_type": "gp3", "rds_iops": 0}):
        (message,) = rds_live_refusals(io2, {**AS_BUILT, **change})
        assert "has io2 storage with 3000 IOPS" in message and "Keep rds_storage_type: io2" in message
