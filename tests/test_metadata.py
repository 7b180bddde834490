"""The files HACS and Home Assistant read: manifest, hacs.json, quality scale."""

import ast
import json
from pathlib import Path
import re
import tomllib

import homeassistant
from PIL import Image
import yaml

ROOT = Path(__file__).parent.parent
COMPONENT = ROOT / "custom_components" / "deepseek_balance"
CORE_PLATINUM_EXAMPLES = ("nextdns", "imgw_pib")


def test_manifest_keys_are_in_hassfest_order() -> None:
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    keys = list(manifest)

    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == COMPONENT.name
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["config_flow"] is True
    assert manifest["requirements"] == []
    assert {"codeowners", "documentation", "issue_tracker", "version"} <= set(keys)


def test_hacs_json_uses_only_keys_hacs_accepts() -> None:
    accepted = {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "hacs",
        "persistent_directory",
        "render_readme",
    }
    hacs = json.loads((ROOT / "hacs.json").read_text())

    assert set(hacs) <= accepted
    assert hacs["name"] == "DeepSeek Balance"


def test_quality_scale_names_every_rule_and_how_it_is_met() -> None:
    """The rule list comes from core's own Platinum integrations in this release.

    Every rule says how it is met or why it does not apply; each test and README
    text it names exists, so a claim cannot outlive its proof.
    """
    core = Path(homeassistant.__file__).parent / "components"
    all_rules = {
        rule
        for name in CORE_PLATINUM_EXAMPLES
        for rule in yaml.safe_load((core / name / "quality_scale.yaml").read_text())[
            "rules"
        ]
    }
    ours = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())["rules"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert len(all_rules) >= 50
    # Newer releases add rules: ours must cover every rule of the running one.
    assert set(ours) >= all_rules, all_rules - set(ours)
    for rule, status in ours.items():
        assert status["status"] in ("done", "exempt"), rule
        comment = status["comment"]
        for path, name in re.findall(r"(tests/[\w/]+\.py)::(\w+)", comment):
            assert name in _test_names(ROOT / path), f"{rule}: {path}::{name}"
        for text in re.findall(r'README "([^"]+)"', comment):
            assert text in readme, f"{rule}: README {text!r}"


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_brand_icons_are_square_pngs_of_the_right_size() -> None:
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        with Image.open(COMPONENT / "brand" / name) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)


def test_manifest_changelog_hacs_and_project_name_one_release() -> None:
    """The manifest's version is the changelog's newest, and HACS installs its zip.

    tests/test_release.py builds that zip; here, the release workflow builds it with
    scripts/release and attaches the file hacs.json names.
    """
    version = json.loads((COMPONENT / "manifest.json").read_text())["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(
        r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE
    )
    hacs = json.loads((ROOT / "hacs.json").read_text())
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    steps = workflow["jobs"]["release"]["steps"]
    runs = [step["run"].split() for step in steps if "run" in step]
    (upload,) = [
        step["with"] for step in steps if "action-gh-release" in step.get("uses", "")
    ]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert releases[0] == version == project["version"]
    assert f"[{version}]: " in changelog  # its link at the foot
    assert hacs["zip_release"] is True
    assert [run[:3] for run in runs] == [["scripts/release", "--out", "dist"]]
    assert upload["files"] == f"dist/{hacs['filename']}"
    assert upload["body_path"] == "dist/release-notes.md"
