# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security posture rules of an environment, checked by the posture role (playbooks/verify.yml).

One filter per resource family; each returns posture rows {rule, resource, ok, found, expected} from what the
role's read tasks registered, in the order the role reports them.
"""

from __future__ import annotations

import json

from ansible.module_utils.parsing.convert_bool import boolean

INTERNET = ("0.0.0.0/0", "::/0")
PUBLIC_ACCESS_BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
S3_ENCRYPTIONS = ("AES256", "aws:kms", "aws:kms:dsse")
ECR_ENCRYPTIONS = ("AES256", "KMS", "KMS_DSSE")


def _row(rule, resource, ok, found, expected):
    return {"rule": rule, "resource": resource, "ok": bool(ok), "found": str(found), "expected": expected}


def _lower(value):
    """A value as the rows print it: ``True`` -> ``true``, ``None`` -> ``none``."""
    return str(value).lower()


# ---- transaction-log and access-log buckets ----------------------------------------------------------------------


def _statements(policy_text):
    statements = (json.loads(policy_text) if policy_text else {}).get("Statement", [])
    return [statements] if isinstance(statements, dict) else statements


def _grants_to_anyone(statement):
    principal = statement.get("Principal", "")
    aws = principal.get("AWS", "") if isinstance(principal, dict) else principal
    aws = [aws] if isinstance(aws, str) else aws
    return statement.get("Effect", "") == "Allow" and "*" in aws and not statement.get("Condition", {})


def _denies_plain_http(statement):
    secure = ((statement.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
    return statement.get("Effect", "") == "Deny" and secure is not None and _lower(secure) == "false"


def _public_access_row(where, block, public_grants):
    block_off = [key for key in PUBLIC_ACCESS_BLOCK_KEYS if not block.get(key)]
    found = f"public access block settings not true: {block_off}" if block else "no public access block"
    if public_grants:
        found += f', policy statements allowing Principal "*" without condition: {public_grants}'
    expected = 'all four public access block settings true and no unconditional grant to Principal "*"'
    return _row("s3-no-public-access", where, not block_off and not public_grants, found, expected)


def _one_bucket(buckets, name_prefix):
    matching = [b for b in buckets or [] if str(b.get("name", "")).startswith(name_prefix)]
    return matching, (matching[0] if len(matching) == 1 else None)


def bucket_checks(buckets, name_prefix, encryptions=S3_ENCRYPTIONS, what="transaction-log bucket"):
    """A bucket of the environment: no public access, default encryption at rest, a TLS-only bucket policy.

    buckets: amazon.aws.s3_bucket_info ``buckets`` with bucket_encryption, public_access_block and bucket_policy;
    name_prefix: the bucket's name up to the account id. Exactly one bucket may match it. encryptions: the default
    encryptions accepted (the access-log bucket: AES256 alone, the only one ELB access-log delivery supports).
    """
    matching, bucket = _one_bucket(buckets, name_prefix)
    if bucket is None:
        found = f"{len(matching)} bucket(s) {[b.get('name') for b in matching]}"
        return [_row("s3-no-public-access", f"bucket {name_prefix}*", False, found, f"exactly one {what}")]
    where = f"bucket {bucket['name']}"
    block = (bucket.get("public_access_block") or {}).get("PublicAccessBlockConfiguration") or {}
    policy_text = (bucket.get("bucket_policy") or {}).get("Policy") or ""
    statements = _statements(policy_text)
    public_grants = [s.get("Sid", "(no Sid)") for s in statements if _grants_to_anyone(s)]
    tls_denies = [s.get("Sid", "(no Sid)") for s in statements if _denies_plain_http(s)]
    rules = ((bucket.get("bucket_encryption") or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    sse = [(r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") for r in rules]
    policy_state = "present" if policy_text else "absent"
    return [
        _public_access_row(where, block, public_grants),
        _row(
            "s3-encryption-at-rest",
            where,
            bool(sse) and all(a in encryptions for a in sse),
            f"default encryption {sse if sse else 'none'}",
            f"default encryption {' or '.join(encryptions)}",
        ),
        _row(
            "s3-tls-only-policy",
            where,
            tls_denies,
            f"Deny statements on aws:SecureTransport=false: {tls_denies} (policy {policy_state})",
            "a Deny statement with condition Bool aws:SecureTransport = false",
        ),
    ]


def _as_list(value):
    return [value] if isinstance(value, str) else list(value or [])


def access_log_checks(load_balancers, alb_name, buckets, bucket_name_prefix, prefix):
    """The load balancer's access logs: on, into the environment's access-log bucket under ``prefix``; and the
    bucket's policy lets nobody but its owner write outside ``<prefix>/AWSLogs/<account id>/``.

    load_balancers: amazon.aws.elb_application_lb_info ``load_balancers`` with include_attributes; buckets: the
    s3_bucket_info ``buckets`` (with bucket_policy) read by ``bucket_name_prefix`` (the access-log bucket's name up
    to the account id, which completes it).
    """
    matching, bucket = _one_bucket(buckets, bucket_name_prefix)
    bucket_name = bucket["name"] if bucket else None
    albs = [lb for lb in load_balancers or [] if lb.get("load_balancer_name") == alb_name]
    alb = albs[0] if len(albs) == 1 else None
    where = f"load balancer {alb_name}"
    expected = (
        f"access_logs.s3.enabled=true, bucket {bucket_name or bucket_name_prefix + '<account id>'}, prefix {prefix}"
    )
    if alb is None:
        rows = [_row("alb-access-logs", where, False, f"{len(albs)} load balancer(s) named so", expected)]
    else:
        enabled = _lower(alb.get("access_logs_s3_enabled", "false")) == "true"
        found_bucket = alb.get("access_logs_s3_bucket") or ""
        found_prefix = alb.get("access_logs_s3_prefix") or ""
        ok = enabled and bucket_name is not None and found_bucket == bucket_name and found_prefix == prefix
        found = "access_logs.s3.enabled={}, bucket {}, prefix {}".format(
            _lower(enabled), found_bucket or "none", found_prefix or "none"
        )
        rows = [_row("alb-access-logs", where, ok, found, expected)]
    if bucket is None:
        found = f"{len(matching)} bucket(s) {[b.get('name') for b in matching]}"
        return rows + [
            _row(
                "s3-access-log-delivery", f"bucket {bucket_name_prefix}*", False, found, "exactly one access-log bucket"
            )
        ]
    account = bucket_name[len(bucket_name_prefix) :]
    path = f"arn:aws:s3:::{bucket_name}/{prefix}/AWSLogs/{account}/"
    allows = [
        s for s in _statements((bucket.get("bucket_policy") or {}).get("Policy") or "") if s.get("Effect") == "Allow"
    ]
    outside = [r for s in allows for r in _as_list(s.get("Resource")) if not r.startswith(path)]
    delivery = [s.get("Sid", "(no Sid)") for s in allows if "s3:PutObject" in _as_list(s.get("Action"))]
    return rows + [
        _row(
            "s3-access-log-delivery",
            f"bucket {bucket_name}",
            delivery and not outside,
            f"Allow statements writing: {delivery}; resources granted outside {path}*: {outside}",
            f"an Allow of s3:PutObject for ELB log delivery on {path}* and no grant elsewhere",
        )
    ]


# ---- database ---------------------------------------------------------------------------------------------------


def _flag_row(rule, where, db, key, ok, name, expected):
    """A row on one boolean attribute of the DB instance, found as ``Name=value`` (``absent`` when missing)."""
    return _row(rule, where, ok, f"{name}={_lower(db.get(key, 'absent'))}", f"{name}={expected}")


def database_checks(instances, identifier, require_deletion_protection=False):
    """The environment's DB instance: encrypted, private, its password in Secrets Manager (deletion protection).

    instances: amazon.aws.rds_instance_info ``instances``; identifier: the DB instance identifier, to name it.
    """
    where = f"db instance {identifier}"
    if not instances:
        return [_row("rds-private", where, False, "no such instance", "the environment database exists")]
    db = instances[0]
    encrypted = boolean(db.get("storage_encrypted", False), strict=False)
    private = not db.get("publicly_accessible", True)
    secret = db.get("master_user_secret") or {}
    arn = secret.get("secret_arn") or ""
    rows = [
        _flag_row("rds-encryption-at-rest", where, db, "storage_encrypted", encrypted, "StorageEncrypted", "true"),
        _flag_row("rds-private", where, db, "publicly_accessible", private, "PubliclyAccessible", "false"),
        _row(
            "rds-managed-secret",
            where,
            arn,
            f"MasterUserSecret {arn} ({secret.get('secret_status', '?')})" if arn else "MasterUserSecret absent",
            "MasterUserSecret present (password managed by Secrets Manager)",
        ),
    ]
    if require_deletion_protection:
        protected = boolean(db.get("deletion_protection", False), strict=False)
        rows.append(
            _flag_row(
                "rds-deletion-protection", where, db, "deletion_protection", protected, "DeletionProtection", "true"
            )
        )
    return rows


# ---- load balancers and security groups -------------------------------------------------------------------------


def _the_alb(load_balancers, alb_name):
    return next((lb for lb in load_balancers or [] if lb.get("load_balancer_name") == alb_name), {})


def load_balancer_checks(load_balancers, alb_name, vpc_ids, environment, require_deletion_protection=False):
    """The ALB the only internet-facing load balancer of the environment (and with deletion protection).

    load_balancers: amazon.aws.elb_application_lb_info ``load_balancers`` with their attributes; the environment's
    are the ALB, those in one of ``vpc_ids`` and those tagged with ``environment``.
    """
    env_lbs = [
        lb
        for lb in load_balancers or []
        if lb.get("load_balancer_name") == alb_name
        or lb.get("vpc_id", "") in vpc_ids
        or (lb.get("tags") or {}).get("Environment", "") == environment
    ]
    albs = [lb for lb in env_lbs if lb.get("load_balancer_name") == alb_name]
    others = [
        lb["load_balancer_name"]
        for lb in env_lbs
        if lb.get("load_balancer_name") != alb_name and lb.get("scheme") == "internet-facing"
    ]
    where = f"load balancer {alb_name}"
    scheme = f"scheme {albs[0].get('scheme', '')}" if albs else "not found"
    rows = [
        _row(
            "single-internet-facing-alb",
            where,
            len(albs) == 1 and not others,
            f"ALB {scheme}, other internet-facing load balancers: {others}",
            f"{alb_name} is the only internet-facing load balancer of the environment",
        )
    ]
    if require_deletion_protection:
        enabled = _lower((albs[0] if albs else {}).get("deletion_protection_enabled", "absent"))
        found = f"deletion_protection.enabled={enabled}"
        rows.append(
            _row("alb-deletion-protection", where, enabled == "true", found, "deletion_protection.enabled=true")
        )
    return rows


def _internet_ingress(group, alb_group_ids, internet_ports):
    """The rules of ``group`` open to the internet that only the ALB's group may have, as ``tcp 22-22 from ...``."""
    bad = []
    for perm in group.get("ip_permissions") or []:
        protocol = str(perm.get("ip_protocol", ""))
        sources = [r.get("cidr_ip") for r in perm.get("ip_ranges") or []]
        sources += [r.get("cidr_ipv6") for r in perm.get("ipv6_ranges") or []]
        allowed = (
            group.get("group_id") in alb_group_ids
            and protocol == "tcp"
            and "from_port" in perm
            and perm["from_port"] == perm.get("to_port", -1)
            and perm["from_port"] in internet_ports
        )
        ports = "all" if protocol == "-1" else f"{perm.get('from_port', '')}-{perm.get('to_port', '')}"
        bad += [f"{protocol} {ports} from {cidr}" for cidr in sources if cidr in INTERNET and not allowed]
    return bad


def internet_ingress_checks(security_groups, load_balancers, alb_name, internet_ports):
    """Only the ALB's security groups open to the internet (0.0.0.0/0, ::/0), and only on ``internet_ports`` (tcp).

    security_groups: the environment's groups (amazon.aws.ec2_security_group_info), one row each by name;
    load_balancers: amazon.aws.elb_application_lb_info ``load_balancers``, where the ALB's groups are read.
    """
    alb_group_ids = _the_alb(load_balancers, alb_name).get("security_groups", [])
    expected = (
        f"internet (0.0.0.0/0, ::/0) ingress only on the ALB security group {alb_group_ids}, tcp ports {internet_ports}"
    )
    rows = []
    for group in sorted(security_groups or [], key=lambda g: str(g.get("group_name", "")).lower()):
        bad = _internet_ingress(group, alb_group_ids, internet_ports)
        where = f"security group {group.get('group_name')} ({group.get('group_id')})"
        rows.append(_row("internet-ingress-alb-only", where, not bad, f"internet ingress {bad}", expected))
    return rows


# ---- ECS service, VPC flow log, ECR repository ------------------------------------------------------------------


def service_public_ip_checks(services, name="service"):
    """The ECS service's tasks get no public IP (``assignPublicIp`` DISABLED).

    services: community.aws.ecs_service_info ``services`` (camelCase; INACTIVE ones are left out); name:
    ``<cluster>/<service>``.
    """
    live = [s for s in services or [] if "status" in s and s["status"] != "INACTIVE"]
    network = ((live[0] if live else {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    public_ip = network.get("assignPublicIp", "not found")
    found = f"assignPublicIp={public_ip}"
    return [_row("ecs-no-public-ip", f"ecs service {name}", public_ip == "DISABLED", found, "assignPublicIp=DISABLED")]


def flow_log_checks(flow_log_result, vpc_ids, vpc_name, traffic_type, log_group_name):
    """The VPC has an ACTIVE flow log of ``traffic_type`` traffic to ``log_group_name``.

    flow_log_result: what payments.infra.ec2_vpc_flow_log returned in check mode with diff (``flow_log`` when it
    matches the managed configuration, ``diff.before`` the one found otherwise); vpc_ids: the environment's VPC.
    """
    where = f"vpc {vpc_name}" + (f" ({vpc_ids[0]})" if vpc_ids else "")
    expected = f"an ACTIVE flow log of {traffic_type} traffic to {log_group_name}"
    if not vpc_ids:
        return [_row("vpc-flow-logs", where, False, "no such VPC", "the environment VPC with an ACTIVE flow log")]
    flow_log = (flow_log_result or {}).get("flow_log") or {}
    found_log = ((flow_log_result or {}).get("diff") or {}).get("before") or {}
    ok = flow_log.get("flow_log_id") is not None and flow_log.get("flow_log_status", "") == "ACTIVE"
    if flow_log.get("flow_log_id"):
        found = f"flow log {flow_log['flow_log_id']} status {flow_log.get('flow_log_status', 'unknown')}"
    elif found_log.get("flow_log_id"):
        found = f"flow log {found_log['flow_log_id']} differs from the managed configuration (status unknown)"
    else:
        found = f"no flow log of {traffic_type} traffic to {log_group_name}"
    return [_row("vpc-flow-logs", where, ok, found, expected)]


def ecr_checks(ecr_result, repository_name):
    """The shared ECR repository: encrypted at rest, images scanned on push.

    ecr_result: what payments.infra.ecr_repository returned in check mode with diff (``diff.before``: the repository
    found; failed, with ``repository``, when it is encrypted otherwise than the module manages).
    """
    where = f"ecr repository {repository_name}"
    result = ecr_result or {}
    failed = result.get("failed", False)
    repo = (result.get("repository") if failed else (result.get("diff") or {}).get("before")) or {}
    if not repo:
        found = "not found" + (f" ({result.get('msg', '')})" if failed else "")
        return [_row("ecr-scan-on-push", where, False, found, "the shared repository exists")]
    encryption = (repo.get("encryption_configuration") or {}).get("encryption_type", "absent")
    scan = (repo.get("image_scanning_configuration") or {}).get("scan_on_push", "absent")
    return [
        _row(
            "ecr-encryption-at-rest",
            where,
            encryption in ECR_ENCRYPTIONS,
            f"encryptionConfiguration {encryption}",
            "encryptionConfiguration AES256 or KMS",
        ),
        _row("ecr-scan-on-push", where, scan is True, f"scanOnPush={_lower(scan)}", "scanOnPush=true"),
    ]


class FilterModule:
    def filters(self):
        return {
            "bucket_checks": bucket_checks,
            "access_log_checks": access_log_checks,
            "database_checks": database_checks,
            "load_balancer_checks": load_balancer_checks,
            "internet_ingress_checks": internet_ingress_checks,
            "service_public_ip_checks": service_public_ip_checks,
            "flow_log_checks": flow_log_checks,
            "ecr_checks": ecr_checks,
        }
