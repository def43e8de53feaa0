# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 call wrappers of payments.infra that amazon.aws's module_utils.ec2 does not have.

Each wrapper is small, retried with ``AWSRetry.jittered_backoff`` and raises one exception
type per resource family (an ``AWSErrorHandler`` subclass), as amazon.aws does. Where
amazon.aws already has a wrapper (NAT gateways, addresses, tags), modules import that one.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


# VPC flow logs
class EC2FlowLogErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidFlowLogId.NotFound", "InvalidFlowLogID.NotFound"])


def _flow_log_failures(unsuccessful, ignore_missing=False):
    """'ResourceId: Code: Message' strings for the ``Unsuccessful`` items of a flow-log call."""
    failures = []
    for item in unsuccessful or []:
        error = item.get("Error") or {}
        code = str(error.get("Code", ""))
        if ignore_missing and "NotFound" in code:
            continue
        failures.append(f"{item.get('ResourceId')}: {code}: {error.get('Message', '')}".strip())
    return failures


@EC2FlowLogErrorHandler.list_error_handler("describe flow logs", [])
@AWSRetry.jittered_backoff()
def describe_flow_logs(client, **params):
    paginator = client.get_paginator("describe_flow_logs")
    return paginator.paginate(**params).build_full_result()["FlowLogs"]


@EC2FlowLogErrorHandler.common_error_handler("create flow logs")
@AWSRetry.jittered_backoff()
def create_flow_logs(client, **params):
    """CreateFlowLogs; returns the new flow log ids.

    The API reports per-resource failures in ``Unsuccessful`` instead of raising: any entry
    there is raised as AnsibleEC2Error with the API's message.
    """
    response = client.create_flow_logs(**params)
    failures = _flow_log_failures(response.get("Unsuccessful"))
    if failures:
        raise AnsibleEC2Error(message="Failed to create flow logs: " + "; ".join(failures))
    flow_log_ids = response.get("FlowLogIds") or []
    if not flow_log_ids:
        raise AnsibleEC2Error(message="Failed to create flow logs: CreateFlowLogs returned no flow log id")
    return flow_log_ids


@EC2FlowLogErrorHandler.deletion_error_handler("delete flow logs")
@AWSRetry.jittered_backoff()
def delete_flow_logs(client, flow_log_ids):
    """DeleteFlowLogs; flow logs that are already gone count as deleted, other failures raise."""
    response = client.delete_flow_logs(FlowLogIds=list(flow_log_ids))
    failures = _flow_log_failures(response.get("Unsuccessful"), ignore_missing=True)
    if failures:
        raise AnsibleEC2Error(message="Failed to delete flow logs: " + "; ".join(failures))
    return True
