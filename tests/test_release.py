"""scripts/release builds the zip HACS and the Marketplace install, or refuses.

The script runs for real, as the release workflow runs it: in this checkout, and in
throwaway repositories in tmp_path made of this checkout's release files.
"""

import hashlib
import io
import json
import os
from pathlib import Path
import shutil
import subprocess
import zipfile

import pytest

ROOT = Path(__file__).parent.parent
COMPONENT = "custom_components/deepseek_balance"
# What a release reads: the script itself, hacs.json, the changelog, the component.
RELEASE_FILES = ("scripts/release", "scripts/release.py", "hacs.json", "CHANGELOG.md")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def release(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [repo / "scripts/release", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def build(repo: Path, out: Path, *args: str) -> bytes:
    ran = release(repo, "--out", str(out), *args)
    assert ran.returncode == 0, ran.stderr
    return (out / "deepseek_balance.zip").read_bytes()


def tracked(repo: Path, revision: str | None = None) -> set[str]:
    if revision is None:
        listing = git(repo, "ls-files", "-z", "--", COMPONENT)
    else:
        listing = git(repo, "ls-tree", "-r", "-z", "--name-only", revision, COMPONENT)
    return {path.removeprefix(f"{COMPONENT}/") for path in listing.split("\0") if path}


def assert_refused(repo: Path, out: Path, *args: str) -> str:
    """It exits non-zero with one line on stderr, and writes nothing."""
    ran = release(repo, "--out", str(out), *args)

    assert ran.returncode != 0
    assert ran.stdout == ""
    assert len(ran.stderr.strip().splitlines()) == 1, ran.stderr
    assert not out.exists()
    return ran.stderr


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A repository of one commit: this checkout's release files as they are now."""
    repo = tmp_path / "repo"
    for path in [*RELEASE_FILES, *(f"{COMPONENT}/{name}" for name in tracked(ROOT))]:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, repo / path)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(
        repo,
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.invalid",
        "commit",
        "-q",
        "-m",
        "copy",
    )
    return repo


def newest_release(repo: Path) -> str:
    """The version of the changelog's first entry."""
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    return changelog.split("\n## [", 1)[1].split("]", 1)[0]


def test_the_zip_holds_the_tracked_component_files_at_its_root(
    tmp_path: Path,
) -> None:
    version = newest_release(ROOT)
    archive = zipfile.ZipFile(io.BytesIO(build(ROOT, tmp_path, "--tag", f"v{version}")))
    names = archive.namelist()
    manifest = json.loads(archive.read("manifest.json"))

    assert manifest["domain"] == "deepseek_balance"
    assert manifest["version"] == version
    assert set(names) == tracked(ROOT)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert not [name for name in names if name.endswith("/") or "__pycache__" in name]
    assert "brand/icon.png" in names
    assert not [name for name in names if name.startswith("custom_components/")]
    for name in names:
        assert archive.read(name) == (ROOT / COMPONENT / name).read_bytes(), name
        info = archive.getinfo(name)
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_the_release_notes_are_the_changelog_entry(tmp_path: Path) -> None:
    ran = release(ROOT, "--out", str(tmp_path))
    notes = (tmp_path / "release-notes.md").read_text(encoding="utf-8")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = newest_release(ROOT)

    assert ran.returncode == 0, ran.stderr
    assert notes.strip()
    assert "## [" not in notes
    assert f"## [{version}] - " in changelog
    assert notes.strip() in changelog.split(f"## [{version}] - ")[1]
    digest = hashlib.sha256((tmp_path / "deepseek_balance.zip").read_bytes())
    assert digest.hexdigest() in ran.stdout
    assert str(tmp_path / "deepseek_balance.zip") in ran.stdout


def test_the_same_tree_gives_the_same_bytes(tmp_path: Path, copy: Path) -> None:
    first = build(ROOT, tmp_path / "first")
    # Another checkout of the same files, with other times on them.
    elsewhere = build(copy, tmp_path / "elsewhere")
    os.utime(copy / COMPONENT / "sensor.py", (1_000_000_000, 1_000_000_000))
    (copy / COMPONENT / "sensor.py").chmod(0o755)
    touched = build(copy, tmp_path / "touched")
    from_history = build(copy, tmp_path / "history", "--ref", "HEAD")

    assert first == elsewhere == touched == from_history


def test_untracked_files_stay_out(tmp_path: Path, copy: Path) -> None:
    (copy / COMPONENT / "__pycache__").mkdir()
    (copy / COMPONENT / "__pycache__/sensor.cpython-314.pyc").write_bytes(b"\0")
    (copy / COMPONENT / "notes.txt").write_text("not released\n")
    (copy / "__pycache__").mkdir()

    names = zipfile.ZipFile(io.BytesIO(build(copy, tmp_path))).namelist()

    assert set(names) == tracked(copy)


def test_an_old_release_is_rebuilt_from_history(tmp_path: Path) -> None:
    commit = git(
        ROOT, "log", "-1", "--format=%H", "-S## [0.2.0]", "--", "CHANGELOG.md"
    ).strip()
    assert commit, "the history is needed: a clone without --depth"

    ran = release(ROOT, "--out", str(tmp_path), "--ref", commit, "--tag", "v0.2.0")
    archive = zipfile.ZipFile(tmp_path / "deepseek_balance.zip")
    notes = (tmp_path / "release-notes.md").read_text(encoding="utf-8")

    assert ran.returncode == 0, ran.stderr
    assert json.loads(archive.read("manifest.json"))["version"] == "0.2.0"
    assert set(archive.namelist()) == tracked(ROOT, commit)
    assert "`DEEPSEEK_BASE_URL`" in notes  # 0.2.0's entry
    assert "The first release" not in notes  # 0.1.0's


def test_a_tag_that_is_not_the_version_is_refused(tmp_path: Path) -> None:
    stderr = assert_refused(ROOT, tmp_path / "out", "--tag", "v9.9.9")

    assert "v9.9.9" in stderr


def test_a_manifest_the_changelog_disagrees_with_is_refused(
    tmp_path: Path, copy: Path
) -> None:
    version = newest_release(copy)
    manifest = copy / COMPONENT / "manifest.json"
    manifest.write_text(manifest.read_text().replace(f'"{version}"', '"9.9.9"'))

    stderr = assert_refused(copy, tmp_path / "out")

    assert "9.9.9" in stderr
    assert version in stderr


def test_an_unreleased_entry_on_top_is_refused(tmp_path: Path, copy: Path) -> None:
    changelog = copy / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    newest = f"## [{newest_release(copy)}]"
    changelog.write_text(
        text.replace(newest, f"## [Unreleased]\n\n- More.\n\n{newest}", 1),
        encoding="utf-8",
    )

    stderr = assert_refused(copy, tmp_path / "out")

    assert "Unreleased" in stderr


def test_help_says_what_it_does(tmp_path: Path) -> None:
    ran = release(ROOT, "--help")

    assert ran.returncode == 0
    for option in ("--out", "--tag", "--ref"):
        assert option in ran.stdout
    assert "hacs.json" in ran.stdout
    assert "CHANGELOG.md" in ran.stdout
