# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.infra.plan: states in a plan what a real run would do where check mode cannot look it up."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.payments.infra.plugins.module_utils.plan import CHANGE
from ansible_collections.payments.infra.plugins.module_utils.plan import CREATE
from ansible_collections.payments.infra.plugins.module_utils.plan import DESTROY
from ansible_collections.payments.infra.plugins.module_utils.plan import PLAN_ARGUMENT_SPEC
from ansible_collections.payments.infra.plugins.module_utils.plan import differing_sides


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=PLAN_ARGUMENT_SPEC)
        action, resources = args["action"], args["resources"]
        listed = "".join(f"{r}\n" for r in resources)
        before, after = args["before"], args["after"]
        if action == CHANGE and isinstance(before, dict) and before == after:
            # Both sides read and equal: nothing to plan (a stock module's bare "changed" is not trusted).
            result.update(changed=False, msg=f"no change: {', '.join(resources)}")
            return result
        if action == CHANGE:
            before, after = differing_sides(before, after)
        result.update(
            changed=True,
            msg=args["msg"] or f"would {action}: {', '.join(resources)}",
            plan_action=action,
            plan_resources=resources,
            diff={
                "before": before if before is not None else ("" if action == CREATE else listed),
                "after": after if after is not None else ("" if action == DESTROY else listed),
            },
        )
        return result
