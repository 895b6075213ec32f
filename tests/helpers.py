"""Small helpers shared by tests: make entries in a given state without going through HTTP."""

from __future__ import annotations

import io
from typing import Any

from accounts.models import User
from campaigns.models import Campaign
from moderation.models import Decision
from submissions.models import Entry
from submissions.samples import sample_photo
from submissions.services import entry_create, entry_process


def uploaded_entry(
    *,
    author: User,
    campaign: Campaign,
    data: bytes | None = None,
    caption: str = "My moves",
    alt_text: str = "A fan dancing",
) -> Entry:
    """An entry just created from `data` (a sample photo by default), not processed yet."""
    data = data if data is not None else sample_photo(seed=11, size=(640, 480))
    return entry_create(
        author=author,
        campaign=campaign,
        upload=io.BytesIO(data),
        size=len(data),
        caption=caption,
        alt_text=alt_text,
        consent=True,
    )


def processed_entry(*, author: User, campaign: Campaign, data: bytes, **kwargs: Any) -> Entry:
    """An entry created from `data` and processed, in whatever state processing left it."""
    entry = uploaded_entry(author=author, campaign=campaign, data=data, **kwargs)
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    return entry


def pending_entry(*, author: User, campaign: Campaign, seed: int = 1, **kwargs: Any) -> Entry:
    """An entry that went through processing and waits in the moderation queue."""
    entry = processed_entry(author=author, campaign=campaign, data=sample_photo(seed=seed, size=(640, 480)), **kwargs)
    assert entry.state == "pending", entry.rejection_reason
    return entry


def decide_now(*, actor: User, entry_id: Any, action: str, **kwargs: Any) -> Decision:
    """entry_decide, then the end of its undo window: the decision has taken effect."""
    from moderation.services import decision_apply, entry_decide

    decision = entry_decide(actor=actor, entry_id=entry_id, action=action, **kwargs)
    applied = decision_apply(decision_id=decision.pk, now=decision.effective_at)
    assert applied is not None
    return applied


def approved_entry(*, author: User, campaign: Campaign, moderator: User, **kwargs: Any) -> Entry:
    entry = pending_entry(author=author, campaign=campaign, **kwargs)
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    entry.refresh_from_db()
    return entry


def undo_window_passes() -> int:
    """As if the undo window had ended: every decision made so far takes effect now."""
    import datetime as dt

    from django.utils import timezone

    from moderation.services import decisions_apply_due

    return decisions_apply_due(now=timezone.now() + dt.timedelta(seconds=31))
