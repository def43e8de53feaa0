#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_orderable_info
short_description: Describe the orderable options of an RDS instance class for an engine version
version_added: 0.1.0
description:
  - Read-only - never changes anything and always returns RV(changed=false).
  - Returns the options RDS offers for creating a DB instance of O(instance_class) with O(engine) O(engine_version)
    (DescribeOrderableDBInstanceOptions, one row per storage type and availability zone group), which no module
    of amazon.aws or community.aws reads.
  - A class without any row is not offered for that version; RV(instance_classes) then lists the classes that are,
    to name the alternatives.
  - Meant to run before anything is created, so that a class or storage type RDS would refuse fails at once instead
    of in the middle of a deployment (the C(payments.infra.rds_orderable_refusals) filter words the refusal).
author:
  - payments.infra maintainers
options:
  engine:
    description:
      - The database engine, as RDS names it (V(postgres), V(mysql), ...).
    type: str
    default: postgres
  engine_version:
    description:
      - The exact engine version (V(15.14)); M(amazon.aws.rds_engine_versions_info) lists the offered ones.
    type: str
    required: true
  instance_class:
    description:
      - The RDS instance class (V(db.t3.micro)).
    type: str
    required: true
notes:
  - Check mode is supported; the module never writes.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: What RDS offers for db.t3.micro with PostgreSQL 15.14
  payments.infra.rds_orderable_info:
    engine: postgres
    engine_version: "15.14"
    instance_class: db.t3.micro
  register: orderable

- name: The storage types offered
  ansible.builtin.debug:
    msg: "{{ orderable.orderable_options | map(attribute='storage_type') | unique | sort }}"
"""

RETURN = r"""
orderable_options:
  description:
    - The OrderableDBInstanceOptions rows of O(instance_class) for O(engine) O(engine_version), in snake_case;
      empty when RDS does not offer the class for that version.
  returned: always
  type: list
  elements: dict
  sample:
    - engine: postgres
      engine_version: "15.14"
      db_instance_class: db.t3.micro
      storage_type: gp3
      min_storage_size: 20
      max_storage_size: 65536
      multi_az_capable: true
instance_classes:
  description: The classes RDS offers for O(engine) O(engine_version), sorted by name.
  returned: when RV(orderable_options) is empty
  type: list
  elements: str
  sample: ["db.m5.large", "db.t3.micro", "db.t3.small"]
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.rds import AnsibleRDSError
from ansible_collections.payments.infra.plugins.module_utils.rds import describe_orderable_db_instance_options
from ansible_collections.payments.infra.plugins.module_utils.rds import instance_class_problem


def main():
    argument_spec = dict(
        engine=dict(type="str", default="postgres"),
        engine_version=dict(type="str", required=True),
        instance_class=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problems = [f"{name} must not be empty" for name in ("engine", "engine_version") if not params[name].strip()]
    problems += [p for p in [instance_class_problem(params["instance_class"])] if p]
    if problems:
        module.fail_json(msg="; ".join(problems))

    client = module.client("rds")
    engine, version, instance_class = params["engine"], params["engine_version"], params["instance_class"]
    try:
        rows = describe_orderable_db_instance_options(
            client, Engine=engine, EngineVersion=version, DBInstanceClass=instance_class
        )
        result = {"orderable_options": [camel_dict_to_snake_dict(r) for r in rows]}
        if not rows:
            everything = describe_orderable_db_instance_options(client, Engine=engine, EngineVersion=version)
            result["instance_classes"] = sorted({r["DBInstanceClass"] for r in everything if r.get("DBInstanceClass")})
    except AnsibleRDSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
