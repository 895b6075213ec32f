"""Seed a demo brand, campaign, team, fans and a dozen sample entries. Running it twice is harmless."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Brand, Membership, Role, User
from campaigns.models import Campaign
from campaigns.services import campaign_create

DEMO_PASSWORD = "fanfare-demo-2026"
DEMO_USERS = [
    ("admin@demo.fanfare.test", "Brand Admin", Role.ADMIN),
    ("moderator@demo.fanfare.test", "Moderator Mo", Role.MODERATOR),
    ("fan@demo.fanfare.test", "Dancing Fan", None),
]
EXTRA_FANS = ["lena", "kofi", "maya"]
GUIDELINES = """own-work: The video or photo is your own, and everyone in it agreed to be shown.
song: Dance to the campaign's song, or show the #MovementMonday move.
safe: No dangerous stunts, no violence, nothing hateful.
no-ads: No logos of other brands, no advertising, no links.
quality: The picture is clear enough to see the move."""
TERMS = """By entering you confirm the entry is your own work and grant Northern Lights a
non-exclusive licence to show it on its website, its social channels and the embedded gallery,
with your display name, for 24 months. You may withdraw your entry at any time."""
CAPTIONS = [
    "Kitchen dance break before school!",
    "Grandma nailed the spin.",
    "Rooftop at sunset, #MovementMonday!",
    "First try, don't judge",
    "Our whole dance class joined in",
    "Rain can't stop us",
    "Beach edition",
    "Office lunch break moves",
    "Late night living-room session",
    "Dog wanted in too",
    "Skate park version",
    "Best friends since forever",
]


class Command(BaseCommand):
    help = "Create the demo brand, campaign, accounts and sample entries (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():  # all or nothing, so a second run never sees half a demo
            users = self._users()
            campaign = Campaign.objects.filter(slug="movement-monday").first()
            if campaign is None:
                campaign = self._campaign(users["admin@demo.fanfare.test"])
            if not campaign.entries.exists():
                self._entries(campaign, users)
            if not Campaign.objects.filter(slug="summer-stage").exists():
                self._scheduled_campaign(users["admin@demo.fanfare.test"])
        self.stdout.write(self.style.SUCCESS("Demo ready: campaign /c/movement-monday/"))
        self.stdout.write("Scheduled: /c/summer-stage/ (a preview for the brand's team until it opens; 404 for others)")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, _name, role in DEMO_USERS:
            self.stdout.write(f"  {email:32} {role or 'fan'}")

    def _users(self) -> dict[str, User]:
        brand, _ = Brand.objects.get_or_create(slug="northern-lights", defaults={"name": "Northern Lights"})
        users = {}
        specs = [*DEMO_USERS, *((f"{n}@demo.fanfare.test", n.capitalize(), None) for n in EXTRA_FANS)]
        for email, name, role in specs:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, display_name=name)
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            if role:
                Membership.objects.get_or_create(user=user, brand=brand, defaults={"role": role})
            users[email] = user
        return users

    def _campaign(self, admin: User) -> Campaign:
        return self._demo_campaign(
            admin,
            slug="movement-monday",
            title="Dance to “Aurora” every Monday",
            hashtag="#MovementMonday",
            description="Film yourself dancing to our new single “Aurora” and post it here. "
            "Every Monday at 18:00 (Berlin) we feature the best moves of the week.",
            opens_at=timezone.now() - dt.timedelta(days=30),
            feature_weekday=0,
            max_entries_per_fan=5,
            max_entries_per_fan_per_day=5,
        )

    def _scheduled_campaign(self, admin: User) -> Campaign:
        """A campaign that opens in two weeks: unpublished, so only the brand's team sees it."""
        return self._demo_campaign(
            admin,
            slug="summer-stage",
            title="Your stage, our summer tour",
            hashtag="#SummerStage",
            description="Show us the stage you would put us on. Opens with the tour announcement.",
            opens_at=timezone.now() + dt.timedelta(days=14),
            feature_weekday=4,
            max_entries_per_fan=3,
            max_entries_per_fan_per_day=3,
        )

    def _demo_campaign(self, admin: User, **fields: Any) -> Campaign:
        """A campaign of the demo brand, with its guidelines, terms and Berlin schedule."""
        return campaign_create(
            actor=admin,
            brand=Brand.objects.get(slug="northern-lights"),
            guidelines=GUIDELINES,
            consent_terms=TERMS,
            time_zone="Europe/Berlin",
            feature_hour=18,
            feature_count=6,
            **fields,
        )

    def _entries(self, campaign: Campaign, users: dict[str, User]) -> None:
        from moderation.models import ShortlistItem
        from moderation.services import (
            decision_apply,
            decision_undo,
            entry_decide,
            entry_reverse,
            feature_publish,
            queue_release,
        )
        from submissions.samples import sample_photo
        from submissions.services import entry_create, entry_process

        fans = [users["fan@demo.fanfare.test"], *(users[f"{n}@demo.fanfare.test"] for n in EXTRA_FANS)]
        moderator = users["moderator@demo.fanfare.test"]
        entries = []
        for i, caption in enumerate(CAPTIONS):
            data = sample_photo(seed=i, size=(1200, 900) if i % 3 else (900, 1200), with_gps=i % 2 == 0)
            entry = entry_create(
                author=fans[i % len(fans)],
                campaign=campaign,
                upload=io.BytesIO(data),
                size=len(data),
                caption=caption,
                alt_text=f"A fan dancing, sample picture {i + 1}",
                consent=True,
            )
            entry_process(entry_id=entry.pk)
            entries.append(entry)

        # 7 approved, 2 rejected with a reason (one re-opened after a second look), 3 left in
        # review, one of them approved by mistake and undone. Decisions take effect at once here,
        # as if their undo window had passed.
        def decide(entry: Any, action: str, **kwargs: Any) -> None:
            decision = entry_decide(actor=moderator, entry_id=entry.pk, action=action, **kwargs)
            decision_apply(decision_id=decision.pk, now=decision.effective_at)

        for entry in entries[:7]:
            decide(entry, "approve")
        decide(entries[7], "reject", guideline_codes=["no-ads"], note="A shop's logo fills half the picture.")
        decide(entries[8], "reject", guideline_codes=["quality", "song"])
        entry_reverse(
            actor=moderator,
            entry_id=entries[8].pk,
            action="reopen",
            reason="Second look on a larger screen: the move is clear enough.",
        )
        mistake = entry_decide(actor=moderator, entry_id=entries[9].pk, action="approve")
        decision_undo(actor=moderator, decision_id=mistake.pk)
        queue_release(actor=moderator, entry_ids=[entries[9].pk])
        # Last week's feature, published from its shortlist.
        year, week = campaign.iso_week(timezone.now() - dt.timedelta(days=7))
        for entry in entries[:3]:
            ShortlistItem.objects.create(
                campaign=campaign, entry=entry, iso_year=year, iso_week=week, added_by=moderator
            )
        feature_publish(campaign=campaign, iso_year=year, iso_week=week)
        self._video_entry(campaign, fans[0])

    def _video_entry(self, campaign: Campaign, fan: User) -> None:
        """One video waiting in the queue, when this machine has ffmpeg to make it."""
        from submissions import video
        from submissions.samples import sample_video
        from submissions.services import entry_create, entry_process

        if not video.available():
            self.stdout.write("ffmpeg is not installed: the demo has no video entry.")
            return
        with tempfile.TemporaryDirectory() as tmp:
            data = sample_video(Path(tmp) / "dance.mov", seconds=3, size=(720, 1280))
        entry = entry_create(
            author=fan,
            campaign=campaign,
            upload=io.BytesIO(data),
            size=len(data),
            caption="Full routine, take three!",
            alt_text="A test-pattern video standing in for a fan's dance",
            consent=True,
        )
        entry_process(entry_id=entry.pk)
