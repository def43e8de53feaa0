import copy

import pytest

from ansible_collections.payments.infra.plugins.filter.connectivity import routing_checks
from ansible_collections.payments.infra.plugins.filter.connectivity import security_group_chain_checks
from ansible_collections.payments.infra.plugins.filter.connectivity import service_targets_checks


def subnet(name, tier, sid):
    return {"id": sid, "tags": {"Name": name, "Tier": tier}}


SUBNETS = [subnet("pub-a", "public", "s-pa"), subnet("priv-a", "private", "s-pr"), subnet("db-a", "database", "s-db")]


def table(name, subnets, target=None, key="gateway_id"):
    routes = [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "state": "active"}]
    if target:
        routes.append({"destination_cidr_block": "0.0.0.0/0", key: target, "state": "active"})
    return {
        "id": f"rtb-{name}",
        "tags": {"Name": name},
        "associations": [{"subnet_id": s, "association_state": {"state": "associated"}} for s in subnets],
        "routes": routes,
    }


TABLES = [
    table("public-rt", ["s-pa"], "igw-1"),
    table("private-rt", ["s-pr"], "nat-1", key="nat_gateway_id"),
    table("database-rt", ["s-db"]),
]
NATS = [{"nat_gateway_id": "nat-1", "state": "available"}]
IGWS = [{"internet_gateway_id": "igw-1", "attachments": [{"vpc_id": "vpc-1", "state": "available"}]}]


def failed(rows):
    return [(r["resource"], r["found"]) for r in rows if not r["ok"]]


def test_a_healthy_network_passes_every_subnet():
    rows = routing_checks(SUBNETS, TABLES, NATS, IGWS)
    assert len(rows) == 3 and failed(rows) == []


def test_a_subnet_on_the_main_table_fails():
    tables = copy.deepcopy(TABLES)
    tables[1]["associations"] = []  # what amazon.aws.ec2_vpc_route_table left after a tag change
    assert failed(routing_checks(SUBNETS, tables, NATS, IGWS)) == [
        ("subnet priv-a (private)", "no route table of its own (the VPC's main table)")
    ]


@pytest.mark.parametrize(
    ("index", "route", "resource"),
    [
        (0, None, "subnet pub-a (public)"),  # public without a way out
        (0, ("nat-1", "nat_gateway_id"), "subnet pub-a (public)"),  # public through a NAT
        (1, ("nat-gone", "nat_gateway_id"), "subnet priv-a (private)"),  # a NAT gateway that was deleted
        (1, None, "subnet priv-a (private)"),
        (2, ("igw-1", "gateway_id"), "subnet db-a (database)"),  # the database reachable from outside
    ],
)
def test_a_wrong_default_route_fails(index, route, resource):
    tables = copy.deepcopy(TABLES)
    name = tables[index]["tags"]["Name"]
    subnets = [a["subnet_id"] for a in tables[index]["associations"]]
    tables[index] = table(name, subnets, *(route or ()))
    assert [r for r, _ in failed(routing_checks(SUBNETS, tables, NATS, IGWS))] == [resource]


def test_a_detached_internet_gateway_fails_the_public_subnets():
    rows = routing_checks(SUBNETS, TABLES, NATS, [{"internet_gateway_id": "igw-1", "attachments": []}])
    assert [r for r, _ in failed(rows)] == ["subnet pub-a (public)"]


def test_without_private_egress_private_subnets_have_no_default_route():
    tables = copy.deepcopy(TABLES)
    tables[1] = table("private-rt", ["s-pr"])
    assert failed(routing_checks(SUBNETS, tables, [], IGWS, private_egress=False)) == []
    assert failed(routing_checks(SUBNETS, TABLES, NATS, IGWS, private_egress=False)) != []


def test_no_tiered_subnet_is_a_failure():
    assert failed(routing_checks([], TABLES, NATS, IGWS))


NAMES = {"alb": "alb-sg", "app": "app-sg", "db": "db-sg"}


def group(name, gid, port, source=None):
    perm = {"ip_protocol": "tcp", "from_port": port, "to_port": port, "ip_ranges": [], "user_id_group_pairs": []}
    if source:
        perm["user_id_group_pairs"].append({"group_id": source})
    else:
        perm["ip_ranges"].append({"cidr_ip": "0.0.0.0/0"})
    return {"group_name": name, "group_id": gid, "ip_permissions": [perm]}


GROUPS = [
    group("alb-sg", "sg-alb", 443),
    group("app-sg", "sg-app", 8080, "sg-alb"),
    group("db-sg", "sg-db", 5432, "sg-app"),
]


def test_the_chain_holds():
    assert failed(security_group_chain_checks(GROUPS, NAMES, 8080, 5432, ["sg-app"], ["sg-db"])) == []


@pytest.mark.parametrize(
    ("groups", "service", "db", "broken"),
    [
        ([GROUPS[0], group("app-sg", "sg-app", 8080, "sg-other"), GROUPS[2]], ["sg-app"], ["sg-db"], "sg app-sg"),
        ([GROUPS[0], GROUPS[1], group("db-sg", "sg-db", 5433, "sg-app")], ["sg-app"], ["sg-db"], "sg db-sg"),
        ([group("alb-sg", "sg-alb", 80), GROUPS[1], GROUPS[2]], ["sg-app"], ["sg-db"], "sg alb-sg"),
        (GROUPS, ["sg-other"], ["sg-db"], "ECS service"),
        (GROUPS, ["sg-app"], [], "DB instance"),
    ],
)
def test_each_broken_link_is_named(groups, service, db, broken):
    assert [r for r, _ in failed(security_group_chain_checks(groups, NAMES, 8080, 5432, service, db))] == [broken]


def test_the_load_balancer_is_reached_from_every_ingress_cidr_given():
    office = {
        **GROUPS[0],
        "ip_permissions": [{**GROUPS[0]["ip_permissions"][0], "ip_ranges": [{"cidr_ip": "203.0.113.0/24"}]}],
    }
    groups = [office, *GROUPS[1:]]
    assert (
        failed(security_group_chain_checks(groups, NAMES, 8080, 5432, ["sg-app"], ["sg-db"], ["203.0.113.0/24"])) == []
    )
    rows = failed(security_group_chain_checks(groups, NAMES, 8080, 5432, ["sg-app"], ["sg-db"]))
    assert rows == [("sg alb-sg", "443 open to none of them")]


def test_a_missing_group_is_named():
    rows = security_group_chain_checks(GROUPS[:2], NAMES, 8080, 5432, ["sg-app"], ["sg-db"])
    assert failed(rows) == [("security groups", "missing: ['db-sg']")]


TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/payment-tg-dev/1"
VPC_SUBNETS = [
    {"id": "s-pa", "cidr_block": "10.10.0.0/24", "tags": {"Name": "pub-a", "Tier": "public"}},
    {"id": "s-pr-a", "cidr_block": "10.10.2.0/24", "tags": {"Name": "priv-a", "Tier": "private"}},
    {"id": "s-pr-b", "cidr_block": "10.10.3.0/24", "tags": {"Name": "priv-b", "Tier": "private"}},
]


def service(running=2, subnets=("s-pr-a", "s-pr-b"), balancers=None):
    return {
        "serviceName": "api",
        "status": "ACTIVE",
        "runningCount": running,
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": list(subnets)}},
        "loadBalancers": [{"targetGroupArn": TG_ARN, "containerName": "app", "containerPort": 8080}]
        if balancers is None
        else balancers,
    }


def target(address, port=8080, state="healthy", reason=None):
    health = {"state": state, **({"reason": reason} if reason else {})}
    return {"target": {"id": address, "port": port}, "health_check_port": str(port), "target_health": health}


def groups(*targets):
    return [{"target_group_arn": TG_ARN, "target_group_name": "payment-tg-dev", "targets_health_description": targets}]


HEALTHY = groups(target("10.10.2.20"), target("10.10.3.20"))


def targets_rows(services, target_groups, subnets=VPC_SUBNETS):
    return service_targets_checks(services, target_groups, subnets, 8080, "payment-cluster-dev/api")


def test_the_service_tasks_are_its_healthy_targets():
    [row] = targets_rows([service()], HEALTHY)
    assert row["ok"] and row["rule"] == "service-targets"
    assert row["resource"] == "target group payment-tg-dev (ecs service payment-cluster-dev/api)"
    assert row["found"].startswith("2 healthy of 2 target(s)")


@pytest.mark.parametrize(
    ("services", "target_groups", "found"),
    [
        ([service()], groups(target("10.10.2.20")), "1 healthy of 1 target(s)"),  # a task not registered
        (
            [service()],
            groups(target("10.10.2.20"), target("10.10.3.20", state="unhealthy", reason="Target.FailedHealthChecks")),
            "10.10.3.20:8080 unhealthy (Target.FailedHealthChecks)",
        ),
        ([service(running=0)], groups(), "0 healthy of 0 target(s)"),  # nothing running: at least 1
        ([service()], groups(target("10.10.2.20"), target("10.10.0.20")), "['10.10.0.20:8080']"),  # public subnet
        ([service()], groups(target("10.10.2.20"), target("10.10.3.20", port=9090)), "['10.10.3.20:9090']"),
        # Its own subnets only: a private subnet the service does not use is not one of its private subnets.
        ([service(subnets=["s-pr-a"])], HEALTHY, "['10.10.3.20:8080']"),
        ([service()], [], "no such target group"),
        ([service(balancers=[])], HEALTHY, "no target group in its loadBalancers"),
        ([{"status": "INACTIVE"}], HEALTHY, "no such service"),
        ([], HEALTHY, "no such service"),
    ],
    ids=[
        "missing-target",
        "unhealthy",
        "nothing-running",
        "public-subnet",
        "wrong-port",
        "other-subnet",
        "no-target-group",
        "no-load-balancer",
        "inactive",
        "missing-service",
    ],
)
def test_each_broken_registration_is_named(services, target_groups, found):
    [row] = targets_rows(services, target_groups)
    assert not row["ok"]
    assert found in row["found"], row["found"]
    assert "on port 8080" in row["expected"]


def test_the_expected_count_and_subnets_are_named():
    [row] = targets_rows([service(running=3)], HEALTHY)
    assert not row["ok"]
    assert row["expected"] == (
        "3 healthy target(s) (the service's running count, at least 1), each in a private subnet of the service "
        "['priv-a', 'priv-b'] on port 8080"
    )
