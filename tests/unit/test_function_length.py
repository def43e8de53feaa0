"""tests/sanity/function_length.py: no function in plugins/ over 60 lines (ast), and the check finds them."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "sanity" / "function_length.py"
spec = importlib.util.spec_from_file_location("function_length", SCRIPT)
function_length = importlib.util.module_from_spec(spec)
spec.loader.exec_module(function_length)


def _function(name, body_lines, indent=""):
    body = "".join(f"{indent}    x = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}():\n{body}"


def test_a_function_over_the_limit_is_found_with_its_length_and_place():
    source = _function("short", 59) + _function("long", 60) + "class Thing:\n" + _function("method", 61, "    ")
    found = function_length.long_functions(source, "x.py")
    assert sorted(found) == [(61, "x.py", "long", 61), (62, "x.py", "Thing.method", 123)]


def test_nested_functions_are_counted_on_their_own():
    source = "def outer():\n" + _function("inner", 70, "    ") + "    return inner\n"
    found = function_length.long_functions(source, "x.py")
    assert [(name, lines) for lines, _path, name, _line in found] == [("outer", 73), ("outer.inner", 71)]


def test_no_function_in_plugins_is_over_60_lines():
    found = function_length.plugin_functions_over_limit()
    assert found == [], "\n".join(f"{path}:{line}: {name} is {lines} lines" for lines, path, name, line in found)
