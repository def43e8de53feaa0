# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes of the AWX promotion workflow (playbooks/awx_configure.yml)."""

from __future__ import annotations

import itertools

from ansible.errors import AnsibleFilterError

JOB_TEMPLATE = "payments {environment} {kind}"


def promotion_nodes(environments, approval_environments=(), organization="Default", approval_timeout=0):
    """awx.awx.workflow_job_template's workflow_nodes: each environment provisioned then verified, in order,
    every one after the previous one's verify succeeded; an approval node before each environment of
    ``approval_environments``. Outputs pass forward as the set_stats artifacts AWX hands each next node."""
    if not isinstance(environments, list) or not environments:
        raise AnsibleFilterError("promotion_nodes expects a non-empty list of environments")
    unknown = [name for name in approval_environments or () if name not in environments]
    if unknown:
        raise AnsibleFilterError(f"approval environments {unknown} are not among the environments {environments}")
    chain = []
    for environment in environments:
        if environment in (approval_environments or ()):
            chain.append(
                {
                    "identifier": f"{environment}-approval",
                    "unified_job_template": {
                        "name": f"Approve promoting to {environment}",
                        "type": "workflow_approval",
                        "timeout": int(approval_timeout),
                    },
                }
            )
        for kind in ("provision", "verify"):
            chain.append(
                {
                    "identifier": f"{environment}-{kind}",
                    "unified_job_template": {
                        "name": JOB_TEMPLATE.format(environment=environment, kind=kind),
                        "type": "job_template",
                        "organization": {"name": organization},
                    },
                }
            )
    for node, following in itertools.pairwise(chain):
        node["related"] = {"success_nodes": [{"identifier": following["identifier"]}]}
    return chain


class FilterModule:
    def filters(self):
        return {"promotion_nodes": promotion_nodes}
