"""Moderator figures of a brand over a period (selectors): pace, time per entry, mix and undos.

The figures cover queue decisions (approve and reject) on the brand's entries; removals are
curation and are left out. One query reads the period's decisions (moderator, time as seconds,
standing approval / standing rejection / undone, bulk id; bounded by the period): the join to
the entries for the brand is its costly part, so counts, chart buckets and timelines all come
from those rows, walked in Python:

- A *session* is a run of one moderator's decisions less than SESSION_GAP apart.
- *Seconds per entry* are the gaps between consecutive decisions within a session. A bulk action
  is one event in that timeline: it keeps the session going, but the time before it is not one
  entry's time, so it is left out of the median.
- *Active time* is the sum of the in-session gaps, plus for each session the time spent on its
  first entry, which no gap measures: taken as the moderator's median seconds per entry (the
  team's when the moderator has no gap of their own).
- A decision *stands* unless it was undone within its window; the counts, the mix and the pace
  are of standing decisions, and the undo rate is undone / made. Bulk decisions count once per
  entry; how many came from bulk actions is counted apart.

The *appeal overturn rate* is one more query, grouped by the appealed decision's moderator: of the
appeals decided in the period against that moderator's decisions, the share upheld (overturned),
kept in `Figures` beside `undone` and shown as overturned / appealed. Appeals against automatic
rules name no moderator and are left out, of the team's figure too.

Speed (50,000 decisions in the period, PostgreSQL): the join to the entries is about half the
database time; a `brand` on Decision with an index on (brand, created_at) would remove it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Count, FloatField, Func, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, User
from moderation.models import Appeal, AppealOutcome, Decision, DecisionAction

SESSION_GAP = dt.timedelta(minutes=5)
QUEUE_ACTIONS = (DecisionAction.APPROVE, DecisionAction.REJECT)
UNDONE = 2  # a row's kind: 0 standing approval, 1 standing rejection, 2 undone


@dataclass(frozen=True)
class Period:
    """The last `count` hours or days up to now, in whole chart buckets of the current time zone."""

    key: str
    label: Promise
    unit: str  # "hour" or "day": the Trunc kind of the chart's buckets
    count: int
    since: dt.datetime
    until: dt.datetime

    @property
    def buckets(self) -> list[dt.datetime]:
        step = dt.timedelta(hours=1) if self.unit == "hour" else dt.timedelta(days=1)
        tz = self.since.tzinfo
        # Wall-clock steps (each bucket starts at a whole hour or midnight), then re-resolved so a
        # daylight-saving change keeps the offsets right.
        naive = self.since.replace(tzinfo=None)
        return [timezone.make_aware(naive + step * i, tz) for i in range(self.count)]


PERIODS: dict[str, tuple[Promise, str, int]] = {
    "24h": (_("Last 24 hours"), "hour", 24),
    "7d": (_("Last 7 days"), "day", 7),
    "30d": (_("Last 30 days"), "day", 30),
}
DEFAULT_PERIOD = "7d"


def period_for(*, key: str, now: dt.datetime | None = None) -> Period:
    """The period named `key` (one of PERIODS; anything else gives the default) ending at `now`.

    The first bucket starts at a whole hour (24 h) or at midnight (days) of the current time zone,
    so "last 7 days" is today and the six days before it.
    """
    if key not in PERIODS:
        key = DEFAULT_PERIOD
    label, unit, count = PERIODS[key]
    now = timezone.localtime(now or timezone.now())
    if unit == "hour":
        start = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=count - 1)
    else:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        start = timezone.make_aware(midnight - dt.timedelta(days=count - 1), now.tzinfo)
    return Period(key=key, label=label, unit=unit, count=count, since=start, until=now)


class EpochSeconds(Func):
    """A timestamp as seconds since 1970 (a float): reading 50,000 of them as numbers instead of
    datetime objects saves most of the page's Python time."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores SQLite datetimes as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds
        # from strftime, the fraction read from the text itself (julianday() would round it).
        template = "(CAST(strftime('%%%%s', %(expressions)s) AS REAL) + CAST(substr(%(expressions)s, 20) AS REAL))"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass
class Figures:
    """One moderator's figures (or the team's, `moderator` None) over a period."""

    moderator: User | None = None
    made: int = 0  # decisions made, undone ones included
    undone: int = 0
    approved: int = 0  # standing approvals
    rejected: int = 0  # standing rejections
    bulk: int = 0  # standing decisions made by bulk actions
    sessions: int = 0
    appealed: int = 0  # appeals against this moderator's decisions decided in the period
    overturned: int = 0  # of them, upheld
    active_seconds: float | None = None
    median_seconds: float | None = None
    # Standing (approved, rejected) per chart bucket.
    per_bucket: dict[dt.datetime, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    gaps: list[float] = field(default_factory=list, repr=False)

    @property
    def decisions(self) -> int:
        return self.approved + self.rejected

    @property
    def active_hours(self) -> float | None:
        return None if self.active_seconds is None else self.active_seconds / 3600

    @property
    def per_active_hour(self) -> float | None:
        if not self.active_seconds:
            return None
        return self.decisions / (self.active_seconds / 3600)

    @property
    def approve_share(self) -> float | None:
        """Approvals as a share (0–1) of standing decisions; None without any."""
        return self.approved / self.decisions if self.decisions else None

    @property
    def undo_rate(self) -> float | None:
        return self.undone / self.made if self.made else None

    @property
    def overturn_rate(self) -> float | None:
        """Upheld appeals as a share (0–1) of decided appeals against these decisions; None without any."""
        return self.overturned / self.appealed if self.appealed else None


@dataclass
class ModeratorStats:
    period: Period
    team: Figures
    moderators: list[Figures]  # busiest first

    def of(self, moderator_id: int) -> Figures | None:
        return next((f for f in self.moderators if f.moderator is not None and f.moderator.pk == moderator_id), None)


def moderator_stats(*, brand: Brand, period: Period, include: Iterable[int] = ()) -> ModeratorStats:
    """Figures per moderator and for the team of `brand` over `period` (see the module docstring).

    Moderators with decisions on the brand's entries in the period are listed, and so are the
    users in `include` (with zero figures when they decided nothing). No permission check: the
    caller has checked that the reader belongs to the brand.
    """
    # One pass over the period's decisions: the join to the entries (for the brand) is the
    # costly part, so counts, chart buckets and timelines all come from the same rows. Each row
    # is (moderator, seconds since 1970, kind, bulk id); kind 0: standing approval, 1: standing
    # rejection, 2: undone. Read without Django's per-value converters (a float() call each).
    rows = (
        Decision.objects.filter(
            brand=brand, created_at__gte=period.since, created_at__lt=period.until, action__in=QUEUE_ACTIONS
        )
        .order_by()
        .values_list(
            "moderator_id",
            EpochSeconds("created_at"),
            Case(
                When(undone_at__isnull=False, then=Value(UNDONE)),
                When(action=DecisionAction.APPROVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "bulk_id",
        )
    )
    sql, params = rows.query.sql_with_params()
    tallies: dict[int, _Tally] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for moderator_id, at, kind, bulk_id in cursor.fetchall():
            tally = tallies.get(moderator_id)
            if tally is None:
                tally = tallies[moderator_id] = _Tally()
            if bulk_id is None:
                tally.singles[kind].append(at)
            else:
                tally.bulk_rows.append((at, kind, bulk_id))

    buckets = period.buckets
    edges = [b.timestamp() for b in buckets]
    team = Figures()
    by_moderator: dict[int, Figures] = {}
    for moderator_id, tally in tallies.items():
        figures = by_moderator[moderator_id] = tally.figures(buckets, edges)
        team.made += figures.made
        team.undone += figures.undone
        team.bulk += figures.bulk
        team.approved += figures.approved
        team.rejected += figures.rejected
        for at, (approved, rejected) in figures.per_bucket.items():
            team.per_bucket[at][0] += approved
            team.per_bucket[at][1] += rejected
        _walk_timeline(tally, figures)
    _add_active_time(by_moderator, team)
    _add_appeals(brand=brand, period=period, by_moderator=by_moderator, team=team)

    users = User.objects.in_bulk([*by_moderator, *include])
    listed = []
    for user_id, user in users.items():
        figures = by_moderator.get(user_id) or Figures()
        figures.moderator = user
        listed.append(figures)
    listed.sort(key=lambda f: (-f.decisions, -f.made, str(f.moderator)))
    return ModeratorStats(period=period, team=team, moderators=listed)


def _add_appeals(*, brand: Brand, period: Period, by_moderator: dict[int, Figures], team: Figures) -> None:
    """Appeals decided in the period, per moderator whose decision they contested."""
    counts = (
        Appeal.objects.filter(
            brand=brand, decided_at__gte=period.since, decided_at__lt=period.until, contested_by__isnull=False
        )
        .order_by()
        .values("contested_by_id")
        .annotate(appealed=Count("pk"), overturned=Count("pk", filter=Q(outcome=AppealOutcome.UPHELD)))
    )
    for row in counts:
        figures = by_moderator.setdefault(row["contested_by_id"], Figures())
        figures.appealed, figures.overturned = row["appealed"], row["overturned"]
        team.appealed += row["appealed"]
        team.overturned += row["overturned"]


class _Tally:
    """One moderator's rows: single decisions' times by kind, and the rows of bulk actions."""

    __slots__ = ("bulk_rows", "singles")

    def __init__(self) -> None:
        self.singles: tuple[list[float], list[float], list[float]] = ([], [], [])
        self.bulk_rows: list[tuple[float, int, Any]] = []  # (time, kind, bulk id)

    def figures(self, buckets: list[dt.datetime], edges: list[float]) -> Figures:
        """Counts and per-bucket counts (`edges`: each bucket's start, in seconds since 1970)."""
        approved, rejected, undone = (sorted(times) for times in self.singles)
        self.singles = (approved, rejected, undone)
        figures = Figures(undone=len(undone))
        counts = {0: approved, 1: rejected}
        bounds = [*edges[1:], math.inf]
        for slot, times in counts.items():
            for at, start, end in zip(buckets, edges, bounds, strict=True):
                n = bisect.bisect_left(times, end) - bisect.bisect_left(times, start)
                if n:
                    figures.per_bucket[at][slot] += n
        for seconds, kind, _bulk_id in self.bulk_rows:
            if kind == UNDONE:
                figures.undone += 1
                continue
            figures.bulk += 1
            figures.per_bucket[buckets[bisect.bisect_right(edges, seconds) - 1]][kind] += 1
        for approved_n, rejected_n in figures.per_bucket.values():
            figures.approved += approved_n
            figures.rejected += rejected_n
        figures.made = figures.decisions + figures.undone
        return figures


def _walk_timeline(tally: _Tally, figures: Figures) -> None:
    """Sessions, in-session time (`active_seconds`, without the first entries yet) and gaps.

    Undone decisions are in the timeline: the moderator spent that time. Each bulk action is one
    event at its first decision's time; the gap before it is active time but not an entry's time.
    """
    limit = SESSION_GAP.total_seconds()
    singles = sorted([*tally.singles[0], *tally.singles[1], *tally.singles[2]])
    bulk_starts: dict[Any, float] = {}
    for at, _kind, bulk_id in tally.bulk_rows:
        bulk_starts[bulk_id] = min(at, bulk_starts.get(bulk_id, math.inf))
    if not bulk_starts:
        gaps = [later - earlier for earlier, later in itertools.pairwise(singles)]
        figures.gaps = [gap for gap in gaps if gap < limit]
        figures.sessions = (len(gaps) - len(figures.gaps) + 1) if singles else 0
        figures.active_seconds = sum(figures.gaps)
        return
    events = sorted([*((at, False) for at in singles), *((at, True) for at in bulk_starts.values())])
    active = 0.0
    previous: float | None = None
    for at, is_bulk in events:
        gap = None if previous is None else at - previous
        if gap is None or gap >= limit:
            figures.sessions += 1
        else:
            active += gap
            if not is_bulk:
                figures.gaps.append(gap)
        previous = at
    figures.active_seconds = active


def _add_active_time(by_moderator: dict[int, Figures], team: Figures) -> None:
    """Medians, and active time: in-session time plus each session's first entry at the median."""
    for figures in by_moderator.values():
        if figures.gaps:
            figures.median_seconds = statistics.median(figures.gaps)
        team.sessions += figures.sessions
        team.gaps += figures.gaps

    if team.gaps:
        team.median_seconds = statistics.median(team.gaps)
    team_active = 0.0
    for figures in by_moderator.values():
        first_entry = figures.median_seconds if figures.median_seconds is not None else team.median_seconds
        if first_entry is None:
            figures.active_seconds = None  # not one timed entry in the whole team: no pace to show
            continue
        figures.active_seconds = (figures.active_seconds or 0.0) + figures.sessions * first_entry
        team_active += figures.active_seconds
    if team.median_seconds is not None:
        team.active_seconds = team_active
