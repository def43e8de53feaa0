# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plans of resources whose stock module reports a bare "changed" in check mode: the fields that would change."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.plan import field_plan as _field_plan


def field_plan(live, desired):
    """{action: create | change | None, before, after}: what converging live to desired would do, field by field."""
    try:
        return _field_plan(live, desired)
    except TypeError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"field_plan": field_plan}
