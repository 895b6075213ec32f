"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from tests.parts import CHROMIUM


@pytest.fixture
def browser(live_server: Any) -> Iterator[Any]:
    """Chromium, closed before the live server and the test database go (taking `live_server` makes
    pytest tear this down first), so no page still talks to the server while its data is flushed."""
    # Playwright's sync API runs an event loop in this thread; the test still calls the ORM.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def live_site(live_server: LiveServer, settings: Any) -> str:
    """The live server, with absolute links (mails, permalinks, local media) pointing at it."""
    settings.SITE_URL = live_server.url
    if not settings.USE_S3:
        public = dict(settings.STORAGES["public"])
        public["OPTIONS"] = {**public["OPTIONS"], "base_url": f"{live_server.url}/media/"}
        settings.STORAGES = {**settings.STORAGES, "public": public}
    return live_server.url


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain static web server on another port: a different origin, like a brand's site."""
    root = tmp_path / "brand-site"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
