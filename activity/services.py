"""Writing the activity record. Callers are services, inside the transaction of their change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from activity.models import SYSTEM_PREFIX, Activity


class Person(Protocol):
    pk: Any
    email: str


class Fan:
    """A fan as an actor: recorded by id as `fan:<id>`, never by e-mail address.

    Brand staff read the audit trail, and the project never shows them a fan's address (fans
    appear by their public name only); the id is enough to find the person, and names no one
    once the account is erased.
    """

    def __init__(self, *, pk: Any) -> None:
        self.pk = pk
        self.email = f"fan:{pk}"


def activity_record(
    *,
    actor: Person | str,
    verb: str,
    target_type: str,
    target_id: object,
    brand_id: int | None = None,
    campaign_id: int | None = None,
    entry_id: uuid.UUID | str | None = None,
    snapshot: dict[str, Any] | None = None,
) -> Activity:
    """Append one record. `actor` is the acting person, or "system:<rule>" for automatic work."""
    return Activity.objects.create(
        **_row(
            actor=actor,
            verb=verb,
            target_type=target_type,
            target_id=target_id,
            brand_id=brand_id,
            campaign_id=campaign_id,
            entry_id=entry_id,
            snapshot=snapshot,
        )
    )


def activity_records(records: Iterable[dict[str, Any]], *, actor: Person | str) -> list[Activity]:
    """Append many records by one actor in one statement (bulk actions); each dict holds the
    keyword arguments of activity_record except `actor`."""
    return Activity.objects.bulk_create(Activity(**_row(actor=actor, **record)) for record in records)


def _row(
    *,
    actor: Person | str,
    verb: str,
    target_type: str,
    target_id: object,
    brand_id: int | None = None,
    campaign_id: int | None = None,
    entry_id: uuid.UUID | str | None = None,
    snapshot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if isinstance(actor, str):
        if not actor.startswith(SYSTEM_PREFIX):
            raise ValueError(f"A system actor is named {SYSTEM_PREFIX}<rule>, not {actor!r}.")
        actor_id, actor_label = None, actor
    else:
        actor_id, actor_label = actor.pk, actor.email
    return {
        "actor_id": actor_id,
        "actor": actor_label,
        "verb": verb,
        "target_type": target_type,
        "target_id": str(target_id),
        "brand_id": brand_id,
        "campaign_id": campaign_id,
        "entry_id": entry_id,
        "snapshot": snapshot or {},
    }
