"""Home Assistant's outbound HTTP kept on 127.0.0.1, for an end-to-end test.

Python imports this module as it starts when its folder is on PYTHONPATH. With
``E2E_REDIRECT_PORT`` set, aiohttp sends every request for a host named in
``E2E_REDIRECT_HOSTS`` (comma-separated) to ``http://127.0.0.1:<port>`` with the same
path and query, the host it was meant for in ``X-Forwarded-Host``; it refuses a
request for any other host but 127.0.0.1 and localhost, and appends that host to the
file ``E2E_REFUSED_HOSTS`` names. No request leaves the machine.
"""
# ruff: noqa: INP001  # Python's site module imports it from PYTHONPATH, no package

import os

if port := os.environ.get("E2E_REDIRECT_PORT"):
    from typing import Any

    import aiohttp
    from multidict import CIMultiDict
    from yarl import URL

    MAPPED = frozenset(os.environ["E2E_REDIRECT_HOSTS"].split(","))
    LOCAL = frozenset({"127.0.0.1", "localhost"})
    REFUSED = os.environ["E2E_REFUSED_HOSTS"]
    _request = aiohttp.ClientSession._request

    async def _redirected_request(
        self: aiohttp.ClientSession, method: str, str_or_url: Any, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        """Every session's requests pass here, ``get``'s and ``ws_connect``'s too."""
        url = self._build_url(str_or_url)  # joined to the session's base URL
        if url.host in MAPPED:
            headers = CIMultiDict(kwargs.get("headers") or {})
            headers["X-Forwarded-Host"] = url.host
            kwargs["headers"] = headers
            str_or_url = URL.build(
                scheme="http",
                host="127.0.0.1",
                port=int(port),
                path=url.raw_path,
                query_string=url.raw_query_string,
                encoded=True,
            )
        elif url.host not in LOCAL:
            # os.write: Home Assistant reports open() called in its event loop.
            refused = os.open(REFUSED, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(refused, f"{url.host}\n".encode())
            finally:
                os.close(refused)
            raise aiohttp.ClientConnectionError(f"{url.host} is outside the test")
        return await _request(self, method, str_or_url, **kwargs)

    aiohttp.ClientSession._request = _redirected_request  # type: ignore[method-assign]
