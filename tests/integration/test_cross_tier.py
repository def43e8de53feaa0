"""The project-wide values that several tiers must agree on, through site.yml against the emulator.

payments_database_port and payments_app_port are set once (group_vars/all) and each reaches every place it belongs:
a port one tier changes and another keeps is a run that succeeds with the path between them broken. The names of
payments_names are what the resources carry. And nothing to run is a failure, not a success.
"""

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import BIN
from conftest import ROOT
from conftest import make_runner

from ansible_collections.payments.infra.plugins.module_utils.names import resource_names

pytestmark = pytest.mark.integration

ENV = "dev"
HOST = f"payments-{ENV}"
DB_PORT = 6543
APP_PORT = 9090


def names():
    """payments_names for dev (the names table with group_vars/all's prefix): what each resource must be called."""
    common = yaml.safe_load((ROOT / "group_vars/all/main.yml").read_text())
    assert "payments.infra.resource_names" in common["payments_names"]
    return resource_names(common["payments_name_prefix"], ENV)


def permissions(perms):
    """{(protocol, from port, to port, source)} of security group rules (a CIDR or a group id)."""
    return {
        (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), source)
        for p in perms
        for source in [r["CidrIp"] for r in p.get("IpRanges", [])]
        + [g["GroupId"] for g in p.get("UserIdGroupPairs", [])]
    }


def group(aws, tier):
    filters = [{"Name": "group-name", "Values": [f"payment-{tier}-sg-{ENV}"]}]
    (found,) = aws("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]
    return found


def test_both_ports_reach_every_tier_and_a_live_database_port_is_refused(clean_emulator, aws, outputs_of):
    """One provisioning of dev on other ports, read back tier by tier; verify.yml (its posture follows the ports);
    then another database port on that live dev, refused by the preflight with no write at all."""
    emu, run, name = clean_emulator, make_runner(clean_emulator), names()
    ports = {"payments_database_port": DB_PORT, "payments_app_port": APP_PORT}
    first = run("site.yml", ENV, extra_vars=ports)
    assert first.rc == 0, first.messages()

    # The database listens on the port, under its name, and the outputs say so.
    (db,) = aws("rds").describe_db_instances(DBInstanceIdentifier=name["db_instance"])["DBInstances"]
    assert db["Endpoint"]["Port"] == DB_PORT
    assert outputs_of(first, HOST)["rds_endpoint"] == f"{db['Endpoint']['Address']}:{DB_PORT}"

    # The security group chain: internet -> ALB (443, 80) -> tasks (app port) -> database (database port).
    alb, app, dbsg = group(aws, "alb"), group(aws, "app"), group(aws, "db")
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [dbsg["GroupId"]]
    assert permissions(dbsg["IpPermissions"]) == {("tcp", DB_PORT, DB_PORT, app["GroupId"])}
    assert permissions(app["IpPermissions"]) == {("tcp", APP_PORT, APP_PORT, alb["GroupId"])}
    assert ("tcp", DB_PORT, DB_PORT, dbsg["GroupId"]) in permissions(app["IpPermissionsEgress"])
    assert permissions(alb["IpPermissionsEgress"]) == {("tcp", APP_PORT, APP_PORT, app["GroupId"])}

    # The service, under its names, in the app group, behind the target group on the app port.
    ecs = aws("ecs")
    (cluster,) = ecs.describe_clusters(clusters=[name["ecs_cluster"]])["clusters"]
    assert cluster["clusterName"] == name["ecs_cluster"] and cluster["status"] == "ACTIVE"
    (service,) = ecs.describe_services(cluster=name["ecs_cluster"], services=[name["ecs_service"]])["services"]
    assert service["serviceName"] == name["ecs_service"] and service["status"] == "ACTIVE"
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [app["GroupId"]]
    (link,) = service["loadBalancers"]
    assert link["containerPort"] == APP_PORT

    # The task definition: the container's port, and the database it is told about.
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert [m["containerPort"] for m in container["portMappings"]] == [APP_PORT]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["DB_PORT"] == str(DB_PORT)
    assert environment["DB_HOST"] == db["Endpoint"]["Address"]

    # The target group (and its health check, on the traffic port) and the load balancer that forwards to it.
    elb = aws("elbv2")
    (target_group,) = elb.describe_target_groups(Names=[name["target_group"]])["TargetGroups"]
    assert target_group["TargetGroupArn"] == link["targetGroupArn"]
    assert (target_group["Port"], target_group["HealthCheckPort"]) == (APP_PORT, "traffic-port")
    (lb,) = elb.describe_load_balancers(Names=[name["alb"]])["LoadBalancers"]
    assert target_group["LoadBalancerArns"] == [lb["LoadBalancerArn"]]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    (https,) = [listener for listener in listeners if listener["Port"] == 443]
    assert [a["TargetGroupArn"] for a in https["DefaultActions"]] == [target_group["TargetGroupArn"]]

    # The posture check follows both ports (with 5432 / 8080 it would find the chain broken).
    verify = run("playbooks/verify.yml", ENV, extra_vars=ports)
    assert verify.rc == 0, verify.messages()

    # Another database port on the live dev: refused by the preflight, before the run lock or any write.
    seq = emu.client.last_seq()
    moved = run("site.yml", ENV, extra_vars={**ports, "payments_database_port": DB_PORT + 1})
    assert moved.rc != 0
    messages = " ".join(moved.messages(HOST).split())
    assert "Refuse what the live instance cannot take in place" in messages
    assert (
        f"rds_port={DB_PORT + 1} (payments_database_port) but {name['db_instance']} listens on {DB_PORT}: changing "
        "the port of a live database restarts it at once" in messages
    ), messages
    assert f"Keep payments_database_port: {DB_PORT}, or move the port in a planned change window" in messages
    assert "Nothing was changed." in messages
    assert emu.client.mutating_calls(since=seq, run_locks=True) == []
    (db,) = aws("rds").describe_db_instances(DBInstanceIdentifier=name["db_instance"])["DBInstances"]
    assert db["Endpoint"]["Port"] == DB_PORT


def ansible_playbook(*args):
    """ansible-playbook as a user runs it (the project's ansible.cfg), with no AWS endpoint at all."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))},
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


@pytest.fixture
def empty_inventory(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("all:\n  hosts: {}\n")
    return str(path)


@pytest.mark.parametrize("playbook", ["site.yml", "playbooks/tier.yml", "playbooks/destroy.yml"])
def test_an_inventory_without_a_host_fails(empty_inventory, playbook):
    """Without the check every play is skipped ("no hosts matched") and the run ends rc 0 having done nothing."""
    rc, printed = ansible_playbook(playbook, "-i", empty_inventory)
    assert rc != 0, printed
    assert f"No environment selected: the inventory ({empty_inventory}) has no host" in printed
    assert "-i inventories/<environment>" in printed and "Nothing was changed." in printed


@pytest.mark.parametrize("tier", [None, "ecs_alb", "nope"])
def test_a_tier_that_is_not_one_is_refused_before_any_call(clean_emulator, ansible, tier):
    """playbooks/tier.yml converges one tier; any other value (or none) fails naming it and the valid ones, calling
    nothing at all (not even the run lock's)."""
    seq = clean_emulator.client.last_seq()
    run = ansible("playbooks/tier.yml", ENV, extra_vars={"tier": tier} if tier else None)
    assert run.failed
    messages = " ".join(run.messages(HOST).split())
    assert f"tier={tier or '(not set)'} is not a tier this playbook converges alone" in messages, messages
    assert "valid: network, ecr, s3, rds, observability (-e tier=<name>)" in messages
    assert "Nothing was changed." in messages
    # The harness itself reads Secrets Manager after each run (no secret printed): any other call is the run's.
    calls = clean_emulator.client.calls(since=seq)
    assert [c["operation"] for c in calls if c["service"] != "secretsmanager"] == []


@pytest.mark.parametrize(
    ("inventory", "limit", "expected"),
    [
        ("inventories/dev", "nope", "Could not match supplied host pattern, ignoring: nope"),
        # An empty inventory with a limit: the check play is outside the limit too; the pattern fails instead.
        (None, "nope", "Could not match supplied host pattern, ignoring: nope"),
        (None, "localhost", "No environment selected: the inventory (@) with --limit localhost has no host"),
        ("inventories/nope", None, "Completely failed to parse inventory source"),
        ("inventories/nope,inventories/dev", None, "Completely failed to parse inventory source"),
    ],
)
def test_a_limit_or_an_inventory_that_selects_nothing_fails(empty_inventory, inventory, limit, expected):
    args = ["site.yml"]
    for source in (inventory or empty_inventory).split(","):
        args += ["-i", source]
    if limit:
        args += ["--limit", limit]
    rc, printed = ansible_playbook(*args)
    assert rc != 0, printed
    assert expected.replace("@", empty_inventory) in printed, printed


def test_make_names_the_environments_when_env_names_none():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    proc = subprocess.run(
        ["make", "-j1", "demo", "ENV=nope"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0
    environments = " ".join(sorted(p.parent.name for p in Path(ROOT, "inventories").glob("*/hosts.yml")))
    assert f"ENV=nope is not an environment: one of {environments}" in proc.stderr
