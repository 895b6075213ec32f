"""Reading the activity record: a brand's audit trail with filters, an entry's timeline.

The filters arrive as text (query strings, the console's form) and are read here once, so the
API, the exports and the console page accept and refuse exactly the same values. A refused
value is a DomainError naming its field.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from activity.models import SYSTEM_PREFIX, Activity
from config.errors import DomainError

# A date (the whole day, UTC) or an RFC 3339 / ISO 8601 date-time (UTC when no offset is given).
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
DATE_TIME = DATE + r"[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
WHEN_PATTERN = rf"^({DATE}|{DATE_TIME})$"
# An e-mail address, a person's id, "system" (every automatic actor) or "system:<rule>": one word.
# Empty is allowed everywhere and means "no filter" (a form sends its empty fields).
# Spaces and control characters are named as a range: `\s` means different characters to Python, to
# JavaScript and to schema-driven clients (the unit separator \x1d is white space to Python alone).
ACTOR_PATTERN = r"^[^\x00-\x20]{0,254}$"
# The start of "<entity>.<verb>", e.g. "entry." or "entry.appro".
VERB_PATTERN = r"^([a-z_]{1,32}(\.[a-z_]{0,31})?)?$"
SYSTEM = "system"

_WHEN = re.compile(WHEN_PATTERN)
_DATE_TIME = re.compile(
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<h>[0-9]{2}):(?P<m>[0-9]{2})"
    r"(:(?P<s>[0-9]{2})(\.(?P<frac>[0-9]+))?)?(?P<tz>[Zz]|[+-][0-9]{2}:?[0-9]{2})?$"
)
_ACTOR = re.compile(ACTOR_PATTERN)
_VERB = re.compile(VERB_PATTERN)


@dataclass(frozen=True)
class ActorFilter:
    """Who acted: a person's id, every automatic actor, or one label (an e-mail, "system:<rule>")."""

    person_id: int | None = None
    system: bool = False
    label: str = ""


@dataclass(frozen=True)
class ActivityFilters:
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    actor: ActorFilter | None = None
    verb: str = ""
    # The values as given, for links that carry the same filters (exports, pages).
    raw: tuple[tuple[str, str], ...] = ()

    @property
    def query(self) -> dict[str, str]:
        return dict(self.raw)

    @property
    def inverted(self) -> bool:
        """The range ends before (or where) it starts: it can match nothing."""
        return self.since is not None and self.until is not None and self.until <= self.since


def _when_error(field: str) -> DomainError:
    return DomainError(
        _("Give a date (2026-11-25) or a date and time (2026-11-25T14:30:00Z)."),
        field=field,
    )


def _clamped(value: dt.datetime) -> dt.datetime:
    """`value` in UTC; an offset that pushes it past year 1 or 9999 meets the nearest end instead."""
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC) if value.year < 5000 else dt.datetime.max.replace(tzinfo=dt.UTC)


def parse_when(raw: str, *, field: str, end: bool) -> dt.datetime:
    """A filter bound from text. A date alone means the start of that day, or with `end`, its end.

    Raises DomainError naming `field` for text that is neither a date nor a date-time.
    """
    if not _WHEN.match(raw):
        raise _when_error(field)
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            if not end:
                return start
            return start + dt.timedelta(days=1) if day < dt.date.max else dt.datetime.max.replace(tzinfo=dt.UTC)
        match = _DATE_TIME.match(raw)
        if match is None:
            raise _when_error(field)
        # RFC 3339 allows a leap second (:60); the database cannot store one, the second before does.
        second = min(int(match["s"] or 0), 59)
        micro = int((match["frac"] or "0")[:6].ljust(6, "0"))
        tz: dt.tzinfo = dt.UTC
        offset = match["tz"]
        if offset and offset not in "Zz":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        day = dt.date.fromisoformat(match["date"])
        value = dt.datetime.combine(day, dt.time(int(match["h"]), int(match["m"]), second, micro), tzinfo=tz)
    except ValueError as exc:  # 2026-02-30, 25:00, an offset of 24 hours or more
        raise _when_error(field) from exc
    return _clamped(value)


def parse_actor(raw: str) -> ActorFilter:
    """A person's id (digits), "system" (every automatic actor), or one actor label (e-mail, system:<rule>)."""
    if not raw or not _ACTOR.match(raw):
        raise DomainError(
            _("Give an e-mail address, a person's id, or “system” (up to 254 characters, no spaces)."),
            field="actor",
        )
    if raw.isascii() and raw.isdigit():
        return ActorFilter(person_id=int(raw)) if len(raw) <= 18 else ActorFilter(label=raw)
    if raw.lower() == SYSTEM:
        return ActorFilter(system=True)
    return ActorFilter(label=raw)


def parse_verb(raw: str) -> str:
    if not raw or not _VERB.match(raw):
        raise DomainError(
            _("Give the start of an action such as “entry.” or “entry.approved” (lower-case letters, one dot)."),
            field="verb",
        )
    return raw


def activity_filters(query: Mapping[str, str]) -> ActivityFilters:
    """Read since/until/actor/verb from a query string or a form; empty values are left out.

    Raises DomainError naming the first field that is not valid. A range that ends before it starts
    is valid and matches nothing (the console's form says so next to the field: ActivityFilters.inverted).
    """
    raw = {name: query.get(name, "") for name in ("since", "until", "actor", "verb")}
    since = parse_when(raw["since"], field="since", end=False) if raw["since"] else None
    until = parse_when(raw["until"], field="until", end=True) if raw["until"] else None
    return ActivityFilters(
        since=since,
        until=until,
        actor=parse_actor(raw["actor"]) if raw["actor"] else None,
        verb=parse_verb(raw["verb"]) if raw["verb"] else "",
        raw=tuple((name, value) for name, value in raw.items() if value),
    )


def activity_of_brand(*, brand_id: int, filters: ActivityFilters | None = None) -> QuerySet[Activity]:
    """The brand's records, newest first, narrowed by `filters`. Callers check who may read them."""
    rows = Activity.objects.filter(brand_id=brand_id)
    if filters is not None:
        if filters.since is not None:
            rows = rows.filter(at__gte=filters.since)
        if filters.until is not None:
            rows = rows.filter(at__lt=filters.until)
        actor = filters.actor
        if actor is not None:
            if actor.person_id is not None:
                rows = rows.filter(actor_id=actor.person_id)
            elif actor.system:
                rows = rows.filter(actor_id__isnull=True, actor__startswith=SYSTEM_PREFIX)
            else:
                rows = rows.filter(actor__iexact=actor.label)
        if filters.verb:
            rows = rows.filter(verb__startswith=filters.verb)
    return rows.order_by("-at", "-id")


def activity_of_entry(*, entry_id: uuid.UUID | str) -> QuerySet[Activity]:
    """What happened to one entry, oldest first. Callers check who may read it."""
    return Activity.objects.filter(entry_id=entry_id).order_by("at", "id")


def brand_of_entry_activity(*, entry_id: uuid.UUID | str) -> int | None:
    """The brand an entry's records belong to, also after the entry itself was deleted."""
    return (
        Activity.objects.filter(entry_id=entry_id, brand_id__isnull=False)
        .values_list("brand_id", flat=True)
        .order_by()
        .first()
    )
