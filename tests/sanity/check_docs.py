#!/usr/bin/env python
"""ansible-test validate-modules, the parts we can run offline.

For every module in plugins/modules and plugin in plugins/filter, plugins/callback and plugins/lookup:
- ansible-doc renders it (text and --json);
- DOCUMENTATION is present; for modules and filters EXAMPLES and RETURN too, and valid YAML, EXAMPLES are valid
  YAML tasks;
- for modules, every documented option (fragments excluded) matches the argument_spec exactly
  in type, default, choices, required, aliases and elements, and nothing undocumented is accepted;
- supports_check_mode is set.
Exit 1 listing every mismatch.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))
COLLECTION = "payments.infra"
ANSIBLE_DOC = Path(sys.executable).parent / "ansible-doc"


class Captured(Exception):
    def __init__(self, kwargs):
        super().__init__("captured")
        self.kwargs = kwargs


def module_spec(name):
    from ansible.module_utils import basic
    from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

    module = __import__(f"ansible_collections.payments.infra.plugins.modules.{name}", fromlist=["main"])

    def capture(self, **kwargs):
        raise Captured(kwargs)

    with (
        mock.patch.object(aws_modules.AnsibleAWSModule, "__init__", capture),
        mock.patch.object(basic.AnsibleModule, "__init__", capture),
    ):
        try:
            module.main()
        except Captured as done:
            return module, done.kwargs
    raise AssertionError(f"{name}: main() never built an AnsibleAWSModule or AnsibleModule")


def compare(name, doc_options, spec, errors, path=""):
    for key, option in doc_options.items():
        where = f"{name}: option {path}{key}"
        if key not in spec:
            if option.get("_fragment"):
                continue
            errors.append(f"{where} is documented but not in argument_spec")
            continue
        arg = spec[key]
        checks = {
            "type": (option.get("type", "str"), arg.get("type", "str")),
            "default": (option.get("default"), arg.get("default")),
            "choices": (option.get("choices"), arg.get("choices")),
            "required": (bool(option.get("required", False)), bool(arg.get("required", False))),
            "aliases": (sorted(option.get("aliases", [])), sorted(arg.get("aliases", []))),
            "elements": (option.get("elements"), arg.get("elements")),
        }
        for field, (documented, actual) in checks.items():
            if documented != actual:
                errors.append(f"{where}: {field} documented {documented!r} but argument_spec has {actual!r}")
        # ansible-doc calls nested options "suboptions"; argument_spec calls them "options".
        documented_nested = option.get("suboptions", option.get("options"))
        if documented_nested is not None or "options" in arg:
            compare(name, documented_nested or {}, arg.get("options") or {}, errors, f"{path}{key}.")
    for key in spec:
        if key not in doc_options:
            errors.append(f"{name}: option {path}{key} is in argument_spec but not documented")


def main():
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    errors = []
    plugins = {"module": sorted(p.stem for p in (ROOT / "plugins/modules").glob("*.py") if p.stem != "__init__")}
    filters = []
    for path in (ROOT / "plugins/filter").glob("*.py"):
        filter_module = __import__(f"ansible_collections.payments.infra.plugins.filter.{path.stem}", fromlist=["x"])
        filters += list(filter_module.FilterModule().filters())
    plugins["filter"] = sorted(filters)
    plugins["callback"] = sorted(p.stem for p in (ROOT / "plugins/callback").glob("*.py"))
    plugins["lookup"] = sorted(p.stem for p in (ROOT / "plugins/lookup").glob("*.py"))

    for kind, names in plugins.items():
        fqcns = [f"{COLLECTION}.{n}" for n in names]
        text = subprocess.run([ANSIBLE_DOC, "-t", kind, *fqcns], env=env, capture_output=True, text=True, check=False)
        if text.returncode != 0 or "ERROR" in text.stderr:
            errors.append(f"ansible-doc -t {kind} failed: {text.stderr.strip()}")
        rendered = subprocess.run(
            [ANSIBLE_DOC, "-t", kind, "--json", *fqcns], env=env, capture_output=True, text=True, check=False
        )
        docs = json.loads(rendered.stdout or "{}")
        for name, fqcn in zip(names, fqcns, strict=True):
            entry = docs.get(fqcn)
            if not entry or not entry.get("doc"):
                errors.append(f"{fqcn}: ansible-doc --json returned no documentation")
                continue
            for part in ("examples", "return") if kind in ("module", "filter", "lookup") else ():
                if not entry.get(part):
                    errors.append(f"{fqcn}: no {part.upper()}")
            if entry.get("examples"):
                examples = yaml.safe_load(entry["examples"])
                if kind == "module" and not (isinstance(examples, list) and all(isinstance(t, dict) for t in examples)):
                    errors.append(f"{fqcn}: EXAMPLES is not a YAML list of tasks")
            if kind != "module":
                continue
            _, kwargs = module_spec(name)
            if not kwargs.get("supports_check_mode"):
                errors.append(f"{fqcn}: supports_check_mode is not set")
            own = {
                k: v
                for k, v in entry["doc"].get("options", {}).items()
                if k in kwargs["argument_spec"] or not is_fragment_option(k)
            }
            compare(fqcn, own, kwargs["argument_spec"], errors)
    for error in errors:
        print(error)
    print(f"check_docs: {sum(len(v) for v in plugins.values())} plugins, {len(errors)} problems")
    return 1 if errors else 0


FRAGMENT_OPTIONS = {
    "access_key",
    "secret_key",
    "session_token",
    "profile",
    "endpoint_url",
    "aws_ca_bundle",
    "validate_certs",
    "aws_config",
    "debug_botocore_endpoint_logs",
    "region",
}


def is_fragment_option(key):
    return key in FRAGMENT_OPTIONS


if __name__ == "__main__":
    sys.exit(main())
