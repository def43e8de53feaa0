#!/usr/bin/env python
"""No function or method in plugins/ is longer than MAX_LINES (computed with ast: end_lineno - lineno + 1,
decorators not counted). A longer one is split into named steps, or its data made a table.

python tests/sanity/function_length.py   exit 1 listing every function over the limit, longest first
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 60
# (path, function) -> why it may stay longer for now. Kept short: each entry is a debt, named.
# (path, function) -> why it may stay longer; none today.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def long_functions(source, path, max_lines=MAX_LINES):
    """[(lines, path, qualified name, first line)] of the functions of ``source`` longer than ``max_lines``."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    lines = child.end_lineno - child.lineno + 1
                    if lines > max_lines:
                        found.append((lines, path, name, child.lineno))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename=path), "")
    return found


def plugin_functions_over_limit(root=ROOT):
    found = []
    for path in sorted((root / "plugins").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        found += [f for f in long_functions(path.read_text(), relative) if (relative, f[2]) not in EXCEPTIONS]
    return sorted(found, reverse=True)


def main():
    found = plugin_functions_over_limit()
    for lines, path, name, first in found:
        print(f"{path}:{first}: {name} is {lines} lines (at most {MAX_LINES}): split it into named steps")
    if found:
        print(f"function_length: {len(found)} functions over {MAX_LINES} lines")
        return 1
    print(f"function_length: no function in plugins/ over {MAX_LINES} lines ({len(EXCEPTIONS)} excepted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
