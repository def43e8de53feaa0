# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 call wrappers of payments.infra that amazon.aws's module_utils.s3 does not have.

Same style as ``ec2.py``: each wrapper is small, retried with ``AWSRetry.jittered_backoff`` and
raises ``AnsibleS3Error`` (amazon.aws's S3 exception, so permission and unsupported-feature
errors keep amazon.aws's subclasses) through an ``AWSErrorHandler`` subclass.

``NoSuchBucket`` is *not* treated as "missing" here: a lifecycle configuration of a bucket that
does not exist is an error the caller must report, not an empty configuration.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.s3 import AnsibleS3Error
from ansible_collections.amazon.aws.plugins.module_utils.s3 import S3ErrorHandler

# S3 answers OperationAborted ("A conflicting conditional operation is currently in progress")
# while another change to the same bucket's configuration is being applied: worth a retry.
_RETRY_CODES = ["OperationAborted"]


def is_missing_bucket(error):
    """True when an AnsibleS3Error (or the botocore ClientError it wraps) says the bucket does not exist."""
    cause = getattr(error, "exception", None) or error
    response = getattr(cause, "response", None) or {}
    return response.get("Error", {}).get("Code") == "NoSuchBucket"


# Bucket lifecycle configuration
class S3LifecycleErrorHandler(S3ErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleS3Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchLifecycleConfiguration")


@S3LifecycleErrorHandler.list_error_handler("get bucket lifecycle configuration", None)
@AWSRetry.jittered_backoff(catch_extra_error_codes=_RETRY_CODES)
def get_bucket_lifecycle_configuration(client, bucket):
    """GetBucketLifecycleConfiguration: ``{"Rules": [...], "TransitionDefaultMinimumObjectSize": ...}``,
    or None when the bucket has no lifecycle configuration. A missing bucket raises AnsibleS3Error."""
    response = client.get_bucket_lifecycle_configuration(Bucket=bucket)
    response.pop("ResponseMetadata", None)
    return response


@S3LifecycleErrorHandler.common_error_handler("put bucket lifecycle configuration")
@AWSRetry.jittered_backoff(catch_extra_error_codes=_RETRY_CODES)
def put_bucket_lifecycle_configuration(client, bucket, rules, transition_default_minimum_object_size=None):
    """PutBucketLifecycleConfiguration: replaces the bucket's whole configuration with ``rules``."""
    params = {"Bucket": bucket, "LifecycleConfiguration": {"Rules": rules}}
    if transition_default_minimum_object_size:
        params["TransitionDefaultMinimumObjectSize"] = transition_default_minimum_object_size
    client.put_bucket_lifecycle_configuration(**params)
    return True


@S3LifecycleErrorHandler.deletion_error_handler("delete bucket lifecycle configuration")
@AWSRetry.jittered_backoff(catch_extra_error_codes=_RETRY_CODES)
def delete_bucket_lifecycle(client, bucket):
    """DeleteBucketLifecycle; no configuration to delete is not an error (returns False)."""
    client.delete_bucket_lifecycle(Bucket=bucket)
    return True
