"""Build a release of DeepSeek Balance: the zip HACS installs, and its notes.

Needs only Python 3.11+ (the standard library) and git, so it runs as it is in the
release workflow. It reads the repository it lives in. See `scripts/release --help`.
"""

import argparse
from dataclasses import dataclass
import hashlib
import io
import json
import os
from pathlib import Path, PurePosixPath
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = "custom_components"
DOMAIN = "deepseek_balance"
COMPONENT = f"{COMPONENTS}/{DOMAIN}"
NOTES = "release-notes.md"
# The zip is the same bytes wherever the same files are zipped: no times, owners or
# modes from the checkout, and one compression level.
EPOCH = (1980, 1, 1, 0, 0, 0)
MODE = 0o100644  # a regular file, rw-r--r--
CREATE_SYSTEM = 3  # Unix, so the mode above is read as one
LEVEL = 9
REGULAR_FILES = ("100644", "100755")
ENTRY = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$")

USAGE = """\
Build a release of DeepSeek Balance as Home Assistant's Marketplace (2026.11 and
newer) and HACS before it install it: hacs.json's zip_release and filename.

It writes two files into DIR:
  deepseek_balance.zip  (the filename in hacs.json) the git-tracked files of
                        custom_components/deepseek_balance/, manifest.json at the
                        root of the zip, which is unpacked as it is into
                        config/custom_components/deepseek_balance/; the same files
                        give the same bytes (sorted, fixed times and modes)
  release-notes.md      CHANGELOG.md's entry of that version: the release's notes

Without --ref the files are the working tree's contents of the tracked files; with
--ref they are the commit's, hacs.json, the manifest and CHANGELOG.md included.
It refuses, writing nothing, unless manifest.json's version, CHANGELOG.md's newest
entry ("## [x.y.z] - YYYY-MM-DD"; [Unreleased] on top is a release not yet named)
and the tag, when given, are one release (the tag is "v" + the version). It prints
the paths it wrote with their sha256."""


class RefusedError(Exception):
    """Why no release is built, in one line."""


@dataclass(frozen=True)
class Source:
    """The repository's files: the working tree, or one commit."""

    ref: str | None

    def read(self, path: str) -> bytes:
        """A file's contents, at the ref or in the working tree."""
        if self.ref is None:
            try:
                return (ROOT / path).read_bytes()
            except OSError as error:
                raise RefusedError(f"{path}: {error.strerror}") from error
        return git("cat-file", "blob", f"{self.ref}:{path}")

    def component(self) -> list[str]:
        """The tracked files of the component, relative to the repository."""
        if self.ref is None:
            listing = git("ls-files", "-z", "--full-name", "--", f"{COMPONENT}/")
            paths = [path for path in listing.decode().split("\0") if path]
            for path in paths:
                file = ROOT / path
                if file.is_symlink() or not file.is_file():
                    raise RefusedError(f"{path} is tracked but not a file here")
            return paths
        listing = git(
            "ls-tree", "-r", "-z", "--full-tree", self.ref, "--", f"{COMPONENT}/"
        )
        paths = []
        for line in listing.decode().split("\0"):
            if not line:
                continue
            meta, path = line.split("\t", 1)
            mode, kind, _ = meta.split(" ")
            if kind != "blob" or mode not in REGULAR_FILES:
                raise RefusedError(f"{path} at {self.ref} is not a regular file")
            paths.append(path)
        return paths


def git(*args: str) -> bytes:
    """Git's output in this repository; its error refuses the release."""
    try:
        ran = subprocess.run(  # noqa: S603
            ["git", "-C", str(ROOT), *args],  # noqa: S607
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as error:
        raise RefusedError("git is not installed") from error
    if ran.returncode != 0:
        message = ran.stderr.decode(errors="replace").strip().splitlines()
        raise RefusedError(
            f"git {' '.join(args)}: {message[-1] if message else 'failed'}"
        )
    return ran.stdout


def version_of(changelog: str) -> tuple[str, str]:
    """The newest entry's version and its text, or why there is no release."""
    lines = changelog.splitlines()
    starts = [number for number, line in enumerate(lines) if line.startswith("## ")]
    headings = [number for number in starts if lines[number].startswith("## [")]
    if not headings:
        raise RefusedError("CHANGELOG.md has no entry (a '## [x.y.z] - date' heading)")
    first = headings[0]
    heading = lines[first]
    if heading.lower().startswith("## [unreleased]"):
        raise RefusedError(
            "CHANGELOG.md's newest entry is [Unreleased]: name it "
            "'## [x.y.z] - YYYY-MM-DD' before releasing"
        )
    match = ENTRY.match(heading)
    if match is None:
        raise RefusedError(
            f"CHANGELOG.md's newest heading {heading!r} is not "
            "'## [x.y.z] - YYYY-MM-DD'"
        )
    end = next((number for number in starts if number > first), len(lines))
    body = lines[first + 1 : end]
    # The last entry runs into the link definitions at the foot.
    while body and (not body[-1].strip() or re.match(r"^\[[^\]]+\]: ", body[-1])):
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    if not body:
        raise RefusedError(f"CHANGELOG.md's entry {match['version']} is empty")
    return match["version"], "\n".join(body) + "\n"


def build_zip(source: Source, paths: list[str]) -> bytes:
    """The component's files, relative to its folder, in a reproducible zip."""
    members = sorted(
        PurePosixPath(path).relative_to(COMPONENT).as_posix() for path in paths
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in members:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = CREATE_SYSTEM
            info.external_attr = MODE << 16
            archive.writestr(
                info,
                source.read(f"{COMPONENT}/{name}"),
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=LEVEL,
            )
    return buffer.getvalue()


def json_object(source: Source, path: str) -> dict[str, object]:
    """A JSON file that holds an object."""
    try:
        value = json.loads(source.read(path))
    except ValueError as error:
        raise RefusedError(f"{path} is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise RefusedError(f"{path} is not a JSON object")
    return value


@dataclass(frozen=True)
class Release:
    """What is written: the zip and the notes of one version."""

    version: str
    filename: str
    archive: bytes
    files: int
    notes: str


def prepare(source: Source, tag: str | None) -> Release:
    """The release, once every check has passed."""
    hacs = json_object(source, "hacs.json")
    filename = hacs.get("filename")
    if hacs.get("zip_release") is not True or not isinstance(filename, str):
        raise RefusedError("hacs.json has no zip_release: true with a filename")
    if not filename.endswith(".zip") or "/" in filename or filename.startswith("."):
        raise RefusedError(f"hacs.json's filename {filename!r} is not a .zip file name")
    manifest = json_object(source, f"{COMPONENT}/manifest.json")
    if manifest.get("domain") != DOMAIN:
        raise RefusedError(f"manifest.json's domain is not {DOMAIN}")
    version = manifest.get("version")
    try:
        changelog = source.read("CHANGELOG.md").decode("utf-8")
    except UnicodeDecodeError as error:
        raise RefusedError("CHANGELOG.md is not UTF-8") from error
    newest, notes = version_of(changelog)
    if version != newest:
        raise RefusedError(
            f"manifest.json's version {version} is not CHANGELOG.md's newest entry "
            f"{newest}"
        )
    if tag is not None and tag != f"v{newest}":
        raise RefusedError(f"the tag {tag} is not v{newest}, the version released")
    paths = source.component()
    return Release(newest, filename, build_zip(source, paths), len(paths), notes)


def write(folder: Path, name: str, content: bytes) -> Path:
    """Write a file whole: a reader never sees half of it."""
    target = folder / name
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def main(argv: list[str] | None = None) -> int:
    """Build the release, or say in one line why not."""
    parser = argparse.ArgumentParser(
        prog="scripts/release",
        description=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="where to write"
    )
    parser.add_argument(
        "--tag", help="the release's tag (v0.3.0); refused unless it is v + version"
    )
    parser.add_argument(
        "--ref",
        metavar="REV",
        help="build from this commit instead of the working tree",
    )
    arguments = parser.parse_args(argv)
    out: Path = arguments.out
    try:
        source = source_at(arguments.ref)
        made = prepare(source, arguments.tag)
        if out.exists() and not out.is_dir():
            raise RefusedError(f"{out} is not a folder")  # noqa: TRY301
    except RefusedError as error:
        print(f"scripts/release: {error}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    archive = write(out, made.filename, made.archive)
    notes = write(out, NOTES, made.notes.encode("utf-8"))
    origin = "the working tree" if source.ref is None else f"commit {source.ref}"
    print(f"DeepSeek Balance {made.version}, from {origin}:")
    print(f"  {archive}  {made.files} files  sha256 {sha256(made.archive)}")
    print(f"  {notes}  sha256 {sha256(made.notes.encode('utf-8'))}")
    return 0


def source_at(ref: str | None) -> Source:
    """The working tree, or the commit a revision names."""
    if ref is None:
        git("rev-parse", "--git-dir")  # a repository, or no release
        return Source(None)
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except RefusedError as error:
        raise RefusedError(f"--ref {ref} is not a commit here") from error
    return Source(commit.decode().strip())


def sha256(content: bytes) -> str:
    """The hex digest people compare with the release's asset."""
    return hashlib.sha256(content).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
