"""Each quality-scale rule marked done that leaves a mark in the code has it.

A rule's status in quality_scale.yaml is a claim; where the claim can be checked
mechanically, it is checked here, so a rule marked done that is not done fails.
"""

from collections.abc import Callable
import json
from pathlib import Path
import tomllib

import pytest
import yaml

from custom_components.deepseek_balance import config_flow

COMPONENT = Path(config_flow.__file__).parent
ROOT = COMPONENT.parent.parent
PLATFORMS = ("sensor", "binary_sensor", "event")


def code(module: str) -> str:
    return (COMPONENT / f"{module}.py").read_text(encoding="utf-8")


def every_module() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8") for path in COMPONENT.glob("*.py")
    )


def manifest() -> dict[str, object]:
    return json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))


def readme_has(*headings: str) -> Callable[[], bool]:
    def check() -> bool:
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        return all(heading in readme for heading in headings)

    return check


def strict_mypy() -> bool:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_script = (ROOT / "scripts/test").read_text(encoding="utf-8")
    return pyproject["tool"]["mypy"]["strict"] and "mypy --strict" in test_script


def coverage_floor() -> bool:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["coverage"]["report"]["fail_under"] >= 95


CHECKS: dict[str, Callable[[], bool]] = {
    # Bronze
    "appropriate-polling": lambda: "update_interval=" in code("coordinator"),
    "brands": (COMPONENT / "brand" / "icon.png").is_file,
    "common-modules": lambda: all(
        (COMPONENT / f"{name}.py").is_file() for name in ("coordinator", "entity")
    ),
    "config-flow": lambda: (
        manifest()["config_flow"] is True
        and "class DeepSeekConfigFlow(ConfigFlow" in code("config_flow")
    ),
    "config-flow-test-coverage": lambda: (
        "config_flow.py' --fail-under=100"
        in (ROOT / "scripts/test").read_text(encoding="utf-8")
    ),
    "dependency-transparency": lambda: manifest()["requirements"] == [],
    "docs-high-level-description": readme_has("# DeepSeek Balance"),
    "docs-installation-instructions": readme_has("## Installation"),
    "docs-removal-instructions": readme_has("## Removal"),
    # The event entity fires from coordinator updates it subscribes to when added.
    "entity-event-setup": lambda: (
        "async def async_added_to_hass" in code("event")
        and "async_dispatcher_connect" not in every_module()
    ),
    "entity-unique-id": lambda: "self._attr_unique_id =" in code("entity"),
    "has-entity-name": lambda: "_attr_has_entity_name = True" in code("entity"),
    "runtime-data": lambda: (
        "entry.runtime_data = coordinator" in code("__init__")
        and "ConfigEntry[DeepSeekCoordinator]" in code("coordinator")
    ),
    "test-before-configure": lambda: "await client.balance()" in code("config_flow"),
    "test-before-setup": lambda: (
        "async_config_entry_first_refresh()" in code("__init__")
    ),
    "unique-config-entry": lambda: "_async_abort_entries_match" in code("config_flow"),
    # Silver
    "config-entry-unloading": lambda: (
        "async def async_unload_entry" in code("__init__")
    ),
    "docs-configuration-parameters": readme_has("### Options"),
    "docs-installation-parameters": readme_has("## Setup", "| API key |"),
    "entity-unavailable": lambda: "CoordinatorEntity" in code("entity"),
    "integration-owner": lambda: bool(manifest()["codeowners"]),
    "log-when-unavailable": lambda: "DataUpdateCoordinator" in code("coordinator"),
    "parallel-updates": lambda: all(
        "PARALLEL_UPDATES = " in code(platform) for platform in PLATFORMS
    ),
    "reauthentication-flow": lambda: (
        "async def async_step_reauth(" in code("config_flow")
    ),
    "test-coverage": coverage_floor,
    # Gold
    "devices": lambda: "DeviceInfo(" in code("entity"),
    "diagnostics": lambda: (
        "async_redact_data" in code("diagnostics")
        and "TO_REDACT = {CONF_API_KEY}" in code("diagnostics")
    ),
    "docs-data-update": readme_has("## How the data is updated"),
    "docs-examples": readme_has("## Examples"),
    "docs-known-limitations": readme_has("## Known limitations"),
    "docs-supported-functions": readme_has("## Entities"),
    "docs-troubleshooting": readme_has("## Troubleshooting"),
    "docs-use-cases": readme_has("Use cases:"),
    "entity-category": lambda: "entity_category=EntityCategory." in every_module(),
    "entity-device-class": lambda: "device_class=" in every_module(),
    "entity-disabled-by-default": lambda: (
        "entity_registry_enabled_default=False" in every_module()
    ),
    "entity-translations": lambda: all(
        "translation_key=" in code(platform) for platform in PLATFORMS
    ),
    "exception-translations": lambda: (
        "translation_domain" in code("coordinator")
        and "translation_domain=DOMAIN" in code("__init__")
    ),
    "icon-translations": (COMPONENT / "icons.json").is_file,
    "reconfiguration-flow": lambda: (
        "async def async_step_reconfigure(" in code("config_flow")
    ),
    "repair-issues": lambda: "ir.async_create_issue(" in every_module(),
    # Platinum
    "async-dependency": lambda: (
        "import aiohttp" in code("api") and "import requests" not in every_module()
    ),
    "inject-websession": lambda: (
        "session: aiohttp.ClientSession" in code("api")
        and "async_get_clientsession(hass)" in code("__init__")
    ),
    "strict-typing": strict_mypy,
}


def rules() -> dict[str, object]:
    quality_scale = (COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8")
    rules: dict[str, object] = yaml.safe_load(quality_scale)["rules"]
    return rules


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_a_rule_marked_done_is_done(rule: str) -> None:
    assert rules()[rule] == "done"
    assert CHECKS[rule](), f"{rule} is marked done, but its mark is not in the code"


def test_every_rule_done_is_checked() -> None:
    """A done rule without a check here would be a claim nobody verifies."""
    done = {rule for rule, status in rules().items() if status == "done"}

    assert done - CHECKS.keys() == set()
