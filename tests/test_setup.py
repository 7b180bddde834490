"""What ``scripts/setup`` decides on a fresh machine, with stand-ins on PATH.

Each test copies the scripts into a temporary project and runs them with a PATH of
their own: the shell tools they use, and stand-ins for python3.14, uv, pip, curl,
Chromium and the package managers that record what they were asked and download
nothing.
"""

from dataclasses import dataclass
from pathlib import Path
import shutil
import subprocess

import pytest

ROOT = Path(__file__).parent.parent
SCRIPTS = ("setup", "uv", "find-chromium")
SHELL_TOOLS = ("bash", "dirname", "id")
WANTED = ">=3.14.2,<3.15"
DOWNLOAD_REFUSED = (
    "error: Failed to download https://github.com/astral-sh/python-build-standalone/"
    "releases/download/20261110/cpython-3.14.10.tar.gz\n"
    "  cause: failed to lookup address information: Name or service not known"
)


def stand_in(path: Path, body: str) -> Path:
    """An executable script that records nothing of the real machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/bash\nPATH=/usr/bin:/bin\n{body}\n")
    path.chmod(0o755)
    return path


def python_stand_in(path: Path, version: str) -> Path:
    """A Python that knows its version, and no module (no pip, no uv)."""
    recent = tuple(int(part) for part in version.split(".")) >= (3, 14, 2)
    return stand_in(
        path,
        f"""case "$1" in
  --version) echo "Python {version}" ;;
  -c) case "$2" in
        *version_info*) exit {0 if recent else 1} ;;
        *homeassistant*) echo 2026.0.0 ;;
      esac ;;
  *) exit 1 ;;
esac""",
    )


@dataclass
class Machine:
    """A project copy, a PATH of stand-ins and the log of what uv was asked."""

    project: Path
    bin: Path
    home: Path
    uv_log: Path
    managed_python: Path

    def run(self, script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run one of the copied scripts on this machine's PATH and home."""
        return subprocess.run(  # noqa: S603
            [self.project / "scripts" / script, *arguments],
            env={"PATH": str(self.bin), "HOME": str(self.home)},
            capture_output=True,
            text=True,
            check=False,
        )

    @property
    def uv_calls(self) -> list[str]:
        """Each command line uv was given, in order."""
        return self.uv_log.read_text().splitlines() if self.uv_log.exists() else []

    def python_on_path(self, version: str) -> Path:
        """Put a python3.14 of this version on PATH."""
        return python_stand_in(self.bin / "python3.14", version)

    def uv(self, *, download: bool) -> None:
        """A uv whose ``python install`` works (it "downloads") or is refused."""
        install = (
            f'ln -s "{self.home / "stand-in-python"}" "{self.managed_python}"'
            if download
            else f"echo '{DOWNLOAD_REFUSED}' >&2; exit 2"
        )
        python_stand_in(self.home / "stand-in-python", "3.14.10")
        self.managed_python.parent.mkdir(parents=True)
        stand_in(
            self.bin / "uv",
            f"""echo "$*" >> "{self.uv_log}"
environment() {{
  mkdir -p "$1/bin" && ln -sf "{self.home / "stand-in-python"}" "$1/bin/python"
}}
case "$1 $2" in
  "--version "*) echo "uv 0.0.0 (stand-in)" ;;
  "python find") [ -x "{self.managed_python}" ] || exit 2
                 echo "{self.managed_python}" ;;
  "python install") {install} ;;
  "sync "*) environment "${{UV_PROJECT_ENVIRONMENT:-$PWD/.venv}}" ;;
  "venv "*) environment "${{@: -1}}" ;;
esac""",
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """A fresh machine: shell tools, Chromium and CJK fonts, nothing else on PATH."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for script in SCRIPTS:
        shutil.copy2(ROOT / "scripts" / script, project / "scripts" / script)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in SHELL_TOOLS:
        real = shutil.which(tool)
        assert real is not None
        (bin_ / tool).symlink_to(real)
    stand_in(bin_ / "chromium", "exit 0")
    stand_in(bin_ / "fc-list", "echo 'NotoSansCJK-Regular.ttc: Noto Sans CJK JP'")
    home = tmp_path / "home"
    return Machine(
        project=project,
        bin=bin_,
        home=home,
        uv_log=tmp_path / "uv.log",
        managed_python=home / ".local/share/uv/python/cpython-3.14.10/bin/python3.14",
    )


def test_a_python_on_path_is_used(machine: Machine) -> None:
    python = machine.python_on_path("3.14.2")
    machine.uv(download=True)

    result = machine.run("setup")

    assert result.returncode == 0, result.stderr
    assert f"sync --frozen --python {python}" in machine.uv_calls
    assert f"venv -q --python {python} .venv-min" in machine.uv_calls
    assert not [call for call in machine.uv_calls if call.startswith("python")]
    assert "ready on Python 3.14.10" in result.stdout


@pytest.mark.parametrize(
    ("version", "why"),
    [
        (None, "no python3.14 on PATH"),
        ("3.14.1", "python3.14 on PATH is Python 3.14.1, older than 3.14.2"),
    ],
)
def test_without_a_recent_python_uv_installs_one(
    machine: Machine, version: str | None, why: str
) -> None:
    if version is not None:
        machine.python_on_path(version)
    machine.uv(download=True)

    result = machine.run("setup")

    assert result.returncode == 0, result.stderr
    assert f"python install {WANTED}" in machine.uv_calls
    assert f"sync --frozen --python {machine.managed_python}" in machine.uv_calls
    assert f"{why}; asking uv for a managed CPython 3.14" in result.stderr


def test_a_managed_python_installed_before_is_used_again(machine: Machine) -> None:
    machine.uv(download=True)
    assert machine.run("setup").returncode == 0
    machine.uv_log.unlink()

    result = machine.run("setup")

    assert result.returncode == 0, result.stderr
    assert f"python install {WANTED}" not in machine.uv_calls
    assert f"sync --frozen --python {machine.managed_python}" in machine.uv_calls
    assert f"using the uv-managed Python 3.14.10 at {machine.managed_python}" in (
        result.stderr
    )


def test_without_python_and_download_one_message_says_what_to_do(
    machine: Machine,
) -> None:
    machine.uv(download=False)

    result = machine.run("setup")

    assert result.returncode == 1
    assert result.stderr.endswith(
        "scripts/setup: no Python 3.14.2 or newer.\n"
        "  Tried: no python3.14 on PATH; then uv python install '>=3.14.2,<3.15', "
        "which failed: cause: failed to lookup address information: "
        "Name or service not known\n"
        "  Do one of these, then run scripts/setup again:\n"
        "    - install Python 3.14.2 or newer, so that python3.14 is on PATH "
        "(python.org,\n"
        "      your distribution's packages, or pyenv);\n"
        "    - or set UV_PYTHON_INSTALL_MIRROR to a mirror of uv's Python downloads\n"
        "      (python-build-standalone) that this machine can reach.\n"
    )
    assert "Traceback" not in result.stderr
    assert not [call for call in machine.uv_calls if call.startswith(("sync", "venv"))]
    assert not (machine.project / ".venv").exists()


def test_without_uv_it_says_how_to_get_it_and_never_uses_pip_unasked(
    machine: Machine,
) -> None:
    machine.python_on_path("3.14.2")
    stand_in(machine.bin / "python3", 'echo "$*" >> "$HOME/python3.log"; exit 1')
    stand_in(machine.bin / "curl", "exit 6")  # "Could not resolve host"
    stand_in(machine.bin / "sh", "cat > /dev/null")
    machine.home.mkdir()

    result = machine.run("setup")

    assert result.returncode == 1
    assert (machine.home / "python3.log").read_text().splitlines() == [
        "-m uv --version",  # scripts/uv looks for it
        "-m pip install --quiet --disable-pip-version-check uv",
    ]
    assert "python3 -m pip install uv\n" in result.stderr
    assert "curl -LsSf https://astral.sh/uv/install.sh | sh\n" in result.stderr
    assert "scripts/setup --unlocked-pip" in result.stderr
    assert not (machine.project / ".venv").exists()


def test_an_unknown_option_is_refused(machine: Machine) -> None:
    result = machine.run("setup", "--pip")

    assert result.returncode == 1
    assert "unknown option '--pip' (the only one is --unlocked-pip)" in result.stderr


@pytest.mark.parametrize(
    ("package_manager", "command"),
    [
        ("apt-get", "sudo apt-get install -y chromium fonts-noto-cjk"),
        ("dnf", "sudo dnf install -y chromium google-noto-sans-cjk-fonts"),
        ("pacman", "sudo pacman -S --needed --noconfirm chromium noto-fonts-cjk"),
    ],
)
def test_without_chromium_the_command_for_this_distribution_is_named(
    machine: Machine, package_manager: str, command: str
) -> None:
    (machine.bin / "chromium").unlink()
    (machine.bin / "id").unlink()
    stand_in(machine.bin / "id", "echo 1000")  # not root
    stand_in(machine.bin / package_manager, "exit 0")

    result = machine.run("find-chromium")

    assert result.returncode == 1
    assert result.stderr == (
        "Chromium or its CJK fonts are not installed; the browser test needs them. "
        f"Install them with: {command}\n"
    )


def test_without_cjk_fonts_chromium_is_not_enough(machine: Machine) -> None:
    """Chinese and Japanese screenshots would show empty boxes."""
    (machine.bin / "fc-list").unlink()
    stand_in(machine.bin / "fc-list", "exit 0")  # no font for Japanese
    (machine.bin / "id").unlink()
    stand_in(machine.bin / "id", "echo 1000")
    stand_in(machine.bin / "apt-get", "exit 0")

    result = machine.run("find-chromium")

    assert result.returncode == 1
    assert "sudo apt-get install -y chromium fonts-noto-cjk" in result.stderr


def test_with_chromium_and_cjk_fonts_chromium_is_found(machine: Machine) -> None:
    result = machine.run("find-chromium")

    assert result.returncode == 0
    assert result.stdout == f"{machine.bin / 'chromium'}\n"
