# -*- coding: utf-8 -*-
# Copyright: payments.infra contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS call wrappers and the shared logic of payments.infra's RDS modules.

Call wrappers follow ``ec2.py``: small, paginated where the API pages, retried with
``AWSRetry.jittered_backoff`` and raising one exception type (``AnsibleRDSError``).

The rest is pure and works on the AWS API shapes (botocore's RDS model):

- engine versions: ``version_key`` (the version to build is resolved by the ``rds_engine_version`` filter);
- parameter values: ``parse_allowed_values`` reads ``AllowedValues`` (ranges ``"1-2147483647"``, also
  negative ones ``"-1-2147483647"``, comma lists ``"none,ddl,mod,all"``, mixed ``"0,1-100"``);
  ``evaluate_formula`` parses and evaluates RDS parameter formulas (``{DBInstanceClassMemory*3/32768}``,
  ``GREATEST({DBInstanceClassMemory/9531392},5000)``, ``{log(DBInstanceClassMemory/8187281408)*1000}``);
  ``validate_parameters`` checks wanted values against the family's engine defaults
  (DescribeEngineDefaultParameters: ``IsModifiable``, ``DataType``, ``AllowedValues``, ``ApplyType``) and,
  for memory-sized parameters, against the memory of the instance class;
- the memory of an instance class comes from EC2 DescribeInstanceTypes (``db.`` stripped).

What RDS documents and this follows: formulas are integer arithmetic in braces with ``*`` and ``/`` whose
results are truncated, over the case-sensitive variables ``AllocatedStorage``, ``DBInstanceClassMemory``,
``DBInstanceVCPU``, ``EndPointPort``, ``TrueIfReplica`` and ``DBInstanceClassHugePagesDefault``; functions
``GREATEST``, ``LEAST``, ``SUM``, ``IF`` and ``log`` (base 2) take integers or formulas; formulas are for
integer and boolean parameters. RDS's own ``DBInstanceClassMemory`` is somewhat lower than the class's
memory (the OS and RDS processes take their share): the class memory used here is an upper bound, so a
value it refuses, RDS would never run well with.
"""

import difflib
import math
import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict


class AnsibleRDSError(AnsibleAWSError):
    pass


class RDSErrorHandler(AWSErrorHandler):
    """Calls on things that always exist (engine versions, defaults): nothing is "missing"."""

    _CUSTOM_EXCEPTION = AnsibleRDSError


class RDSParameterGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBParameterGroupNotFound")


class EC2InstanceTypeErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidInstanceType")


# ---------------------------------------------------------------------------------------------
# Engine versions, orderable options, engine defaults
# ---------------------------------------------------------------------------------------------
@RDSErrorHandler.common_error_handler("describe RDS engine versions")
@AWSRetry.jittered_backoff()
def describe_db_engine_versions(client, **params):
    paginator = client.get_paginator("describe_db_engine_versions")
    return paginator.paginate(**params).build_full_result().get("DBEngineVersions", [])


@RDSErrorHandler.common_error_handler("describe orderable RDS instance options")
@AWSRetry.jittered_backoff()
def describe_orderable_db_instance_options(client, **params):
    paginator = client.get_paginator("describe_orderable_db_instance_options")
    return paginator.paginate(**params).build_full_result().get("OrderableDBInstanceOptions", [])


@RDSErrorHandler.common_error_handler("describe RDS engine default parameters")
@AWSRetry.jittered_backoff()
def describe_engine_default_parameters(client, family):
    """The engine-default Parameter entries of a parameter group family, by name."""
    paginator = client.get_paginator("describe_engine_default_parameters")
    result = paginator.paginate(DBParameterGroupFamily=family).build_full_result()
    parameters = (result.get("EngineDefaults") or {}).get("Parameters") or []
    return {p["ParameterName"]: p for p in parameters if p.get("ParameterName")}


# ---------------------------------------------------------------------------------------------
# DB parameter groups
# ---------------------------------------------------------------------------------------------
@RDSParameterGroupErrorHandler.list_error_handler("describe DB parameter group", None)
@AWSRetry.jittered_backoff()
def describe_db_parameter_group(client, name):
    """The DescribeDBParameterGroups entry of group ``name``, None when it does not exist."""
    groups = client.describe_db_parameter_groups(DBParameterGroupName=name).get("DBParameterGroups") or []
    for group in groups:
        if group.get("DBParameterGroupName", "").lower() == name.lower():
            return group
    return None


@RDSParameterGroupErrorHandler.common_error_handler("describe DB parameters")
@AWSRetry.jittered_backoff()
def describe_db_parameters(client, name, source=None):
    """The Parameter entries of a group (``source``: user, engine-default or system), by name."""
    params = {"DBParameterGroupName": name}
    if source:
        params["Source"] = source
    paginator = client.get_paginator("describe_db_parameters")
    parameters = paginator.paginate(**params).build_full_result().get("Parameters") or []
    if source:
        # The Source filter is the API's; entries that carry another Source are not what was asked for.
        parameters = [p for p in parameters if p.get("Source", source) == source]
    return {p["ParameterName"]: p for p in parameters if p.get("ParameterName")}


@RDSParameterGroupErrorHandler.common_error_handler("create DB parameter group")
@AWSRetry.jittered_backoff()
def create_db_parameter_group(client, name, family, description, tags=None):
    params = {"DBParameterGroupName": name, "DBParameterGroupFamily": family, "Description": description}
    if tags:
        params["Tags"] = ansible_dict_to_boto3_tag_list({to_text(k): to_text(v) for k, v in tags.items()})
    return client.create_db_parameter_group(**params)["DBParameterGroup"]


@RDSParameterGroupErrorHandler.common_error_handler("modify DB parameter group")
@AWSRetry.jittered_backoff()
def modify_db_parameter_group(client, name, parameters):
    """ModifyDBParameterGroup with at most MAX_PARAMETERS_PER_CALL Parameter entries."""
    client.modify_db_parameter_group(DBParameterGroupName=name, Parameters=parameters)
    return True


@RDSParameterGroupErrorHandler.common_error_handler("reset DB parameters")
@AWSRetry.jittered_backoff()
def reset_db_parameter_group(client, name, parameters):
    """ResetDBParameterGroup of the listed parameters (ParameterName + ApplyMethod), never all of them."""
    client.reset_db_parameter_group(DBParameterGroupName=name, ResetAllParameters=False, Parameters=parameters)
    return True


@RDSParameterGroupErrorHandler.deletion_error_handler("delete DB parameter group")
@AWSRetry.jittered_backoff()
def delete_db_parameter_group(client, name):
    """DeleteDBParameterGroup; False when it was already gone. InvalidDBParameterGroupState is raised."""
    client.delete_db_parameter_group(DBParameterGroupName=name)
    return True


@RDSErrorHandler.common_error_handler("describe DB instances")
@AWSRetry.jittered_backoff()
def instances_using_parameter_group(client, name):
    """Identifiers of the DB instances whose parameter group is ``name``."""
    paginator = client.get_paginator("describe_db_instances")
    instances = paginator.paginate().build_full_result().get("DBInstances") or []
    return sorted(
        i["DBInstanceIdentifier"]
        for i in instances
        if any(g.get("DBParameterGroupName", "").lower() == name.lower() for g in i.get("DBParameterGroups") or [])
    )


@RDSParameterGroupErrorHandler.common_error_handler("list DB parameter group tags")
@AWSRetry.jittered_backoff()
def list_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceName=arn).get("TagList") or [])


@RDSParameterGroupErrorHandler.common_error_handler("tag DB parameter group")
@AWSRetry.jittered_backoff()
def add_tags(client, arn, tags):
    if not tags:
        return False
    tags = {to_text(k): to_text(v) for k, v in tags.items()}
    client.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@RDSParameterGroupErrorHandler.common_error_handler("untag DB parameter group")
@AWSRetry.jittered_backoff()
def remove_tags(client, arn, keys):
    if not keys:
        return False
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=list(keys))
    return True


# ---------------------------------------------------------------------------------------------
# Instance classes
# ---------------------------------------------------------------------------------------------
INSTANCE_CLASS_RE = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9-]+$")


def instance_class_problem(instance_class):
    """Why ``instance_class`` cannot be an RDS instance class; None when its form is right."""
    if not INSTANCE_CLASS_RE.match(instance_class or ""):
        return (
            f"instance_class {instance_class!r} is invalid: an RDS instance class is db.<type>.<size>, "
            "e.g. db.t3.micro or db.r6g.large"
        )
    return None


@EC2InstanceTypeErrorHandler.list_error_handler("describe EC2 instance types", None)
@AWSRetry.jittered_backoff()
def describe_instance_class(ec2_client, instance_class):
    """EC2's InstanceTypeInfo for an RDS class (``db.t3.micro`` -> ``t3.micro``), None if EC2 knows no such type."""
    instance_type = instance_class[3:] if instance_class.startswith("db.") else instance_class
    found = ec2_client.describe_instance_types(InstanceTypes=[instance_type]).get("InstanceTypes") or []
    return found[0] if found else None


def instance_class_resources(ec2_client, instance_class):
    """{"memory_bytes", "memory_mib", "vcpus"} of an RDS instance class, None if EC2 knows no such type."""
    info = describe_instance_class(ec2_client, instance_class)
    if not info or not (info.get("MemoryInfo") or {}).get("SizeInMiB"):
        return None
    mib = int(info["MemoryInfo"]["SizeInMiB"])
    vcpus = (info.get("VCpuInfo") or {}).get("DefaultVCpus")
    return {"memory_mib": mib, "memory_bytes": mib * 1024 * 1024, "vcpus": int(vcpus) if vcpus else None}


# ---------------------------------------------------------------------------------------------
# Engine versions
# ---------------------------------------------------------------------------------------------
def version_key(version):
    """Sort key of an engine version: numeric parts as numbers ("15.14" after "15.9")."""
    key = []
    for part in re.split(r"[.\-_]", str(version)):
        key.append((1, int(part), "") if part.isdigit() else (0, 0, part))
    return tuple(key)


# ---------------------------------------------------------------------------------------------
# Allowed values
# ---------------------------------------------------------------------------------------------
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_RANGE_RE = re.compile(rf"^({_NUMBER})-({_NUMBER})$")
_NUMBER_RE = re.compile(rf"^{_NUMBER}$")


def _number(text):
    return int(text) if re.match(r"^-?\d+$", text) else float(text)


def parse_allowed_values(text):
    """AllowedValues as a list of ("range", low, high) and ("value", text) items; [] when unconstrained.

    "1-2147483647" -> [("range", 1, 2147483647)]; "-1-2147483647" -> [("range", -1, 2147483647)];
    "0-1.79769e+308" -> [("range", 0, 1.79769e308)];
    "none,ddl,mod,all" -> four values; "0,1-100" -> [("value", "0"), ("range", 1, 100)].
    A text that looks like a regular expression (starts with ^ or ends with $) is [("regex", text)].
    """
    if text is None:
        return []
    text = str(text).strip()
    if not text:
        return []
    if text.startswith("^") or text.endswith("$"):
        return [("regex", text)]
    items = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        match = _RANGE_RE.match(part)
        if match:
            items.append(("range", _number(match.group(1)), _number(match.group(2))))
        else:
            items.append(("value", part))
    return items


def number_allowed(number, items):
    """Whether a number satisfies AllowedValues items (any range or equal value); True when unconstrained."""
    if not items:
        return True
    for item in items:
        if item[0] == "range" and item[1] <= number <= item[2]:
            return True
        if item[0] == "value" and _NUMBER_RE.match(item[1]) and _number(item[1]) == number:
            return True
        if item[0] == "regex":
            return re.fullmatch(item[1].lstrip("^").rstrip("$"), str(number)) is not None
    return False


def text_allowed(value, items):
    """The canonical spelling of ``value`` among AllowedValues items (case-insensitive), None if not allowed."""
    if not items:
        return value
    for item in items:
        if item[0] == "value" and item[1].lower() == value.lower():
            return item[1]
        if item[0] == "regex" and re.fullmatch(item[1].lstrip("^").rstrip("$"), value):
            return value
        if item[0] == "range" and _NUMBER_RE.match(value) and item[1] <= _number(value) <= item[2]:
            return value
    return None


# ---------------------------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------------------------
FORMULA_VARIABLES = (
    "AllocatedStorage",
    "DBInstanceClassMemory",
    "DBInstanceVCPU",
    "EndPointPort",
    "TrueIfReplica",
    "DBInstanceClassHugePagesDefault",
)
FORMULA_FUNCTIONS = ("GREATEST", "LEAST", "SUM", "IF", "log")
_TOKEN_RE = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\$?\{|[}(),*/]))")


class FormulaError(ValueError):
    """A formula RDS would not accept."""


class _Unknown:
    """A value that cannot be computed here (a variable with no value: AllocatedStorage, no class...)."""


UNKNOWN = _Unknown()


def is_formula(value):
    """Whether a parameter value is a formula or function expression rather than a literal."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return "{" in text or re.match(rf"^({'|'.join(FORMULA_FUNCTIONS)})\s*\(", text) is not None


def normalise_formula(value):
    """A formula without whitespace: what comparisons use."""
    return re.sub(r"\s+", "", value)


def _tokens(text):
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            rest = text[pos:].strip()
            if rest[:1] in ("+", "-"):
                raise FormulaError("RDS formulas have only the operators * and / (no + or -)")
            raise FormulaError(f"unexpected {rest[:20]!r}")
        number, name, symbol = match.groups()
        if number is not None:
            tokens.append(("number", int(number)))
        elif name is not None:
            tokens.append(("name", name))
        else:
            tokens.append(("symbol", "{" if symbol.endswith("{") else symbol))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over RDS formula syntax; evaluates as it parses (UNKNOWN propagates)."""

    def __init__(self, text, variables):
        self.tokens = _tokens(text)
        self.pos = 0
        self.variables = variables
        self.braces = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self, symbol=None):
        token = self.peek()
        if token[0] is None:
            raise FormulaError("the formula ends too early" + (f": {symbol!r} expected" if symbol else ""))
        if symbol is not None and token != ("symbol", symbol):
            raise FormulaError(f"{symbol!r} expected, found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self):
        value = self.expression()
        if self.peek()[0] is not None:
            raise FormulaError(f"unexpected {self.peek()[1]!r}")
        return value

    def expression(self):
        value = self.operand()
        while self.peek() in (("symbol", "*"), ("symbol", "/")):
            operator = self.take()[1]
            if not self.braces:
                raise FormulaError("'*' and '/' are only allowed inside braces, e.g. {DBInstanceClassMemory*3/4}")
            right = self.operand()
            value = _arith(operator, value, right)
        return value

    def operand(self):
        kind, token = self.take()
        if kind == "number":
            return token
        if (kind, token) == ("symbol", "{"):
            self.braces += 1
            value = self.expression()
            self.take("}")
            self.braces -= 1
            return value
        if (kind, token) == ("symbol", "(") and self.braces:
            value = self.expression()
            self.take(")")
            return value
        if kind == "name":
            if self.peek() == ("symbol", "("):
                return self.function(token)
            if token not in FORMULA_VARIABLES:
                close = difflib.get_close_matches(token, FORMULA_VARIABLES + FORMULA_FUNCTIONS, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]}?)" if close else ""
                known = ", ".join(FORMULA_VARIABLES)
                raise FormulaError(f"unknown formula variable {token!r}{hint}; RDS formula variables are {known}")
            if not self.braces:
                raise FormulaError(f"formula variables go inside braces: {{{token}}}")
            return self.variables.get(token, UNKNOWN)
        raise FormulaError(f"unexpected {token!r}")

    def function(self, name):
        if name not in FORMULA_FUNCTIONS:
            close = difflib.get_close_matches(name, FORMULA_FUNCTIONS, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise FormulaError(
                f"unknown function {name!r}{hint}; RDS parameter functions are {', '.join(FORMULA_FUNCTIONS)} "
                "(names are case-sensitive)"
            )
        self.take("(")
        args = [self.expression()]
        while self.peek() == ("symbol", ","):
            self.take(",")
            args.append(self.expression())
        self.take(")")
        arity = {"IF": 3, "log": 1}.get(name)
        if arity is not None and len(args) != arity:
            raise FormulaError(f"{name} takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}")
        if name == "IF":
            return UNKNOWN if args[0] is UNKNOWN else (args[1] if args[0] else args[2])
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        if name == "log":
            # RDS's own defaults take log() of quotients that are 0 on small classes
            # (autovacuum_vacuum_cost_limit): what RDS makes of that is not documented.
            return math.log2(args[0]) if args[0] > 0 else UNKNOWN
        return {"GREATEST": max, "LEAST": min, "SUM": sum}[name](args)


def _arith(operator, left, right):
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if operator == "*":
        return math.trunc(left * right)
    if right == 0:
        raise FormulaError("division by zero")
    if isinstance(left, int) and isinstance(right, int):
        quotient = abs(left) // abs(right)
        return quotient if (left >= 0) == (right >= 0) else -quotient
    return math.trunc(left / right)


def evaluate_formula(text, variables=None):
    """The integer value of an RDS formula, UNKNOWN if it needs a variable without a value; FormulaError if invalid.

    ``variables``: values by name (e.g. {"DBInstanceClassMemory": 1073741824, "DBInstanceVCPU": 2}).
    """
    value = _Parser(text, variables or {}).parse()
    if value is UNKNOWN:
        return UNKNOWN
    return math.trunc(value)


# ---------------------------------------------------------------------------------------------
# Parameter values
# ---------------------------------------------------------------------------------------------
# Parameters whose value is an amount of memory, by engine: bytes per unit of the value.
MEMORY_PARAMETERS = {
    "postgres": {"shared_buffers": 8192, "effective_cache_size": 8192, "work_mem": 1024, "maintenance_work_mem": 1024},
    "mysql": {"innodb_buffer_pool_size": 1},
    "mariadb": {"innodb_buffer_pool_size": 1},
}
UNIT_NAMES = {8192: "8kB pages", 1024: "kB", 1: "bytes"}
TRUE_WORDS = ("1", "true", "on", "yes")
FALSE_WORDS = ("0", "false", "off", "no")
MAX_PARAMETERS_PER_CALL = 20


def family_engine(family):
    """The engine of a parameter group family: postgres15 -> postgres, aurora-postgresql15 -> aurora-postgresql."""
    return re.sub(r"[\d.]+$", "", family or "")


def memory_parameters(family):
    engine = family_engine(family)
    for prefix, parameters in MEMORY_PARAMETERS.items():
        if prefix in engine:
            return parameters
    return {}


def _gib(size):
    text = f"{size / 1024**3:.2f}".rstrip("0").rstrip(".")
    return text if text != "0" else f"{size / 1024**3:.4f}".rstrip("0").rstrip(".")


def _allowed_text(meta):
    allowed = meta.get("AllowedValues")
    return f"allowed values are {allowed}" if allowed else "the parameter has no listed allowed values"


def _kind(meta):
    return (meta.get("DataType") or "string").lower()


def _render_boolean(name, value, meta, items, shown):
    word = str(int(value)) if isinstance(value, bool) else to_text(value).strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise ValueError(f"{shown} is invalid: {name} is a boolean (true/false, 1/0); {_allowed_text(meta)}")
    text = "1" if word in TRUE_WORDS else "0"
    if text_allowed(text, items) is None:
        raise ValueError(f"{shown} is invalid: {_allowed_text(meta)}")
    return text, int(text)


def _render_integer(name, value, meta, items, shown):
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"{shown} is invalid: {name} is an integer; {_allowed_text(meta)}")
    text = str(int(value)) if isinstance(value, (int, float)) else to_text(value).strip()
    if not re.match(r"^[+-]?\d+$", text):
        raise ValueError(f"{shown} is invalid: {name} is an integer{_unit_hint(name)}; {_allowed_text(meta)}")
    number = int(text)
    if not number_allowed(number, items):
        raise ValueError(f"{shown} is invalid: {_allowed_text(meta)}")
    return str(number), number


def _render_float(name, value, meta, items, shown):
    if isinstance(value, bool):
        raise ValueError(f"{shown} is invalid: {name} is a number; {_allowed_text(meta)}")
    text = repr(value) if isinstance(value, float) else to_text(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{shown} is invalid: {name} is a number; {_allowed_text(meta)}") from None
    if not math.isfinite(number) or not number_allowed(number, items):
        raise ValueError(f"{shown} is invalid: {_allowed_text(meta)}")
    return text, number


def _render_list(name, value, meta, items, shown):
    elements = value if isinstance(value, (list, tuple)) else to_text(value).split(",")
    elements = [to_text(e).strip() for e in elements]
    if any(not e for e in elements) and len(elements) > 1:
        raise ValueError(f"{shown} is invalid: empty list element; {_allowed_text(meta)}")
    canonical = []
    for element in (e for e in elements if e):
        spelled = text_allowed(element, items)
        if spelled is None:
            raise ValueError(f"{shown} is invalid: {element!r} is not allowed; {_allowed_text(meta)}")
        canonical.append(spelled)
    return ",".join(canonical), None


def _render_text(name, value, meta, items, shown):
    kind = _kind(meta)
    if isinstance(value, (list, tuple)):
        raise ValueError(f"{shown} is invalid: {name} is a {kind}, not a list; {_allowed_text(meta)}")
    if isinstance(value, bool):
        # YAML reads unquoted on/off/yes/no/true/false as booleans: take the spelling the parameter allows.
        words = TRUE_WORDS if value else FALSE_WORDS
        spelled = next((text_allowed(w, items) for w in words if items and text_allowed(w, items) is not None), None)
        if spelled is None:
            raise ValueError(
                f"{shown} is invalid: {name} is a {kind}, and YAML read the value as a boolean (quote it); "
                f"{_allowed_text(meta)}"
            )
        return spelled, None
    text = to_text(value)
    spelled = text_allowed(text.strip(), items)
    if spelled is None:
        raise ValueError(f"{shown} is invalid: {_allowed_text(meta)}")
    return spelled if items else text, None


_RENDERERS = {
    "boolean": _render_boolean,
    "integer": _render_integer,
    "long": _render_integer,
    "float": _render_float,
    "double": _render_float,
    "list": _render_list,
}


def render_value(name, value, meta):
    """The text to send for one wanted value, and its number (None for text); ValueError (message) if invalid."""
    shown = f"parameters.{name}={value}"
    kind = _kind(meta)
    if value is None:
        raise ValueError(
            f"{shown} is invalid: a parameter needs a value; to return it to the engine default leave it out "
            "and set reset_unlisted=true"
        )
    if isinstance(value, dict):
        raise ValueError(f"{shown} is invalid: a value is a string, number or boolean, not a dictionary")
    if is_formula(value):
        if kind not in ("integer", "boolean"):
            raise ValueError(
                f"{shown} is invalid: formulas are only allowed for integer and boolean parameters; "
                f"{name} is a {kind}; {_allowed_text(meta)}"
            )
        return normalise_formula(value), None
    renderer = _RENDERERS.get(kind, _render_text)
    return renderer(name, value, meta, parse_allowed_values(meta.get("AllowedValues")), shown)


def _unit_hint(name):
    for parameters in MEMORY_PARAMETERS.values():
        if name in parameters:
            return f" in {UNIT_NAMES[parameters[name]]}, without a unit suffix"
    return ""


def _comparable_boolean(text):
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return 1
    return 0 if lowered in FALSE_WORDS else text


def _comparable_integer(text):
    return int(text) if re.match(r"^[+-]?\d+$", text) else text


def _comparable_float(text):
    try:
        return float(text)
    except ValueError:
        return text


def _comparable_list(text):
    return tuple(e.strip() for e in text.split(","))


_COMPARABLE = {
    "boolean": _comparable_boolean,
    "integer": _comparable_integer,
    "long": _comparable_integer,
    "float": _comparable_float,
    "double": _comparable_float,
    "list": _comparable_list,
}


def comparable_value(value, meta=None):
    """A parameter value normalised for comparison: formulas without whitespace, numbers as numbers,
    booleans as 0/1, lists as tuples of trimmed elements."""
    if value is None:
        return None
    if is_formula(value):
        return ("formula", normalise_formula(value))
    text = to_text(value).strip() if not isinstance(value, bool) else str(int(value))
    return _COMPARABLE.get(_kind(meta or {}), str)(text)


def _not_settable(name, meta, names, family):
    """Why a parameter cannot be set at all (unknown to the family, or not modifiable), or None."""
    if meta is None:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.7)
        close += [n for n in names if n.lower() == name.lower() and n not in close]
        hint = f"did you mean {' or '.join(close)}?" if close else "no parameter has a similar name"
        return f"parameters.{name} is not a parameter of family {family}; {hint}"
    if meta.get("IsModifiable") is False:
        return (
            f"parameters.{name} cannot be set: RDS does not allow modifying it in family {family} "
            f"(IsModifiable false; its value is {meta.get('ParameterValue') or 'chosen by RDS'})"
        )
    return None


def _formula_number(name, value, text, meta, variables, instance_class):
    """(the number a formula comes to, None when unknown; an error or None)."""
    try:
        number = evaluate_formula(text, variables)
    except FormulaError as e:
        return None, f"parameters.{name}={value} is invalid: {e}"
    if number is UNKNOWN:
        return None, None
    if _kind(meta) != "boolean" and not number_allowed(number, parse_allowed_values(meta.get("AllowedValues"))):
        return None, f"parameters.{name}={value} is invalid: it is {number} on {instance_class}; {_allowed_text(meta)}"
    return number, None


def _memory_error(name, value, text, number, meta, unit, memory, instance_class):
    """The error of a memory-sized parameter larger than the class's memory, or None."""
    if number * unit <= memory:
        return None
    shown = f"{value} = {number}" if is_formula(text) else f"{value}"
    default = meta.get("ParameterValue")
    return (
        f"parameters.{name}={shown} ({_gib(number * unit)} GiB) exceeds the memory of {instance_class} "
        f"({_gib(memory)} GiB): at most {memory // unit} ({UNIT_NAMES[unit]})"
        + (f"; the RDS default is {default}" if default else "")
    )


def _class_variables(resources):
    """The formula variables the class gives (its memory, its vCPUs)."""
    variables = {}
    if resources:
        variables["DBInstanceClassMemory"] = resources["memory_bytes"]
        if resources.get("vcpus"):
            variables["DBInstanceVCPU"] = resources["vcpus"]
    return variables


def _check_parameter(name, value, meta, context):
    """(the text to send, or None; the error, or None) of one wanted parameter."""
    family, names, variables, instance_class = (
        context["family"],
        context["names"],
        context["variables"],
        context["class"],
    )
    error = _not_settable(name, meta, names, family)
    if error:
        return None, error
    try:
        text, number = render_value(name, value, meta)
    except ValueError as e:
        return None, str(e)
    if number is None and is_formula(text):
        number, error = _formula_number(name, value, text, meta, variables, instance_class)
        if error:
            return None, error
    unit, resources = context["memory_units"].get(name), context["resources"]
    if unit and number is not None and resources:
        error = _memory_error(name, value, text, number, meta, unit, resources["memory_bytes"], instance_class)
        if error:
            return None, error
    return text, None


def validate_parameters(parameters, defaults, family, instance_class=None, resources=None):
    """Check wanted parameters against the family's engine defaults (and the class memory).

    Returns (rendered, errors, notes): rendered {name: text to send}, errors a list of messages (empty when
    every value is valid), notes a list of warnings (checks that could not be made).
    ``resources`` is instance_class_resources() of ``instance_class`` (None without a class).
    """
    rendered, errors, notes = {}, [], []
    context = {
        "family": family,
        "names": sorted(defaults),
        "variables": _class_variables(resources),
        "class": instance_class,
        "resources": resources,
        "memory_units": memory_parameters(family),
    }
    for key in sorted(parameters or {}, key=str):
        name = to_text(key)
        text, error = _check_parameter(name, parameters[key], defaults.get(name), context)
        if error:
            errors.append(error)
            continue
        if context["memory_units"].get(name) and not resources and name not in notes:
            notes.append(name)
        rendered[name] = text
    return rendered, errors, notes


def apply_method(meta):
    """The ApplyMethod for a parameter: immediate for dynamic ones, pending-reboot for static ones."""
    return "pending-reboot" if (meta or {}).get("ApplyType", "").lower() == "static" else "immediate"


def batches(items, size=MAX_PARAMETERS_PER_CALL):
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]
