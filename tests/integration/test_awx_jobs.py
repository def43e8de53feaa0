"""The project run as AWX runs it (awx_job.py: ansible-runner over a private data directory, AWX's collections path,
its script inventory, none of the Makefile's environment, no Mitogen), on an empty emulator, one story:

provision dev (outputs as a file and as set_stats artifacts, read back against the emulator; the run summary in
the job's output), a second job changes nothing, the nightly drift check passes, then fails naming an
out-of-band change without writing; a new environment `qa` in another region made of new files under
inventories/ and group_vars/ only, provisioned beside dev in one job; verify, audit and a release; destroy; and a
job whose inventory has no host fails.
"""

import json

import pytest
from awx_job import AwxJobs
from images import push_image

pytestmark = pytest.mark.integration

OUTPUT_KEYS = {
    "alb_dns_name",
    "ecs_cluster_name",
    "rds_endpoint",
    "transaction_logs_bucket",
    "vpc_id",
    "public_subnet_ids",
    "private_subnet_ids",
    "database_subnet_ids",
    "security_group_ids",
    "ecr_repository_uri",
    "rds_master_secret_arn",
}
QA_INVENTORY = """---
qa:
  hosts:
    payments-qa:
      payments_region: us-west-2
"""


def qa_group_vars(project):
    """qa: dev's sizing under another name and VPC block (the new environment's only file besides its inventory)."""
    text = (project / "group_vars" / "dev.yml").read_text()
    return text.replace("payments_environment: dev", "payments_environment: qa").replace(
        "network_vpc_cidr: 10.10.0.0/16", "network_vpc_cidr: 10.40.0.0/16"
    )


def assert_outputs_read_back(aws, outputs, env_name, region):
    assert OUTPUT_KEYS <= set(outputs), OUTPUT_KEYS - set(outputs)
    ec2 = aws("ec2", region)
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-vpc-{env_name}"]}])["Vpcs"]
    assert outputs["vpc_id"] == vpc["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]}
    listed = outputs["public_subnet_ids"] + outputs["private_subnet_ids"] + outputs["database_subnet_ids"]
    assert set(listed) == subnets and len(listed) == len(subnets)
    groups = ec2.describe_security_groups(GroupIds=list(outputs["security_group_ids"].values()))["SecurityGroups"]
    assert {g["VpcId"] for g in groups} == {vpc["VpcId"]}
    [alb] = aws("elbv2", region).describe_load_balancers(Names=[f"payment-alb-{env_name}"])["LoadBalancers"]
    assert outputs["alb_dns_name"] == alb["DNSName"]
    [cluster] = aws("ecs", region).describe_clusters(clusters=[outputs["ecs_cluster_name"]])["clusters"]
    assert cluster["status"] == "ACTIVE"
    [db] = aws("rds", region).describe_db_instances(DBInstanceIdentifier=f"payment-db-{env_name}")["DBInstances"]
    assert outputs["rds_endpoint"] == f"{db['Endpoint']['Address']}:{db['Endpoint']['Port']}"
    assert outputs["rds_master_secret_arn"] == db["MasterUserSecret"]["SecretArn"]
    aws("s3", region).head_bucket(Bucket=outputs["transaction_logs_bucket"])
    [repository] = aws("ecr", region).describe_repositories(repositoryNames=["payment-api"])["repositories"]
    assert outputs["ecr_repository_uri"] == repository["repositoryUri"]


def test_jobs_as_awx_runs_them(clean_emulator, aws, tmp_path):
    emu = clean_emulator
    jobs = AwxJobs(tmp_path, emu.env())
    project = jobs.project

    # A new environment is files under inventories/ and group_vars/ only: qa, in another region.
    (project / "inventories" / "qa").mkdir()
    (project / "inventories" / "qa" / "hosts.yml").write_text(QA_INVENTORY)
    (project / "group_vars" / "qa.yml").write_text(qa_group_vars(project))

    # One job provisions dev and qa: outputs as files and as the job's set_stats artifacts, read back.
    first = jobs.launch("site.yml", ["dev", "qa"])
    assert (first.rc, first.status) == (0, "successful"), first.failures() or first.stdout[-3000:]
    assert set(first.stats["changed"]) == {"payments-dev", "payments-qa"}
    published = first.artifact_data["payments_environment_outputs"]
    assert set(published) == {"dev", "qa"}
    for env_name, region in (("dev", "us-east-1"), ("qa", "us-west-2")):
        written = json.loads((project / "artifacts" / env_name / "outputs.json").read_text())
        assert written == published[env_name]
        assert_outputs_read_back(aws, written, env_name, region)
        secret = aws("secretsmanager", region).get_secret_value(SecretId=written["rds_master_secret_arn"])
        assert json.loads(secret["SecretString"])["password"] not in json.dumps(written)
    # The run summary is in the job's output: each environment's tiers, with what the run created.
    summary = first.stdout[first.stdout.index("run summary (") :]
    for host in ("payments-dev", "payments-qa"):
        table = summary[summary.index(f"  {host} ") :].split("\n  total")[0]
        rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[1:]}
        assert {"network", "ecr", "s3", "rds", "ecs_alb", "observability"} <= set(rows), summary
        assert int(rows["network"][0]) > 0 and int(rows["rds"][0]) > 0, summary

    # A second job converges with nothing to change and writes nothing; its summary creates nothing.
    seq = emu.client.last_seq()
    second = jobs.launch("site.yml", ["dev", "qa"])
    assert second.rc == 0, second.failures()
    assert second.changed == 0, [e["event_data"]["task"] for e in second.events if e["event_data"].get("changed")]
    assert emu.client.mutating_calls(since=seq) == []
    totals = [line.split()[1:3] for line in second.stdout.splitlines() if line.startswith("  total ")]
    assert totals == [["0", "0"], ["0", "0"]]  # created 0, destroyed 0, for each environment

    # The nightly drift check (the plan, failing when not empty), after an out-of-band change to dev: dev's
    # fails naming the change, qa's passes; nothing is written.
    aws("logs").put_retention_policy(logGroupName="/payment/dev/app", retentionInDays=30)
    seq = emu.client.last_seq()
    drift = jobs.launch(
        "site.yml", ["dev", "qa"], extra_vars={"payments_plan_fail_on_changes": True}, check=True, diff=True
    )
    assert drift.rc != 0 and drift.status == "failed"
    [failure] = drift.failures()
    assert (
        "drift: the plan of dev is not empty, 1 change(s): ~ payments.infra.ecs_alb : Application log group" in failure
    )
    assert "no drift: the plan of qa is empty" in drift.stdout
    assert emu.client.mutating_calls(since=seq) == []

    # Every other playbook a job template names, as AWX runs it.
    for playbook in ("playbooks/verify.yml", "playbooks/audit.yml"):
        job = jobs.launch(playbook, ["dev", "qa"])
        assert job.rc == 0, (playbook, job.failures())
    push_image(aws, "1.4.2")
    release = jobs.launch("playbooks/release.yml", ["dev"], extra_vars={"image_tag": "1.4.2"})
    assert release.rc == 0, release.failures()
    [service] = aws("ecs").describe_services(cluster="payment-cluster-dev", services=["payment-api-dev"])["services"]
    definition = aws("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert definition["containerDefinitions"][0]["image"].endswith(":1.4.2")
    # The destroy template's survey answer: qa is not marked for confirmation, prod refuses another name (here
    # prod is not provisioned: the refusal comes before any change).
    seq = emu.client.last_seq()
    refused = jobs.launch("playbooks/destroy.yml", ["prod"], extra_vars={"confirm": "dev"})
    assert refused.rc != 0 and "confirm" in " ".join(refused.failures())
    assert emu.client.mutating_calls(since=seq) == []
    destroy = jobs.launch("playbooks/destroy.yml", ["qa"], extra_vars={"confirm": "qa"})
    assert destroy.rc == 0, destroy.failures()
    vpcs = aws("ec2", "us-west-2").describe_vpcs(Filters=[{"Name": "tag:Environment", "Values": ["qa"]}])["Vpcs"]
    assert vpcs == []

    # A job whose inventory has no host fails instead of succeeding with nothing done.
    empty = jobs.launch("site.yml", [])
    assert empty.rc != 0 and empty.status == "failed"
    assert "No environment selected" in empty.stdout, empty.stdout[-2000:]
