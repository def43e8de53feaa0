# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.infra.plan: states in a plan what a real run would do where check mode cannot look it up."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.payments.infra.plugins.module_utils.plan import CREATE
from ansible_collections.payments.infra.plugins.module_utils.plan import DESTROY
from ansible_collections.payments.infra.plugins.module_utils.plan import PLAN_ARGUMENT_SPEC


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=PLAN_ARGUMENT_SPEC)
        action, resources = args["action"], args["resources"]
        listed = "".join(f"{r}\n" for r in resources)
        result.update(
            changed=True,
            msg=args["msg"] or f"would {action}: {', '.join(resources)}",
            plan_action=action,
            plan_resources=resources,
            diff={
                "before": args["before"] if args["before"] is not None else ("" if action == CREATE else listed),
                "after": args["after"] if args["after"] is not None else ("" if action == DESTROY else listed),
            },
        )
        return result
