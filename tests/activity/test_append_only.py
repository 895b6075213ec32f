"""The audit trail cannot be edited: the database refuses it, and nothing deleted elsewhere reaches it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from activity.models import Activity
from activity.services import activity_record
from campaigns.models import Campaign
from moderation.services import entry_decide
from submissions.models import Entry
from tests.factories import UserFactory
from tests.helpers import pending_entry

pytestmark = pytest.mark.django_db


def _row(actor: User | str = "system:test", **kwargs: object) -> Activity:
    return activity_record(actor=actor, verb="entry.approved", target_type="entry", target_id="x", **kwargs)  # type: ignore[arg-type]


def _refused(statement: object) -> None:
    """`statement` (a callable) fails in the database; the test's own transaction goes on."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement()  # type: ignore[operator]


@pytest.mark.postgresql
def test_the_database_refuses_to_update_or_delete_activity_through_the_orm() -> None:
    row = _row(snapshot={"note": "as it was"})
    _refused(lambda: Activity.objects.filter(pk=row.pk).update(verb="entry.rejected"))
    _refused(lambda: Activity.objects.filter(pk=row.pk).delete())
    _refused(lambda: Activity.objects.all().delete())
    kept = Activity.objects.get(pk=row.pk)
    assert (kept.verb, kept.snapshot) == ("entry.approved", {"note": "as it was"})


@pytest.mark.postgresql
def test_the_database_refuses_to_update_or_delete_activity_in_raw_sql() -> None:
    row = _row()

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])

    _refused(lambda: execute("UPDATE activity_activity SET actor = 'someone-else@example.test' WHERE id = %s"))
    _refused(lambda: execute("DELETE FROM activity_activity WHERE id = %s"))
    assert Activity.objects.get(pk=row.pk).actor == "system:test"


def test_a_saved_activity_row_cannot_be_saved_again_or_deleted_in_python() -> None:
    row = _row()
    row.verb = "entry.rejected"
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()
    assert Activity.objects.get(pk=row.pk).verb == "entry.approved"


def test_deleting_an_entry_its_campaign_and_its_fan_leaves_their_activity_intact(
    campaign: Campaign, moderator: User
) -> None:
    fan = UserFactory.create(email="leaving@example.test")
    entry = pending_entry(author=fan, campaign=campaign)
    entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    _row(actor=fan, brand_id=campaign.brand_id, campaign_id=campaign.pk, entry_id=entry.pk)
    before = list(Activity.objects.filter(entry_id=entry.pk).values())
    assert len(before) >= 2  # processing's row and the fan's row at least

    Entry.objects.filter(pk=entry.pk).delete()
    Campaign.objects.filter(pk=campaign.pk).delete()
    fan.delete()

    assert list(Activity.objects.filter(entry_id=entry.pk).values()) == before
