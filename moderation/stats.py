"""Moderator figures of a brand over a period (selectors): pace, time per entry, mix and undos.

The figures cover queue decisions (approve and reject) on the brand's entries; removals are
curation and are left out. Counts come from one query grouped by moderator, action and chart
bucket. Timing needs each moderator's decisions in order, so it reads their timestamps (bounded
by the period) and walks them in Python:

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

Appeals arrive with a later issue. Their overturn rate then joins as one more grouped count here:
appeals decided in the period whose appeal overturned a decision, grouped by that decision's
moderator, kept in `Figures.overturned` beside `undone` and divided by the decisions appealed.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, User
from moderation.models import Decision, DecisionAction

SESSION_GAP = dt.timedelta(minutes=5)
QUEUE_ACTIONS = (DecisionAction.APPROVE, DecisionAction.REJECT)


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
    decisions = Decision.objects.filter(
        entry__brand=brand, created_at__gte=period.since, created_at__lt=period.until, action__in=QUEUE_ACTIONS
    ).order_by()
    by_moderator: dict[int, Figures] = defaultdict(Figures)
    team = Figures()
    counts = (
        decisions.annotate(bucket=Trunc("created_at", period.unit, tzinfo=timezone.get_current_timezone()))
        .values("moderator_id", "action", "bucket")
        .annotate(
            made=Count("id"),
            undone=Count("id", filter=Q(undone_at__isnull=False)),
            bulk=Count("id", filter=Q(undone_at__isnull=True, bulk_id__isnull=False)),
        )
    )
    for row in counts:
        standing = row["made"] - row["undone"]
        slot = 0 if row["action"] == DecisionAction.APPROVE else 1
        for figures in (by_moderator[row["moderator_id"]], team):
            figures.made += row["made"]
            figures.undone += row["undone"]
            figures.bulk += row["bulk"]
            if slot == 0:
                figures.approved += standing
            else:
                figures.rejected += standing
            figures.per_bucket[row["bucket"]][slot] += standing

    _add_timing(decisions, by_moderator, team)

    users = User.objects.in_bulk([*by_moderator, *include])
    listed = []
    for user_id, user in users.items():
        figures = by_moderator.get(user_id) or Figures()
        figures.moderator = user
        listed.append(figures)
    listed.sort(key=lambda f: (-f.decisions, -f.made, str(f.moderator)))
    return ModeratorStats(period=period, team=team, moderators=listed)


def _add_timing(decisions: QuerySet[Decision], by_moderator: dict[int, Figures], team: Figures) -> None:
    """Sessions, active time and median seconds per entry, from each moderator's timeline."""
    # (seconds since the epoch, made by a bulk action) per moderator, in time order. A bulk action
    # is one event, at its first decision's time.
    timelines: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    singles = decisions.filter(bulk_id__isnull=True).order_by("moderator_id", "created_at")
    for moderator_id, at in singles.values_list("moderator_id", "created_at").iterator(chunk_size=10_000):
        timelines[moderator_id].append((at.timestamp(), False))
    bulks = decisions.filter(bulk_id__isnull=False).values("moderator_id", "bulk_id").annotate(at=Min("created_at"))
    had_bulk = set()
    for row in bulks:
        timelines[row["moderator_id"]].append((row["at"].timestamp(), True))
        had_bulk.add(row["moderator_id"])
    for moderator_id in had_bulk:
        timelines[moderator_id].sort()

    gap_limit = SESSION_GAP.total_seconds()
    in_session: dict[int, float] = {}
    for moderator_id, timeline in timelines.items():
        figures = by_moderator[moderator_id]
        previous: float | None = None
        active = 0.0
        for seconds, is_bulk in timeline:
            gap = None if previous is None else seconds - previous
            if gap is None or gap >= gap_limit:
                figures.sessions += 1
            else:
                active += gap
                if not is_bulk:
                    figures.gaps.append(gap)
            previous = seconds
        in_session[moderator_id] = active
        if figures.gaps:
            figures.median_seconds = statistics.median(figures.gaps)
        team.sessions += figures.sessions
        team.gaps += figures.gaps

    if team.gaps:
        team.median_seconds = statistics.median(team.gaps)
    team_active = 0.0
    for moderator_id, active in in_session.items():
        figures = by_moderator[moderator_id]
        first_entry = figures.median_seconds if figures.median_seconds is not None else team.median_seconds
        if first_entry is None:
            continue  # not one timed entry in the whole team: no pace to show
        figures.active_seconds = active + figures.sessions * first_entry
        team_active += figures.active_seconds
    if team.median_seconds is not None:
        team.active_seconds = team_active
