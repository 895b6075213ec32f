"""Seed a demo brand, campaign, team, fans and a dozen sample entries. Running it twice is harmless."""

from __future__ import annotations

import datetime as dt
import io
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

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
    ("sam@demo.fanfare.test", "Moderator Sam", Role.MODERATOR),
    ("fan@demo.fanfare.test", "Dancing Fan", None),
]
EXTRA_FANS = ["lena", "kofi", "maya"]
GUIDELINES = """own-work: The video or photo is your own, and everyone in it agreed to be shown.
song: Dance to the campaign's song, or show the #MovementMonday move.
safe: No dangerous stunts, no violence, nothing hateful.
no-ads: No logos of other brands, no advertising, no links.
quality: The picture is clear enough to see the move. [fixable]
hashtag: The caption carries the campaign's hashtag. [fixable]"""
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


HISTORY_DAYS = 7
HISTORY_BULK = 4  # entries in the one bulk approval of the history


@contextmanager
def _clock(at: dt.datetime) -> Iterator[None]:
    """The services read the time from django.utils.timezone.now: set it to `at`, so the demo's
    past is played through the real services. (Activity rows keep the time of the seeding: their
    default reads the clock function bound when the model was defined.)"""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


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
            self._reports(campaign, users)
            if not campaign.entries.filter(resubmission_of__isnull=False).exists():
                self._resubmission(campaign, users)
            if not Campaign.objects.filter(slug="summer-stage").exists():
                self._scheduled_campaign(users["admin@demo.fanfare.test"])
            if not Campaign.objects.filter(slug="warm-up-week").exists():
                self._moderation_history(users)
            self._appeals(users)
            if not campaign.brand.rules.exists():
                self._rules(campaign, users)
        self.stdout.write(self.style.SUCCESS("Demo ready: campaign /c/movement-monday/"))
        self.stdout.write("Scheduled: /c/summer-stage/ (a preview for the brand's team until it opens; 404 for others)")
        self.stdout.write("A week of two moderators' work: /console/northern-lights/moderators/")
        self.stdout.write("An open appeal for Sam to decide: /console/northern-lights/queue/?view=appeals")
        self.stdout.write(
            "Reported entries (one still public, one hidden): /console/northern-lights/queue/?view=reported"
        )
        self.stdout.write("Fix and resubmit: Kofi's new version waits in the queue; fan@ may send one (My entries)")
        self.stdout.write("Automatic rules, and an entry one of them holds: /console/northern-lights/rules/")
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

    def _reports(self, campaign: Campaign, users: dict[str, User]) -> None:
        """Two reports on an approved entry (still public: in the Reported view), and one entry
        hidden at once by a "depicted person" report (the fan has the e-mail)."""
        from moderation.models import Report
        from moderation.services import report_create

        if Report.objects.filter(entry__campaign=campaign).exists():
            return
        approved = list(campaign.entries.filter(state="approved").order_by("created_at")[:2])
        if len(approved) < 2:
            return
        public, hidden = approved
        report_create(
            actor=None,
            entry_id=public.pk,
            reason="illegal",
            details="This is a clip from a TV show, not a fan's own video.",
            address="192.0.2.10",
            agent="Demo visitor",
        )
        report_create(actor=users["lena@demo.fanfare.test"], entry_id=public.pk, reason="song")
        report_create(
            actor=None,
            entry_id=hidden.pk,
            reason="depicted_person",
            details="That is me in the background; I did not agree to be filmed.",
            address="192.0.2.11",
            agent="Demo visitor",
        )

    def _resubmission(self, campaign: Campaign, users: dict[str, User]) -> None:
        """Fix and resubmit: Kofi's entry rejected as too dark (a fixable guideline) and its new
        version waiting in the queue; the demo fan's entry rejected for a missing hashtag, which
        they may still send again from My entries."""
        from moderation.services import decision_apply, entry_decide
        from submissions.resubmissions import entry_resubmit
        from submissions.samples import sample_photo
        from submissions.services import entry_create, entry_process

        fixable = set(campaign.guidelines.filter(fixable=True).values_list("code", flat=True))
        if not {"quality", "hashtag"} <= fixable:
            self.stdout.write("The campaign's guidelines predate fixable ones: no resubmission in the demo.")
            return
        moderator = users["moderator@demo.fanfare.test"]
        rejected = []
        for email, seed, caption, code, note in [
            ("kofi@demo.fanfare.test", 40, "Night moves in the garden", "quality", "Too dark to see the move."),
            ("fan@demo.fanfare.test", 41, "Spin in the hallway", "hashtag", "Add #MovementMonday to the caption."),
        ]:
            data = sample_photo(seed=seed, size=(1200, 900))
            entry = entry_create(
                author=users[email],
                campaign=campaign,
                upload=io.BytesIO(data),
                size=len(data),
                caption=caption,
                alt_text="A fan dancing in a dim room",
                consent=True,
            )
            entry_process(entry_id=entry.pk)
            decision = entry_decide(
                actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=[code], note=note
            )
            decision_apply(decision_id=decision.pk, now=decision.effective_at)
            entry.refresh_from_db()
            rejected.append(entry)
        new = entry_resubmit(
            actor=users["kofi@demo.fanfare.test"],
            entry=rejected[0],
            caption="Night moves in the garden, now with the porch light on",
            alt_text="A fan dancing in a garden lit by a porch light",
            consent=True,
        )
        entry_process(entry_id=new.pk)

    def _rules(self, campaign: Campaign, users: dict[str, User]) -> None:
        """A blocked term that holds, a new-account flag and a blocked domain, and one entry held by the term."""
        from moderation.services import rule_create
        from submissions.samples import sample_photo
        from submissions.services import entry_create, entry_process

        moderator = users["moderator@demo.fanfare.test"]
        brand = campaign.brand
        rule_create(actor=moderator, brand=brand, kind="blocked_term", value="buy followers", action="hold")
        rule_create(actor=moderator, brand=brand, kind="new_account", value="hours:24", action="flag")
        rule_create(actor=moderator, brand=brand, kind="blocked_fan", value="spam.example", action="flag")
        data = sample_photo(seed=77, size=(1200, 900))
        entry = entry_create(
            author=users["kofi@demo.fanfare.test"],
            campaign=campaign,
            upload=io.BytesIO(data),
            size=len(data),
            caption="Great moves! BUY ＦＯＬＬＯＷＥＲＳ cheap at my profile",
            alt_text="A fan dancing in a living room",
            consent=True,
        )
        entry_process(entry_id=entry.pk)

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

    def _moderation_history(self, users: dict[str, User]) -> None:
        """A week of queue work by two moderators, on a campaign of its own, so the moderator
        stats page has figures: daily sessions of a few seconds to a minute and a half per entry,
        a few undos, one bulk approval. Played through the services with the clock set back."""
        from moderation.models import OutboxMail
        from moderation.services import decision_apply, decisions_bulk
        from submissions.samples import sample_photo
        from submissions.services import entry_create, entry_process

        rng = random.Random(2026)  # noqa: S311 (demo data, the same on every machine)
        now = timezone.now()
        mo, sam = users["moderator@demo.fanfare.test"], users["sam@demo.fanfare.test"]
        fans = [users["fan@demo.fanfare.test"], *(users[f"{n}@demo.fanfare.test"] for n in EXTRA_FANS)]
        sessions = []
        for days_ago in range(HISTORY_DAYS - 1, -1, -1):
            day = now - dt.timedelta(days=days_ago)
            sessions.append((day - dt.timedelta(hours=2, minutes=rng.randint(0, 50)), mo, rng.randint(3, 6)))
            sessions.append((day - dt.timedelta(hours=6, minutes=rng.randint(0, 50)), sam, rng.randint(2, 5)))
        received = now - dt.timedelta(days=HISTORY_DAYS + 1)
        campaign = self._demo_campaign(
            users["admin@demo.fanfare.test"],
            slug="warm-up-week",
            title="Warm up with us",
            hashtag="#WarmUpWeek",
            description="Show us your warm-up before the dance. A week-long campaign, moderated by the team.",
            opens_at=received - dt.timedelta(days=1),
            feature_weekday=2,
            max_entries_per_fan=40,
            max_entries_per_fan_per_day=40,
        )
        mail_before = OutboxMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        entries = []
        with _clock(received):
            for i in range(sum(count for _at, _moderator, count in sessions) + HISTORY_BULK):
                data = sample_photo(seed=100 + i, size=(320, 240) if i % 3 else (240, 320))
                entry = entry_create(
                    author=fans[i % len(fans)],
                    campaign=campaign,
                    upload=io.BytesIO(data),
                    size=len(data),
                    caption=CAPTIONS[i % len(CAPTIONS)],
                    alt_text=f"A fan warming up, sample picture {i + 1}",
                    consent=True,
                )
                entry_process(entry_id=entry.pk)
                entries.append(entry)
        waiting = iter(entries)
        codes = [line.split(":")[0] for line in GUIDELINES.splitlines()]
        for at, moderator, count in sorted(sessions, key=lambda session: session[0]):
            for _ in range(count):
                reject = rng.random() < (0.15 if moderator == mo else 0.3)
                at = self._decide_at(
                    at,
                    moderator=moderator,
                    entry_id=next(waiting).pk,
                    reject=reject,
                    codes=[rng.choice(codes)],
                    undo=rng.random() < 0.08,
                )
                at += dt.timedelta(seconds=rng.uniform(5, 90))
        with _clock(now - dt.timedelta(days=2, hours=1)):
            bulk = decisions_bulk(actor=sam, brand=campaign.brand, action="approve", entry_ids=[e.pk for e in waiting])
        for decision_id in bulk.decisions:
            with _clock(bulk.effective_at or now):
                decision_apply(decision_id=decision_id, now=bulk.effective_at)
        # The fans were told back then: the demo does not mail them all again today.
        OutboxMail.objects.filter(pk__gt=mail_before, sent_at__isnull=True).update(sent_at=now)

    def _appeals(self, users: dict[str, User]) -> None:
        """Appeals: one open against Mo's rejection of the logo entry (Sam can decide it, Mo
        cannot), and in the week's history one Sam upheld and one Mo did not, so the moderator
        stats show an overturn rate. Skipped when appeals exist already."""
        from moderation.models import Appeal, Decision, OutboxMail
        from moderation.services import appeal_decide, appeal_file

        if Appeal.objects.exists():
            return
        mo, sam = users["moderator@demo.fanfare.test"], users["sam@demo.fanfare.test"]
        now = timezone.now()
        mail_before = OutboxMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        rejections = (
            Decision.objects.filter(
                entry__campaign__slug="warm-up-week",
                entry__state="rejected",
                action="reject",
                applied_at__isnull=False,
                undone_at__isnull=True,
            )
            .select_related("entry__author")
            .order_by("applied_at")
        )
        by_mo = next((d for d in rejections if d.moderator_id == mo.pk), None)
        by_sam = next((d for d in rejections if d.moderator_id == sam.pk), None)
        for decision, decider, outcome, reasons in (
            (by_mo, sam, "upheld", "Looked again with the sound on: the move is there. Approved."),
            (by_sam, mo, "rejected", "The logo still covers most of the picture; the rejection stands."),
        ):
            if decision is None or decision.applied_at is None:
                continue
            filed_at = decision.applied_at + dt.timedelta(hours=3)
            with _clock(filed_at):
                appeal_file(
                    actor=decision.entry.author,
                    entry_id=decision.entry_id,
                    text="I think this follows the guidelines: please have another look.",
                )
            with _clock(min(filed_at + dt.timedelta(hours=20), now)):
                appeal_decide(actor=decider, entry_id=decision.entry_id, outcome=outcome, reasons=reasons)
        # The fans were told back then: the demo does not mail them again today.
        OutboxMail.objects.filter(pk__gt=mail_before, sent_at__isnull=True).update(sent_at=now)
        logo = (
            Decision.objects.filter(entry__campaign__slug="movement-monday", action="reject", moderator=mo)
            .filter(entry__state="rejected", applied_at__isnull=False)
            .select_related("entry__author")
            .first()
        )
        if logo is not None:
            appeal_file(
                actor=logo.entry.author,
                entry_id=logo.entry_id,
                text="The logo is on my T-shirt, not an advert: it is the shirt I dance in every week.",
            )

    def _decide_at(
        self, at: dt.datetime, *, moderator: User, entry_id: Any, reject: bool, codes: list[str], undo: bool
    ) -> dt.datetime:
        """One decision at `at` that takes effect after its window; with `undo` the moderator takes
        it back a few seconds later and decides the other way. Returns the time of the last key."""
        from moderation.services import decision_apply, decision_undo, entry_decide

        def decide(at: dt.datetime, reject: bool) -> Any:
            with _clock(at):
                if reject:
                    return entry_decide(actor=moderator, entry_id=entry_id, action="reject", guideline_codes=codes)
                return entry_decide(actor=moderator, entry_id=entry_id, action="approve")

        decision = decide(at, reject)
        if undo:
            at += dt.timedelta(seconds=4)
            with _clock(at):
                decision_undo(actor=moderator, decision_id=decision.pk)
            at += dt.timedelta(seconds=3)
            decision = decide(at, not reject)
        with _clock(decision.effective_at):
            decision_apply(decision_id=decision.pk, now=decision.effective_at)
        return at
