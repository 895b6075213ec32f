"""What is recorded outside moderation: campaigns, terms, guidelines, the team, withdrawals, processing,
and every opening of a fan's original."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from accounts.models import Brand, Membership, Role, User
from activity.models import Activity
from campaigns import services as campaign_services
from campaigns.models import Campaign
from submissions.processing import entry_reject_unprocessable
from submissions.services import entry_withdraw
from tests.factories import UserFactory
from tests.helpers import pending_entry, uploaded_entry

pytestmark = pytest.mark.django_db
OPENS = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
GUIDELINES = "own-work: It is your own work.\nsong: Dance to the campaign's song.\nsafe: No dangerous stunts."


def _fields(**changes: Any) -> dict[str, Any]:
    return {
        "slug": "spring-steps",
        "title": "Spring steps",
        "hashtag": "#SpringSteps",
        "consent_terms": "You let us show your entry.",
        "opens_at": OPENS,
        **changes,
    }


def _verbs(**filters: Any) -> list[str]:
    return list(Activity.objects.filter(**filters).order_by("id").values_list("verb", flat=True))


def test_creating_a_campaign_is_recorded_with_its_settings(brand: Brand, brand_admin: User) -> None:
    campaign = campaign_services.campaign_create(actor=brand_admin, brand=brand, guidelines=GUIDELINES, **_fields())
    row = Activity.objects.get(verb="campaign.created")
    assert (row.actor, row.actor_id, row.brand_id, row.campaign_id) == (
        brand_admin.email, brand_admin.pk, brand.pk, campaign.pk
    )  # fmt: skip
    assert row.snapshot["hashtag"] == "#SpringSteps"
    assert row.snapshot["guidelines"] == ["own-work", "song", "safe"]
    assert row.snapshot["consent_version"] == 1


def test_editing_a_campaign_records_changed_fields_terms_and_guidelines_separately(
    brand: Brand, brand_admin: User
) -> None:
    campaign = campaign_services.campaign_create(actor=brand_admin, brand=brand, guidelines=GUIDELINES, **_fields())
    edited = "own-work: It is all your own work.\nsafe: No dangerous stunts.\nkind: Be kind."
    campaign_services.campaign_update(
        actor=brand_admin,
        campaign=Campaign.objects.get(pk=campaign.pk),
        guidelines=edited,
        **_fields(title="Summer steps", consent_terms="New terms: we may also print it."),
    )
    assert _verbs(campaign_id=campaign.pk) == [
        "campaign.created", "campaign.updated", "terms.changed", "guidelines.changed"
    ]  # fmt: skip
    updated = Activity.objects.get(verb="campaign.updated")
    assert updated.snapshot["changed"] == {
        "title": {"from": "Spring steps", "to": "Summer steps"},
        "consent_terms": {"from": "You let us show your entry.", "to": "New terms: we may also print it."},
    }
    terms = Activity.objects.get(verb="terms.changed")
    assert terms.snapshot == {"version": 2, "previous_version": 1, "terms": "New terms: we may also print it."}
    guidelines = Activity.objects.get(verb="guidelines.changed")
    assert guidelines.snapshot == {
        "added": ["kind"],
        "edited": ["own-work"],
        "deleted": ["song"],
        "codes": ["own-work", "safe", "kind"],
    }


def test_saving_a_campaign_unchanged_records_nothing(brand: Brand, brand_admin: User) -> None:
    campaign = campaign_services.campaign_create(actor=brand_admin, brand=brand, guidelines=GUIDELINES, **_fields())
    campaign_services.campaign_update(
        actor=brand_admin, campaign=Campaign.objects.get(pk=campaign.pk), guidelines=GUIDELINES, **_fields()
    )
    assert _verbs(campaign_id=campaign.pk) == ["campaign.created"]


def test_a_fan_withdrawing_is_recorded_by_id_never_by_e_mail(campaign: Campaign, fan: User) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    entry_withdraw(actor=fan, entry=entry)
    row = Activity.objects.get(verb="entry.withdrawn")
    assert (row.actor, row.actor_id, row.entry_id, row.brand_id) == (
        f"fan:{fan.pk}",
        fan.pk,
        entry.pk,
        campaign.brand_id,
    )
    assert row.snapshot == {"from": "pending", "was_public": False}
    assert fan.email not in str(Activity.objects.filter(entry_id=entry.pk).values())


def test_processing_records_each_entry_it_puts_in_review_or_refuses(campaign: Campaign, fan: User) -> None:
    shown = pending_entry(author=fan, campaign=campaign)
    row = Activity.objects.get(entry_id=shown.pk)
    assert (row.verb, row.actor, row.actor_id) == ("entry.processed", "system:processing", None)
    assert row.snapshot == {"state": "pending", "flags": []}

    broken = uploaded_entry(author=fan, campaign=campaign)
    entry_reject_unprocessable(entry_id=broken.pk, reason="The file is damaged.")
    row = Activity.objects.get(entry_id=broken.pk)
    assert (row.verb, row.actor, row.snapshot) == (
        "entry.refused",
        "system:processing",
        {"reason": "The file is damaged."},
    )


def test_opening_an_original_records_who_saw_which_fans_file(campaign: Campaign, fan: User, moderator: User) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    client = Client()
    client.force_login(moderator)
    response = client.get(f"/console/{campaign.brand.slug}/entries/{entry.pk}/original/")
    assert response.status_code == 302
    row = Activity.objects.get(verb="entry.original_opened")
    assert (row.actor, row.entry_id, row.snapshot["author_id"]) == (moderator.email, entry.pk, fan.pk)


def test_an_outsider_opening_an_original_is_refused_and_records_nothing(
    campaign: Campaign, fan: User, outsider: User
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/console/{campaign.brand.slug}/entries/{entry.pk}/original/").status_code == 404
    assert not Activity.objects.filter(verb="entry.original_opened").exists()


# --- The team (the Django admin's membership inline) ---------------------------------------------
def _admin_post(client: Client, brand: Brand, rows: list[dict[str, Any]], initial: int) -> None:
    data: dict[str, Any] = {
        "name": brand.name,
        "slug": brand.slug,
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(initial),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"memberships-{n}-{key}": value for key, value in row.items()})
    response = client.post(f"/admin/accounts/brand/{brand.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_membership_changes_in_the_admin_are_recorded_with_who_made_them(brand: Brand, moderator: User) -> None:
    superuser = UserFactory.create(email="root@fanfare.test", is_staff=True, is_superuser=True)
    newcomer = UserFactory.create(email="new@northern.test")
    client = Client()
    client.force_login(superuser)
    existing = Membership.objects.get(user=moderator, brand=brand)
    base = {"id": existing.pk, "brand": brand.pk, "user": moderator.pk}

    _admin_post(
        client,
        brand,
        [{**base, "role": Role.MODERATOR}, {"brand": brand.pk, "user": newcomer.pk, "role": Role.ANALYST}],
        1,
    )
    added = Membership.objects.get(user=newcomer)
    _admin_post(
        client,
        brand,
        [{**base, "role": Role.ADMIN}, {"id": added.pk, "brand": brand.pk, "user": newcomer.pk, "role": Role.ANALYST}],
        2,
    )
    _admin_post(
        client,
        brand,
        [
            {**base, "role": Role.ADMIN},
            {"id": added.pk, "brand": brand.pk, "user": newcomer.pk, "role": Role.ANALYST, "DELETE": "on"},
        ],
        2,
    )

    rows = list(Activity.objects.filter(target_type="membership").order_by("id"))
    assert [(r.verb, r.snapshot) for r in rows] == [
        ("membership.added", {"user_id": newcomer.pk, "role": "analyst"}),
        ("membership.role_changed", {"user_id": moderator.pk, "from": "moderator", "to": "admin"}),
        ("membership.removed", {"user_id": newcomer.pk, "role": "analyst"}),
    ]
    assert {(r.actor, r.brand_id) for r in rows} == {(superuser.email, brand.pk)}
    assert not Membership.objects.filter(user=newcomer).exists()
    assert Membership.objects.get(user=moderator).role == Role.ADMIN
