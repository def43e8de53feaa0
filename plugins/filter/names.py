# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The names table as a filter: every role and playbook reads a resource's name from it (resource_names.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.infra.plugins.module_utils.names import resource_names as _resource_names


def resource_names(prefix, environment):
    try:
        return _resource_names(prefix, environment)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"resource_names": resource_names}
