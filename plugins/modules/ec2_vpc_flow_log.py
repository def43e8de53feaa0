#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_flow_log
short_description: Manage one VPC, subnet or network interface flow log
version_added: 0.1.0
description:
  - Creates, replaces or deletes one flow log of a VPC, subnet or elastic network interface,
    delivering to CloudWatch Logs, S3 or Kinesis Data Firehose.
  - A flow log is identified by O(resource_id), O(log_destination_type) and its destination (the
    log group for C(cloud-watch-logs), given either as O(log_group_name) or as the log group ARN in
    O(log_destination); the bucket or delivery stream ARN otherwise). Option names follow the EC2
    C(CreateFlowLogs) API.
  - Flow logs cannot be modified in place. When the flow log found differs in O(traffic_type),
    O(log_format), O(max_aggregation_interval) or O(deliver_logs_permission_arn), it is replaced
    (deleted, then created again), so that a changed traffic type never leaves the old flow log
    logging beside the new one; the replacement is shown with C(--diff). Only tags are updated in
    place. O(state=absent) deletes the flow log of that destination whatever its traffic type.
  - The flow log is created with a deterministic client token and with its tags in the same call,
    so a run killed at any point leaves either nothing or a tagged flow log that the next run finds.
  - When several flow logs match the identity (duplicates left by an earlier tool), one is kept
    (preferably one that needs no replacement, then the oldest) and the others are deleted and
    listed in RV(duplicates_removed).
author:
  - payments.infra maintainers
options:
  state:
    description:
      - Whether the flow log should exist.
      - V(absent) deletes every flow log matching the identity; nothing to delete is not a change.
    type: str
    choices: [present, absent]
    default: present
  resource_id:
    description:
      - The ID of the VPC (V(vpc-...)), subnet (V(subnet-...)) or network interface (V(eni-...))
        whose traffic is logged.
      - Must match O(resource_type).
    type: str
    required: true
  resource_type:
    description:
      - The type of O(resource_id).
    type: str
    choices: [VPC, Subnet, NetworkInterface]
    default: VPC
  traffic_type:
    description:
      - The type of traffic to log.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  log_destination_type:
    description:
      - Where the flow log records are delivered.
    type: str
    choices: [cloud-watch-logs, s3, kinesis-data-firehose]
    default: cloud-watch-logs
  log_destination:
    description:
      - The ARN of the destination.
      - For V(cloud-watch-logs), the log group ARN (C(arn:aws:logs:<region>:<account>:log-group:<name>));
        O(log_group_name) may be given instead.
      - For V(s3), the bucket ARN, optionally with a folder (C(arn:aws:s3:::<bucket>/<folder>/)).
      - For V(kinesis-data-firehose), the delivery stream ARN
        (C(arn:aws:firehose:<region>:<account>:deliverystream/<name>)).
      - Required unless O(log_destination_type=cloud-watch-logs) and O(log_group_name) is set.
      - Mutually exclusive with O(log_group_name).
    type: str
  log_group_name:
    description:
      - The name of the CloudWatch Logs log group, an alternative to O(log_destination) for
        O(log_destination_type=cloud-watch-logs) only.
      - Mutually exclusive with O(log_destination).
    type: str
  deliver_logs_permission_arn:
    description:
      - The ARN of the IAM role that allows the flow log to publish to the destination.
      - Required when O(state=present) and O(log_destination_type=cloud-watch-logs).
      - Must not be set when O(log_destination_type=s3) (S3 delivery is authorised by the bucket policy).
      - Optional for V(kinesis-data-firehose) (needed when the delivery stream is in another account).
      - When not set, the role of an existing flow log is not compared (and is kept on replacement).
      - Changing it replaces the flow log.
    type: str
  log_format:
    description:
      - The fields to include in the flow log records, in the order given, for example
        V(${version} ${vpc-id} ${subnet-id} ${instance-id} ${srcaddr} ${dstaddr} ${action}).
      - When not set, a new flow log gets the AWS default format and the format of an existing flow
        log is not compared (nor changed on replacement). To go back to the default format, set it
        explicitly to V(${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport}
        ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}).
      - Changing it replaces the flow log.
    type: str
  max_aggregation_interval:
    description:
      - The maximum interval, in seconds, during which a flow of packets is captured and aggregated
        into one flow log record.
      - Changing it replaces the flow log.
    type: int
    choices: [60, 600]
    default: 600
notes:
  - Validation (option combinations, ARN shapes, that O(resource_id) matches O(resource_type))
    happens before any AWS call.
  - In check mode no write API is called; RV(changed), RV(duplicates_removed) and the diff report
    what would be done.
  - C(DestinationOptions) (Parquet, Hive-compatible S3 prefixes), C(DeliverCrossAccountRole) and
    C(TransitGateway) resources are not managed by this module.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log all VPC traffic to CloudWatch Logs
  payments.infra.ec2_vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /payments/dev/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/payments-dev-flow-logs
    max_aggregation_interval: 60
    tags:
      Environment: dev
      Service: payment-api

- name: Log rejected traffic of one subnet to S3, with a custom format
  payments.infra.ec2_vpc_flow_log:
    resource_id: subnet-0123456789abcdef0
    resource_type: Subnet
    traffic_type: REJECT
    log_destination_type: s3
    log_destination: arn:aws:s3:::payments-dev-flow-logs/subnets/
    log_format: "${version} ${vpc-id} ${subnet-id} ${srcaddr} ${dstaddr} ${dstport} ${action}"

- name: Stream a network interface's flow log to Kinesis Data Firehose
  payments.infra.ec2_vpc_flow_log:
    resource_id: eni-0123456789abcdef0
    resource_type: NetworkInterface
    log_destination_type: kinesis-data-firehose
    log_destination: arn:aws:firehose:eu-west-1:123456789012:deliverystream/payments-flow-logs

- name: Remove the CloudWatch Logs flow log of the VPC
  payments.infra.ec2_vpc_flow_log:
    state: absent
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /payments/dev/vpc-flow-logs
"""

RETURN = r"""
flow_log:
  description:
    - The flow log as it is after the run, or as it would be in check mode.
    - In check mode, RV(flow_log.flow_log_id) is null for a flow log still to be created or replaced.
    - Empty when O(state=absent).
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: The ID of the flow log.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: The ID of the VPC, subnet or network interface logged.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: The type of traffic logged.
      type: str
      sample: ALL
    log_destination_type:
      description: The type of destination.
      type: str
      sample: cloud-watch-logs
    log_destination:
      description: The ARN of the destination, when AWS reports it.
      type: str
      sample: arn:aws:logs:us-east-1:123456789012:log-group:/payments/dev/vpc-flow-logs
    log_group_name:
      description: The log group name, for a C(cloud-watch-logs) flow log when AWS reports it.
      type: str
      sample: /payments/dev/vpc-flow-logs
    deliver_logs_permission_arn:
      description: The ARN of the IAM role used for delivery, if any.
      type: str
      sample: arn:aws:iam::123456789012:role/payments-dev-flow-logs
    log_format:
      description: The format of the flow log records.
      type: str
      sample: "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport}
        ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
    max_aggregation_interval:
      description: The maximum aggregation interval, in seconds.
      type: int
      sample: 600
    flow_log_status:
      description: The status of the flow log.
      type: str
      sample: ACTIVE
    deliver_logs_status:
      description: The status of the last delivery (V(SUCCESS) or V(FAILED)).
      type: str
      sample: SUCCESS
    deliver_logs_error_message:
      description: Why delivery fails, when it does.
      type: str
      sample: Access error
    tags:
      description: The tags of the flow log.
      type: dict
      sample: {"Environment": "dev"}
duplicates_removed:
  description:
    - IDs of the extra flow logs matching the same identity that were deleted (would be, in check mode).
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["fl-0fedcba9876543210"]
deleted_flow_log_ids:
  description: IDs of the flow logs deleted (would be, in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["fl-0123456789abcdef0"]
"""

import time

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import add_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import remove_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.payments.infra.plugins.module_utils.common import client_token
from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.ec2 import create_flow_logs
from ansible_collections.payments.infra.plugins.module_utils.ec2 import delete_flow_logs
from ansible_collections.payments.infra.plugins.module_utils.ec2 import describe_flow_logs

CLOUDWATCH = "cloud-watch-logs"
S3 = "s3"
FIREHOSE = "kinesis-data-firehose"

# The format AWS gives a flow log created without LogFormat.
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
DEFAULT_AGGREGATION_INTERVAL = 600

RESOURCE_ID_PREFIXES = {"VPC": "vpc-", "Subnet": "subnet-", "NetworkInterface": "eni-"}

# (ARN service, ARN resource type or None, how the message describes it) per destination type.
DESTINATION_ARNS = {
    CLOUDWATCH: (
        "logs",
        "log-group",
        "CloudWatch Logs log group ARN (arn:aws:logs:<region>:<account>:log-group:<name>)",
    ),
    S3: ("s3", None, "S3 bucket ARN (arn:aws:s3:::<bucket>[/<folder>/])"),
    FIREHOSE: (
        "firehose",
        "deliverystream",
        "Kinesis Data Firehose delivery stream ARN (arn:aws:firehose:<region>:<account>:deliverystream/<name>)",
    ),
}

# A just-created flow log is looked up by ID; DescribeFlowLogs may lag behind CreateFlowLogs.
FETCH_ATTEMPTS = 6
FETCH_DELAY = 2


# ---------------------------------------------------------------------------------------------
# Validation: everything that can be checked without AWS, before any call.
# ---------------------------------------------------------------------------------------------
def _arn_matches(arn, service, resource_type=None):
    details = parse_aws_arn(arn or "")
    if not details or not (arn or "").startswith("arn:"):
        return False
    if details.get("service") != service:
        return False
    return resource_type is None or details.get("resource_type") == resource_type


def _validate_role(params):
    role = params["deliver_logs_permission_arn"]
    destination_type = params["log_destination_type"]
    if destination_type == S3 and role:
        return (
            "deliver_logs_permission_arn must not be set when log_destination_type=s3: "
            "delivery to S3 is authorised by the bucket policy, not by an IAM role"
        )
    if destination_type == CLOUDWATCH and params["state"] == "present" and not role:
        return (
            "deliver_logs_permission_arn (the ARN of an IAM role allowed to write to the log group) "
            "is required when log_destination_type=cloud-watch-logs"
        )
    if role and not _arn_matches(role, "iam", "role"):
        return f"deliver_logs_permission_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got {role!r}"
    return None


def _validate_destination(params):
    destination = params["log_destination"]
    destination_type = params["log_destination_type"]
    if destination:
        service, arn_resource_type, description = DESTINATION_ARNS[destination_type]
        if not _arn_matches(destination, service, arn_resource_type):
            return (
                f"log_destination must be a {description} when log_destination_type={destination_type}, "
                f"got {destination!r}"
            )
    return None


def validate_params(params):
    """The first problem with the options, as a message naming the option, or None.

    Option presence and exclusions (log_destination / log_group_name) are checked by
    AnsibleModule itself (required_if, mutually_exclusive); this covers the rest.
    """
    resource_id = params["resource_id"]
    resource_type = params["resource_type"]
    prefix = RESOURCE_ID_PREFIXES[resource_type]
    if not resource_id.startswith(prefix):
        return (
            f"resource_id {resource_id!r} is not a {resource_type} ID (expected {prefix}...): "
            "set resource_type to the type of resource_id"
        )
    error = _validate_role(params) or _validate_destination(params)
    if error:
        return error
    if params["log_format"] is not None and not params["log_format"].strip():
        return "log_format must not be empty: omit log_format for the AWS default format"
    return None


# ---------------------------------------------------------------------------------------------
# Identity and views
# ---------------------------------------------------------------------------------------------
def _log_group_from_arn(arn):
    details = parse_aws_arn(arn or "")
    if not details or details.get("service") != "logs" or details.get("resource_type") != "log-group":
        return arn
    name = details["resource_id"]
    return name[:-2] if name.endswith(":*") else name


def destination_key(destination_type, log_destination, log_group_name):
    """The destination as compared for identity: the log group name for CloudWatch Logs (AWS
    accepts it by name or by ARN), the ARN without a trailing slash otherwise."""
    if destination_type == CLOUDWATCH:
        return log_group_name or _log_group_from_arn(log_destination)
    return (log_destination or "").rstrip("/") or None


def identity_of(flow_log):
    return (
        flow_log.get("ResourceId"),
        flow_log.get("LogDestinationType"),
        destination_key(
            flow_log.get("LogDestinationType"), flow_log.get("LogDestination"), flow_log.get("LogGroupName")
        ),
    )


def desired_identity(params):
    return (
        params["resource_id"],
        params["log_destination_type"],
        destination_key(params["log_destination_type"], params["log_destination"], params["log_group_name"]),
    )


def immutable_changes(flow_log, params):
    """{option: (current, desired)} for the attributes that differ and force a replacement.

    Options left unset (log_format, deliver_logs_permission_arn) are not compared.
    """
    changes = {}
    if params["traffic_type"] != flow_log.get("TrafficType"):
        changes["traffic_type"] = (flow_log.get("TrafficType"), params["traffic_type"])
    current_interval = flow_log.get("MaxAggregationInterval") or DEFAULT_AGGREGATION_INTERVAL
    if params["max_aggregation_interval"] != current_interval:
        changes["max_aggregation_interval"] = (current_interval, params["max_aggregation_interval"])
    if params["log_format"] is not None and params["log_format"] != flow_log.get("LogFormat"):
        changes["log_format"] = (flow_log.get("LogFormat"), params["log_format"])
    role = params["deliver_logs_permission_arn"]
    if role is not None and role != flow_log.get("DeliverLogsPermissionArn"):
        changes["deliver_logs_permission_arn"] = (flow_log.get("DeliverLogsPermissionArn"), role)
    return changes


def current_tags(flow_log):
    return boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or [])


def flow_log_view(flow_log, tags=None):
    """The snake_case ``flow_log`` return value of a DescribeFlowLogs entry."""
    if not flow_log:
        return {}
    if tags is None:
        tags = current_tags(flow_log)
    return {
        "flow_log_id": flow_log.get("FlowLogId"),
        "resource_id": flow_log.get("ResourceId"),
        "traffic_type": flow_log.get("TrafficType"),
        "log_destination_type": flow_log.get("LogDestinationType"),
        "log_destination": flow_log.get("LogDestination"),
        "log_group_name": flow_log.get("LogGroupName"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "log_format": flow_log.get("LogFormat"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
        "flow_log_status": flow_log.get("FlowLogStatus"),
        "deliver_logs_status": flow_log.get("DeliverLogsStatus"),
        "deliver_logs_error_message": flow_log.get("DeliverLogsErrorMessage"),
        "tags": {k: to_text(v) for k, v in tags.items()},
    }


DIFF_KEYS = (
    "flow_log_id",
    "resource_id",
    "traffic_type",
    "log_destination_type",
    "log_destination",
    "log_group_name",
    "deliver_logs_permission_arn",
    "log_format",
    "max_aggregation_interval",
    "tags",
)


def diff_view(view, duplicates=None):
    if not view:
        return {}
    result = {key: view.get(key) for key in DIFF_KEYS}
    if duplicates:
        result["duplicate_flow_log_ids"] = [fl["FlowLogId"] for fl in duplicates]
    return result


# ---------------------------------------------------------------------------------------------
# AWS
# ---------------------------------------------------------------------------------------------
def find_flow_logs(client, params):
    """Every flow log of the resource with this module's identity (normally 0 or 1)."""
    flow_logs = describe_flow_logs(client, Filters=[{"Name": "resource-id", "Values": [params["resource_id"]]}])
    wanted = desired_identity(params)
    return [fl for fl in flow_logs if identity_of(fl) == wanted]


def pick_flow_log(matches, params):
    """(the flow log to keep, the duplicates): prefer one needing no replacement, then the oldest."""
    if not matches:
        return None, []

    def rank(flow_log):
        created = flow_log.get("CreationTime")
        return (
            bool(immutable_changes(flow_log, params)),
            created.timestamp() if hasattr(created, "timestamp") else float("inf"),
            flow_log.get("FlowLogId") or "",
        )

    ordered = sorted(matches, key=rank)
    return ordered[0], ordered[1:]


def fetch_flow_log(client, flow_log_id):
    for attempt in range(FETCH_ATTEMPTS):
        found = describe_flow_logs(client, FlowLogIds=[flow_log_id])
        if found:
            return found[0]
        if attempt + 1 < FETCH_ATTEMPTS:
            time.sleep(FETCH_DELAY)
    return None


def build_create_request(params, replaced, tags):
    """CreateFlowLogs parameters (without ClientToken). Options left unset keep the value of the
    flow log being replaced, if any."""
    replaced = replaced or {}
    request = {
        "ResourceIds": [params["resource_id"]],
        "ResourceType": params["resource_type"],
        "TrafficType": params["traffic_type"],
        "LogDestinationType": params["log_destination_type"],
        "MaxAggregationInterval": params["max_aggregation_interval"],
    }
    if params["log_group_name"]:
        request["LogGroupName"] = params["log_group_name"]
    else:
        request["LogDestination"] = params["log_destination"]
    role = params["deliver_logs_permission_arn"] or replaced.get("DeliverLogsPermissionArn")
    if role and params["log_destination_type"] != S3:
        request["DeliverLogsPermissionArn"] = role
    log_format = params["log_format"] or replaced.get("LogFormat")
    if log_format:
        request["LogFormat"] = log_format
    # aws: tags cannot be set by users; a replacement cannot carry them over.
    # Sorted: the same tags are the same request (its client token is derived from them in that order).
    settable = {k: to_text(tags[k]) for k in sorted(tags) if not k.startswith("aws:")}
    if settable:
        request["TagSpecifications"] = boto3_tag_specifications(settable, ["vpc-flow-log"])
    return request


def planned_flow_log(request):
    """The DescribeFlowLogs entry a CreateFlowLogs request should produce (for check mode)."""
    planned = {
        "FlowLogId": None,
        "ResourceId": request["ResourceIds"][0],
        "TrafficType": request["TrafficType"],
        "LogDestinationType": request["LogDestinationType"],
        "LogDestination": request.get("LogDestination"),
        "LogGroupName": request.get("LogGroupName"),
        "DeliverLogsPermissionArn": request.get("DeliverLogsPermissionArn"),
        "LogFormat": request.get("LogFormat", DEFAULT_LOG_FORMAT),
        "MaxAggregationInterval": request["MaxAggregationInterval"],
        "Tags": [],
    }
    for spec in request.get("TagSpecifications") or []:
        planned["Tags"] = spec["Tags"]
    return planned


def _token(request, *salt):
    tags = sorted((t["Key"], t["Value"]) for spec in request.get("TagSpecifications") or [] for t in spec["Tags"])
    return client_token(
        request["ResourceIds"][0],
        request["TrafficType"],
        request["LogDestinationType"],
        request.get("LogGroupName") or request.get("LogDestination"),
        request["MaxAggregationInterval"],
        request.get("LogFormat", ""),
        request.get("DeliverLogsPermissionArn", ""),
        tags,
        *salt,
    )


def create_flow_log(client, request, replaced_ids):
    """Create the flow log and return its DescribeFlowLogs entry.

    The client token is derived from the request (and the IDs of the flow logs being replaced), so a
    retry of a call that reached AWS returns the flow log it made instead of making a second one. If
    the token was already used for a flow log deleted since (same configuration created, deleted and
    created again), AWS may answer with that deleted flow log's ID: then the create is repeated once
    with a token salted with that stale ID, which is deterministic too.
    """
    salt = list(replaced_ids)
    for _attempt in range(2):
        flow_log_id = create_flow_logs(client, ClientToken=_token(request, *salt), **request)[0]
        flow_log = fetch_flow_log(client, flow_log_id)
        if flow_log:
            return flow_log
        salt.append(flow_log_id)
    raise AnsibleEC2Error(
        message=f"CreateFlowLogs returned flow log {flow_log_id}, but DescribeFlowLogs does not find it"
    )


# ---------------------------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------------------------
def ensure_present(client, module, matches):
    params = module.params
    check_mode = module.check_mode
    keep, duplicates = pick_flow_log(matches, params)
    duplicate_ids = [fl["FlowLogId"] for fl in duplicates]
    before = flow_log_view(keep)
    changed = bool(duplicates)

    if duplicates and not check_mode:
        delete_flow_logs(client, duplicate_ids)

    existing_tags = current_tags(keep) if keep else {}
    final_tags, to_set, to_unset = desired_tags(existing_tags, params["tags"], params["purge_tags"])

    if keep is None or immutable_changes(keep, params):
        # Create, or replace: flow logs cannot be modified in place.
        changed = True
        request = build_create_request(params, keep, final_tags)
        replaced_ids = [keep["FlowLogId"]] if keep else []
        if check_mode:
            after = flow_log_view(planned_flow_log(request))
        else:
            if keep:
                delete_flow_logs(client, replaced_ids)
            after = flow_log_view(create_flow_log(client, request, replaced_ids))
    else:
        if to_set or to_unset:
            changed = True
            # Both helpers do nothing in check mode.
            remove_ec2_tags(client, module, keep["FlowLogId"], to_unset)
            add_ec2_tags(client, module, keep["FlowLogId"], to_set)
        after = flow_log_view(keep, tags=final_tags)

    result = {"changed": changed, "flow_log": after, "duplicates_removed": duplicate_ids}
    if module._diff:
        result["diff"] = make_diff(diff_view(before, duplicates), diff_view(after))
    return result


def ensure_absent(client, module, matches):
    keep, duplicates = pick_flow_log(matches, module.params)
    flow_log_ids = [fl["FlowLogId"] for fl in matches]
    if flow_log_ids and not module.check_mode:
        delete_flow_logs(client, flow_log_ids)
    result = {"changed": bool(flow_log_ids), "flow_log": {}, "deleted_flow_log_ids": flow_log_ids}
    if module._diff:
        result["diff"] = make_diff(diff_view(flow_log_view(keep), duplicates), {})
    return result


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", default="VPC", choices=["VPC", "Subnet", "NetworkInterface"]),
        traffic_type=dict(type="str", default="ALL", choices=["ACCEPT", "REJECT", "ALL"]),
        log_destination_type=dict(type="str", default=CLOUDWATCH, choices=[CLOUDWATCH, S3, FIREHOSE]),
        log_destination=dict(type="str"),
        log_group_name=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        log_format=dict(type="str"),
        max_aggregation_interval=dict(type="int", default=DEFAULT_AGGREGATION_INTERVAL, choices=[60, 600]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )

    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["log_destination", "log_group_name"]],
        required_if=[
            ["log_destination_type", S3, ["log_destination"]],
            ["log_destination_type", FIREHOSE, ["log_destination"]],
            ["log_destination_type", CLOUDWATCH, ["log_destination", "log_group_name"], True],
        ],
    )

    error = validate_params(module.params)
    if error:
        module.fail_json(msg=error)

    client = module.client("ec2")

    try:
        matches = find_flow_logs(client, module.params)
        if module.params["state"] == "present":
            result = ensure_present(client, module, matches)
        else:
            result = ensure_absent(client, module, matches)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
