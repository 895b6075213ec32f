"""Console benchmark: a moderator at keyboard speed in a real browser, on the real stack.

    .venv/bin/python bench/console.py [--entries 300] [--reference 40]

Starts PostgreSQL's fresh database (dropped and migrated), gunicorn `config.wsgi` (2 workers x 4
threads, DEBUG=false) and one Celery worker (the decisions take effect from there after the undo
window), with Redis database 5 as the cache and 6 as the broker, and local media in a scratch
folder. It seeds a brand, a photo campaign with three guidelines, a moderator and `--entries`
pending entries made by the app's own processing (real renditions), then drives Debian's Chromium
with Playwright, keyboard only, zero think time (the next key as soon as the next picture is
painted), 80 % approve and 20 % reject citing a guideline:

- reference: the full-page flow the queue had before (a key posts the form, the browser follows
  the redirect and loads the next page), for `--reference` decisions, measured the same way;
- console: the one-page queue (static/js/console/) for the rest, with every `--pair-every`th step
  two approvals 30 ms apart.

Key press -> next entry's picture painted is measured in the page: performance.now() at keydown to
the frame after the decoded picture is in the page. The last line reads
`console: key_next_p50_ms=<ms> key_next_p95_ms=<ms> decisions_per_hour=<n> lost_keys=<n>`;
the exit status is 1 when a goal (p95 <= 100 ms, >= 30,000 decisions/hour, 0 lost keys) is missed.
Logs of the run stay in var/console-bench/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as stackkit  # the load benchmark's process and database helpers

ROOT = stackkit.ROOT
BIN = stackkit.BIN
LOGS = ROOT / "var" / "console-bench"
BRAND, CAMPAIGN = "console-bench", "console-bench"
GUIDELINES = [
    ("own-work", "It is your own work."),
    ("on-topic", "It shows the campaign's theme."),
    ("no-ads", "No advertising."),
]
PASSWORD = secrets.token_urlsafe(16)
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
GOAL_P95_MS, GOAL_PER_HOUR = 100, 30_000

# The queue's old full-page flow, as its script was before the one-page console: a key posts the
# decision form and the browser loads the next page. The page's own scripts are blocked; this
# stands in for them and measures the same interval the console measures, across the navigation
# (wall-clock ms in sessionStorage, since performance.now() restarts with each page).
OLD_FLOW = """
(() => {
  const store = window.sessionStorage;
  document.addEventListener('keydown', (event) => {
    const form = document.getElementById('decision-form');
    if (!form) return;
    if (event.key === 'a' || event.key === 'r') {
      event.preventDefault();
      store.setItem('t0', String(Date.now()));
      if (event.key === 'r') form.querySelector('input[name="guidelines"]').checked = true;
      form.querySelector(`button[value="${event.key === 'a' ? 'approve' : 'reject'}"]`).click();
    }
  });
  window.addEventListener('DOMContentLoaded', async () => {
    const t0 = Number(store.getItem('t0') || 0);
    if (!t0) return;
    store.removeItem('t0');
    const img = document.querySelector('#q-figure img');
    if (img) { try { await img.decode(); } catch (e) { /* painted without it */ } }
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const seen = JSON.parse(store.getItem('metrics') || '[]');
        seen.push(Date.now() - t0);
        store.setItem('metrics', JSON.stringify(seen));
      };
      channel.port2.postMessage(null);
    });
  });
})();
"""


def seed(*, entries: int) -> dict[str, Any]:
    """The brand, campaign, moderator and `entries` pending entries processed by the app itself."""
    import datetime as dt
    import io

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from accounts.models import Brand, Membership, Role, User
    from campaigns.models import Campaign, Guideline
    from submissions.samples import sample_photo
    from submissions.services import entry_create, entry_process

    brand = Brand.objects.create(name="Console Bench", slug=BRAND)
    campaign = Campaign.objects.create(
        brand=brand,
        slug=CAMPAIGN,
        title="Console bench",
        hashtag="#ConsoleBench",
        description="Moderators decide as fast as they can.",
        consent_terms="You let the brand show your entry.",
        accepts_videos=False,
        max_entries_per_fan=1_000_000,
        max_entries_per_fan_per_day=1_000_000,
        opens_at=timezone.now() - dt.timedelta(days=1),
        time_zone="UTC",
    )
    for number, (code, text) in enumerate(GUIDELINES, start=1):
        Guideline.objects.create(campaign=campaign, number=number, code=code, text=text)
    moderator = User.objects.create_user("moderator@console.test", password=PASSWORD, display_name="Moderator")
    EmailAddress.objects.create(user=moderator, email=moderator.email, verified=True, primary=True)
    Membership.objects.create(user=moderator, brand=brand, role=Role.MODERATOR)
    fans = [User.objects.create_user(f"fan{i}@console.test", password=None, display_name=f"Fan {i}") for i in range(20)]
    started = time.monotonic()
    for i in range(entries):
        size = (1200, 900) if i % 3 else (900, 1200)
        data = sample_photo(seed=2000 + i, size=size)
        entry = entry_create(
            author=fans[i % len(fans)],
            campaign=campaign,
            upload=io.BytesIO(data),
            size=len(data),
            caption=f"Entry {i + 1}: a move for #ConsoleBench",
            alt_text=f"A fan showing move {i + 1}",
            consent=True,
        )
        entry_process(entry_id=entry.pk)
    pending = campaign.entries.filter(state="pending").count()
    print(f"seeded {pending} pending entries with renditions in {time.monotonic() - started:.0f} s", flush=True)
    return {"moderator": moderator, "pending": pending}


def session_cookie(user: Any, base: str) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base,
    }


def decisions_of(user: Any) -> int:
    from django.db import connection

    from moderation.models import Decision

    n = Decision.objects.filter(moderator=user, undone_at__isnull=True).count()
    connection.close()
    return n


def reference_flow(browser: Any, base: str, cookie: dict[str, str], steps: int, rng: random.Random) -> list[float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([cookie])
    context.route("**/static/js/console/**", lambda route: route.abort())
    context.add_init_script(OLD_FLOW)
    page = context.new_page()
    page.goto(f"{base}/console/{BRAND}/queue/")
    page.wait_for_load_state("load")
    for step in range(steps):
        key = "a" if rng.random() < 0.8 else "r"
        page.keyboard.press(key)
        page.wait_for_function(
            f"() => JSON.parse(sessionStorage.getItem('metrics') || '[]').length >= {step + 1}", timeout=30_000
        )
    metrics = page.evaluate("JSON.parse(sessionStorage.getItem('metrics') || '[]')")
    context.close()
    return [float(m) for m in metrics]


def console_flow(
    browser: Any, base: str, cookie: dict[str, str], steps: int, pair_every: int, rng: random.Random
) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([cookie])
    context.add_init_script("performance.setResourceTimingBufferSize(10000)")  # every request of the run
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/console/{BRAND}/queue/")
    page.wait_for_function("() => window.fanfareQueue && window.fanfareQueue.current", timeout=30_000)
    page.wait_for_timeout(500)  # the first three ahead are claimed and decoded, as for a moderator who just arrived
    expected, decision_keys, pairs = 0, 0, 0
    started = time.monotonic()
    for step in range(steps):
        if pair_every and step % pair_every == pair_every - 1:
            page.keyboard.press("a")
            page.wait_for_timeout(30)
            page.keyboard.press("a")
            expected += 2
            decision_keys += 2
            pairs += 1
        elif rng.random() < 0.8:
            page.keyboard.press("a")
            expected += 1
            decision_keys += 1
        else:
            page.keyboard.press("r")
            page.keyboard.press(str(rng.randint(1, len(GUIDELINES))))
            expected += 1
            decision_keys += 1
        try:
            page.wait_for_function(f"() => window.fanfareQueue.metrics.length >= {expected}", timeout=30_000)
        except Exception as exc:
            raise RuntimeError(f"step {step}: the next picture never showed; the page: {page_state(page)}") from exc
    page.wait_for_function(
        "() => window.fanfareQueue.sending === 0 && window.fanfareQueue.keysWaiting === 0", timeout=60_000
    )
    elapsed = time.monotonic() - started
    result = page.evaluate(
        """() => {
            const q = window.fanfareQueue;
            const timing = (pattern) => performance.getEntriesByType('resource')
                .filter((r) => pattern.test(r.name)).map((r) => r.duration);
            return {metrics: q.metrics, acked: q.acked, swaps: q.swaps,
                    claims: timing(/queue\\/claims\\//), decisions: timing(/\\/decision\\/$/),
                    pictures: timing(/private-media/)};
        }"""
    )
    alert = page.locator("#queue-alert").inner_text()
    context.close()
    return {
        "metrics": [float(m) for m in result["metrics"]],
        "swaps": result["swaps"],
        "requests": {name: [float(d) for d in result[name]] for name in ("claims", "decisions", "pictures")},
        "acked": int(result["acked"]),
        "elapsed": elapsed,
        "decision_keys": decision_keys,
        "pairs": pairs,
        "errors": errors,
        "alert": alert,
    }


def page_state(page: Any) -> str:
    """What the queue page holds and says, for an error message."""
    return str(
        page.evaluate(
            """() => ({current: window.fanfareQueue.current, metrics: window.fanfareQueue.metrics.length,
                acked: window.fanfareQueue.acked, sending: window.fanfareQueue.sending,
                keysWaiting: window.fanfareQueue.keysWaiting,
                status: document.getElementById('queue-status-text').textContent,
                alert: document.getElementById('queue-alert').textContent})"""
        )
    )


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise stackkit.HardTimeout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--reference", type=int, default=40, help="decisions through the old full-page flow")
    parser.add_argument("--pair-every", type=int, default=5, help="every n-th step: two keys 30 ms apart")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_console_bench")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/5", help="Redis database of the cache (flushed)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6", help="Redis database of the broker (flushed)")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if args.entries < args.reference + 20:
        parser.error("--entries must leave at least 20 entries beyond --reference")

    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, stackkit._on_term)
    signal.alarm(1200)
    load_before = stackkit.loadavg()
    LOGS.mkdir(parents=True, exist_ok=True)
    stackkit.LOGS = LOGS  # the helpers write and read the logs of this run here
    for old in LOGS.glob("*.log"):
        old.unlink()
    scratch = Path(tempfile.mkdtemp(prefix="fanfare-console-"))
    stack = stackkit.Stack()
    port = stackkit.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": base,
        "DATABASE_URL": args.database,
        "REDIS_URL": args.cache,
        "CELERY_BROKER_URL": args.broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "FANFARE_VAR_DIR": str(scratch / "var"),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("S3_PRIVATE_BUCKET", "S3_PUBLIC_BUCKET"):
        env.pop(name, None)  # local media: this measures the console, not the storage
    status = 1
    try:
        stackkit.fresh_database(args.database)
        stackkit.flush_redis(args.cache, args.broker)
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
        )
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from config.celery import app

        app.conf.task_always_eager = True  # seeding processes the entries here, in this process
        seeded = seed(entries=args.entries)
        app.conf.task_always_eager = False
        moderator = seeded["moderator"]
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
                str(stackkit.GUNICORN_WORKERS),
                "--threads",
                str(stackkit.GUNICORN_THREADS),
                "--timeout",
                "60",
                "--keep-alive",
                "20",
                "--no-control-socket",
            ],
            env,
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
                "console-bench@%h",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
            ],
            {**env, "LOG_LEVEL": "INFO"},
        )
        stackkit.wait_for("gunicorn", lambda: stackkit.answers(f"{base}/api/v1/campaigns/"), gunicorn, "gunicorn")
        stackkit.wait_for("the Celery worker", lambda: " ready." in stackkit.log_text("worker"), worker, "worker")
        print(
            f"stack: gunicorn {stackkit.GUNICORN_WORKERS} workers x {stackkit.GUNICORN_THREADS} threads on {base},"
            f" one Celery worker, PostgreSQL {args.database.rsplit('/', 1)[1]}, Redis cache"
            f" {args.cache.rsplit('/', 1)[1]} / broker {args.broker.rsplit('/', 1)[1]}, local media",
            flush=True,
        )
        cookie = session_cookie(moderator, base)

        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
        from playwright.sync_api import sync_playwright

        rng = random.Random(7)  # the mix of keys, the same every run
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
            )
            before_reference = decisions_of(moderator)
            reference = reference_flow(browser, base, cookie, args.reference, rng)
            reference_decisions = decisions_of(moderator) - before_reference
            steps = args.entries - args.reference - 12  # leave the last few: an empty queue is not the figure
            pair_steps = steps // args.pair_every if args.pair_every else 0
            steps -= pair_steps  # a pair decides two entries
            console = console_flow(browser, base, cookie, steps, args.pair_every, rng)
            browser.close()
        console_decisions = decisions_of(moderator) - before_reference - reference_decisions
        load_after = stackkit.loadavg()

        pct = stackkit.percentile
        ref, new = reference, console["metrics"]
        ref_p50, ref_p95, p50, p95 = pct(ref, 50), pct(ref, 95), pct(new, 50), pct(new, 95)
        per_hour = console_decisions / console["elapsed"] * 3600 if console["elapsed"] else 0.0
        lost = console["decision_keys"] - console_decisions
        print("\nkey press -> next entry's picture painted, ms (nearest-rank percentiles)")
        print(f"{'flow':34} {'n':>5} {'p50':>7} {'p95':>7} {'max':>7}")
        ref_max = max(ref, default=0)
        print(f"{'reference: full page (form POST)':34} {len(ref):5d} {ref_p50:7.1f} {ref_p95:7.1f} {ref_max:7.1f}")
        print(f"{'console: one page':34} {len(new):5d} {p50:7.1f} {p95:7.1f} {max(new, default=0):7.1f}")
        print(
            f"ratio reference/console: p50 {ref_p50 / p50 if p50 else 0:.1f}x, p95 {ref_p95 / p95 if p95 else 0:.1f}x"
        )
        print(
            f"\nconsole: {console['decision_keys']} decision keys ({console['pairs']} pairs 30 ms apart),"
            f" {console_decisions} decisions on the server, {console['acked']} acknowledged to the page,"
            f" in {console['elapsed']:.1f} s -> {per_hour:,.0f} decisions/hour at zero think time"
        )
        print(f"reference: {reference_decisions} decisions through the full-page flow")
        swaps = console["swaps"]
        print(
            f"console: the next picture was decoded and waiting at {swaps['ready']} of"
            f" {swaps['ready'] + swaps['waited']} keys"
        )
        for name, durations in console["requests"].items():
            print(
                f"  {name:10} {len(durations):5d} requests, browser-measured p50 {pct(durations, 50):6.1f} ms,"
                f" p95 {pct(durations, 95):6.1f} ms"
            )
        if console["errors"] or console["alert"]:
            print(f"page errors: {console['errors']} alert: {console['alert']!r}")
        tracebacks = stackkit.log_text("gunicorn").count("Traceback (most recent call last)")
        if tracebacks:
            print(f"gunicorn log: {tracebacks} tracebacks (see {LOGS / 'gunicorn.log'})")
        print(
            f"machine: {os.cpu_count()} cores, shared;"
            f" load average (1, 5, 15 min) before {load_before}, after {load_after}"
        )
        ok = p95 <= GOAL_P95_MS and per_hour >= GOAL_PER_HOUR and lost == 0
        print(
            f"goals: p95 <= {GOAL_P95_MS} ms: {'yes' if p95 <= GOAL_P95_MS else 'NO'},"
            f" >= {GOAL_PER_HOUR:,} decisions/hour: {'yes' if per_hour >= GOAL_PER_HOUR else 'NO'},"
            f" no lost keys: {'yes' if lost == 0 else 'NO'}"
        )
        status = 0 if ok else 1
        print(
            f"console: key_next_p50_ms={p50:.0f} key_next_p95_ms={p95:.0f}"
            f" decisions_per_hour={per_hour:.0f} lost_keys={lost}",
            flush=True,
        )
    except stackkit.HardTimeout:
        print(f"console: gave up after the hard timeout; logs in {LOGS}", file=sys.stderr)
    except KeyboardInterrupt:
        print("console: interrupted", file=sys.stderr)
        status = 130
    except RuntimeError as exc:
        print(f"console: {exc}", file=sys.stderr)
    finally:
        signal.alarm(0)
        stack.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            try:
                stackkit.drop_database(args.database)
            except Exception as exc:  # a teardown failure must not hide the figures
                print(f"console: could not drop the database: {exc}", file=sys.stderr)
        shutil.rmtree(scratch, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
