"""Load benchmark: fans uploading through the presigned flow while moderators decide, on the real stack.

    .venv/bin/python bench/load.py [--duration 180] [--fans 50] [--moderators 8]

Starts everything itself on loopback and tears it down at the end (also on an error or Ctrl-C):
moto's S3 server with a private and a public-read bucket, a fresh PostgreSQL database (dropped and
migrated), gunicorn `config.wsgi` (2 workers x 4 threads, DEBUG=false) and one Celery worker, with
Redis database 5 as the cache and 6 as the broker. It seeds a brand, an open campaign whose entry
limits never refuse a fan, 50 fans and 8 moderators with API tokens, then runs locust
(`bench/load_locustfile.py`) for the duration: each fan asks for a slot, POSTs a photo to S3 and
completes the upload; each moderator claims the next entry and approves or rejects it; one
anonymous reader times `GET /api/v1/campaigns/`, the reference the other latencies are divided by.

When the users have stopped it waits (bounded) for the worker to process what arrived, then counts
the campaign's entries: every acknowledged upload must be an entry, and no request to Fanfare may
end in a 5xx or a dropped connection. The last line reads
`load: uploads_acked=<n> entries=<n> server_errors=<n> upload_p95_ms=<ms> decide_p95_ms=<ms>`;
the exit status is 1 when uploads and entries differ or there was a server error.
The logs of the run stay in var/load/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # gunicorn, celery, moto_server and locust of the same environment
LOGS = ROOT / "var" / "load"
LOCUSTFILE = Path(__file__).resolve().parent / "load_locustfile.py"
PRIVATE_BUCKET, PUBLIC_BUCKET = "fanfare-load-private", "fanfare-load-public"
CAMPAIGN, BRAND = "load-test", "load-brand"
GUIDELINES = [
    ("own-work", "It is your own work."),
    ("on-topic", "It shows the campaign's theme."),
    ("no-ads", "No advertising."),
]
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 4
WORKER_CONCURRENCY = 2
STOP_TIMEOUT = 60  # seconds locust gives a user to finish the flow it is in when time is up
START_TIMEOUT = 90


class Stack:
    """The processes of the run, each in its own process group, stopped in reverse order."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (LOGS / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (our own tools, fixed arguments)
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process, log))
        return process

    def stop(self) -> None:
        for _name, process, log in reversed(self.processes):
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait(timeout=10)
            log.close()
        self.processes.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # the group this run started (start_new_session): its children too


def log_tail(name: str, lines: int = 30) -> str:
    path = LOGS / f"{name}.log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check: Any, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_tail(name)}")
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready after {START_TIMEOUT}s:\n{log_tail(name)}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


# --------------------------------------------------------------------------------------------------
# Services


def make_buckets(env: dict[str, str]) -> None:
    """The private bucket (presigned POSTs from any origin) and the public-read one, as .ci/run makes them."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        region_name=env["AWS_S3_REGION_NAME"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    for bucket in (PRIVATE_BUCKET, PUBLIC_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=PUBLIC_BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{PUBLIC_BUCKET}/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_cors(
        Bucket=PRIVATE_BUCKET,
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
        Bucket=PUBLIC_BUCKET,
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


def fresh_database(database_url: str) -> None:
    """Drop and create the run's database (it is this benchmark's own: see --database)."""
    import psycopg
    from psycopg import sql

    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def flush_redis(*urls: str) -> None:
    import redis

    for url in urls:
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()


# --------------------------------------------------------------------------------------------------
# Seeding and counting (Django in this process, on the run's database)


def api_token(user: Any) -> str:
    """The plain key a client sends as `Authorization: Token <key>`.

    Uses accounts.tokens.api_token_create (expiring tokens) where the app has it, DRF's Token
    before that: the one place to change when the token model changes again.
    """
    try:
        from accounts.tokens import api_token_create
    except ImportError:
        from rest_framework.authtoken.models import Token

        return Token.objects.get_or_create(user=user)[0].key
    return api_token_create(user=user, name="load benchmark")


def seed(*, fans: int, moderators: int) -> dict[str, Any]:
    """A brand, an open campaign that never refuses an entry for its limits, the people and their tokens."""
    import datetime as dt

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from accounts.models import Brand, Membership, Role, User
    from campaigns.models import Campaign, Guideline

    brand = Brand.objects.create(name="Load Brand", slug=BRAND)
    campaign = Campaign.objects.create(
        brand=brand,
        slug=CAMPAIGN,
        title="Load test",
        hashtag="#LoadTest",
        description="Fans upload as fast as they can.",
        consent_terms="You let the brand show your entry.",
        accepts_videos=False,
        max_entries_per_fan=1_000_000,
        max_entries_per_fan_per_day=1_000_000,
        opens_at=timezone.now() - dt.timedelta(days=1),
        time_zone="UTC",
    )
    for number, (code, text) in enumerate(GUIDELINES, start=1):
        Guideline.objects.create(campaign=campaign, number=number, code=code, text=text)

    def person(email: str, name: str) -> Any:
        user = User.objects.create_user(email, password=None, display_name=name)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    fan_tokens = [api_token(person(f"fan{i}@load.test", f"Fan {i}")) for i in range(fans)]
    moderator_tokens = []
    for i in range(moderators):
        user = person(f"moderator{i}@load.test", f"Moderator {i}")
        Membership.objects.create(user=user, brand=brand, role=Role.MODERATOR)
        moderator_tokens.append(api_token(user))
    return {
        "campaign": CAMPAIGN,
        "brand": BRAND,
        "guidelines": [code for code, _text in GUIDELINES],
        "fans": fan_tokens,
        "moderators": moderator_tokens,
    }


def entry_states() -> Counter[str]:
    from django.db import connection
    from django.db.models import Count

    from submissions.models import Entry

    rows = Entry.objects.filter(campaign__slug=CAMPAIGN).values_list("state").annotate(n=Count("id"))
    states: Counter[str] = Counter(dict(rows))
    connection.close()
    return states


def entry_ids() -> set[str]:
    from submissions.models import Entry

    return {str(pk) for pk in Entry.objects.filter(campaign__slug=CAMPAIGN).values_list("pk", flat=True)}


def make_photos(folder: Path, count: int) -> list[str]:
    from submissions.samples import sample_photo

    paths = []
    for seed_ in range(count):
        size = (800, 600) if seed_ % 3 else (600, 800)
        path = folder / f"photo{seed_}.jpg"
        path.write_bytes(sample_photo(seed=1000 + seed_, size=size))
        paths.append(str(path))
    return paths


# --------------------------------------------------------------------------------------------------
# Figures


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 when there are no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the live processes of one process group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[2]) == pgid:  # fields after "(comm)": state, ppid, pgrp, ... utime (12), stime (13)
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(
    *,
    results: dict[str, Any],
    states: Counter[str],
    missing: set[str],
    extra: set[str],
    load_before: str,
    load_after: str,
    elapsed: float,
    drained: bool,
    cpu: dict[str, float],
    wall: float,
) -> tuple[int, int, int, float, float]:
    names = results["names"]
    latencies: dict[str, list[float]] = results["latencies"]
    statuses: dict[str, dict[str, int]] = results["statuses"]
    fanfare = set(results["fanfare"])
    server_errors = sum(
        n
        for name, by_status in statuses.items()
        if name in fanfare
        for status, n in by_status.items()
        if status == "connection error" or int(status) >= 500
    )
    s3_failures = sum(
        n for status, n in statuses.get(names["s3"], {}).items() if status == "connection error" or int(status) >= 300
    )
    reference_p95 = percentile(latencies.get(names["reference"], []), 95)

    print(f"\nrequests ({elapsed:.0f} s of load; latencies in ms, nearest-rank percentiles)")
    header = f"{'count':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'p95/ref':>7}  statuses"
    print(f"{'request':44} {header}")
    order = ["slot", "s3", "complete", "upload", "claim", "decide", "reference"]
    for key in order:
        name = names[key]
        values = latencies.get(name, [])
        p95 = percentile(values, 95)
        ratio = f"{p95 / reference_p95:7.1f}" if reference_p95 else f"{'-':>7}"
        codes = " ".join(f"{s}:{n}" for s, n in sorted(statuses.get(name, {}).items())) if key != "upload" else ""
        print(
            f"{name:44} {len(values):6d} {len(values) / elapsed:6.1f} {percentile(values, 50):7.0f} {p95:7.0f}"
            f" {percentile(values, 99):7.0f} {max(values, default=0):7.0f} {ratio}  {codes}"
        )
    upload_p95 = percentile(latencies.get(names["upload"], []), 95)
    decide_p95 = percentile(latencies.get(names["decide"], []), 95)
    print(
        f"reference: {names['reference']} p95 {reference_p95:.0f} ms under the same load;"
        f" upload flow p95 = {upload_p95 / reference_p95 if reference_p95 else 0:.1f}x it,"
        f" decision p95 = {decide_p95 / reference_p95 if reference_p95 else 0:.1f}x it"
    )

    print("\noutcomes:")
    for outcome, n in sorted(results["outcomes"].items(), key=lambda item: -item[1]):
        print(f"  {n:6d}  {outcome}")
    print(f"failures: server errors (Fanfare 5xx or connection errors) {server_errors}, S3 refusals {s3_failures}")
    for kind, n in sorted(results["errors"].items(), key=lambda item: -item[1]):
        print(f"  {n:6d}  {kind}")
    closed = results["closed_after_idle"]
    if closed:
        idle = sorted(seconds for _name, seconds in closed)
        print(
            f"  {len(closed)} requests found their kept-alive connection to Fanfare closed; it had been idle"
            f" {idle[0]:.2f} to {idle[-1]:.2f} s (median {idle[len(idle) // 2]:.2f} s) since its previous answer"
        )

    acked = len(results["acked"])
    total = sum(states.values())
    print(
        f"\nentries of the campaign at the end: {total} ("
        + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
        + ")"
        + ("" if drained else "; the worker had not finished when the wait ended")
    )
    if missing:
        print(f"  acknowledged but not in the database: {len(missing)}, e.g. {sorted(missing)[:3]}")
    if extra:
        print(f"  in the database but never acknowledged: {len(extra)}, e.g. {sorted(extra)[:3]}")
    tracebacks = log_text("gunicorn").count("Traceback (most recent call last)")
    timeouts = log_text("gunicorn").count("WORKER TIMEOUT")
    if tracebacks or timeouts:
        print(f"gunicorn log: {tracebacks} tracebacks, {timeouts} worker timeouts (see {LOGS / 'gunicorn.log'})")
    worker_errors = log_text("worker").count("Traceback (most recent call last)")
    if worker_errors:
        print(f"worker log: {worker_errors} tracebacks (see {LOGS / 'worker.log'})")
    print(
        f"\nCPU seconds while locust ran ({wall:.0f} s, so {os.cpu_count() * wall:.0f} CPU-seconds on this machine"
        " for everyone): " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())
    )
    print(
        f"machine: {os.cpu_count()} cores, shared; load average (1, 5, 15 min) before {load_before}, after {load_after}"
    )
    ok_entries, ok_errors = acked == total and not missing and not extra, server_errors == 0
    print(
        f"goals: acknowledged uploads = entries: {'yes' if ok_entries else 'NO'}, "
        f"no server errors: {'yes' if ok_errors else 'NO'}"
    )
    return acked, total, server_errors, upload_p95, decide_p95


def log_text(name: str) -> str:
    path = LOGS / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


# --------------------------------------------------------------------------------------------------


class HardTimeout(Exception):
    pass


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise HardTimeout


def _on_term(_signum: int, _frame: Any) -> None:
    raise SystemExit(143)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=180, help="seconds of load (default 180)")
    parser.add_argument("--fans", type=int, default=50)
    parser.add_argument("--moderators", type=int, default=8)
    parser.add_argument("--drain", type=int, default=180, help="seconds to wait for the worker afterwards")
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/fanfare_load",
        help="dropped and created anew: must be this benchmark's own",
    )
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/5", help="Redis database of the cache (flushed)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6", help="Redis database of the broker (flushed)")
    # Longer than any pause of a user here, lag included: with gunicorn's default of 2 s, a connection it
    # closes as idle just as a user sends its next POST over it ends that request ("connection
    # closed", never read by Fanfare). Browsers retry such a request; locust's client rightly never
    # retries a POST. Behind the proxy of the deploy guide, the proxy holds the clients' connections.
    parser.add_argument("--keep-alive", type=int, default=20, help="gunicorn's --keep-alive, seconds (default 20)")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    args = parser.parse_args()
    if args.fans < 1 or args.moderators < 1 or args.duration < 1:
        parser.error("--fans, --moderators and --duration must be at least 1")

    # Bounded: start-up, the load, the users' last flows, the drain and the teardown.
    hard_timeout = 2 * START_TIMEOUT + args.duration + STOP_TIMEOUT + args.drain + 120
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    signal.alarm(hard_timeout)

    load_before = loadavg()
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):
        old.unlink()
    scratch = Path(tempfile.mkdtemp(prefix="fanfare-load-"))
    stack = Stack()
    port, s3_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": base,
        "DATABASE_URL": args.database,
        "REDIS_URL": args.cache,
        "CELERY_BROKER_URL": args.broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "S3_PRIVATE_BUCKET": PRIVATE_BUCKET,
        "S3_PUBLIC_BUCKET": PUBLIC_BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "AWS_ACCESS_KEY_ID": "fanfare-load",
        "AWS_SECRET_ACCESS_KEY": "fanfare-load-secret",
        "AWS_S3_REGION_NAME": "us-east-1",
        "S3_PUBLIC_URL_PROTOCOL": "http:",
        "EMAIL_URL": "dummymail://",  # decisions e-mail the fan; nothing leaves the machine
        # Upload-slot caps: every fan of the run comes from 127.0.0.1.
        "UPLOAD_SLOTS_PER_CLIENT": "100000",
        "UPLOAD_SLOTS_PER_FAN": "100",
        "LOG_LEVEL": "WARNING",
    }
    status = 1
    try:
        print(f"load: {args.fans} fans, {args.moderators} moderators, {args.duration} s; logs in {LOGS}", flush=True)
        moto = stack.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)], env)
        wait_for("moto's S3 server", lambda: answers(f"{env['AWS_S3_ENDPOINT_URL']}/moto-api/"), moto, "moto")
        make_buckets(env)
        fresh_database(args.database)
        flush_redis(args.cache, args.broker)
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)

        os.environ.update(env)  # Django in this process reads the same settings as the servers
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        plan = seed(fans=args.fans, moderators=args.moderators)
        plan["photos"] = make_photos(scratch, 36)
        plan_path, results_path = scratch / "plan.json", scratch / "results.json"
        plan_path.write_text(json.dumps(plan))
        from django.db import connection

        connection.close()

        gunicorn = stack.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--threads",
                str(GUNICORN_THREADS),
                "--timeout",
                "60",
                "--graceful-timeout",
                "15",
                "--keep-alive",
                str(args.keep_alive),
                "--no-control-socket",  # its default path is per user: shared with anyone else's gunicorn
            ],
            {**env, "LOG_LEVEL": "WARNING"},
        )
        worker = stack.start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "-n",
                "load@%h",
                "--concurrency",
                str(WORKER_CONCURRENCY),
                "--without-gossip",
                "--without-mingle",
            ],
            {**env, "LOG_LEVEL": "INFO"},
        )
        wait_for("gunicorn", lambda: answers(f"{base}/api/v1/campaigns/"), gunicorn, "gunicorn")
        wait_for("the Celery worker", lambda: " ready." in log_text("worker"), worker, "worker")
        print(
            f"stack: gunicorn {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads (keep-alive {args.keep_alive} s)"
            f" on {base}, one Celery worker (concurrency {WORKER_CONCURRENCY}), moto S3 on :{s3_port},"
            f" PostgreSQL {args.database.rsplit('/', 1)[1]},"
            f" Redis cache {args.cache.rsplit('/', 1)[1]} / broker {args.broker.rsplit('/', 1)[1]}",
            flush=True,
        )

        users = args.fans + args.moderators + 1
        servers = {"gunicorn": gunicorn, "worker": worker, "moto": moto}
        cpu_before = {name: group_cpu_seconds(p.pid) for name, p in servers.items()}
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        locust = stack.start(
            "locust",
            [
                str(BIN / "locust"),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                base,
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{args.duration}s",
                "--stop-timeout",
                str(STOP_TIMEOUT),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            {
                **env,
                "LOAD_PLAN": str(plan_path),
                "LOAD_RESULTS": str(results_path),
                "LOAD_FANS": str(args.fans),
                "LOAD_MODERATORS": str(args.moderators),
            },
        )
        try:
            locust.wait(timeout=args.duration + STOP_TIMEOUT + 60)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"locust did not stop in time:\n{log_tail('locust')}") from exc
        elapsed = time.monotonic() - started
        cpu = {name: group_cpu_seconds(p.pid) - cpu_before[name] for name, p in servers.items()}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["locust"] = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
        if not results_path.exists():
            raise RuntimeError(f"locust exited with {locust.returncode} without results:\n{log_tail('locust')}")
        results = json.loads(results_path.read_text())

        # Every acknowledged upload is an entry at once; the worker then processes it. Wait for it.
        deadline = time.monotonic() + args.drain
        while True:
            states = entry_states()
            drained = not (states["uploaded"] or states["processing"])
            if drained or time.monotonic() > deadline or worker.poll() is not None:
                break
            time.sleep(1)
        ids = entry_ids()
        acked_ids = set(results["acked"])
        load_after = loadavg()
        acked, entries, server_errors, upload_p95, decide_p95 = report(
            results=results,
            states=states,
            missing=acked_ids - ids,
            extra=ids - acked_ids,
            load_before=load_before,
            load_after=load_after,
            elapsed=min(elapsed, args.duration),
            drained=drained,
            cpu=cpu,
            wall=elapsed,
        )

        status = 0 if acked == entries and server_errors == 0 and acked_ids == ids else 1
        print(
            f"load: uploads_acked={acked} entries={entries} server_errors={server_errors}"
            f" upload_p95_ms={upload_p95:.0f} decide_p95_ms={decide_p95:.0f}",
            flush=True,
        )
    except HardTimeout:
        print(f"load: gave up after the hard timeout of {hard_timeout} s; logs in {LOGS}", file=sys.stderr)
    except KeyboardInterrupt:
        print("load: interrupted", file=sys.stderr)
        status = 130
    except RuntimeError as exc:
        print(f"load: {exc}", file=sys.stderr)
    finally:
        signal.alarm(0)
        stack.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            try:
                drop_database(args.database)
            except Exception as exc:  # a teardown failure must not hide the figures
                print(f"load: could not drop the database: {exc}", file=sys.stderr)
        shutil.rmtree(scratch, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
