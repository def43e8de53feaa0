# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The refusals of every input outside its limits, before the first write."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from ansible.plugins.lookup import LookupBase
from ansible.template import trust_as_template

from ansible_collections.payments.infra.plugins.module_utils.limits import LIMITS
from ansible_collections.payments.infra.plugins.module_utils.limits import refusals

DOCUMENTATION = r"""
name: input_refusals
author: payments.infra contributors
version_added: 1.2.0
short_description: Every input outside its limits, as messages naming the variable, the value and what is valid
description:
  - Reads each variable that has a limit in the collection's one table of limits (plugins/module_utils/limits.py)
    and checks its type, range, pattern, length and AWS's documented limits, then the rules joining several
    variables and, on a production environment, the protections a plain run keeps.
  - A variable the play does not set is read from its role's defaults, so the preflight checks every variable
    of every role in one task, before any AWS call.
  - Returns one message per refusal, none when every input is valid. A variable that cannot even be evaluated
    (for example tags given as a list, which the wiring cannot merge) is reported by name, never as a raw
    templating error.
options:
  _terms:
    description: Variable prefixes to check (a role's name such as C(network), or C(payments)); none checks every
      variable that has a limit.
    type: list
    elements: str
    required: false
  production:
    description: The environment is production; values that lower one of its protections are refused unless
      I(confirmed).
    type: bool
    default: false
  confirmed:
    description: The run was confirmed (C(-e confirm=<environment>)), as teardown is.
    type: bool
    default: false
  environment:
    description: The environment's name, for the messages.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Refuse every input outside its limits
  ansible.builtin.assert:
    that: refusals | length == 0
    fail_msg: "{{ refusals | join(' ') }}"
  vars:
    refusals: "{{ query('payments.infra.input_refusals', production=payments_production) }}"
"""

RETURN = r"""
_raw:
  description: The refusals, one message each; empty when every input is valid.
  type: list
  elements: str
"""


ROLES = Path(__file__).resolve().parents[2] / "roles"
MISSING = object()


def _trusted(value):
    """Role defaults read from their files, marked as templates the way Ansible marks them when it loads a role."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


def role_defaults():
    """{variable: its default} of every role of the collection."""
    found = {}
    for path in sorted(ROLES.glob("*/defaults/main.yml")):
        found.update(yaml.safe_load(path.read_text()) or {})
    return found


def _made_of(raw, variables, seen=None):
    """The variables with a limit that a value is a template of, through the wiring between (payments_tags, ...)."""
    seen = set() if seen is None else seen
    text = str(raw) if not isinstance(raw, (dict, list)) else " ".join(str(v) for v in _leaves(raw))
    if "{{" not in text:
        return set()
    found = set()
    for name in set(re.findall(r"\b[a-z_][a-z0-9_]*\b", text)) - seen:
        seen.add(name)
        if name in LIMITS:
            found.add(name)
        elif name in variables:
            found |= _made_of(variables[name], variables, seen)
    return found


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        defaults = {name: _trusted(value) for name, value in role_defaults().items()}
        templar = self._templar.copy_with_new_env(available_variables={**defaults, **variables})
        values, unevaluated, made_of = {}, [], {}
        for name in LIMITS:
            if terms and not any(name.startswith(f"{prefix}_") for prefix in terms):
                continue
            raw = variables[name] if name in variables else defaults.get(name, MISSING)
            if raw is MISSING:
                continue
            made_of[name] = _made_of(raw, {**defaults, **variables})
            try:
                values[name] = templar.template(raw)
            except Exception as error:  # any templating error becomes a refusal naming the variable
                reason = str(error).splitlines()[0]
                unevaluated.append(
                    f"{name} cannot be evaluated ({reason}): check the variables it is made of (group_vars/all)."
                )
        found = refusals(
            values,
            production=self.get_option("production"),
            confirmed=self.get_option("confirmed"),
            environment=self.get_option("environment"),
            made_of=made_of,
        )
        # A value that cannot be evaluated is most often made of one already refused: that refusal says why.
        return found or unevaluated
