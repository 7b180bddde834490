"""The modules that make sense of DeepSeek's answers run without Home Assistant."""

import ast
from pathlib import Path

import pytest

from custom_components.deepseek_balance import config_flow

COMPONENT = Path(config_flow.__file__).parent
WITHOUT_HOME_ASSISTANT = [
    "api",
    "activity",
    "history",
    "account",
    "const",
]


def imports(module: str) -> set[str]:
    """What a module of the integration imports: absolute names, or ``.name``."""
    tree = ast.parse((COMPONENT / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


@pytest.mark.parametrize("module", WITHOUT_HOME_ASSISTANT)
def test_the_data_path_imports_no_home_assistant(module: str) -> None:
    """Directly or through a sibling module."""
    seen, todo = set(), [module]
    while todo:
        seen.add(current := todo.pop())
        names = imports(current)
        assert not [name for name in names if name.startswith("homeassistant")], current
        todo += [
            name[1:] for name in names if name.startswith(".") and name[1:] not in seen
        ]
