"""Day-2 changes of the network tier on a live environment (issue 12): each variable changed on a provisioned
dev, planned with --check --diff (no mutating call, the change reported), applied (exactly one of each resource,
every subnet on its tier's route table with the right default route), run again (changed=0, no mutating call)
and reverted. What cannot change in place is refused before any mutating call, saying what it would take.

playbooks/network.yml (the network tier under the run lock) keeps each run short; every test starts from an
empty emulator.
"""

from datetime import datetime

import pytest
from headcount import census

pytestmark = pytest.mark.integration

NETWORK = "playbooks/network.yml"
ENV = "dev"
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]
NETWORK_KINDS = ["vpcs", "subnets", "internet_gateways", "nat_gateways", "elastic_ips", "route_tables", "flow_logs"]
BASE_TAGS = {"Project": "payment-api", "Environment": ENV, "ManagedBy": "payments.infra"}


def tags_of(item):
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def expected_network(strategy, azs):
    """The network of dev, alone in the account: what census() counts (security groups include the default)."""
    nats = {"single": 1, "one_per_az": azs, "none": 0}[strategy]
    private_tables = azs if strategy == "one_per_az" else 1
    return {
        "vpcs": 1,
        "subnets": 3 * azs,
        "internet_gateways": 1,
        "nat_gateways": nats,
        "elastic_ips": nats,
        "route_tables": 1 + 1 + private_tables + 1,  # main, public, private, database
        "security_groups": 4,
        "flow_logs": 1,
    }


def wiring(aws):
    """The network as it is: route tables by Name with their subnets (by Name) and default route target (the NAT
    gateway's Name, "igw" or None), NAT gateways and Elastic IPs by Name, the main table's subnets."""
    ec2 = aws("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-vpc-{ENV}"]}])["Vpcs"]
    assert len(vpc) == 1
    in_vpc = [{"Name": "vpc-id", "Values": [vpc[0]["VpcId"]]}]
    subnets = {s["SubnetId"]: tags_of(s)["Name"] for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]}
    live = [
        g for g in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"] if g["State"] in ("pending", "available")
    ]
    nat_names = {g["NatGatewayId"]: tags_of(g)["Name"] for g in live}
    tables, main = {}, None
    for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]:
        associated = sorted(subnets[a["SubnetId"]] for a in table["Associations"] if a.get("SubnetId"))
        if any(a.get("Main") for a in table["Associations"]):
            main = associated
            continue
        name = tags_of(table)["Name"]
        assert name not in tables, f"two route tables named {name}"
        default = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        target = None
        if default:
            route = default[0]
            target = nat_names.get(route.get("NatGatewayId"), route.get("NatGatewayId"))
            target = "igw" if str(route.get("GatewayId", "")).startswith("igw-") else target
        tables[name] = {"id": table["RouteTableId"], "subnets": associated, "default": target, "tags": tags_of(table)}
    eips = sorted(tags_of(a).get("Name", "untagged") for a in ec2.describe_addresses()["Addresses"])
    return {"tables": tables, "main": main, "nats": sorted(nat_names.values()), "eips": eips, "subnets": subnets}


def expected_wiring(strategy, azs):
    """Route tables by Name -> (subnets, default route target) for dev with ``strategy`` over ``azs`` AZs."""
    zones = AZS[:azs]

    def tier(name, zone_list):
        return sorted(f"payment-{name}-{ENV}-{z}" for z in zone_list)

    tables = {
        f"payment-public-rt-{ENV}": (tier("public", zones), "igw"),
        f"payment-database-rt-{ENV}": (tier("database", zones), None),
    }
    if strategy == "one_per_az":
        for zone in zones:
            tables[f"payment-private-rt-{ENV}-{zone}"] = (tier("private", [zone]), f"payment-nat-{ENV}-{zone}")
    else:
        nat = f"payment-nat-{ENV}-{zones[0]}" if strategy == "single" else None
        tables[f"payment-private-rt-{ENV}"] = (tier("private", zones), nat)
    nats = {"single": zones[:1], "one_per_az": zones, "none": []}[strategy]
    return tables, sorted(f"payment-nat-{ENV}-{z}" for z in nats)


def assert_network(aws, strategy, azs, flow_logs=1):
    """Exactly one of each resource; every subnet on its tier's table with the right default route."""
    counts = census(aws, ENV)
    expected = dict(expected_network(strategy, azs), flow_logs=flow_logs)
    assert {k: counts[k] for k in expected} == expected
    found = wiring(aws)
    tables, nats = expected_wiring(strategy, azs)
    assert {n: (t["subnets"], t["default"]) for n, t in found["tables"].items()} == tables
    assert found["main"] == [], "a subnet fell back to the main route table"
    assert found["nats"] == nats
    assert found["eips"] == sorted(f"{n}-eip" for n in nats)
    return found


def converge(ansible, emu, extra=None, check=False):
    """One run of the network tier; returns (run, mutating calls it made)."""
    seq = emu.client.last_seq()
    run = ansible(NETWORK, ENV, extra_vars=extra, check=check, diff=check)
    assert run.rc == 0, run.messages()
    return run, emu.client.mutating_calls(since=seq)


def assert_noop(ansible, emu, extra=None):
    run, mutating = converge(ansible, emu, extra)
    assert run.changed == 0, run.changed_tasks()
    assert mutating == []


def assert_refused(ansible, emu, extra, *phrases):
    seq = emu.client.last_seq()
    run = ansible(NETWORK, ENV, extra_vars=extra)
    assert run.rc != 0
    message = run.messages()
    for phrase in phrases:
        assert phrase in message, message
    assert emu.client.mutating_calls(since=seq) == []


def printed(run):
    """Everything the run printed for dev: debug messages and diffs, as one string."""
    return str(run.output)


def security_group_rules(aws):
    """{group name: ({(port, source)} ingress, {(port, source)} egress)} with sources as CIDRs or group names."""
    groups = aws("ec2").describe_security_groups(Filters=[{"Name": "tag:Environment", "Values": [ENV]}])[
        "SecurityGroups"
    ]
    names = {g["GroupId"]: g["GroupName"] for g in groups}

    def rules(perms):
        found = set()
        for p in perms:
            found |= {(p.get("FromPort"), r["CidrIp"]) for r in p.get("IpRanges", [])}
            found |= {(p.get("FromPort"), names[g["GroupId"]]) for g in p.get("UserIdGroupPairs", [])}
        return found

    return {g["GroupName"]: (rules(g["IpPermissions"]), rules(g["IpPermissionsEgress"])) for g in groups}


def tags_everywhere(aws):
    """Tags of every network resource of dev but Name and Tier, by kind and Name (log group, IAM role by name)."""
    ec2 = aws("ec2")
    by_env = [{"Name": "tag:Environment", "Values": [ENV]}]
    found = {}
    for kind, items in [
        ("vpc", ec2.describe_vpcs(Filters=by_env)["Vpcs"]),
        ("subnet", ec2.describe_subnets(Filters=by_env)["Subnets"]),
        ("igw", ec2.describe_internet_gateways(Filters=by_env)["InternetGateways"]),
        ("nat", [g for g in ec2.describe_nat_gateways(Filters=by_env)["NatGateways"] if g["State"] == "available"]),
        ("eip", ec2.describe_addresses(Filters=by_env)["Addresses"]),
        ("rtb", ec2.describe_route_tables(Filters=by_env)["RouteTables"]),
        ("sg", ec2.describe_security_groups(Filters=by_env)["SecurityGroups"]),
        ("flow_log", ec2.describe_flow_logs(Filters=by_env)["FlowLogs"]),
    ]:
        for item in items:
            tags = tags_of(item)
            found[f"{kind} {tags.get('Name')}"] = {k: v for k, v in tags.items() if k not in ("Name", "Tier")}
    group = f"/payment/{ENV}/vpc-flow-logs"
    found[f"log_group {group}"] = aws("logs").list_tags_log_group(logGroupName=group)["tags"]
    role = f"payment-vpc-flow-logs-{ENV}"
    found[f"iam_role {role}"] = tags_of(aws("iam").get_role(RoleName=role)["Role"])
    return found


def retention(aws):
    return (
        aws("logs")
        .describe_log_groups(logGroupNamePrefix=f"/payment/{ENV}/vpc-flow-logs")["logGroups"][0]
        .get("retentionInDays")
    )


def test_tags_retention_ingress_and_port_change_in_place(clean_emulator, ansible, aws):
    """payments_extra_tags (added, then removed), network_flow_logs_retention_days, network_alb_ingress_cidrs and
    network_app_port changed together on a live dev: planned without a write, applied in place (the same route
    tables, no new or orphaned resource, no subnet on the main table), stable, reverted; then a changed VPC CIDR,
    a changed subnet plan and a smaller network_az_count are refused before any write."""
    emu = clean_emulator
    converge(ansible, emu)
    before = assert_network(aws, "single", 2)
    before_tags = tags_everywhere(aws)
    assert set(map(frozenset, [t.items() for t in before_tags.values()])) == {frozenset(BASE_TAGS.items())}
    before_rules = security_group_rules(aws)

    change = {
        "payments_extra_tags": {"CostCentre": "cc-42"},
        "network_flow_logs_retention_days": 30,
        "network_alb_ingress_cidrs": ["203.0.113.0/24"],
        "payments_app_port": 9090,
    }
    plan, mutating = converge(ansible, emu, change, check=True)
    assert mutating == []
    changed = set(plan.changed_tasks())
    assert {
        "Route tables (default route per tier; database none)",
        "Flow-log log group",
        "Security group rules",
    } <= changed
    assert "retention_days" in printed(plan) and "cc-42" in printed(plan)
    assert wiring(aws)["tables"] == before["tables"]  # the plan wrote nothing

    applied, mutating = converge(ansible, emu, change)
    assert applied.changed > 0
    writes = {c["operation"] for c in mutating}
    assert not writes & {"CreateRouteTable", "DeleteRouteTable", "DisassociateRouteTable", "AssociateRouteTable"}
    after = assert_network(aws, "single", 2)
    # The same route tables, found by their Name: the added tag is an attribute that converged.
    assert {n: t["id"] for n, t in after["tables"].items()} == {n: t["id"] for n, t in before["tables"].items()}
    assert set(tags_everywhere(aws)) == set(before_tags)
    assert all(t == dict(BASE_TAGS, CostCentre="cc-42") for t in tags_everywhere(aws).values())
    assert retention(aws) == 30
    rules = security_group_rules(aws)
    assert rules[f"payment-alb-sg-{ENV}"] == (
        {(80, "203.0.113.0/24"), (443, "203.0.113.0/24")},
        {(9090, f"payment-app-sg-{ENV}")},
    )
    assert rules[f"payment-app-sg-{ENV}"][0] == {(9090, f"payment-alb-sg-{ENV}")}

    assert_noop(ansible, emu, change)

    # What the old lookup by the whole tag set left on live environments: a second table under a name (here
    # without subnets) and a subnet fallen back to the main table. The next run keeps one table per name.
    ec2 = aws("ec2")
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-vpc-{ENV}"]}])["Vpcs"][0]["VpcId"]
    ec2.create_route_table(
        VpcId=vpc_id,
        TagSpecifications=[
            {
                "ResourceType": "route-table",
                "Tags": [{"Key": k, "Value": v} for k, v in dict(BASE_TAGS, Name=f"payment-public-rt-{ENV}").items()],
            }
        ],
    )
    database = ec2.describe_route_tables(RouteTableIds=[before["tables"][f"payment-database-rt-{ENV}"]["id"]])
    ec2.disassociate_route_table(AssociationId=database["RouteTables"][0]["Associations"][0]["RouteTableAssociationId"])

    # Reverted (the tag removed): back to the state it was built in, the same resources.
    reverted, mutating = converge(ansible, emu)
    assert reverted.changed > 0
    back = assert_network(aws, "single", 2)
    assert back["tables"] == before["tables"]
    assert tags_everywhere(aws) == before_tags
    assert security_group_rules(aws) == before_rules
    assert retention(aws) == 14

    # What cannot change in place: refused before any write, saying what it would take.
    assert_refused(
        ansible,
        emu,
        {"network_vpc_cidr": "10.99.0.0/16"},
        "network_vpc_cidr=10.99.0.0/16 but VPC payment-vpc-dev",
        "with CIDR 10.10.0.0/16",
        "cannot change in place",
        "playbooks/destroy.yml",
    )
    assert_refused(
        ansible,
        emu,
        {"network_subnet_newbits": 7},
        "payment-public-dev-us-east-1a 10.10.0.0/24 -> 10.10.0.0/23",
        "A subnet's CIDR cannot change in place",
    )
    assert census(aws, ENV)["vpcs"] == 1


def main_table_gap(mutating):
    """Seconds from the first DisassociateRouteTable to the last AssociateRouteTable of a run."""
    times = {
        op: [datetime.fromisoformat(c["time"].replace("Z", "+00:00")) for c in mutating if c["operation"] == op]
        for op in ("DisassociateRouteTable", "AssociateRouteTable")
    }
    return (max(times["AssociateRouteTable"]) - min(times["DisassociateRouteTable"])).total_seconds()


def operations(mutating):
    return [c["operation"] for c in mutating]


def test_nat_strategy_and_az_count_changes_converge(clean_emulator, ansible, aws):
    """network_nat_gateway_strategy single -> one_per_az -> none -> one_per_az with network_az_count 2 -> 3 ->
    single, then a smaller network_az_count refused. Each change: planned without a write and shown, applied with
    no surplus NAT gateway, Elastic IP or route table and every subnet on its tier's table in the same run
    (none on the main table), the surplus NAT gateway deleted only after no route uses it, then its Elastic IP."""
    emu = clean_emulator
    converge(ansible, emu)
    original = assert_network(aws, "single", 2)

    # single -> one_per_az: planned, applied, stable.
    per_az = {"network_nat_gateway_strategy": "one_per_az"}
    plan, mutating = converge(ansible, emu, per_az, check=True)
    assert mutating == []
    text = printed(plan)
    assert "route table payment-private-rt-dev-us-east-1b is created" in text
    assert "route table payment-private-rt-dev (" in text and "is deleted" in text
    assert "moves from route table payment-private-rt-dev to payment-private-rt-dev-us-east-1b" in text
    assert wiring(aws)["tables"] == original["tables"]
    applied, mutating = converge(ansible, emu, per_az)
    assert applied.changed > 0
    # The moved subnets are on the main table only between their old table's deletion and the association
    # that follows it in the same run (the stock module has no ReplaceRouteTableAssociation).
    print(f"single -> one_per_az: subnets off their table for {main_table_gap(mutating):.1f} s")
    assert main_table_gap(mutating) < 30
    assert (
        assert_network(aws, "one_per_az", 2)["tables"][f"payment-public-rt-{ENV}"]
        == original["tables"][f"payment-public-rt-{ENV}"]
    )
    assert_noop(ansible, emu, per_az)

    # one_per_az -> none: the private subnets move to one table without a default route; both NAT gateways go
    # after the routes stopped using them, each before its Elastic IP.
    none = {"network_nat_gateway_strategy": "none"}
    plan, mutating = converge(ansible, emu, none, check=True)
    assert mutating == []
    assert "Delete the NAT gateways of ours no longer wanted, then release their Elastic IPs" in plan.changed_tasks()
    applied, mutating = converge(ansible, emu, none)
    assert_network(aws, "none", 2)
    ops = operations(mutating)
    assert ops.count("DeleteNatGateway") == 2 and ops.count("ReleaseAddress") == 2
    last_route_write = max(
        i for i, op in enumerate(ops) if op in ("DeleteRoute", "DeleteRouteTable", "AssociateRouteTable")
    )
    assert last_route_write < ops.index("DeleteNatGateway")
    assert ops.index("DeleteNatGateway") < ops.index("ReleaseAddress")

    # none -> one_per_az over 3 AZs: the new AZ's subnets, NAT gateway and table; everything in one run.
    grown = {"network_nat_gateway_strategy": "one_per_az", "network_az_count": 3}
    plan, mutating = converge(ansible, emu, grown, check=True)
    assert mutating == []
    assert "route table payment-private-rt-dev-us-east-1c is created" in printed(plan)
    converge(ansible, emu, grown)
    assert_network(aws, "one_per_az", 3)

    # Back to single (3 AZs stay): two NAT gateways and their Elastic IPs go; the first one is kept. Flow logs
    # switched off at the same time: the flow log and its role go, the log group stays with its events.
    single3 = {"network_az_count": 3, "network_flow_logs_enabled": False}
    nat_a = wiring(aws)["tables"][f"payment-private-rt-{ENV}-us-east-1a"]
    converge(ansible, emu, single3)
    back = assert_network(aws, "single", 3, flow_logs=0)
    assert [r["RoleName"] for r in aws("iam").list_roles()["Roles"] if r["RoleName"].endswith(f"-{ENV}")] == []
    assert retention(aws) == 14
    assert back["tables"][f"payment-public-rt-{ENV}"]["id"] == original["tables"][f"payment-public-rt-{ENV}"]["id"]
    assert nat_a["default"] == f"payment-nat-{ENV}-us-east-1a"

    # Shrinking is refused before any write: it would remove subnets the database, ALB and service use.
    assert_refused(
        ansible,
        emu,
        {"network_flow_logs_enabled": False},
        "network_az_count=2 but payment-vpc-dev spans 3 availability zones now (us-east-1a, us-east-1b, us-east-1c)",
        "Keep network_az_count: 3",
    )
