"""Time the moderator stats page (/console/<brand>/moderators/) with 50,000 decisions in its week.

Builds its own PostgreSQL database (dropped and created anew: --database must be this benchmark's
own): two brands with ten moderators each and the same number of decisions, so the page has to
pick its brand's half. Decisions come in sessions of a few seconds per entry with breaks of hours,
2-6% undone, twenty bulk actions of 50. Then it renders the page in this process through Django's
test client (everything but the network) and prints, for each period, the median and p95 of the
whole request and the Python CPU time of it, with the load average: on a shared machine the wall
times follow the load, the CPU time much less. Last line:

    moderator_stats: decisions=<n> page_7d_p50_ms=<ms> page_7d_p95_ms=<ms> page_30d_p50_ms=<ms>
        cpu_7d_ms=<ms> load=<1-min>   (on one line)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODERATORS = ["Ada", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jun"]


def fresh_database(database_url: str) -> None:
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


def seed(decisions: int) -> str:
    """Both brands' decisions; returns the e-mail of an admin of the measured brand."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Brand, Membership, User
    from moderation.models import Decision
    from moderation.stats import period_for
    from submissions.models import Entry
    from tests.factories import CampaignFactory

    rng = random.Random(7)  # the same data on every run
    now = timezone.now()
    week = period_for(key="7d", now=now).since  # every decision falls in the page's default week
    week_hours = (now - week).total_seconds() / 3600
    with transaction.atomic():
        fan = User.objects.create_user("fan@bench.test", "x")
        admin = User.objects.create_user("admin@bench.test", "x")
        for slug in ("bench-brand", "other-brand"):
            brand = Brand.objects.create(slug=slug, name=slug)
            campaign = CampaignFactory.create(brand=brand)
            Membership.objects.create(user=admin, brand=brand, role="admin")
            entries, rows, team = [], [], []
            for number, name in enumerate(MODERATORS):
                moderator = User.objects.create_user(f"{name.lower()}@{slug}.test", "x", display_name=name)
                team.append(moderator)
                Membership.objects.create(user=moderator, brand=brand, role="moderator")
                at = week + dt.timedelta(minutes=37 * number)
                for k in range(decisions // len(MODERATORS)):
                    if k % 150 == 149:
                        at += dt.timedelta(hours=rng.uniform(1, 14))  # a break between sessions
                    else:
                        at += dt.timedelta(seconds=rng.expovariate(1 / (3 + number)) + 0.5)
                    if at >= now:
                        at = week + dt.timedelta(hours=rng.uniform(0, week_hours))
                    undone = rng.random() < 0.02 + 0.005 * number
                    entry = Entry(
                        campaign=campaign,
                        brand=brand,
                        author=fan,
                        alt_text="x",
                        original="o.jpg",
                        consent_version=1,
                        consent_given_at=at,
                        state="approved",
                    )
                    entries.append(entry)
                    rows.append(
                        Decision(
                            entry=entry,
                            brand=brand,
                            moderator=moderator,
                            action="approve" if rng.random() < 0.75 + 0.02 * number else "reject",
                            created_at=at,
                            effective_at=at + dt.timedelta(seconds=10),
                            applied_at=None if undone else at + dt.timedelta(seconds=10),
                            undone_at=at + dt.timedelta(seconds=4) if undone else None,
                        )
                    )
            for bulk in range(20):
                bulk_id, at = uuid.uuid4(), now - dt.timedelta(hours=bulk * 5 + 1)
                for _ in range(50):
                    entry = Entry(
                        campaign=campaign,
                        brand=brand,
                        author=fan,
                        alt_text="x",
                        original="o.jpg",
                        consent_version=1,
                        consent_given_at=at,
                        state="rejected",
                    )
                    entries.append(entry)
                    rows.append(
                        Decision(
                            entry=entry,
                            brand=brand,
                            moderator=team[bulk % 3],
                            action="reject",
                            created_at=at,
                            effective_at=at,
                            applied_at=at,
                            bulk_id=bulk_id,
                        )
                    )
            Entry.objects.bulk_create(entries, batch_size=5000)
            Decision.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return admin.email


def measure(email: str, rounds: int) -> dict[str, tuple[float, float, float, int]]:
    """Per page: (p50 ms, p95 ms, median Python CPU ms, decisions made in its period)."""
    from django.test import Client

    from accounts.models import Brand, User
    from moderation.stats import moderator_stats, period_for

    client = Client()
    client.force_login(User.objects.get(email=email))
    brand = Brand.objects.get(slug="bench-brand")
    chosen = User.objects.get(email="bo@bench-brand.test").pk
    results = {}
    for name, query in (("7d", ""), ("30d", "?period=30d"), ("24h", "?period=24h"), ("7d_one", f"?moderator={chosen}")):
        walls, cpus = [], []
        for round_ in range(rounds + 1):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(f"/console/bench-brand/moderators/{query}")
            if round_:  # the first warms the caches
                walls.append((time.perf_counter() - started) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, response.status_code
        made = moderator_stats(brand=brand, period=period_for(key=name.split("_")[0])).team.made
        walls.sort()
        p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
        results[name] = (statistics.median(walls), p95, statistics.median(cpus), made)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--decisions", type=int, default=50_000, help="per brand, nearly all in the last 7 days")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/fanfare_stats_bench",
        help="dropped and created anew: must be this benchmark's own",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    args = parser.parse_args()

    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": args.database, "DEBUG": "false"}
    fresh_database(args.database)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        # WhiteNoise looks for collected static files; the page only links the stylesheet.
        warnings.filterwarnings("ignore", message="No directory at")
        django.setup()
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["testserver"]
        # Plain static files: the page links the stylesheet, there is no collectstatic manifest here.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        started = time.perf_counter()
        email = seed(args.decisions)
        print(f"seeded 2 × {args.decisions:,} decisions in {time.perf_counter() - started:.0f} s", flush=True)
        load = os.getloadavg()[0]
        results = measure(email, args.rounds)
        load = max(load, os.getloadavg()[0])
        for name, (p50, p95, cpu, made) in results.items():
            print(
                f"page {name:7} decisions in period {made:6,}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                f"Python CPU {cpu:5.1f} ms"
            )
        print(f"load average (1 min, {os.cpu_count()} cores): {load:.2f}")
        from django.db import connections

        connections.close_all()
    finally:
        if not args.keep_db:
            drop_database(args.database)
    week, month = results["7d"], results["30d"]
    print(
        f"moderator_stats: decisions={week[3]} page_7d_p50_ms={week[0]:.0f} page_7d_p95_ms={week[1]:.0f} "
        f"page_30d_p50_ms={month[0]:.0f} cpu_7d_ms={week[2]:.0f} load={load:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
