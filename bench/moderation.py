"""Moderation benchmark: the queue's claim at 10,000 and 1,000,000 entries, the brand home at
1,000,000, one moderator and then 50 at once claiming and deciding, on PostgreSQL, through the
service layer.

    .venv/bin/python bench/moderation.py [--database postgres://postgres@127.0.0.1:5432/<name>]

It makes its own two databases, `<name>` (1,000,000 entries) and `<name>_small` (10,000), by
default `fanfare_bench_moderation[_small]`: dropped, created and migrated, and dropped again at the
end unless --keep-db. Redis database 7 is the cache and 8 the broker (both flushed before and
after); the decisions' delayed effects are queued there and never run (see "decide" below). The
data is built with SQL (INSERT … SELECT over generate_series), not through the ORM:

- 5 brands with 4 open campaigns each, 2,000 fans, 50 moderators (members of every brand) and an
  admin per brand (ORM bulk inserts: a few thousand rows);
- entries spread over 180 days, brand after brand, every fiftieth entry of a brand pending (2%),
  the others approved, rejected, featured, withdrawn or removed; the small database holds the
  large one's first 10,000 entries (the same shape). The tallies are what the compaction leaves,
  plus a minute of unfolded deltas (18,000 rows that sum to nothing). Then VACUUM ANALYZE.

Then, in order:

1. **claim**: one moderator claims a brand's oldest entry and releases it
   (`moderation.services.queue_claim` + `queue_release`), over the brands in turn, in the small
   and the large database by turns of 5 (so both sizes see the same load); the ratio of the two
   p95s of the pair is the first figure.
2. **brand home at 1,000,000**: `GET /console/<brand>/` through Django's test Client as the brand's
   admin (DEBUG off), p50/p95 over the requests; the statements of a request are counted, and any
   that reads the entry table is reported.
3. **one moderator** claims and decides in a row on another brand's queue: the latency of the
   requests themselves, and the CPU a claim+decide costs (this process, and its PostgreSQL backend
   read from /proc), hence what two idle cores could do at most.
4. **50 moderators** (threads) in 4 processes claim one entry at a time from one brand's queue
   (4,000 pending) and decide it (80% approve, 20% reject citing a guideline) until the queue is
   empty, with no pause. Entries decided twice are counted with a query over Decision.

`entry_decide` returns once the decision is recorded; its effects (state, public files, the
fan's e-mail) run later in `decision_apply` after the undo window, so "decide" times the request
part only.

The last line reads `moderation: claim_p95_1m_over_10k=<r> double_decisions=<n> decisions_per_s=<n>
decide_p95_ms=<ms> brand_home_1m_ms=<ms>`: decisions_per_s from step 4, decide_p95_ms from step 3
(in step 4 each of the 50 moderators waits its turn, so its latency is 50 / throughput whatever
the code; it is printed above), brand_home_1m_ms the p95 of step 2. Goals: <= 1.2, 0, >= 150,
<= 50, <= 50. It exits 1 when an entry was decided twice, an entry was left undecided, or a
service raised anything but a Conflict; the timing goals are printed as met or missed.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/fanfare_bench_moderation"
DEFAULT_CACHE = "redis://127.0.0.1:6379/7"
DEFAULT_BROKER = "redis://127.0.0.1:6379/8"
BRANDS, CAMPAIGNS_PER_BRAND, FANS = 5, 4, 2000
PENDING_EVERY = 50  # 2% of the entries wait for a decision
SPAN_DAYS = 180
UNFOLDED_DELTAS = 18_000  # a minute of +1/-1 rows at 150 decisions/s, before the compaction folds them
GUIDELINES = [("own-work", "It is your own work."), ("on-topic", "It shows the theme."), ("no-ads", "No ads.")]
CLAIM_TURN = 5  # claim+release pairs in one database before the other's turn: short, so load bursts hit both
GOALS = {"claim_ratio": 1.2, "double": 0, "per_s": 150, "decide_p95": 50, "home_p95": 50}


class HardTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise HardTimeout


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 when there are no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(values: list[float]) -> str:
    return (
        f"n={len(values)} p50={percentile(values, 50):.2f} p95={percentile(values, 95):.2f}"
        f" p99={percentile(values, 99):.2f} max={max(values, default=0):.2f}"
    )


# --------------------------------------------------------------------------------------------------
# The database


def server_and_name(database_url: str) -> tuple[str, str]:
    server, name = database_url.rsplit("/", 1)
    return server, name


def fresh_database(database_url: str) -> None:
    """Drop and create the run's database (it is this benchmark's own: see --database)."""
    import psycopg
    from psycopg import sql

    server, name = server_and_name(database_url)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = server_and_name(database_url)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def connection_headroom(database_url: str) -> tuple[int, int]:
    """(max_connections, connections in use) of the server."""
    import psycopg

    server, _name = server_and_name(database_url)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_setting('max_connections')::int, (SELECT count(*) FROM pg_stat_activity)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def flush_redis(*urls: str) -> None:
    import redis

    for url in urls:
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()


# --------------------------------------------------------------------------------------------------
# Data, built with SQL


def seed_people() -> dict[str, Any]:
    """Brands, campaigns with guidelines, fans, moderators and admins (a few thousand rows: ORM bulk)."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Brand, Membership, Role, User
    from campaigns.models import Campaign, Guideline

    opened = timezone.now() - dt.timedelta(days=SPAN_DAYS + 1)
    brands = Brand.objects.bulk_create(Brand(name=f"Bench Brand {b}", slug=f"bench-brand-{b}") for b in range(BRANDS))
    campaigns = []
    for brand in brands:
        for c in range(CAMPAIGNS_PER_BRAND):
            campaigns.append(
                Campaign.objects.create(
                    brand=brand,
                    slug=f"{brand.slug}-c{c}",
                    title=f"Campaign {c} of {brand.name}",
                    hashtag=f"#Bench{brand.pk}x{c}",
                    consent_terms="You let the brand show your entry.",
                    opens_at=opened - dt.timedelta(days=c),
                    time_zone="UTC",
                )
            )
    Guideline.objects.bulk_create(
        Guideline(campaign=campaign, number=n, code=code, text=text)
        for campaign in campaigns
        for n, (code, text) in enumerate(GUIDELINES, start=1)
    )
    unusable = make_password(None)
    User.objects.bulk_create(
        User(email=f"fan{i}@bench.test", display_name=f"Fan {i}", password=unusable) for i in range(FANS)
    )
    moderators = User.objects.bulk_create(
        User(email=f"moderator{i}@bench.test", display_name=f"Moderator {i}", password=unusable) for i in range(50)
    )
    admins = User.objects.bulk_create(
        User(email=f"admin{b}@bench.test", display_name=f"Admin {b}", password=unusable) for b in range(BRANDS)
    )
    Membership.objects.bulk_create(
        [Membership(user=m, brand=b, role=Role.MODERATOR) for m in moderators for b in brands]
        + [Membership(user=a, brand=b, role=Role.ADMIN) for a, b in zip(admins, brands, strict=True)]
    )
    return {
        "brands": [b.pk for b in brands],
        "brand_slugs": [b.slug for b in brands],
        "moderators": [m.pk for m in moderators],
        "admins": [a.pk for a in admins],
    }


def entry_columns() -> list[tuple[str, str]]:
    """(column, SQL expression over the series value `i` and the `f`/`c` arrays) for every column of
    the entry table. A column this list does not know must be nullable or have a constant default,
    so a field added later either works here or stops the run with its name."""
    from django.db import connection

    from submissions.models import Entry

    # Entry i is of brand i % BRANDS; every PENDING_EVERY-th entry of a brand is pending (spread
    # over the brand's campaigns), the others' states by a hash of i.
    state = (
        f"CASE WHEN (i / {BRANDS}) % {PENDING_EVERY} = 7 THEN 'pending'"
        " ELSE (ARRAY['approved','approved','approved','approved','approved','approved',"
        "'rejected','rejected','rejected','featured','withdrawn','removed'])[1 + ((i::bigint * 7919) % 12)::int] END"
    )
    created = f"t0 + i * (interval '{SPAN_DAYS} days' / {{large}})"
    known = {
        "id": "gen_random_uuid()",
        "campaign_id": (
            f"c.ids[1 + (i % {BRANDS}) * {CAMPAIGNS_PER_BRAND}"
            f" + (i / {BRANDS} + i / {BRANDS * PENDING_EVERY}) % {CAMPAIGNS_PER_BRAND}]"
        ),
        "brand_id": f"c.brands[1 + (i % {BRANDS}) * {CAMPAIGNS_PER_BRAND}]",
        "author_id": f"f.ids[1 + (i * 31) % {FANS}]",
        "kind": "CASE WHEN i % 10 = 3 THEN 'video' ELSE 'photo' END",
        "caption": "'Dancing on day ' || (i % 997)",
        "alt_text": "'A fan dancing'",
        "original": "'originals/bench/' || i || '.jpg'",
        "original_bytes": "2000000 + i % 1000",
        "original_format": "'jpeg'",
        "width": "1600",
        "height": "1200",
        "duration_seconds": "NULL",
        "sha256": "md5(i::text) || md5((i + 1)::text)",
        "phash": "substr(md5(i::text), 1, 16)",
        "dominant_color": "'#336699'",
        "placeholder": "''",
        "original_summary": "'{}'::jsonb",
        "flags": "'[]'::jsonb",
        "duplicate_of_id": "NULL",
        "consent_version": "1",
        "consent_given_at": created,
        "state": state,
        "state_changed_at": f"{created} + interval '1 hour'",
        "rejection_reason": "''",
        "processing_attempts": "1",
        "claimed_by_id": "NULL",
        "claim_expires_at": "NULL",
        "created_at": created,
    }
    columns = []
    for field in Entry._meta.concrete_fields:
        column = field.column
        if column in known:
            columns.append((column, known[column]))
        elif field.null:
            columns.append((column, "NULL"))
        elif field.has_default() and not callable(field.default):
            value = field.get_db_prep_save(field.default, connection)
            columns.append((column, connection.ops.adapt_unknown_value(value) if value is not None else "NULL"))
        else:
            raise RuntimeError(f"bench/moderation.py does not know how to fill the entry column {column!r}")
    return columns


def add_entries(start: int, stop: int, *, large: int) -> float:
    """Insert entries number start..stop-1 (one INSERT … SELECT over generate_series); seconds taken."""
    from django.db import connection

    from submissions.models import Entry

    columns = entry_columns()
    names = ", ".join(connection.ops.quote_name(c) for c, _e in columns)
    # `%` is psycopg's placeholder: the expressions' modulo operators are doubled.
    exprs = ", ".join(e.replace("{large}", str(large)).replace("%", "%%") for _c, e in columns)
    table = connection.ops.quote_name(Entry._meta.db_table)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            f"""
            WITH f AS (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_user WHERE email LIKE 'fan%%@bench.test'),
                 c AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(brand_id ORDER BY id) AS brands
                       FROM campaigns_campaign),
                 t AS (SELECT now() - interval '{SPAN_DAYS} days' - interval '1 day' AS t0)
            INSERT INTO {table} ({names})
            SELECT {exprs} FROM generate_series(%s, %s) AS i, f, c, t
            """,  # noqa: S608 (our own expressions; the range goes as parameters)
            [start, stop - 1],
        )
        cursor.execute("SET synchronous_commit = on")
    return time.monotonic() - started


def rebuild_tallies() -> None:
    """The tallies as the compaction leaves them, plus a minute of unfolded deltas that sum to nothing."""
    from django.db import connection

    from submissions.models import EntryTally

    table = connection.ops.quote_name(EntryTally._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, state, n)"  # noqa: S608
            " SELECT campaign_id, state, count(*) FROM submissions_entry GROUP BY campaign_id, state"
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (campaign_id, state, n)
            SELECT c.id, s.state, CASE WHEN mod(g + s.k, 2) = 0 THEN 1 ELSE -1 END
            FROM generate_series(1, %s) AS g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS r FROM campaigns_campaign) AS c
              ON c.r = mod(g / 2, {BRANDS * CAMPAIGNS_PER_BRAND})
            CROSS JOIN (VALUES ('pending', 0), ('approved', 1)) AS s(state, k)
            """,  # noqa: S608
            [UNFOLDED_DELTAS // 2],
        )


def vacuum_analyze() -> float:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in ("submissions_entry", "submissions_entrytally", "accounts_user", "campaigns_campaign"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return time.monotonic() - started


def entry_count() -> int:
    from submissions.models import Entry

    return Entry.objects.count()


# --------------------------------------------------------------------------------------------------
# 1 and 2: claim + release


@contextlib.contextmanager
def on_database(alias: str) -> Iterator[None]:
    """Run the app's code (which uses the default database) on another configured database."""
    from django.db import connections

    default = connections["default"]
    connections["default"] = connections[alias]
    try:
        yield
    finally:
        connections["default"] = default


def add_database(alias: str, database_url: str) -> None:
    from django.db import connections

    _server, name = server_and_name(database_url)
    connections.settings[alias] = {**connections.settings["default"], "NAME": name}


def migrate(*database_urls: str) -> None:
    """Migrate the databases at once (one manage.py each)."""
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
        )
        for url in database_urls
    ]
    for run in runs:
        if run.wait() != 0:
            raise RuntimeError(f"manage.py migrate exited with {run.returncode}")


def claim_rounds(people: dict[str, Any], *, rounds: int, warmup: int) -> dict[str, list[float]]:
    """One moderator claims a brand's oldest entry and releases it, over the brands in turn."""
    from accounts.models import Brand, User
    from moderation import services

    moderator = User.objects.get(pk=people["moderators"][0])
    brands = list(Brand.objects.filter(pk__in=people["brands"]).order_by("pk"))
    out: dict[str, list[float]] = {"pair": [], "claim": [], "release": []}
    for n in range(warmup + rounds):
        brand = brands[n % len(brands)]
        t0 = time.perf_counter()
        claimed = services.queue_claim(actor=moderator, brand=brand, count=1)
        t1 = time.perf_counter()
        if not claimed:
            raise RuntimeError(f"the queue of {brand.slug} is empty before the claim benchmark")
        services.queue_release(actor=moderator, entry_ids=[e.pk for e in claimed])
        t2 = time.perf_counter()
        if n >= warmup:
            out["pair"].append((t2 - t0) * 1000)
            out["claim"].append((t1 - t0) * 1000)
            out["release"].append((t2 - t1) * 1000)
    return out


def captured() -> Any:
    """A context that records the statements this thread's connection runs (.captured_queries after it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    return CaptureQueriesContext(connection)


def statements(captured_queries: list[dict[str, Any]]) -> str:
    """How many statements, and round trips with BEGIN and COMMIT (savepoints left out)."""
    skip = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    trips = [q["sql"].strip().upper() for q in captured_queries if not q["sql"].lstrip().upper().startswith(skip)]
    plain = [sql for sql in trips if sql not in ("BEGIN", "COMMIT", "ROLLBACK")]
    return f"{len(plain)} statement(s), {len(trips)} round trips"


def explain(statements: list[dict[str, Any]], *, only: Callable[[str], bool] = lambda sql: True) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) each captured statement, in a transaction rolled back afterwards."""
    from django.db import connection, transaction

    for statement in statements:
        sql = statement["sql"]
        if not only(sql) or not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH", "INSERT", "DELETE")):
            continue
        print(f"\n  {sql[:300]}{'…' if len(sql) > 300 else ''}")
        with contextlib.suppress(Exception), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
                for (line,) in cursor.fetchall():
                    print(f"    {line}")
            transaction.set_rollback(True)


def claim_statements(people: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of one claim (and its release), for the report and EXPLAIN."""
    from accounts.models import Brand, User
    from moderation import services

    moderator = User.objects.get(pk=people["moderators"][0])
    brand = Brand.objects.get(pk=people["brands"][0])
    with captured() as queries:
        claimed = services.queue_claim(actor=moderator, brand=brand, count=1)
    services.queue_release(actor=moderator, entry_ids=[e.pk for e in claimed])
    return list(queries.captured_queries)


# --------------------------------------------------------------------------------------------------
# 3: brand home


def brand_home(people: dict[str, Any], *, requests: int) -> tuple[list[float], list[dict[str, Any]], dict[str, float]]:
    from django.test import Client
    from django.test.utils import override_settings

    from accounts.models import User

    admin = User.objects.get(pk=people["admins"][0])
    url = f"/console/{people['brand_slugs'][0]}/"
    client = Client()
    client.force_login(admin)
    storages = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    from django.conf import settings

    times = []
    with override_settings(STORAGES={**settings.STORAGES, **storages}):
        for n in range(requests + 3):
            if n == 3:
                pg_before, cpu_before = backend_cpu_seconds(), time.process_time()
            t0 = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            if n >= 3:
                times.append(elapsed)
        cpu = {
            "python_ms": (time.process_time() - cpu_before) / requests * 1000,
            "postgres_ms": (backend_cpu_seconds() - pg_before) / requests * 1000,
        }
        with captured() as queries:
            client.get(url)
    return times, list(queries.captured_queries), cpu


# --------------------------------------------------------------------------------------------------
# 4: decisions by many moderators in several processes


def moderator_loop(user_id: int, brand_id: int, seed: int, deadline: float, out: list[Any]) -> None:
    """Claim one entry, decide it, again, until the queue is empty (or the deadline)."""
    from django.db import connection

    from accounts.models import Brand, User
    from config.errors import Conflict
    from moderation import services

    rng = random.Random(seed)
    claims: list[float] = []
    decides: list[float] = []
    decided: list[str] = []
    conflicts = 0
    errors: list[str] = []
    pg_cpu = 0.0
    try:
        user = User.objects.get(pk=user_id)
        brand = Brand.objects.get(pk=brand_id)
        pg_before = backend_cpu_seconds()
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            claimed = services.queue_claim(actor=user, brand=brand, count=1)
            t1 = time.perf_counter()
            claims.append((t1 - t0) * 1000)
            if not claimed:
                break
            entry = claimed[0]
            reject = rng.random() < 0.2
            try:
                services.entry_decide(
                    actor=user,
                    entry_id=entry.pk,
                    action="reject" if reject else "approve",
                    guideline_codes=[GUIDELINES[rng.randrange(len(GUIDELINES))][0]] if reject else (),
                )
                decided.append(str(entry.pk))
            except Conflict:
                conflicts += 1
            decides.append((time.perf_counter() - t1) * 1000)
        pg_cpu = backend_cpu_seconds() - pg_before
    except Exception as exc:  # reported by the parent; the run then fails
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    out.append(
        {
            "claims": claims,
            "decides": decides,
            "decided": decided,
            "conflicts": conflicts,
            "errors": errors,
            "pg_cpu": pg_cpu,
        }
    )


def moderator_process(moderators: list[int], brand_id: int, start: Any, results: Any, deadline_seconds: float) -> None:
    """One process: a thread per moderator, started together when the parent says so."""
    from django.db import connections

    connections.close_all()  # never share the parent's connection (fork)
    out: list[Any] = []
    start.wait()
    cpu_before = time.process_time()  # this process's threads together
    deadline = time.monotonic() + deadline_seconds
    threads = [
        threading.Thread(target=moderator_loop, args=(user_id, brand_id, user_id, deadline, out))
        for user_id in moderators
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"moderators": out, "cpu": time.process_time() - cpu_before})


def decisions(people: dict[str, Any], *, processes: int, timeout: float) -> dict[str, Any]:
    from django.db import connections

    from submissions.models import Entry

    brand_id = people["brands"][0]
    queue = Entry.objects.filter(brand_id=brand_id, state="pending").count()
    moderators = people["moderators"]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Event()
    results = context.Queue()
    groups = [moderators[i::processes] for i in range(processes)]
    children = [
        context.Process(target=moderator_process, args=(group, brand_id, start, results, timeout)) for group in groups
    ]
    for child in children:
        child.start()
    time.sleep(1.0)  # every process is up and waiting
    t0 = time.monotonic()
    start.set()
    per_moderator: list[Any] = []
    python_cpu = 0.0
    for _ in children:
        result = results.get(timeout=timeout + 60)
        per_moderator.extend(result["moderators"])
        python_cpu += result["cpu"]
    wall = time.monotonic() - t0
    for child in children:
        child.join(timeout=30)
    return {
        "queue": queue,
        "wall": wall,
        "moderators": per_moderator,
        "threads": [len(g) for g in groups],
        "python_cpu": python_cpu,
        "postgres_cpu": sum(m["pg_cpu"] for m in per_moderator),
    }


def backend_cpu_seconds() -> float:
    """CPU time the PostgreSQL backend of this thread's connection has used (it runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_moderator(people: dict[str, Any], *, decisions: int) -> dict[str, Any]:
    """One moderator claims and decides in a loop on another brand's queue: the latency of the
    requests themselves, and the CPU one claim+decide costs in Python and in PostgreSQL."""
    from accounts.models import Brand, User
    from moderation import services

    user = User.objects.get(pk=people["moderators"][-1])
    brand = Brand.objects.get(pk=people["brands"][1])
    rng = random.Random(1)
    claims: list[float] = []
    decides: list[float] = []
    pg_before, cpu_before, wall_before = backend_cpu_seconds(), time.process_time(), time.perf_counter()
    for n in range(decisions):
        t0 = time.perf_counter()
        claimed = services.queue_claim(actor=user, brand=brand, count=1)
        t1 = time.perf_counter()
        if not claimed:
            raise RuntimeError(f"the queue of {brand.slug} ran out after {n} decisions")
        reject = rng.random() < 0.2
        services.entry_decide(
            actor=user,
            entry_id=claimed[0].pk,
            action="reject" if reject else "approve",
            guideline_codes=[GUIDELINES[0][0]] if reject else (),
        )
        t2 = time.perf_counter()
        claims.append((t1 - t0) * 1000)
        decides.append((t2 - t1) * 1000)
    wall = time.perf_counter() - wall_before
    python_ms = (time.process_time() - cpu_before) / decisions * 1000
    postgres_ms = (backend_cpu_seconds() - pg_before) / decisions * 1000
    return {"claims": claims, "decides": decides, "wall": wall, "python_ms": python_ms, "postgres_ms": postgres_ms}


def claims_past_held(people: dict[str, Any], *, rounds: int) -> tuple[int, list[float], list[float]]:
    """Claims on the brand whose whole queue was just decided: its decisions wait out their undo
    window (nobody applies them in this run), so the entries are still pending, held by their
    moderators, and each claim must find nothing without walking past them. In turns with claims
    on a brand with nothing held. Returns (held entries, ms there, ms on the other brand)."""
    from accounts.models import Brand, User
    from moderation import services
    from submissions.models import Entry

    user = User.objects.get(pk=people["moderators"][0])
    held_brand = Brand.objects.get(pk=people["brands"][0])
    other_brand = Brand.objects.get(pk=people["brands"][2])
    held = Entry.objects.filter(brand=held_brand, state="pending").count()
    times: dict[int, list[float]] = {held_brand.pk: [], other_brand.pk: []}
    for _ in range(rounds):
        for brand in (held_brand, other_brand):
            t0 = time.perf_counter()
            claimed = services.queue_claim(actor=user, brand=brand, count=1)
            times[brand.pk].append((time.perf_counter() - t0) * 1000)
            services.queue_release(actor=user, entry_ids=[e.pk for e in claimed])
    return held, times[held_brand.pk], times[other_brand.pk]


def decided_twice() -> int:
    """Entries with more than one decision that stands (not undone), counted in the database."""
    from django.db.models import Count

    from moderation.models import Decision

    return (
        Decision.objects.filter(undone_at__isnull=True)
        .values("entry_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


def undecided(brand_id: int) -> int:
    """Pending entries of the brand with no decision that stands."""
    from django.db.models import Exists, OuterRef

    from moderation.models import Decision
    from submissions.models import Entry

    standing = Decision.objects.filter(entry=OuterRef("pk"), undone_at__isnull=True)
    return Entry.objects.filter(brand_id=brand_id, state="pending").exclude(Exists(standing)).count()


# --------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=DEFAULT_DATABASE, help="PostgreSQL URL; this database and <it>_small are wiped"
    )
    parser.add_argument("--cache", default=DEFAULT_CACHE, help="Redis URL of the cache (flushed)")
    parser.add_argument("--broker", default=DEFAULT_BROKER, help="Redis URL of the Celery broker (flushed)")
    parser.add_argument("--keep-db", action="store_true", help="leave the databases for a look afterwards")
    parser.add_argument("--small", type=int, default=10_000, help="entries of the reference size")
    parser.add_argument("--large", type=int, default=1_000_000, help="entries of the large size")
    parser.add_argument("--claims", type=int, default=400, help="claim+release pairs measured at each size")
    parser.add_argument("--home-requests", type=int, default=20)
    parser.add_argument("--single", type=int, default=300, help="claim+decide of the one-moderator phase")
    parser.add_argument("--moderators", type=int, default=50)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--decide-timeout", type=float, default=240, help="seconds the moderators get at most")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the claim and the brand home")
    args = parser.parse_args()
    if not 0 < args.small < args.large:
        parser.error("--small must be positive and below --large")
    if not 1 <= args.moderators <= 50 or not 1 <= args.processes <= args.moderators:
        parser.error("--moderators is 1-50 and --processes 1-moderators")

    hard_timeout = int(900 + args.decide_timeout)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(hard_timeout)
    run_started = time.monotonic()
    load_before = loadavg()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": args.database,
        "REDIS_URL": args.cache,
        "CELERY_BROKER_URL": args.broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    small_url = f"{args.database}_small"
    status = 1
    try:
        max_conn, used = connection_headroom(args.database)
        print(
            f"moderation: {os.cpu_count()} cores, load average {load_before} at start;"
            f" PostgreSQL {max_conn} connections allowed, {used} in use",
            flush=True,
        )
        if max_conn - used < args.moderators + 5:
            raise RuntimeError(
                f"{args.moderators} moderators need {args.moderators} connections at once;"
                f" only {max_conn - used} are free"
            )
        fresh_database(args.database)
        fresh_database(small_url)
        flush_redis(args.cache, args.broker)
        os.environ.update(env)
        migrate(args.database, small_url)
        # The app's `moderation` package, not this file (its folder is first on the path when it runs).
        here = Path(__file__).resolve().parent
        sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != here)]
        import django

        django.setup()
        add_database("small", small_url)
        # WhiteNoise looks for collected static files, which the test client's requests do not need.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

        # The two sizes, in two databases of the same shape (the small one is the large one's
        # first entries), so that their claims can be timed in turns under the same load.
        with on_database("small"):
            small_people = seed_people()
            took = add_entries(0, args.small, large=args.large)
            rebuild_tallies()
            vacuum_analyze()
            print(f"\ndata: {entry_count():,} entries in {took:.1f} s (database {server_and_name(small_url)[1]})")
        people = seed_people()
        people["moderators"] = people["moderators"][: args.moderators]
        took = add_entries(0, args.large, large=args.large)
        rebuild_tallies()
        vacuumed = vacuum_analyze()
        print(
            f"data: {entry_count():,} entries in {took:.1f} s (+ VACUUM ANALYZE {vacuumed:.1f} s;"
            f" database {server_and_name(args.database)[1]})",
            flush=True,
        )

        # 1 and 2. Claim + release, the two sizes in turns of CLAIM_TURN.
        with on_database("small"):
            claim_rounds(small_people, rounds=0, warmup=20)
            small_statements = claim_statements(small_people)
        claim_rounds(people, rounds=0, warmup=20)
        large_statements = claim_statements(people)
        claims_load = loadavg()
        small: dict[str, list[float]] = {"pair": [], "claim": [], "release": []}
        large: dict[str, list[float]] = {"pair": [], "claim": [], "release": []}
        for _turn in range(max(1, args.claims // CLAIM_TURN)):
            with on_database("small"):
                for key, values in claim_rounds(small_people, rounds=CLAIM_TURN, warmup=0).items():
                    small[key] += values
            for key, values in claim_rounds(people, rounds=CLAIM_TURN, warmup=0).items():
                large[key] += values
        ratio = percentile(large["pair"], 95) / max(percentile(small["pair"], 95), 1e-9)
        print(f"\nclaim+release, the two sizes in turns (load {claims_load} before, {loadavg()} after), ms:")
        for label, figures in ((f"{args.small:,}", small), (f"{args.large:,}", large)):
            print(f"  at {label:>9}: {summary(figures['pair'])}")
            print(f"     claim {summary(figures['claim'])}; release p95={percentile(figures['release'], 95):.2f}")
        print(
            f"  one claim: {statements(large_statements)} at {args.large:,}"
            f" ({statements(small_statements)} at {args.small:,})"
        )
        print(f"  ratio of the p95s, {args.large:,} / {args.small:,}: {ratio:.2f}", flush=True)

        # 3. The brand home.
        home_load = loadavg()
        home, home_queries, home_cpu = brand_home(people, requests=args.home_requests)
        entry_readers = [q for q in home_queries if '"submissions_entry"' in q["sql"]]
        print(
            f"\nbrand home at {args.large:,} entries (load {home_load}), ms: {summary(home)};"
            f" {len(home_queries)} statements a request, {len(entry_readers)} of them on the entry table;"
            f" CPU a request: {home_cpu['python_ms']:.1f} ms Python + {home_cpu['postgres_ms']:.1f} ms PostgreSQL",
            flush=True,
        )
        for q in entry_readers:
            print(f"  reads entries: {q['sql'][:200]}")

        # 4a. One moderator: the requests' own latency and CPU cost.
        single_load = loadavg()
        single = one_moderator(people, decisions=args.single)
        cpu_ms = single["python_ms"] + single["postgres_ms"]
        print(
            f"\none moderator, {args.single} claim+decide in a row on another brand's queue (load {single_load}):"
            f" {args.single / single['wall']:.0f}/s"
        )
        print(f"  claim, ms: {summary(single['claims'])}")
        print(f"  decide (the request part: effects run later in decision_apply), ms: {summary(single['decides'])}")
        print(
            f"  CPU per claim+decide: {single['python_ms']:.1f} ms Python + {single['postgres_ms']:.1f} ms PostgreSQL"
            f" backend = {cpu_ms:.1f} ms, so {os.cpu_count()} idle cores could do at most"
            f" {(os.cpu_count() or 1) * 1000 / cpu_ms:.0f}/s (commits' WAL writes and Redis not counted)",
            flush=True,
        )

        # 4b. Many moderators at once.
        max_conn, used = connection_headroom(args.database)
        decide_load = loadavg()
        result = decisions(people, processes=args.processes, timeout=args.decide_timeout)
        per = result["moderators"]
        decides = [t for m in per for t in m["decides"]]
        claims_under_load = [t for m in per for t in m["claims"]]
        decided = sum(len(m["decided"]) for m in per)
        conflicts = sum(m["conflicts"] for m in per)
        errors = [e for m in per for e in m["errors"]]
        double = decided_twice()
        left = undecided(people["brands"][0])
        per_s = decided / result["wall"] if result["wall"] else 0.0
        print(
            f"\ndecisions: {len(per)} moderators (threads {'+'.join(map(str, result['threads']))} in"
            f" {args.processes} processes; {used} of {max_conn} connections in use before), one brand's queue of"
            f" {result['queue']:,} pending (load {decide_load} before, {loadavg()} after)"
        )
        print(
            f"  {decided:,} decided in {result['wall']:.1f} s = {per_s:.0f}/s (claim + decide, all processes);"
            f" {conflicts} conflicts; {len(errors)} errors; {left} left undecided; {double} decided twice"
        )
        used = result["python_cpu"] + result["postgres_cpu"]
        cores = os.cpu_count() or 1
        available = cores * result["wall"]
        print(
            f"  CPU: {result['python_cpu']:.1f} s Python + {result['postgres_cpu']:.1f} s PostgreSQL backends ="
            f" {used:.1f} s of the {available:.1f} core-seconds the run lasted ({used / available:.0%});"
            f" {used / max(decided, 1) * 1000:.1f} ms a decision, so both cores to itself would do"
            f" {decided / used * cores if used else 0:.0f}/s"
        )
        print(f"  claim, ms: {summary(claims_under_load)}")
        print(f"  decide, ms: {summary(decides)}")
        print(
            f"  (with no pause between decisions each moderator waits its turn: a claim+decide takes about"
            f" {len(per)} / {per_s:.0f} per s = {len(per) / max(per_s, 1e-9) * 1000:.0f} ms here, whatever the code)"
        )
        for error in sorted(set(errors))[:10]:
            print(f"  error: {error}")
        held, past_held, nothing_held = claims_past_held(people, rounds=50)
        print(
            f"  then claims on that brand, its {held:,} entries held while their decisions wait out the undo"
            f" window (none applied in this run), ms: {summary(past_held)};"
            f" in turns with a brand with nothing held: {summary(nothing_held)}",
            flush=True,
        )

        decide_p95 = percentile(single["decides"], 95)
        home_p95 = percentile(home, 95)
        met = {
            "claim_ratio": ratio <= GOALS["claim_ratio"],
            "double": double == GOALS["double"],
            "per_s": per_s >= GOALS["per_s"],
            "decide_p95": decide_p95 <= GOALS["decide_p95"],
            "home_p95": home_p95 <= GOALS["home_p95"],
        }
        print(
            f"\ngoals: claim p95 ratio <= {GOALS['claim_ratio']} {'met' if met['claim_ratio'] else 'MISSED'};"
            f" decided twice = 0 {'met' if met['double'] else 'MISSED'};"
            f" >= {GOALS['per_s']} decisions/s {'met' if met['per_s'] else 'MISSED'};"
            f" decide p95 (one moderator) <= {GOALS['decide_p95']} ms {'met' if met['decide_p95'] else 'MISSED'};"
            f" brand home p95 <= {GOALS['home_p95']} ms {'met' if met['home_p95'] else 'MISSED'}"
        )
        if args.explain or not met["claim_ratio"]:
            print(f"\nEXPLAIN of one claim at {args.large:,} entries:")
            explain(large_statements)
        if args.explain or not met["home_p95"]:
            print(f"\nEXPLAIN of the brand home's statements at {args.large:,} entries:")
            explain(home_queries, only=lambda sql: "tally" in sql or "entry" in sql)
        print(f"\nrun took {time.monotonic() - run_started:.0f} s; load average {loadavg()} at the end")
        status = 0 if double == 0 and left == 0 and not errors else 1
        print(
            f"moderation: claim_p95_1m_over_10k={ratio:.2f} double_decisions={double} decisions_per_s={per_s:.0f}"
            f" decide_p95_ms={decide_p95:.0f} brand_home_1m_ms={home_p95:.0f}",
            flush=True,
        )
    except HardTimeout:
        print(f"moderation: gave up after the hard timeout of {hard_timeout} s", file=sys.stderr)
    except KeyboardInterrupt:
        print("moderation: interrupted", file=sys.stderr)
        status = 130
    except RuntimeError as exc:
        print(f"moderation: {exc}", file=sys.stderr)
    finally:
        signal.alarm(0)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            for url in (args.database, small_url):
                try:
                    drop_database(url)
                except Exception as exc:  # a teardown failure must not hide the figures
                    print(f"moderation: could not drop the database: {exc}", file=sys.stderr)
        with contextlib.suppress(Exception):
            flush_redis(args.cache, args.broker)
    return status


if __name__ == "__main__":
    sys.exit(main())
