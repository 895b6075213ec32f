"""Parts the fault tests own, so that stopping them disturbs nobody else.

- `PrivatePostgres`: a throwaway PostgreSQL cluster (Debian's initdb/pg_ctl, a temporary folder,
  its own port), run as the `postgres` user when the tests run as root.
- `Broker`: a throwaway redis-server on its own port.
- `S3Endpoint`: moto's S3 server behind a TCP forwarder; "stopping the endpoint" closes the
  forwarder's port and cuts its open connections, while moto keeps the buckets and objects, as a
  restarted S3 endpoint keeps them (moto itself forgets everything when it stops).
- `AppServer`: gunicorn serving Fanfare, for tests that need a real server process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import wait_for

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, on its own port, that the test may stop and start."""

    def __init__(self) -> None:
        self.bin = self._bindir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="fanfare-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.root, user="postgres", group="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    @staticmethod
    def _bindir() -> Path:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
        if found:
            return found[-1].parent
        pg_ctl = shutil.which("pg_ctl")
        if pg_ctl is None:
            pytest.fail("PostgreSQL's server binaries (initdb, pg_ctl) are not installed (Debian: postgresql)")
        return Path(pg_ctl).resolve().parent

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            pytest.fail(f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown: open sessions are terminated, as in a restart or a failover."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        wait_for(lambda: not port_answers(self.port), timeout=20, what="PostgreSQL to stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class Broker:
    """A throwaway redis-server that the test can stop and start again on the same port."""

    def __init__(self) -> None:
        if not shutil.which("redis-server"):
            pytest.fail("redis-server is not installed; the outage tests run their own broker")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=20, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None
        wait_for(lambda: not self.answers(), timeout=20, what="the broker to stop")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class _Forwarder:
    """Forwards TCP connections from its own port to `target_port`; stop() refuses and cuts them."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                for sock in (source, target):
                    self._open.discard(sock)
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    sock.close()


class S3Endpoint:
    """moto's S3 server of the test's own, reached through a port the test can close and reopen."""

    def __init__(self, log: Path) -> None:
        self.moto_port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.forwarder = _Forwarder(self.moto_port)

    @property
    def url(self) -> str:
        """The endpoint the application uses (through the forwarder)."""
        return f"http://127.0.0.1:{self.forwarder.port}"

    @property
    def direct_url(self) -> str:
        """moto itself, for the test to look inside the buckets while the endpoint is "down"."""
        return f"http://127.0.0.1:{self.moto_port}"

    def launch(self, *, buckets: tuple[str, str]) -> None:
        moto = Path(sys.executable).with_name("moto_server")
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(moto), "-H", "127.0.0.1", "-p", str(self.moto_port)], stdout=out, stderr=subprocess.STDOUT
            )
        wait_for(self._moto_answers, timeout=30, what="moto's S3 server")
        make_buckets(self.client(direct=True), private=buckets[0], public=buckets[1])
        self.forwarder.start()

    def _moto_answers(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.direct_url}/moto-api/", timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        self.forwarder.stop()
        wait_for(lambda: not port_answers(self.forwarder.port), timeout=10, what="the S3 endpoint to stop")

    def start(self) -> None:
        self.forwarder.start()

    def shutdown(self) -> None:
        self.forwarder.stop()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def client(self, *, direct: bool = False) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.direct_url if direct else self.url,
            region_name=os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or "fanfare-test",
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "fanfare-test-secret",
        )


def make_buckets(s3: Any, *, private: str, public: str) -> None:
    """The buckets as .ci/run makes them: public read and CORS on the public one, CORS on both."""
    for bucket in (private, public):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=public,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{public}/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_cors(
        Bucket=private,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": ["GET", "HEAD", "POST", "PUT"],
                    "AllowedOrigins": ["*"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag", "Location"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )
    s3.put_bucket_cors(
        Bucket=public,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": ["GET", "HEAD"],
                    "AllowedOrigins": ["*"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )


class AppServer:
    """Fanfare under gunicorn (one worker process, a few threads) with the given environment."""

    def __init__(self, *, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "60",
            "--access-logfile",
            "-",
        ]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_for(self._answers, timeout=60, what=f"gunicorn on port {self.port}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.tail()}")
        try:
            urllib.request.urlopen(f"{self.url}/api/v1/nothing-here/", timeout=2).close()
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
