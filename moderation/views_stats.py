"""The moderator stats page of the brand console, with its chart drawn on the server as SVG.

Kept apart from views.py so it can move to the console app as it is. Figures come from
moderation.stats; this module only formats them and lays out the chart.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import dateformat, formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import READ_ROLES, Membership
from accounts.permissions import AuthenticatedHttpRequest, brand_for_member
from moderation import stats
from moderation.stats import Figures, ModeratorStats, Period

# Chart geometry, in SVG user units (the picture scales to the page's width).
# Axis text is 13 units on wide screens and 22 on phones (the stylesheet), where the picture is
# drawn smaller: the margins leave room for the larger size, and labels marked minor are hidden.
LEFT, RIGHT, TOP, PLOT_HEIGHT, BOTTOM = 60, 12, 14, 200, 40
STEP = {24: 26, 7: 64, 30: 22}  # width per bucket, by number of buckets
LABEL_EVERY = {24: (3, 6), 7: (1, 1), 30: (3, 6)}  # a bucket label every n buckets: wide, phone


@login_required
@require_GET
def moderators(request: AuthenticatedHttpRequest, brand: str) -> HttpResponse:
    """Pace, time per entry, approve/reject mix and undo rate per moderator and for the team.

    Any member of the brand may read it; others get 404. `?period=24h|7d|30d` (default 7d);
    `?moderator=<user id>` highlights one moderator: a member of the brand, or someone who decided
    on the brand's entries in the period. For anyone else the page shows the team and says so,
    naming nobody, so ids tell nothing (and a former member's link still works in other periods).
    """
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
    period = stats.period_for(key=request.GET.get("period", ""))
    chosen_id = _moderator_id(request.GET.get("moderator"))
    include = []
    if chosen_id is not None and Membership.objects.filter(brand=brand_obj, user_id=chosen_id).exists():
        include.append(chosen_id)
    figures = stats.moderator_stats(brand=brand_obj, period=period, include=include)
    chosen = figures.of(chosen_id) if chosen_id is not None else None

    def link(**params: Any) -> str:
        query = {"period": period.key, "moderator": chosen_id, **params}
        return "?" + urlencode({k: v for k, v in query.items() if v is not None})

    context = {
        "brand": brand_obj,
        "period": period,
        "periods": [
            {"key": key, "label": label, "url": link(period=key), "current": key == period.key}
            for key, (label, _unit, _count) in stats.PERIODS.items()
        ],
        "team": _row(figures.team, figures.team),
        "rows": [
            {**_row(f, figures.team), "url": link(moderator=f.moderator.pk), "chosen": f is chosen}
            for f in figures.moderators
            if f.moderator is not None
        ],
        "chosen": _row(chosen, figures.team) if chosen else None,
        "team_url": link(moderator=None),
        "chosen_missing": chosen_id is not None and chosen is None,
        "chart": _chart(figures, chosen),
        "session_gap_minutes": int(stats.SESSION_GAP.total_seconds() // 60),
        "time_zone": timezone.get_current_timezone_name(),
        "unit_label": _("Hour") if period.unit == "hour" else _("Day"),
    }
    response = render(request, "moderation/console_moderators.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _moderator_id(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    return int(raw)


def _name(figures: Figures) -> str:
    user = figures.moderator
    if user is None:
        return _("Team")
    return user.display_name or user.email


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else formats.number_format(value, digits, use_l10n=True, force_grouping=True)


def _seconds(value: float | None) -> str:
    return "–" if value is None else _("%(s)s\N{NO-BREAK SPACE}s") % {"s": _number(value, 1)}


def _count(value: int) -> str:
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{formats.number_format(share * 100, 0)}%"


# Units keep to their numbers (no-break spaces) when a narrow screen wraps the text.
def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return _("%(s)s\N{NO-BREAK SPACE}s") % {"s": round(seconds)}
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)s\N{NO-BREAK SPACE}min") % {"m": minutes}
    return _("%(h)s\N{NO-BREAK SPACE}h %(m)02d\N{NO-BREAK SPACE}min") % {"h": minutes // 60, "m": minutes % 60}


def _row(figures: Figures, team: Figures) -> dict[str, Any]:
    """One table row of display strings (the team row compares with itself: no difference)."""
    share, team_share = figures.approve_share, team.approve_share
    against = None
    if figures is not team and share is not None and team_share is not None:
        points = round((share - team_share) * 100)
        sign = "+" if points > 0 else "−" if points < 0 else "±"  # a minus sign, not a hyphen
        against = _("%(sign)s%(points)s\N{NO-BREAK SPACE}pts") % {"sign": sign, "points": abs(points)}
    return {
        "name": _name(figures),
        "id": figures.moderator.pk if figures.moderator else None,
        "decisions": _count(figures.decisions),
        "bulk": _count(figures.bulk),
        "made": _count(figures.made),
        "sessions": _count(figures.sessions),
        "active": _duration(figures.active_seconds),
        "per_hour": _number(figures.per_active_hour, 0),
        "median": "–"
        if figures.median_seconds is None
        else _("%(s)s\N{NO-BREAK SPACE}s") % {"s": _number(figures.median_seconds, 1)},
        "approved": _count(figures.approved),
        "rejected": _count(figures.rejected),
        "approve_share": _percent(share),
        "reject_share": _percent(None if share is None else 1 - share),
        "against_team": against,
        "undone": _count(figures.undone),
        "any_undone": figures.undone > 0,
        "any_bulk": figures.bulk > 0,
        "timed": figures.active_seconds is not None,
        "undo_rate": _percent(figures.undo_rate) if figures.made else "–",
        "overturn_rate": _percent(figures.overturn_rate) if figures.appealed else "–",
        "overturned": _count(figures.overturned),
        "appealed": _count(figures.appealed),
    }


# --- The chart ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    approve_y: float
    approve_height: float
    reject_y: float
    reject_height: float


def _bar(x: float, width: float, counts: tuple[int, int], scale: float) -> Bar:
    base = TOP + PLOT_HEIGHT
    approve_height = counts[0] * scale
    reject_height = counts[1] * scale
    return Bar(
        x=round(x, 1),
        width=round(width, 1),
        approve_y=round(base - approve_height, 1),
        approve_height=round(approve_height, 1),
        reject_y=round(base - approve_height - reject_height, 1),
        reject_height=round(reject_height, 1),
    )


def _axis_top(largest: int) -> tuple[int, int]:
    """A round top for the y axis at or above `largest`, and the step between its gridlines."""
    if largest <= 4:
        return max(largest, 1), 1
    magnitude = 10 ** int(math.log10(largest / 4))
    step = next(m * magnitude for m in (1, 2, 5, 10) if largest / (m * magnitude) <= 4)
    return step * math.ceil(largest / step), step


def _axis_label(value: int, top: int) -> str:
    if top >= 10_000 and value:
        return _("%(n)sk") % {"n": formats.number_format(value / 1000, 0 if value % 1000 == 0 else 1)}
    return _count(value)


def _bucket_label(at: dt.datetime, period: Period, *, short: bool) -> str:
    if period.unit == "hour":
        return dateformat.format(at, "H:i")
    return dateformat.format(at, "D j" if short else "D j M")


def _chart(figures: ModeratorStats, chosen: Figures | None) -> dict[str, Any]:
    """Stacked approve/reject bars per bucket for the team; the chosen moderator's in front."""
    period = figures.period
    buckets = period.buckets
    team = [tuple(figures.team.per_bucket.get(b, (0, 0))) for b in buckets]
    mine = [tuple(chosen.per_bucket.get(b, (0, 0))) for b in buckets] if chosen else None
    top, tick = _axis_top(max((a + r for a, r in team), default=0))
    scale = PLOT_HEIGHT / top
    step = STEP.get(len(buckets), 24)
    width = LEFT + step * len(buckets) + RIGHT
    every, every_on_phones = LABEL_EVERY.get(len(buckets), (1, 1))
    columns = []
    for i, at in enumerate(buckets):
        x = LEFT + step * i
        counts = (int(team[i][0]), int(team[i][1]))
        mine_counts = (int(mine[i][0]), int(mine[i][1])) if mine else None
        columns.append(
            {
                "label": _bucket_label(at, period, short=True) if i % every == 0 else "",
                "minor": i % every_on_phones != 0,
                "long_label": _bucket_label(at, period, short=False),
                "label_x": round(x + step / 2, 1),
                "team": _bar(x + step * 0.14, step * 0.72, counts, scale),
                "team_counts": counts,
                "mine": _bar(x + step * 0.32, step * 0.36, mine_counts, scale) if mine_counts else None,
                "mine_counts": mine_counts,
            }
        )
    gridlines = [
        {
            "y": round(TOP + PLOT_HEIGHT - value * scale, 1),
            "value": _axis_label(value, top),
        }
        for value in range(0, top + 1, tick)
    ]
    first, last = buckets[0], buckets[-1]
    per = _("hour") if period.unit == "hour" else _("day")
    desc = _(
        "Stacked bars per %(per)s from %(first)s to %(last)s: decisions that stand, approved at the "
        "bottom, rejected on top. The team: %(approved)s approved, %(rejected)s rejected."
    ) % {
        "per": per,
        "first": _bucket_label(first, period, short=False),
        "last": _bucket_label(last, period, short=False),
        "approved": figures.team.approved,
        "rejected": figures.team.rejected,
    }
    if chosen is not None:
        desc += " " + _("Narrow bars in front: %(name)s, %(approved)s approved, %(rejected)s rejected.") % {
            "name": _name(chosen),
            "approved": chosen.approved,
            "rejected": chosen.rejected,
        }
    return {
        "width": width,
        "height": TOP + PLOT_HEIGHT + BOTTOM,
        "plot_left": LEFT,
        "plot_right": width - RIGHT,
        "baseline": TOP + PLOT_HEIGHT,
        "label_y": TOP + PLOT_HEIGHT + 20,
        "columns": columns,
        "gridlines": gridlines,
        "title": _("Decisions per %(per)s, %(period)s") % {"per": per, "period": str(period.label).lower()},
        "desc": desc,
        "chosen_name": _name(chosen) if chosen else None,
    }
