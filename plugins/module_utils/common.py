# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by every payments.infra module: diffs, idempotency tokens, tag maths.

Kept free of service specifics; AWS call wrappers live in the per-service module_utils
(``ec2.py``, ...), each with an ``AWSErrorHandler`` and ``AWSRetry.jittered_backoff``.
"""

import hashlib

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def client_token(*parts):
    """A deterministic idempotency token (<= 64 chars) for a create call.

    Derived from the resource's identity (name, environment, placement), so a run that was
    killed after the call reached AWS and the run that follows send the same token, and AWS
    returns the resource the first call made instead of creating a second one.
    """
    seed = "\x1f".join(str(p) for p in parts)
    return "payments-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:55]


def error_code(error):
    """The AWS error code behind an AnsibleAWSError (None when it was not raised by an AWS error)."""
    response = getattr(getattr(error, "exception", None), "response", None) or {}
    return response.get("Error", {}).get("Code")


def make_diff(before, after):
    """The ``diff`` entry Ansible prints with ``--diff``: what the resource was and will be."""
    return {"before": before if before is not None else {}, "after": after if after is not None else {}}


def desired_tags(current, tags, purge_tags):
    """The tag set a resource ends with, and the (to_set, to_unset) change that gets it there.

    ``tags=None`` leaves tags alone, as amazon.aws modules do.
    """
    current = dict(current or {})
    if tags is None:
        return current, {}, []
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags=purge_tags)
    final = dict(current)
    for key in to_unset:
        final.pop(key, None)
    final.update(to_set)
    return final, to_set, to_unset
