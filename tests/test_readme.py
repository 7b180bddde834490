"""The README tells a newcomer what is true: entities, buttons, commands, the key."""

import json
from pathlib import Path
import re
import socket
import subprocess
import sys
import time

from custom_components.deepseek_balance import config_flow
from deepseek_simulator import DEFAULT_API_KEY, Scenario

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
COMPONENT = Path(config_flow.__file__).parent


def section(title: str, document: str = README) -> str:
    start = document.index(f"\n## {title}\n")
    end = document.find("\n## ", start + 1)
    return document[start:end]


def tables(text: str) -> list[list[list[str]]]:
    """Each Markdown table: its rows, each a list of cells; a blank line ends one."""
    found: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                found.append(current)
            current.append([cell.strip() for cell in line.strip("|").split("|")])
        else:
            current = None
    return found


def test_the_entities_table_is_one_table_naming_every_entity_and_when() -> None:
    (table,) = tables(section("Entities"))
    header, _, *rows = table
    assert header == ["entity", "appears", "meaning"]
    names = {
        name.strip()
        for entity, _, _ in rows
        for name in re.sub(r"\s*\((?:CNY|event|diagnostic)\)", "", entity).split("/")
    }
    english = json.loads((COMPONENT / "translations/en.json").read_text())
    translated = {
        entity["name"].replace(" ({currency})", "")
        for platform in english["entity"].values()
        for entity in platform.values()
    }

    assert names == translated
    assert all(appears for _, appears, _ in rows)


def test_develop_options_are_documented() -> None:
    usage = subprocess.run(  # noqa: S603
        [ROOT / "scripts/develop", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    options = set(re.findall(r"--[a-z-]+", usage)) - {"--help"}

    assert options == {"--demo", "--port", "--simulator-port", "--config"}
    development = section("Development", CONTRIBUTING)
    assert all(f"`{option}`" in development for option in options)


def test_the_simulators_key_is_named() -> None:
    assert f"`{DEFAULT_API_KEY}`" in section("Development", CONTRIBUTING)


def test_the_simulator_prints_the_key_it_accepts(socket_enabled: None) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    simulator = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "deepseek_simulator", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert simulator.stdout is not None
        first_line = simulator.stdout.readline()
    finally:
        simulator.terminate()
        simulator.wait(10)

    assert first_line.strip() == (
        f"DeepSeek simulator on http://127.0.0.1:{port}, accepting the API key "
        f"{DEFAULT_API_KEY}"
    )


def test_every_simulator_scenario_is_named() -> None:
    contributing = section("Contributing", CONTRIBUTING)

    unnamed = [
        s for s in Scenario if s is not Scenario.NORMAL and f"`{s}`" not in contributing
    ]

    assert unnamed == []


def test_the_readme_is_for_users_and_names_the_two_commands() -> None:
    """Contributors' material is in CONTRIBUTING.md, linked from the README."""
    development = section("Development")

    assert "scripts/setup" in development
    assert "scripts/test" in development
    assert "(CONTRIBUTING.md)" in development
    for contributors_only in (
        "uv.lock",
        "_simulator/state",
        "scripts/bench",
        "scripts/release",
    ):
        assert contributors_only not in README, contributors_only
        assert contributors_only in CONTRIBUTING, contributors_only


def test_bench_help_says_what_it_does_and_runs_nothing() -> None:
    started = time.monotonic()
    usage = subprocess.run(  # noqa: S603
        [ROOT / "scripts/bench", "--help"], capture_output=True, text=True, check=True
    ).stdout

    assert time.monotonic() - started < 5  # a benchmark takes minutes
    assert "## The client" not in usage
    options = set(re.findall(r"--[a-z-]+", usage)) - {"--help"}
    assert options == {
        "--quick",
        "--polls",
        "--latency",
        "--profile-polls",
        "--competitor",
    }
