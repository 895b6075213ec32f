"""Helpers for the integration tests: the worker handle, polling, and what metadata looks like."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    broker: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def pool_pids(self) -> list[int]:
        """The prefork pool's child processes (the ones that run the tasks)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended while we looked
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, worker: Worker | None = None) -> Any:
    """Poll `predicate` until it returns something truthy; fail with the worker's log otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            log = f"\n--- worker log ---\n{worker.tail()}" if worker else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{log}")
        time.sleep(0.05)


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The (marker, payload) segments of a JPEG up to its first scan."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"JPEG segment expected at byte {pos}"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        pos += 2 + length
    return segments


def webp_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a WebP (RIFF) file."""
    assert data[:4] == b"RIFF", "not a RIFF file"
    assert data[8:12] == b"WEBP", "not a WebP"
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        chunks.append(kind)
        pos += 8 + size + (size & 1)
    return chunks


def missing_services() -> str | None:
    """Why the integration tests cannot run here, or None when they can."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return "REDIS_URL is not set (the tests need Redis as the broker of a real Celery worker)"
    if not settings.USE_S3:
        return "S3 is not configured (set S3_PRIVATE_BUCKET, S3_PUBLIC_BUCKET and AWS_S3_ENDPOINT_URL)"
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL is not PostgreSQL (the worker process must share the test database)"
    return None
