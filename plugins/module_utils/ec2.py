# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 call wrappers of payments.infra that amazon.aws's module_utils.ec2 does not have.

Each wrapper is small, retried with ``AWSRetry.jittered_backoff`` and raises one exception
type per resource family (an ``AWSErrorHandler`` subclass), as amazon.aws does. Where
amazon.aws already has a wrapper (NAT gateways, addresses, tags), modules import that one.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
