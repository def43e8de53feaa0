"""The network role through site.yml, against the emulator: dev and prod."""

import pytest

pytestmark = pytest.mark.integration


def tagged(env_name):
    return [{"Name": "tag:Environment", "Values": [env_name]}]


def by_name(items):
    return {next(t["Value"] for t in i.get("Tags", []) if t["Key"] == "Name"): i for i in items}


def test_second_run_changes_nothing_and_calls_no_mutating_api(provisioned, emulator):
    assert provisioned.first.changed > 0
    for host, stats in provisioned.second.stats.items():
        assert stats["changed"] == 0, (host, provisioned.second.changed_tasks())
    second_run = [
        c
        for c in emulator.client.mutating_calls(since=provisioned.seq_before_second)
        if c["seq"] <= provisioned.seq_after_second
    ]
    assert second_run == []


@pytest.mark.parametrize(("env_name", "azs", "nats"), [("dev", 2, 1), ("staging", 2, 2), ("prod", 3, 3)])
def test_counts(provisioned, aws, env_name, azs, nats):
    ec2 = aws("ec2")
    vpcs = ec2.describe_vpcs(Filters=tagged(env_name))["Vpcs"]
    assert len(vpcs) == 1
    vpc_id = vpcs[0]["VpcId"]
    tags = {t["Key"]: t["Value"] for t in vpcs[0]["Tags"]}
    assert tags == {
        "Name": f"payment-vpc-{env_name}",
        "Project": "payment-api",
        "Environment": env_name,
        "ManagedBy": "payments.infra",
    }

    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert len(subnets) == 3 * azs
    tiers = {}
    for subnet in subnets:
        t = {x["Key"]: x["Value"] for x in subnet["Tags"]}
        assert t["Environment"] == env_name and t["ManagedBy"] == "payments.infra"
        assert subnet["MapPublicIpOnLaunch"] is False
        tiers.setdefault(t["Tier"], set()).add(subnet["AvailabilityZone"])
    assert {k: len(v) for k, v in tiers.items()} == {"public": azs, "private": azs, "database": azs}

    live = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "state", "Values": ["pending", "available"]}]
    nat_gateways = ec2.describe_nat_gateways(Filters=live)["NatGateways"]
    assert len(nat_gateways) == nats
    eips = ec2.describe_addresses(Filters=tagged(env_name))["Addresses"]
    assert len(eips) == nats
    assert {e["AllocationId"] for e in eips} == {
        a["AllocationId"] for gw in nat_gateways for a in gw["NatGatewayAddresses"]
    }
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    assert len(igws["InternetGateways"]) == 1

    tables = by_name(ec2.describe_route_tables(Filters=tagged(env_name))["RouteTables"])
    private_tables = sorted(n for n in tables if "-private-rt-" in n)
    assert len(private_tables) == (1 if nats == 1 else azs)
    assert f"payment-public-rt-{env_name}" in tables and f"payment-database-rt-{env_name}" in tables
    assert len(tables) == 2 + len(private_tables)


def default_route(table):
    return [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_routes(provisioned, aws, env_name):
    ec2 = aws("ec2")
    tables = by_name(ec2.describe_route_tables(Filters=tagged(env_name))["RouteTables"])
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=tagged(env_name))["Subnets"]}
    nat_by_subnet = {
        gw["SubnetId"]: gw["NatGatewayId"]
        for gw in ec2.describe_nat_gateways(Filters=tagged(env_name))["NatGateways"]
        if gw["State"] == "available"
    }
    public = tables[f"payment-public-rt-{env_name}"]
    assert default_route(public)[0]["GatewayId"].startswith("igw-")
    assert default_route(tables[f"payment-database-rt-{env_name}"]) == []
    for name, table in tables.items():
        if "-private-rt-" not in name:
            continue
        nat = default_route(table)[0]["NatGatewayId"]
        assert nat in nat_by_subnet.values()
        for assoc in table["Associations"]:
            subnet = subnets[assoc["SubnetId"]]
            if env_name == "prod":
                # Each private subnet leaves through the NAT gateway of its own AZ.
                nat_subnet = next(s for s, n in nat_by_subnet.items() if n == nat)
                assert subnets[nat_subnet]["AvailabilityZone"] == subnet["AvailabilityZone"]


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_flow_log(provisioned, aws, env_name):
    ec2 = aws("ec2")
    vpc_id = ec2.describe_vpcs(Filters=tagged(env_name))["Vpcs"][0]["VpcId"]
    logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert len(logs) == 1
    log = logs[0]
    assert log["TrafficType"] == "ALL" and log["LogDestinationType"] == "cloud-watch-logs"
    assert log["LogGroupName"] == f"/payment/{env_name}/vpc-flow-logs"
    assert log["DeliverLogsPermissionArn"].endswith(f":role/payment-vpc-flow-logs-{env_name}")
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"/payment/{env_name}/vpc-flow-logs")["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [14 if env_name == "dev" else 365]


def permissions(perms):
    """{(port, source)} where source is a CIDR or a security group id."""
    found = set()
    for p in perms:
        port = p.get("FromPort", "all")
        assert p.get("FromPort") == p.get("ToPort")
        for r in p.get("IpRanges", []):
            found.add((p["IpProtocol"], port, r["CidrIp"]))
        for g in p.get("UserIdGroupPairs", []):
            found.add((p["IpProtocol"], port, g["GroupId"]))
    return found


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_security_group_rules_exactly(provisioned, aws, env_name):
    ec2 = aws("ec2")
    groups = by_name(ec2.describe_security_groups(Filters=tagged(env_name))["SecurityGroups"])
    alb, app, db = (groups[f"payment-{k}-sg-{env_name}"] for k in ("alb", "app", "db"))
    assert permissions(alb["IpPermissions"]) == {("tcp", 80, "0.0.0.0/0"), ("tcp", 443, "0.0.0.0/0")}
    assert permissions(alb["IpPermissionsEgress"]) == {("tcp", 8080, app["GroupId"])}
    assert permissions(app["IpPermissions"]) == {("tcp", 8080, alb["GroupId"])}
    assert permissions(app["IpPermissionsEgress"]) == {("tcp", 443, "0.0.0.0/0"), ("tcp", 5432, db["GroupId"])}
    assert permissions(db["IpPermissions"]) == {("tcp", 5432, app["GroupId"])}
    assert permissions(db["IpPermissionsEgress"]) == set()


def test_check_mode_on_converged_env_plans_nothing(provisioned, emulator, ansible):
    seq = emulator.client.last_seq()
    plan = ansible("site.yml", "prod", check=True, diff=True)
    assert plan.rc == 0, plan.messages()
    assert plan.changed == 0, plan.changed_tasks()
    assert emulator.client.mutating_calls(since=seq) == []


def test_group_vars_change_is_applied_and_shown(provisioned, emulator, ansible, aws):
    """A changed input shows up in --check --diff, then is applied, then is stable."""
    extra = {"network_alb_ingress_cidrs": ["203.0.113.0/24"]}
    seq = emulator.client.last_seq()
    plan = ansible("site.yml", "dev", extra_vars=extra, check=True, diff=True)
    assert plan.rc == 0 and plan.changed >= 1
    assert emulator.client.mutating_calls(since=seq) == []
    applied = ansible("site.yml", "dev", extra_vars=extra)
    assert applied.rc == 0 and applied.changed >= 1
    alb = by_name(aws("ec2").describe_security_groups(Filters=tagged("dev"))["SecurityGroups"])["payment-alb-sg-dev"]
    assert permissions(alb["IpPermissions"]) == {("tcp", 80, "203.0.113.0/24"), ("tcp", 443, "203.0.113.0/24")}
    back = ansible("site.yml", "dev")
    assert back.rc == 0 and back.changed >= 1


def task_result(run, name, host):
    """The result of the task named ``name`` (without its role prefix) for ``host``."""
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].split(" : ", 1)[-1] == name and host in task.get("hosts", {}):
                return task["hosts"][host]
    raise AssertionError(f"no task {name!r} ran for {host}")


SUBNETS_TASK = "Subnets (those missing or differing from the plan)"
GROUPS_TASK = "Security groups exist"
RULES_TASK = "Security group rules"
SUBNET_AND_GROUP_WRITES = ("Subnet", "Tags", "SecurityGroup")


def test_second_run_starts_no_subnet_nor_group_existence_module(provisioned, emulator):
    """One read each, then the stock modules only for what differs: on a converged environment, for nothing."""
    for env_name in ("dev", "staging", "prod"):
        for name in (SUBNETS_TASK, GROUPS_TASK, RULES_TASK):
            result = task_result(provisioned.second, name, f"payments-{env_name}")
            assert result.get("results", []) == [], (env_name, name, result.get("results"))
        assert len(task_result(provisioned.first, SUBNETS_TASK, f"payments-{env_name}")["results"]) in (6, 9)
    writes = [
        (c["operation"], c["seq"])
        for c in emulator.client.mutating_calls(since=provisioned.seq_before_second)
        if c["seq"] <= provisioned.seq_after_second
        and c["service"] == "ec2"
        and any(w in c["operation"] for w in SUBNET_AND_GROUP_WRITES)
    ]
    assert writes == []


def test_drift_of_a_subnet_and_a_group_is_repaired(provisioned, ansible, aws):
    ec2 = aws("ec2")
    subnet = by_name(ec2.describe_subnets(Filters=tagged("dev"))["Subnets"])["payment-private-dev-us-east-1b"]
    group = by_name(ec2.describe_security_groups(Filters=tagged("dev"))["SecurityGroups"])["payment-db-sg-dev"]
    as_built = {
        r: {t["Key"]: t["Value"] for t in x["Tags"]}
        for r, x in ((subnet["SubnetId"], subnet), (group["GroupId"], group))
    }
    for resource, tags in as_built.items():
        ec2.create_tags(
            Resources=[resource],
            Tags=[{"Key": "Environment", "Value": "drifted"}, {"Key": "Owner", "Value": "someone"}],
        )
        assert tags["Environment"] == "dev"
    ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})

    repair = ansible("site.yml", "dev")
    assert repair.rc == 0, repair.messages()
    assert [r["item"]["name"] for r in task_result(repair, SUBNETS_TASK, "payments-dev")["results"]] == [
        "payment-private-dev-us-east-1b"
    ]
    assert [r["item"]["key"] for r in task_result(repair, GROUPS_TASK, "payments-dev")["results"]] == ["db"]
    subnet_now = ec2.describe_subnets(SubnetIds=[subnet["SubnetId"]])["Subnets"][0]
    group_now = ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]
    assert {t["Key"]: t["Value"] for t in subnet_now["Tags"]} == as_built[subnet["SubnetId"]]
    assert {t["Key"]: t["Value"] for t in group_now["Tags"]} == as_built[group["GroupId"]]
    assert subnet_now["MapPublicIpOnLaunch"] is False


NATS_TASK = "NAT gateways, each with its own Elastic IP"
ROUTE_TABLES_TASK = "Route tables (default route per tier; database none)"


def test_second_run_starts_no_nat_gateway_nor_route_table_module(provisioned):
    """nat_gateway_plan and route_table_plan say which are converged: on a converged environment, every one."""
    for env_name in ("dev", "staging", "prod"):
        for name in (NATS_TASK, ROUTE_TABLES_TASK):
            results = task_result(provisioned.second, name, f"payments-{env_name}")["results"]
            assert results and all(r.get("skipped") for r in results), (env_name, name, results)
            first = task_result(provisioned.first, name, f"payments-{env_name}")["results"]
            assert not any(r.get("skipped") for r in first), (env_name, name)


def test_drift_of_a_nat_gateway_and_a_route_table_is_repaired(provisioned, ansible, aws):
    ec2 = aws("ec2")
    (nat,) = [n for n in ec2.describe_nat_gateways(Filters=tagged("dev"))["NatGateways"] if n["State"] == "available"]
    tables = by_name(ec2.describe_route_tables(Filters=tagged("dev"))["RouteTables"])
    private, public = tables["payment-private-rt-dev"], tables["payment-public-rt-dev"]
    nat_tags = {t["Key"]: t["Value"] for t in nat["Tags"]}
    ec2.create_tags(Resources=[nat["NatGatewayId"]], Tags=[{"Key": "Owner", "Value": "someone"}])
    ec2.delete_route(RouteTableId=private["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")
    ec2.create_route(
        RouteTableId=public["RouteTableId"],
        DestinationCidrBlock="10.99.0.0/16",
        GatewayId=next(r["GatewayId"] for r in public["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"),
    )

    repair = ansible("site.yml", "dev")
    assert repair.rc == 0, repair.messages()
    ran = [
        r["item"]["name"]
        for r in task_result(repair, ROUTE_TABLES_TASK, "payments-dev")["results"]
        if not r.get("skipped")
    ]
    assert ran == ["payment-public-rt-dev", "payment-private-rt-dev"]
    assert [r for r in task_result(repair, NATS_TASK, "payments-dev")["results"] if not r.get("skipped")]
    nat_now = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]
    assert {t["Key"]: t["Value"] for t in nat_now["Tags"]} == nat_tags
    routes = {
        name: sorted((r["DestinationCidrBlock"], r.get("NatGatewayId") or r.get("GatewayId")) for r in t["Routes"])
        for name, t in by_name(ec2.describe_route_tables(Filters=tagged("dev"))["RouteTables"]).items()
    }
    assert ("0.0.0.0/0", nat["NatGatewayId"]) in routes["payment-private-rt-dev"]
    assert "10.99.0.0/16" not in {dest for dest, _ in routes["payment-public-rt-dev"]}
    again = ansible("site.yml", "dev")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()


def test_drift_of_security_group_rules_is_repaired(provisioned, ansible, aws):
    """The rules pass runs only for a group whose live rules differ (security_group_rule_changes): a rule revoked
    and a rule added by hand make their groups' rules run, and the groups read back exactly as built."""
    ec2 = aws("ec2")
    groups = by_name(ec2.describe_security_groups(Filters=tagged("dev"))["SecurityGroups"])
    app, alb = groups["payment-app-sg-dev"], groups["payment-alb-sg-dev"]
    to_apis = next(p for p in app["IpPermissionsEgress"] if p.get("FromPort") == 443)
    ec2.revoke_security_group_egress(GroupId=app["GroupId"], IpPermissions=[to_apis])
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(GroupId=alb["GroupId"], IpPermissions=[ssh])

    repair = ansible("site.yml", "dev")
    assert repair.rc == 0, repair.messages()
    assert [r["item"]["key"] for r in task_result(repair, RULES_TASK, "payments-dev")["results"]] == ["alb", "app"]
    now = by_name(ec2.describe_security_groups(Filters=tagged("dev"))["SecurityGroups"])
    for name, group in (("payment-app-sg-dev", app), ("payment-alb-sg-dev", alb)):
        for direction in ("IpPermissions", "IpPermissionsEgress"):
            assert sources(now[name][direction]) == sources(group[direction]), (name, direction)
    again = ansible("site.yml", "dev")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()


def sources(permissions):
    """One (protocol, from, to, source, description) per source of each permission (AWS may list them in any order)."""
    return sorted(
        (
            p["IpProtocol"],
            p.get("FromPort"),
            p.get("ToPort"),
            src.get("CidrIp") or src.get("GroupId"),
            src.get("Description"),
        )
        for p in permissions
        for src in p.get("IpRanges", []) + p.get("UserIdGroupPairs", [])
    )
