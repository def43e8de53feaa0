#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_parameter_group
short_description: DB parameter group whose every parameter is validated before anything is written
version_added: 0.1.0
description:
  - Creates, updates or deletes an RDS DB parameter group and the parameters set in it.
  - Every value in O(parameters) is validated before any write, against the engine defaults of
    O(family) (DescribeEngineDefaultParameters) - the name must exist (an unknown one fails with the
    closest names), the parameter must be modifiable, the value must be of the parameter's data type
    (integer, float, boolean, list, string) and within its allowed values (ranges such as C(1-2147483647),
    lists such as C(none,ddl,mod,all), or both). Formulas such as C({DBInstanceClassMemory*3/32768}) and
    functions such as GREATEST({DBInstanceClassMemory/9531392},5000) are checked for syntax and, with
    O(instance_class), evaluated.
  - With O(instance_class), memory-sized parameters (PostgreSQL C(shared_buffers) and C(effective_cache_size)
    in 8kB pages, C(work_mem) and C(maintenance_work_mem) in kB; MySQL and MariaDB C(innodb_buffer_pool_size)
    in bytes) must not exceed the memory of the class, for example
    "parameters.effective_cache_size=393216 (3 GiB) exceeds the memory of db.t3.micro (1 GiB)".
  - Every problem is collected and the task fails once, listing all of them, before any write.
  - Parameters are compared with the group's user-set parameters (DescribeDBParameters C(Source=user)) as
    values, not text (V(1), V(true) and C("1") are the same boolean; formulas compare without whitespace),
    and only differences are written, at most 20 per call, with C(ApplyMethod=immediate) for dynamic and
    C(pending-reboot) for static parameters. RV(pending_reboot) lists the static parameters this run changed.
  - Unlike M(amazon.aws.rds_instance_param_group), any error fails the task.
author:
  - payments.infra maintainers
options:
  name:
    description:
      - The name of the DB parameter group - 1 to 255 letters, digits and hyphens, starting with a letter,
        not ending with a hyphen, without two hyphens in a row. RDS stores it in lower case; so does this module.
    type: str
    required: true
  state:
    description:
      - Whether the parameter group should exist.
      - With V(absent), a missing group is not a change; a group still used by a DB instance fails, naming
        the instances.
    type: str
    choices: [present, absent]
    default: present
  family:
    description:
      - The DB parameter group family (V(postgres15), V(mysql8.0), ...); see the C(db_parameter_group_family)
        of each version M(amazon.aws.rds_engine_versions_info) returns.
      - Required with O(state=present).
      - The family of an existing group cannot change; a different family fails (create a group with
        another name, or delete this one first).
    type: str
  description:
    description:
      - The description of a new group. RDS cannot change the description of an existing group; a
        different one is reported as a warning.
    type: str
    default: Managed by payments.infra
  parameters:
    description:
      - The parameters to set in the group, name to value. Values are strings, integers, floats or
        booleans; list parameters (such as C(shared_preload_libraries)) also take a YAML list.
      - Booleans are V(true)/V(false) or V(1)/V(0) (also V(on)/V(off), V(yes)/V(no)); RDS stores V(1)/V(0).
      - Integer and boolean parameters take RDS formulas and functions as strings -
        C({DBInstanceClassMemory*3/32768}) or GREATEST({DBInstanceClassMemory/9531392},5000).
      - Parameters set in the group but not listed here are left alone unless O(reset_unlisted=true).
    type: dict
  instance_class:
    description:
      - The instance class the group is for (V(db.t3.micro)). With it, formulas are evaluated for the
        class, and memory-sized parameters are checked against its memory (EC2 DescribeInstanceTypes).
      - Without it, memory-sized parameters are not checked against memory (a warning says so).
    type: str
  reset_unlisted:
    description:
      - Reset the parameters set in the group but not listed in O(parameters) to their engine defaults
        (ResetDBParameterGroup), so that the group holds exactly O(parameters).
    type: bool
    default: false
notes:
  - Check mode is supported; no write API is called, everything is validated and compared.
  - Static parameters take effect after the DB instances using the group reboot; RV(pending_reboot) says
    which ones this run changed.
  - The memory used for O(instance_class) is EC2's memory of the instance type; RDS's own
    C(DBInstanceClassMemory) is somewhat lower.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: PostgreSQL parameters for a db.t3.micro
  payments.infra.rds_parameter_group:
    name: payment-db-params-dev
    family: postgres15
    description: PostgreSQL parameters of dev
    instance_class: db.t3.micro
    parameters:
      log_statement: ddl
      log_min_duration_statement: 1000
      log_connections: true
      rds.force_ssl: 1
      shared_preload_libraries: [pg_stat_statements]
      effective_cache_size: "{DBInstanceClassMemory*3/32768}"
    tags:
      Environment: dev
  register: params

- name: The group holds exactly these parameters; everything else back to the engine default
  payments.infra.rds_parameter_group:
    name: payment-db-params-dev
    family: postgres15
    parameters:
      log_statement: ddl
    reset_unlisted: true

- name: Validate only (nothing is written)
  payments.infra.rds_parameter_group:
    name: payment-db-params-dev
    family: postgres15
    instance_class: db.t3.micro
    parameters:
      effective_cache_size: 393216
  check_mode: true

- name: Remove the group
  payments.infra.rds_parameter_group:
    name: payment-db-params-dev
    state: absent
"""

RETURN = r"""
name:
  description: The name of the group (lower case, as RDS stores it).
  returned: always
  type: str
  sample: payment-db-params-dev
arn:
  description: The ARN of the group; null in check mode for a group still to be created, and with O(state=absent).
  returned: always
  type: str
  sample: arn:aws:rds:us-east-1:123456789012:pg:payment-db-params-dev
family:
  description: The family of the group.
  returned: when O(state=present)
  type: str
  sample: postgres15
description:
  description: The description of the group.
  returned: when O(state=present)
  type: str
parameters:
  description:
    - The user-set parameters of the group after the call (in check mode, as they would be), name to the
      value as RDS stores it. Empty with O(state=absent).
  returned: always
  type: dict
  sample: {"log_statement": "ddl", "log_connections": "1", "shared_preload_libraries": "pg_stat_statements"}
changed_parameters:
  description: The names of the parameters this call set (modified).
  returned: always
  type: list
  elements: str
  sample: ["log_statement"]
reset_parameters:
  description: The names of the parameters this call reset to the engine default (O(reset_unlisted=true)).
  returned: always
  type: list
  elements: str
pending_reboot:
  description:
    - The static parameters this call changed or reset; they take effect when the DB instances using the
      group reboot.
  returned: always
  type: list
  elements: str
  sample: ["shared_preload_libraries"]
tags:
  description: The tags of the group.
  returned: when O(state=present)
  type: dict
  sample: {"Environment": "dev"}
diff:
  description:
    - With C(--diff), the user-set parameters (and, when O(tags) is given, the tags) before and after.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: C(parameters) (and C(tags)) before the call.
      type: dict
    after:
      description: C(parameters) (and C(tags)) after the call.
      type: dict
"""

import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.common import desired_tags
from ansible_collections.payments.infra.plugins.module_utils.common import error_code
from ansible_collections.payments.infra.plugins.module_utils.common import make_diff
from ansible_collections.payments.infra.plugins.module_utils.rds import AnsibleRDSError
from ansible_collections.payments.infra.plugins.module_utils.rds import add_tags
from ansible_collections.payments.infra.plugins.module_utils.rds import apply_method
from ansible_collections.payments.infra.plugins.module_utils.rds import batches
from ansible_collections.payments.infra.plugins.module_utils.rds import comparable_value
from ansible_collections.payments.infra.plugins.module_utils.rds import create_db_parameter_group
from ansible_collections.payments.infra.plugins.module_utils.rds import delete_db_parameter_group
from ansible_collections.payments.infra.plugins.module_utils.rds import describe_db_engine_versions
from ansible_collections.payments.infra.plugins.module_utils.rds import describe_db_parameter_group
from ansible_collections.payments.infra.plugins.module_utils.rds import describe_db_parameters
from ansible_collections.payments.infra.plugins.module_utils.rds import describe_engine_default_parameters
from ansible_collections.payments.infra.plugins.module_utils.rds import family_engine
from ansible_collections.payments.infra.plugins.module_utils.rds import instance_class_problem
from ansible_collections.payments.infra.plugins.module_utils.rds import instance_class_resources
from ansible_collections.payments.infra.plugins.module_utils.rds import instances_using_parameter_group
from ansible_collections.payments.infra.plugins.module_utils.rds import list_tags
from ansible_collections.payments.infra.plugins.module_utils.rds import modify_db_parameter_group
from ansible_collections.payments.infra.plugins.module_utils.rds import remove_tags
from ansible_collections.payments.infra.plugins.module_utils.rds import reset_db_parameter_group
from ansible_collections.payments.infra.plugins.module_utils.rds import validate_parameters
from ansible_collections.payments.infra.plugins.module_utils.rds import version_key

NAME_RE = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,254}(?<!-)$")


def input_problems(params):
    """What is wrong with the options themselves, before any AWS call."""
    problems = []
    name = params["name"]
    if not NAME_RE.match(name.lower()):
        problems.append(
            f"name {name!r} is invalid: 1 to 255 letters, digits or hyphens, starting with a letter, not ending "
            "with a hyphen, no two hyphens in a row (default.* groups belong to RDS and cannot be changed)"
        )
    if params["state"] == "present":
        if not (params["family"] or "").strip():
            problems.append("family must not be empty: a DB parameter group family such as postgres15")
        if params["instance_class"] is not None:
            problem = instance_class_problem(params["instance_class"])
            if problem:
                problems.append(problem)
        if not (params["description"] or "").strip():
            problems.append("description must not be empty: RDS requires one")
    return problems


def family_defaults(client, module, family):
    """The engine defaults of the family by name; fails naming the known families when it has none."""
    defaults = {}
    try:
        defaults = describe_engine_default_parameters(client, family)
    except AnsibleRDSError as e:
        if error_code(e) not in ("InvalidParameterValue", "InvalidParameterCombination"):
            raise
    if defaults:
        return defaults
    engine = family_engine(family)
    families = set()
    if engine:
        families = {v.get("DBParameterGroupFamily") for v in describe_db_engine_versions(client, Engine=engine)}
    families = sorted((f for f in families if f), key=version_key)
    known = f"families of {engine}: {', '.join(families)}" if families else "no engine of that name has versions"
    module.fail_json(msg=f"family {family!r} is not a DB parameter group family RDS knows in {module.region}; {known}")
    return None


def group_summary(group):
    return {
        "name": group.get("DBParameterGroupName"),
        "arn": group.get("DBParameterGroupArn"),
        "family": group.get("DBParameterGroupFamily"),
        "description": group.get("Description"),
    }


def _diff_state(parameters, tags, with_tags):
    state = {"parameters": dict(sorted(parameters.items()))}
    if with_tags:
        state["tags"] = dict(tags)
    return state


def _family_problem(group, name, family):
    if group and group.get("DBParameterGroupFamily") != family:
        return [
            f"family: DB parameter group {name!r} exists with family {group.get('DBParameterGroupFamily')}, not "
            f"{family}; RDS cannot change the family of a group: give the group for {family} another name (and "
            f"point the DB instances at it), or delete this one first (state=absent) once no instance uses it"
        ]
    return []


def _instance_class_resources(ec2_client, instance_class, errors):
    """The class's memory and CPUs (None without a class); an unknown class is one more of ``errors``."""
    if not instance_class:
        return None
    resources = instance_class_resources(ec2_client, instance_class)
    if resources is None:
        errors.append(
            f"instance_class {instance_class!r} is unknown: EC2 knows no instance type "
            f"{instance_class[3:]!r}, so RDS has no such class"
        )
    return resources


def _validated_parameters(client, ec2_client, module, group, name):
    """(wanted parameters, the family's defaults); fails listing every problem at once."""
    params = module.params
    family = params["family"]
    errors = _family_problem(group, name, family)
    defaults = family_defaults(client, module, family)
    resources = _instance_class_resources(ec2_client, params["instance_class"], errors)
    wanted, problems, unchecked = validate_parameters(
        params["parameters"], defaults, family, params["instance_class"], resources
    )
    errors += problems
    if errors:
        count = f"{len(errors)} problems" if len(errors) > 1 else "1 problem"
        module.fail_json(
            msg=f"DB parameter group {name!r}: {count}, nothing was changed:\n- " + "\n- ".join(errors),
            errors=errors,
        )
    if unchecked and not params["instance_class"]:
        module.warn(
            f"{', '.join(unchecked)} not checked against the instance memory: give instance_class to check "
            "memory-sized parameters"
        )
    return wanted, defaults


def _parameter_changes(client, module, group, name, wanted, defaults):
    """(live parameters, their values, names to modify, names to reset, names that wait for a reboot)."""
    live = describe_db_parameters(client, name, "user") if group else {}
    current = {p: entry.get("ParameterValue") for p, entry in live.items()}
    to_modify = [
        p
        for p in sorted(wanted)
        if comparable_value(current.get(p), defaults[p]) != comparable_value(wanted[p], defaults[p])
    ]
    to_reset = sorted(p for p in current if p not in wanted) if module.params["reset_unlisted"] else []
    pending_reboot = sorted(
        p for p in to_modify + to_reset if apply_method(defaults.get(p) or live.get(p)) == "pending-reboot"
    )
    return live, current, to_modify, to_reset, pending_reboot


def _warn_description(module, group, name):
    description = module.params["description"]
    if group and group.get("Description") != description and description != "Managed by payments.infra":
        module.warn(
            f"RDS cannot change the description of DB parameter group {name!r}; it stays {group.get('Description')!r}"
        )


def _write_parameters(client, name, wanted, defaults, live, to_modify, to_reset):
    for batch in batches(to_modify):
        entries = [
            {"ParameterName": p, "ParameterValue": wanted[p], "ApplyMethod": apply_method(defaults[p])} for p in batch
        ]
        modify_db_parameter_group(client, name, entries)
    for batch in batches(to_reset):
        entries = [{"ParameterName": p, "ApplyMethod": apply_method(defaults.get(p) or live[p])} for p in batch]
        reset_db_parameter_group(client, name, entries)


def _create_or_tag(client, module, group, name, to_set, to_unset):
    """Create the group (with its tags) or converge the tags of the existing one; the group's summary."""
    params = module.params
    if not group:
        created = create_db_parameter_group(client, name, params["family"], params["description"], params["tags"])
        return group_summary(created)
    remove_tags(client, group["DBParameterGroupArn"], to_unset)
    add_tags(client, group["DBParameterGroupArn"], to_set)
    return group_summary(group)


def ensure_present(client, ec2_client, module):
    params = module.params
    name, family = params["name"].lower(), params["family"]
    group = describe_db_parameter_group(client, name)
    wanted, defaults = _validated_parameters(client, ec2_client, module, group, name)
    live, current, to_modify, to_reset, pending_reboot = _parameter_changes(
        client, module, group, name, wanted, defaults
    )
    _warn_description(module, group, name)

    tags_wanted, purge = params["tags"], params["purge_tags"]
    current_tags = {}
    if group and tags_wanted is not None:
        current_tags = list_tags(client, group["DBParameterGroupArn"])
    final_tags, to_set, to_unset = desired_tags(current_tags, tags_wanted, purge)

    changed = not group or bool(to_modify or to_reset or to_set or to_unset)
    summary = (
        group_summary(group)
        if group
        else {"name": name, "arn": None, "family": family, "description": params["description"]}
    )
    if not module.check_mode:
        summary = _create_or_tag(client, module, group, name, to_set, to_unset)
        _write_parameters(client, name, wanted, defaults, live, to_modify, to_reset)

    after = {p: v for p, v in current.items() if p not in to_reset}
    after.update({p: wanted[p] for p in to_modify})
    result = dict(
        summary,
        changed=changed,
        parameters=dict(sorted(after.items())),
        changed_parameters=to_modify,
        reset_parameters=to_reset,
        pending_reboot=pending_reboot,
        tags=final_tags if tags_wanted is not None or not group else list_tags(client, group["DBParameterGroupArn"]),
    )
    if module._diff:
        with_tags = tags_wanted is not None
        result["diff"] = make_diff(
            _diff_state(current, current_tags, with_tags) if group else {},
            _diff_state(after, final_tags, with_tags),
        )
    return result


def ensure_absent(client, module):
    name = module.params["name"].lower()
    group = describe_db_parameter_group(client, name)
    result = {"changed": False, "name": name, "arn": None, "parameters": {}, "changed_parameters": []}
    result.update(reset_parameters=[], pending_reboot=[])
    if not group:
        if module._diff:
            result["diff"] = make_diff({}, {})
        return result
    before = {}
    if module._diff:
        before = {k: v.get("ParameterValue") for k, v in describe_db_parameters(client, name, "user").items()}
    result["changed"] = True
    if not module.check_mode:
        try:
            result["changed"] = delete_db_parameter_group(client, name)
        except AnsibleRDSError as e:
            if error_code(e) != "InvalidDBParameterGroupState":
                raise
            users = instances_using_parameter_group(client, name)
            using = f"DB instances {', '.join(users)} use it" if users else "it is in use"
            module.fail_json(
                msg=(
                    f"DB parameter group {name!r} cannot be deleted: {using}. Point them at another parameter group "
                    "(and reboot them) or delete them first, then delete the group."
                ),
                instances=users,
            )
    if module._diff:
        result["diff"] = make_diff({"parameters": dict(sorted(before.items()))}, {})
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        family=dict(type="str"),
        description=dict(type="str", default="Managed by payments.infra"),
        parameters=dict(type="dict"),
        instance_class=dict(type="str"),
        reset_unlisted=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["family"])],
        supports_check_mode=True,
    )
    problems = input_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    if module.params["parameters"]:
        module.params["parameters"] = {to_text(k): v for k, v in module.params["parameters"].items()}

    client = module.client("rds")
    try:
        if module.params["state"] == "present":
            ec2_client = module.client("ec2") if module.params["instance_class"] else None
            result = ensure_present(client, ec2_client, module)
        else:
            result = ensure_absent(client, module)
    except AnsibleRDSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
