# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS lookups shared by the modules that compare encryption keys (ECR, RDS)."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleKMSError(AnsibleAWSError):
    pass


class KMSKeyErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleKMSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFoundException")


@KMSKeyErrorHandler.list_error_handler("describe KMS key", None)
@AWSRetry.jittered_backoff()
def kms_key_arn(client, key_id):
    """The ARN of a KMS key given as key ID, key ARN, alias name or alias ARN; None if not found."""
    return client.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
