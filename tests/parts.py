"""The parts some tests need beyond Python: real services, Chromium, ffmpeg.

Tests say what they need with a marker (`integration`, `e2e`, `video`, `fuzz`, `postgresql`). Where a part is missing,
a developer's run leaves those tests out and says so; under CI=true they run anyway and fail with
the reason, so CI never passes without them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _chromium() -> str | None:
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return None
    return "Chromium is not installed (Debian package `chromium`; .ci/run installs it)"


def _ffmpeg() -> str | None:
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        return None
    return "ffmpeg is not installed (Debian package `ffmpeg`; .ci/run installs it)"


def _schemathesis() -> str | None:
    import sys

    if (Path(sys.executable).parent / "schemathesis").exists():
        return None
    return "schemathesis is not installed (requirements-dev.txt; `make test` installs it)"


def _postgresql() -> str | None:
    from django.db import connection

    if connection.vendor == "postgresql":
        return None
    return "the database is not PostgreSQL (DATABASE_URL=postgres://…; CI uses it)"


def _services() -> str | None:
    from tests.integration.helpers import missing_services

    return missing_services()


# marker → what says why its tests cannot run here (None: they can)
REQUIREMENTS: dict[str, Callable[[], str | None]] = {
    "integration": _services,
    "e2e": _chromium,
    "video": _ffmpeg,
    "fuzz": _schemathesis,
    "postgresql": _postgresql,
}


def missing_for(markers: set[str]) -> str | None:
    for name, check in REQUIREMENTS.items():
        if name in markers and (reason := check()):
            return f"{name}: {reason}"
    return None
