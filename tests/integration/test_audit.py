"""playbooks/audit.yml on the provisioned emulator: read-only, finds nothing on the three environments as
provisioned, finds each planted stray with the right kind (and nothing else), reports the environments not
desired. Strays are deleted again before the test ends (the tests after it read the environments as provisioned)."""

import json

import pytest

pytestmark = pytest.mark.integration

AUDIT = "playbooks/audit.yml"
ENVIRONMENTS = ["dev", "staging", "prod"]
ACCOUNT = "123456789012"


def task_results(run, name):
    """The localhost results of the task called ``name``."""
    return [
        task["hosts"]["localhost"]
        for play in run.output.get("plays", [])
        for task in play.get("tasks", [])
        if task["task"]["name"] == name and "localhost" in task.get("hosts", {})
    ]


def audit_result(run):
    (collected,) = task_results(run, "Collect the findings")
    return collected["ansible_facts"]["audit_result"]


def table(run):
    (shown,) = task_results(run, "Show the findings")
    return shown["msg"]


def found(result):
    return sorted((f["finding"], f["type"], f["name"] or f["id"]) for f in result["findings"])


def test_the_provisioned_environments_have_no_finding_and_nothing_is_written(provisioned, emulator, ansible, tmp_path):
    report = tmp_path / "audit.json"
    seq = emulator.client.last_seq()

    run = ansible(AUDIT, ENVIRONMENTS, extra_vars={"audit_report": str(report), "audit_fail_on_findings": True})

    assert run.rc == 0, run.messages()
    assert run.changed == 0, run.changed_tasks()
    assert emulator.client.mutating_calls(since=seq) == []
    result = audit_result(run)
    assert result["findings"] == [], found(result)
    assert result["desired_environments"] == sorted(ENVIRONMENTS)
    assert result["regions"] == ["us-east-1"]
    counts = result["resources_by_environment"]
    assert {"dev", "staging", "prod"} <= set(counts)
    assert counts["none"] >= 1  # the shared ECR repository (no Environment tag)
    assert set(counts) <= {"dev", "staging", "prod", "none"}
    assert json.loads(report.read_text()) == result
    assert "0 finding(s)" in table(run)


def test_planted_strays_are_reported_and_fail_the_gate(provisioned, emulator, ansible, aws, tmp_path):
    ec2, logs, s3 = aws("ec2"), aws("logs"), aws("s3")
    qa_tags = [
        {"Key": "Name", "Value": "payment-vpc-qa"},
        {"Key": "Project", "Value": "payment-api"},
        {"Key": "Environment", "Value": "qa"},
        {"Key": "ManagedBy", "Value": "payments.infra"},
    ]
    bucket = f"payment-logs-old-{ACCOUNT}"
    planted = {}
    try:
        planted["vpc"] = ec2.create_vpc(
            CidrBlock="10.77.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": qa_tags}]
        )["Vpc"]["VpcId"]
        planted["security_group"] = ec2.create_security_group(
            GroupName="payment-vpc-dev2", Description="stray", VpcId=planted["vpc"]
        )["GroupId"]
        logs.create_log_group(logGroupName="/payment/dev/stray")
        planted["log_group"] = "/payment/dev/stray"
        s3.create_bucket(Bucket=bucket)
        planted["bucket"] = bucket

        report = tmp_path / "audit.json"
        seq = emulator.client.last_seq()
        run = ansible(AUDIT, ENVIRONMENTS, extra_vars={"audit_report": str(report), "audit_fail_on_findings": True})

        assert run.rc != 0
        assert "The audit found 4 resource finding(s)" in run.messages()
        assert run.changed == 0
        assert emulator.client.mutating_calls(since=seq) == []
        result = audit_result(run)
        assert found(result) == [
            ("environment_not_desired", "vpc", "payment-vpc-qa"),
            ("unmanaged_lookalike", "log_group", "/payment/dev/stray"),
            ("unmanaged_lookalike", "s3_bucket", bucket),
            ("unmanaged_lookalike", "security_group", "payment-vpc-dev2"),
        ]
        by_name = {f["name"]: f for f in result["findings"]}
        assert by_name["payment-vpc-qa"]["id"] == planted["vpc"]
        assert by_name["payment-vpc-qa"]["environment"] == "qa"
        assert by_name["payment-vpc-dev2"]["id"] == planted["security_group"]
        assert json.loads(report.read_text()) == result

        lines = table(run).splitlines()
        assert lines[0].split() == ["FINDING", "TYPE", "NAME/ID", "ENVIRONMENT", "TAGS"]
        rows = [line.split(None, 4) for line in lines[1:5]]
        assert sorted(row[:4] for row in rows) == [
            ["environment_not_desired", "vpc", "payment-vpc-qa", "qa"],
            ["unmanaged_lookalike", "log_group", "/payment/dev/stray", "-"],
            ["unmanaged_lookalike", "s3_bucket", bucket, "-"],
            ["unmanaged_lookalike", "security_group", "payment-vpc-dev2", "-"],
        ]
        # Aligned: every column starts at the same offset on every line.
        starts = {
            lines[0].index("TYPE"),
            *(line.index(row[1], len(row[0])) for line, row in zip(lines[1:5], rows, strict=True)),
        }
        assert len(starts) == 1
    finally:
        if "bucket" in planted:
            s3.delete_bucket(Bucket=bucket)
        if "log_group" in planted:
            logs.delete_log_group(logGroupName=planted["log_group"])
        if "security_group" in planted:
            ec2.delete_security_group(GroupId=planted["security_group"])
        if "vpc" in planted:
            ec2.delete_vpc(VpcId=planted["vpc"])


def test_with_only_dev_desired_staging_and_prod_are_not_desired(provisioned, ansible, tmp_path):
    # Only the dev inventory: the desired environments default to the inventory's.
    run = ansible(AUDIT, "dev", extra_vars={"audit_report": str(tmp_path / "audit.json")})

    assert run.rc == 0, run.messages()  # reports only, by default
    result = audit_result(run)
    assert result["desired_environments"] == ["dev"]
    findings = result["findings"]
    assert {f["finding"] for f in findings} == {"environment_not_desired"}
    assert {f["environment"] for f in findings} == {"staging", "prod"}
    counts = result["resources_by_environment"]
    assert len(findings) == counts["staging"] + counts["prod"]
    names = {f["name"] for f in findings}
    for env_name in ("staging", "prod"):
        for name in (
            f"payment-vpc-{env_name}",
            f"payment-db-{env_name}",
            f"payment-alb-{env_name}",
            f"payment-logs-{env_name}-{ACCOUNT}",
            f"payment-{env_name}-ecs-cpu-high",  # an alarm: tagged Environment=<env> like every resource
        ):
            assert name in names
    assert not any(name.endswith("-dev") for name in names)
