#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_engine_version
short_description: Resolve an RDS engine version, and check an instance class and storage type, against the region
version_added: 0.1.0
description:
  - Read-only, like an C(_info) module - never changes anything and always returns RV(changed=false).
  - Resolves O(version) against the engine versions RDS offers in the region (DescribeDBEngineVersions) -
    a major version such as V(15) resolves to the newest offered 15.x; an exact version such as V(15.14)
    is checked to be offered.
  - "A version that is not offered fails, listing the offered versions closest to it, for example
    'engine_version '15.4' is not offered for postgres in us-east-1;
    offered 15.x: 15.7, 15.8, ..., 15.14 (newest 15.14)'."
  - An engine with no offered version fails with the closest engine names.
  - With O(instance_class), checks that RDS offers the class for the resolved version
    (DescribeOrderableDBInstanceOptions) and returns the class's memory (from EC2 DescribeInstanceTypes);
    with O(storage_type) too, checks that the class offers that storage type. A class or storage type
    that is not offered fails, listing the offered ones.
  - Meant to run before anything is created, so that a version, class or storage type RDS would refuse
    fails at once instead of in the middle of a deployment.
author:
  - payments.infra maintainers
options:
  engine:
    description:
      - The database engine, as RDS names it (V(postgres), V(mysql), V(mariadb), V(aurora-postgresql), ...).
    type: str
    default: postgres
  version:
    description:
      - A major version (V(15), for MySQL V(8.0)), which resolves to the newest offered version of that
        major, or an exact version (V(15.14)), which must be offered.
      - Quote versions in YAML - an unquoted V(15.10) is the number 15.1.
    type: str
    required: true
  instance_class:
    description:
      - An RDS instance class (V(db.t3.micro)) that must be offered for the resolved version.
      - Also makes the module return RV(instance_class_memory_mib).
    type: str
  storage_type:
    description:
      - A storage type (V(gp3), V(gp2), V(io1), V(io2), V(standard)) that must be offered for the resolved
        version - for O(instance_class) when given, else for any class.
    type: str
notes:
  - Check mode is supported; the module never writes.
  - RDS's C(DBInstanceClassMemory) (used by parameter formulas) is somewhat lower than
    RV(instance_class_memory_mib), because the operating system and RDS take their share.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Newest PostgreSQL 15 offered in the region, and its parameter group family
  payments.infra.rds_engine_version:
    version: "15"
  register: pg

- name: Check an exact version, the instance class and the storage type before creating anything
  payments.infra.rds_engine_version:
    engine: postgres
    version: "15.14"
    instance_class: db.t3.micro
    storage_type: gp3
  register: pg

- name: Use the result
  ansible.builtin.debug:
    msg: "{{ pg.engine_version }} ({{ pg.parameter_group_family }}), {{ pg.instance_class_memory_mib }} MiB"
"""

RETURN = r"""
engine:
  description: The engine.
  returned: always
  type: str
  sample: postgres
engine_version:
  description: The resolved engine version.
  returned: always
  type: str
  sample: "15.14"
major_version:
  description: The major version of RV(engine_version).
  returned: always
  type: str
  sample: "15"
parameter_group_family:
  description: The DB parameter group family of RV(engine_version).
  returned: always
  type: str
  sample: postgres15
default_version_of_major:
  description:
    - The version RDS uses by default for RV(major_version) (DescribeDBEngineVersions with C(DefaultOnly)),
      null when RDS names none.
  returned: always
  type: str
  sample: "15.14"
offered_versions:
  description: Every offered version of RV(major_version), oldest first.
  returned: always
  type: list
  elements: str
  sample: ["15.7", "15.8", "15.10", "15.12", "15.13", "15.14"]
instance_class:
  description: The instance class checked.
  returned: when O(instance_class) is given
  type: str
  sample: db.t3.micro
instance_class_memory_mib:
  description: The memory of O(instance_class) in MiB (EC2's memory of the instance type), null if EC2 does not know it.
  returned: when O(instance_class) is given
  type: int
  sample: 1024
instance_class_vcpus:
  description: The default number of vCPUs of O(instance_class), null if EC2 does not know it.
  returned: when O(instance_class) is given
  type: int
  sample: 2
storage_types:
  description: The storage types offered for O(instance_class) and RV(engine_version).
  returned: when O(instance_class) is given
  type: list
  elements: str
  sample: ["gp2", "gp3", "io1", "io2", "standard"]
"""

import difflib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.infra.plugins.module_utils.rds import AnsibleRDSError
from ansible_collections.payments.infra.plugins.module_utils.rds import EngineVersionError
from ansible_collections.payments.infra.plugins.module_utils.rds import describe_db_engine_versions
from ansible_collections.payments.infra.plugins.module_utils.rds import describe_orderable_db_instance_options
from ansible_collections.payments.infra.plugins.module_utils.rds import instance_class_problem
from ansible_collections.payments.infra.plugins.module_utils.rds import instance_class_resources
from ansible_collections.payments.infra.plugins.module_utils.rds import major_version
from ansible_collections.payments.infra.plugins.module_utils.rds import resolve_engine_version
from ansible_collections.payments.infra.plugins.module_utils.rds import version_key
from ansible_collections.payments.infra.plugins.module_utils.rds import versions_of_major

STORAGE_TYPES = ("gp2", "gp3", "io1", "io2", "standard", "aurora", "aurora-iopt1")


def class_key(instance_class):
    """db.t3.micro < db.t3.small < db.t3.medium ...: by family, then by size."""
    sizes = ["nano", "micro", "small", "medium", "large", "xlarge"]
    parts = instance_class.split(".")
    size = parts[-1]
    multiple = size[: -len("xlarge")] if size.endswith("xlarge") and size != "xlarge" else ""
    rank = sizes.index(size) if size in sizes else len(sizes)
    return (
        ".".join(parts[:-1]),
        rank if not multiple else len(sizes),
        int(multiple) if multiple.isdigit() else 0,
        size,
    )


def check_class_and_storage(client, module, engine, version, result):
    """Fail unless the class (and storage type) are offered for engine+version; fills storage_types."""
    instance_class = module.params["instance_class"]
    storage_type = module.params["storage_type"]
    where = f" in {module.region}" if module.region else ""
    if instance_class:
        # The class's own rows first (one small answer); every row only to list the offered classes.
        options = describe_orderable_db_instance_options(
            client, Engine=engine, EngineVersion=version, DBInstanceClass=instance_class
        )
        options = [o for o in options if o.get("DBInstanceClass") == instance_class]
        if not options:
            everything = describe_orderable_db_instance_options(client, Engine=engine, EngineVersion=version)
            classes = sorted({o["DBInstanceClass"] for o in everything if o.get("DBInstanceClass")}, key=class_key)
            close = difflib.get_close_matches(instance_class, classes, n=3, cutoff=0.6)
            hint = f" (closest: {', '.join(close)})" if close else ""
            module.fail_json(
                msg=(
                    f"instance_class {instance_class!r} is not offered for {engine} {version}{where}{hint}; "
                    f"offered classes: {', '.join(classes) if classes else 'none'}"
                ),
                offered_instance_classes=classes,
            )
    else:
        options = describe_orderable_db_instance_options(client, Engine=engine, EngineVersion=version)
    storage_types = sorted({o["StorageType"] for o in options if o.get("StorageType")})
    if instance_class:
        result["storage_types"] = storage_types
    if storage_type and storage_type not in storage_types:
        offered_for = f"{instance_class} with {engine} {version}" if instance_class else f"{engine} {version}"
        module.fail_json(
            msg=(
                f"storage_type {storage_type!r} is not offered for {offered_for}{where}; offered storage types: "
                f"{', '.join(storage_types) if storage_types else 'none'}"
            ),
            offered_storage_types=storage_types,
        )


def resolve(client, ec2_client, module):
    params = module.params
    engine = params["engine"]
    versions = describe_db_engine_versions(client, Engine=engine)
    try:
        entry = resolve_engine_version(versions, engine, params["version"], module.region)
    except EngineVersionError as e:
        module.fail_json(msg=str(e))
    version = entry["EngineVersion"]
    major = major_version(entry)
    default = describe_db_engine_versions(client, Engine=engine, EngineVersion=major, DefaultOnly=True)
    default = [
        d for d in default if d.get("EngineVersion", "").startswith(major + ".") or d.get("EngineVersion") == major
    ]
    result = {
        "changed": False,
        "engine": engine,
        "engine_version": version,
        "major_version": major,
        "parameter_group_family": entry.get("DBParameterGroupFamily"),
        "default_version_of_major": max((d["EngineVersion"] for d in default), key=version_key) if default else None,
        "offered_versions": versions_of_major(versions, major),
    }
    if params["instance_class"] or params["storage_type"]:
        check_class_and_storage(client, module, engine, version, result)
    if params["instance_class"]:
        resources = instance_class_resources(ec2_client, params["instance_class"])
        result["instance_class"] = params["instance_class"]
        result["instance_class_memory_mib"] = resources["memory_mib"] if resources else None
        result["instance_class_vcpus"] = resources["vcpus"] if resources else None
    return result


def main():
    argument_spec = dict(
        engine=dict(type="str", default="postgres"),
        version=dict(type="str", required=True),
        instance_class=dict(type="str"),
        storage_type=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    problems = []
    if not (module.params["engine"] or "").strip():
        problems.append("engine must not be empty (e.g. postgres)")
    if not (module.params["version"] or "").strip():
        problems.append("version must not be empty: a major version such as '15' or an exact one such as '15.14'")
    if module.params["instance_class"] is not None:
        problem = instance_class_problem(module.params["instance_class"])
        if problem:
            problems.append(problem)
    storage_type = module.params["storage_type"]
    if storage_type is not None and storage_type not in STORAGE_TYPES:
        problems.append(f"storage_type {storage_type!r} is invalid: RDS storage types are {', '.join(STORAGE_TYPES)}")
    if problems:
        module.fail_json(msg="; ".join(problems))

    client = module.client("rds")
    ec2_client = module.client("ec2") if module.params["instance_class"] else None
    try:
        result = resolve(client, ec2_client, module)
    except AnsibleRDSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
