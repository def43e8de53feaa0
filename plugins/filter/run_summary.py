# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run created and destroyed, per tier: two censuses of the environment compared (the run summary)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.census import tier_changes as _tier_changes


def tier_changes(before, after, environment, shared_names=()):
    """{tier: {created, destroyed}} between the census before a run and the census after it."""
    if not isinstance(before, list) or not isinstance(after, list):
        raise AnsibleFilterError("tier_changes expects two lists of census resources (resource_census' resources)")
    return _tier_changes(before, after, environment, tuple(shared_names or ()))


class FilterModule:
    def filters(self):
        return {"tier_changes": tier_changes}
