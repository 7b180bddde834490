"""GitHub, its China mirrors and the HACS catalog, as the Marketplace reaches them.

An aiohttp server on 127.0.0.1, run in the test's own event loop. Home Assistant's
requests for the real hosts come here (``redirect/sitecustomize.py`` sends them) with
the host they were meant for in ``X-Forwarded-Host``; the double answers by that host
and the path as the real host would, for one repository and its releases. The test
publishes releases, lists the repository in the catalog or not, takes hosts down,
plays the user who types the device code on GitHub, and reads the requests made.
"""

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import io
import json
import mimetypes
import time
from typing import Any
import zipfile

from aiohttp import web

FORWARDED_HOST = "X-Forwarded-Host"
MARKETPLACE_AGENT = "HomeAssistantMarketplace/"
DEFAULT_BRANCH = "main"
COMPONENTS = "custom_components"

CATALOG_HOSTS = ("data-v2.hacs.xyz", "data-v2.hasscn.top", "data-v2.hacs.vip")
API_HOSTS = ("api.github.com", "ghapi.hacs.vip")
# Home Assistant's brands CDN: the icons of integrations not installed yet.
BRANDS_HOST = "brands.home-assistant.io"
# (host, path prefix) of single files and of github.com's downloads, mirrors too.
RAW_BASES = (
    ("raw.githubusercontent.com", ""),
    ("ghrp2.hacs.vip", "/raw"),
    ("ghrp.hacs.vip", "/raw"),
    ("gh-proxy.org", "/https://raw.githubusercontent.com"),
)
GITHUB_BASES = (
    ("github.com", ""),
    ("ghrp2.hacs.vip", ""),
    ("ghrp.hacs.vip", ""),
    ("gh-proxy.org", "/https://github.com"),
)
HOSTS = frozenset(
    (
        *CATALOG_HOSTS,
        *API_HOSTS,
        BRANDS_HOST,
        *(host for host, _ in RAW_BASES + GITHUB_BASES),
    )
)
# Another integration in the catalog. The Marketplace forgets a repository the
# catalog no longer lists only when the catalog lists something.
NEIGHBOUR_ID = "100000001"
NEIGHBOUR = {
    "full_name": "e2e-neighbour/ha-neighbour",
    "description": "Another integration in the catalog",
    "domain": "neighbour",
    "manifest_name": "Neighbour",
    "etag_repository": 'W/"neighbour"',
    "last_fetched": 1796000000.0,
    "last_updated": "2026-11-01T00:00:00Z",
    "last_version": "v1.0.0",
    "manifest": {"name": "Neighbour"},
}
# The catalog's sections: the categories, then the two lists.
CATEGORIES = ("integration", "plugin", "template", "theme")
LISTS = ("removed", "critical")


@dataclass(frozen=True)
class Release:
    """A published release: its tag, notes, ZIP asset, and the tag's files."""

    tag: str
    notes: str
    asset_name: str
    asset: bytes
    files: dict[str, bytes]  # the repository at the tag: path → content
    published_at: str

    @classmethod
    def of_build(cls, *, asset: bytes, notes: str, files: dict[str, bytes]) -> Release:
        """A build's release, tagged as released: "v" and its manifest's version.

        ``files`` is the repository at the commit the build is made of.
        """
        with zipfile.ZipFile(io.BytesIO(asset)) as archive:
            version = json.loads(archive.read("manifest.json"))["version"]
        return cls(
            tag=f"v{version}",
            notes=notes,
            asset_name=json.loads(files["hacs.json"])["filename"],
            asset=asset,
            files=files,
            published_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


@dataclass(frozen=True)
class Request:
    """One request the double answered; ``authorized``: with a token it issued."""

    host: str
    path: str
    status: int
    authorized: bool = False


@dataclass
class GitHubDouble:
    """One repository on GitHub and its mirrors, and the catalog that lists it."""

    full_name: str
    repository_id: int
    description: str
    domain: str
    name: str
    releases: list[Release] = field(default_factory=list)  # newest first
    requests: list[Request] = field(default_factory=list)
    down: set[str] = field(default_factory=set)  # hosts that answer 503
    catalog_version: str | None = None  # None: not listed
    catalog_fetched: float = 0
    url: str = ""  # where it listens, once it does
    _device_codes: dict[str, str] = field(default_factory=dict)  # user → device
    _authorized: set[str] = field(default_factory=set)  # device codes
    _tokens: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None

    async def start(self, port: int) -> None:
        """Listen on 127.0.0.1 at ``port``."""
        self.url = f"http://127.0.0.1:{port}"
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    def publish(self, release: Release) -> None:
        """Publish a release on GitHub: the newest from now on."""
        self.releases.insert(0, release)

    def list_in_catalog(self, version: str) -> None:
        """List the repository at ``version``, fetched later than the last time.

        The Marketplace takes over a catalog entry of an installed repository
        only if it was fetched later than the one it has.
        """
        self.catalog_version = version
        self.catalog_fetched = max(time.time(), self.catalog_fetched + 1)

    def unlist(self) -> None:
        """Take the repository out of the catalog."""
        self.catalog_version = None

    def authorize(self, user_code: str) -> None:
        """Type the device flow's code on github.com/login/device, as its user."""
        self._authorized.add(self._device_codes[user_code])

    def log_since(self, start: int) -> list[Request]:
        """The requests from the ``start``-th on."""
        return self.requests[start:]

    async def _answer(self, request: web.Request) -> web.Response:
        host = request.headers.get(FORWARDED_HOST, "")
        if host in self.down:
            response = web.Response(status=503, text="Service Unavailable")
        else:
            kind, path = _endpoint(host, request.path)
            handler = {
                "catalog": self._catalog,
                "api": self._api,
                "brands": self._brands,
                "raw": self._raw,
                "github": self._github,
                "device": self._device,
            }.get(kind, _not_found)
            response = handler(request, path)
        token = request.headers.get("Authorization", "").removeprefix("token ")
        self.requests.append(
            Request(host, request.path_qs, response.status, token in self._tokens)
        )
        return response

    def _catalog(self, request: web.Request, path: str) -> web.Response:
        """A section of the catalog, with its ETag; 304 when it did not change."""
        agent = request.headers.get("User-Agent", "")
        if request.headers[FORWARDED_HOST] == "data-v2.hasscn.top" and (
            not agent.startswith(MARKETPLACE_AGENT)
        ):
            return web.Response(status=403, text="Forbidden")
        section = path.removeprefix("/").removesuffix("/data.json")
        if section in LISTS:
            content: Any = []
        elif section in CATEGORIES:
            content = self._catalog_entries() if section == "integration" else {}
        else:
            return web.Response(status=404, text="Not Found")
        body = json.dumps(content).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, content_type="application/json", headers={"ETag": etag}
        )

    def _catalog_entries(self) -> dict[str, Any]:
        if self.catalog_version is None:
            return {NEIGHBOUR_ID: NEIGHBOUR}
        release = self._release(self.catalog_version)
        return {
            NEIGHBOUR_ID: NEIGHBOUR,
            str(self.repository_id): {
                "full_name": self.full_name,
                "description": self.description,
                "domain": self.domain,
                "manifest_name": self.name,
                "etag_repository": f'W/"{self.repository_id}-{self.catalog_version}"',
                "last_fetched": self.catalog_fetched,
                "last_updated": release.published_at if release else "",
                "last_version": self.catalog_version,
                "manifest": {"name": self.name},
                "stargazers_count": 0,
                "topics": ["deepseek", "home-assistant"],
            },
        }

    def _brands(self, request: web.Request, path: str) -> web.Response:
        """``/marketplace/<domain>/<image>``: from the newest release's brand folder."""
        folder, _, rest = path.removeprefix("/").partition("/")
        domain, _, image = rest.partition("/")
        brand = f"{COMPONENTS}/{domain}/brand/{image}"
        if (
            folder == "marketplace"
            and self.releases
            and brand in self.releases[0].files
        ):
            return web.Response(
                body=self.releases[0].files[brand], content_type="image/png"
            )
        return web.Response(status=404, text="Not Found")

    def _raw(self, request: web.Request, path: str) -> web.Response:
        """``/<owner>/<repo>/<ref>/<path>``: one file at a tag."""
        owner, _, rest = path.removeprefix("/").partition("/")
        repo, _, rest = rest.partition("/")
        ref, _, file = rest.partition("/")
        if (
            self._is_ours(f"{owner}/{repo}")
            and (release := self._release(ref))
            and file in release.files
        ):
            kind = mimetypes.guess_type(file)[0] or "text/plain"
            return web.Response(body=release.files[file], content_type=kind)
        return web.Response(status=404, text="404: Not Found")

    def _github(self, request: web.Request, path: str) -> web.Response:
        """``/<owner>/<repo>/releases/download/<tag>/<asset>``: a release's ZIP."""
        parts = path.removeprefix("/").split("/")
        if (
            len(parts) == 6
            and self._is_ours(f"{parts[0]}/{parts[1]}")
            and parts[2:4] == ["releases", "download"]
            and (release := self._release(parts[4]))
            and parts[5] == release.asset_name
        ):
            return web.Response(
                body=release.asset, content_type="application/octet-stream"
            )
        return web.Response(status=404, text="Not Found")

    def _device(self, request: web.Request, path: str) -> web.Response:
        """GitHub's device flow: 200 with JSON, also for an error, as GitHub does."""
        if request.method == "POST" and path == "/login/device/code":
            number = len(self._device_codes) + 1
            user_code = f"E2E0-{number:04d}"
            self._device_codes[user_code] = f"device-code-{number}"
            return web.json_response(
                {
                    "device_code": self._device_codes[user_code],
                    "user_code": user_code,
                    "verification_uri": "https://github.com/login/device",
                    "expires_in": 900,
                    "interval": 1,
                }
            )
        if request.method == "POST" and path == "/login/oauth/access_token":
            if request.query.get("device_code") not in self._authorized:
                return web.json_response(
                    {"error": "authorization_pending", "interval": 1}
                )
            token = f"gho_e2e{len(self._tokens) + 1:033d}"
            self._tokens.add(token)
            return web.json_response(
                {"access_token": token, "token_type": "bearer", "scope": ""}
            )
        return web.json_response({"error": "Not Found"}, status=404)

    def _api(self, request: web.Request, path: str) -> web.Response:
        """The subset of GitHub's REST API the Marketplace calls, JSON as GitHub's.

        aiogithubapi reads a body as JSON by its content type.
        """
        authorization = request.headers.get("Authorization")
        if authorization and authorization.removeprefix("token ") not in self._tokens:
            return web.json_response({"message": "Bad credentials"}, status=401)
        if path == "/rate_limit":
            core = {"limit": 5000, "remaining": 5000, "reset": 0, "used": 0}
            return web.json_response({"resources": {"core": core}, "rate": core})
        parts = path.removeprefix("/").split("/")
        found = None
        if parts[0] == "repos" and self._is_ours("/".join(parts[1:3])):
            found = self._repository_api(parts[3:], request.query.get("ref"))
        if found is None:
            return web.json_response({"message": "Not Found"}, status=404)
        return web.json_response(found)

    def _repository_api(self, parts: list[str], ref: str | None) -> Any:
        """The endpoints below ``/repos/<owner>/<repo>``; None for a 404."""
        found: Any = None
        match parts:
            case []:
                found = self._repository_json()
            case ["releases"]:
                found = [self._release_json(release) for release in self.releases]
            case ["releases", "tags", tag] if release := self._release(tag):
                found = self._release_json(release)
            case ["git", "trees", tree_ref] if release := self._release(tree_ref):
                found = {"sha": _sha(release.tag), "tree": _tree(release.files)}
            case ["branches", branch] if branch == DEFAULT_BRANCH and self.releases:
                sha = _sha(self.releases[0].tag)
                found = {"name": DEFAULT_BRANCH, "commit": {"sha": sha}}
            case ["contents", *path] if release := self._release(ref or DEFAULT_BRANCH):
                found = _contents(release, "/".join(path))
        return found

    def _repository_json(self) -> dict[str, Any]:
        """Without ``permissions`` or ``organization``: aiogithubapi fails on null."""
        owner, repo = self.full_name.split("/")
        pushed = self.releases[0].published_at if self.releases else "2026-11-01"
        return {
            "id": self.repository_id,
            "name": repo,
            "full_name": self.full_name,
            "owner": {"login": owner, "id": 1, "type": "Organization"},
            "private": False,
            "html_url": f"https://github.com/{self.full_name}",
            "description": self.description,
            "fork": False,
            "archived": False,
            "disabled": False,
            "default_branch": DEFAULT_BRANCH,
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": pushed,
            "pushed_at": pushed,
            "stargazers_count": 0,
            "watchers_count": 0,
            "forks_count": 0,
            "open_issues": 0,
            "open_issues_count": 0,
            "has_issues": True,
            "topics": ["deepseek", "home-assistant"],
        }

    def _release_json(self, release: Release) -> dict[str, Any]:
        number = self.releases[::-1].index(release) + 1
        html = f"https://github.com/{self.full_name}/releases"
        return {
            "id": number,
            "tag_name": release.tag,
            "name": release.tag,
            "draft": False,
            "prerelease": False,
            "body": release.notes,
            "created_at": release.published_at,
            "published_at": release.published_at,
            "html_url": f"{html}/tag/{release.tag}",
            "assets": [
                {
                    "id": number,
                    "name": release.asset_name,
                    "size": len(release.asset),
                    "download_count": 0,
                    "content_type": "application/zip",
                    "browser_download_url": (
                        f"{html}/download/{release.tag}/{release.asset_name}"
                    ),
                }
            ],
        }

    def _release(self, ref: str) -> Release | None:
        """The release of a tag; the newest for the default branch."""
        if ref == DEFAULT_BRANCH:
            return self.releases[0] if self.releases else None
        return next((release for release in self.releases if release.tag == ref), None)

    def _is_ours(self, full_name: str) -> bool:
        """GitHub's names are case-insensitive; the Marketplace lowercases them."""
        return full_name.lower() == self.full_name.lower()


def _endpoint(host: str, path: str) -> tuple[str, str]:
    """What a request is for, by the host it was meant for; the path below the base."""
    if host in CATALOG_HOSTS:
        return "catalog", path
    if host in API_HOSTS:
        return "api", path
    if host == BRANDS_HOST:
        return "brands", path
    for kind, bases in (("raw", RAW_BASES), ("github", GITHUB_BASES)):
        for base_host, prefix in bases:
            if host == base_host and path.startswith(f"{prefix}/"):
                below = path.removeprefix(prefix)
                is_login = host == "github.com" and below.startswith("/login/")
                return "device" if is_login else kind, below
    return "unknown", path


def _not_found(request: web.Request, path: str) -> web.Response:
    return web.Response(status=404, text="Not Found")


def _contents(release: Release, path: str) -> dict[str, Any] | None:
    """A file as the contents API gives it: base64, with newlines, as GitHub's."""
    if path not in release.files:
        return None
    return {
        "type": "file",
        "encoding": "base64",
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": _sha(path),
        "size": len(release.files[path]),
        "content": base64.encodebytes(release.files[path]).decode(),
    }


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _tree(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """A recursive git tree: every file, and every folder above one."""
    folders = {
        "/".join(parts[:depth])
        for parts in (path.split("/") for path in files)
        for depth in range(1, len(parts))
    }
    entries = [
        {"path": folder, "mode": "040000", "type": "tree", "sha": _sha(folder)}
        for folder in folders
    ] + [
        {
            "path": path,
            "mode": "100644",
            "type": "blob",
            "sha": _sha(path),
            "size": len(content),
        }
        for path, content in files.items()
    ]
    return sorted(entries, key=lambda entry: entry["path"])
