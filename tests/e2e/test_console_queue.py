"""The one-page moderation queue in a real browser, driven by the keyboard as a moderator drives it.

The page claims ahead through the JSON API and sends decisions in the background; these tests read
the outcome in the database (decisions, undos, the fan's e-mail) and what the page says.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from campaigns.models import Campaign
from moderation.models import Decision, OutboxMail
from moderation.services import queue_claim
from submissions.models import Entry
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import decide_now, pending_entry, undo_window_passes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
QUEUE = "/console/northern-lights/queue/"


@pytest.fixture
def campaign() -> Campaign:
    brand = BrandFactory.create(name="Northern Lights", slug="northern-lights")
    return CampaignFactory.create(
        brand=brand,
        slug="movement-monday",
        hashtag="#MovementMonday",
        max_entries_per_fan=100,
        max_entries_per_fan_per_day=100,
    )


@pytest.fixture
def moderator(campaign: Campaign) -> User:
    user = UserFactory.create(email="mod@northern.test")
    MembershipFactory.create(user=user, brand=campaign.brand, role=Role.MODERATOR)
    return user


def entries(campaign: Campaign, n: int) -> list[Entry]:
    """`n` pending entries, oldest first (the order the queue hands them out)."""
    fan = UserFactory.create(email="fan@example.test", display_name="Kitchen Dancer")
    return [pending_entry(author=fan, campaign=campaign, seed=i + 1, caption=f"Move number {i + 1}") for i in range(n)]


@pytest.fixture
def open_queue(browser: Any, live_site: str, moderator: User) -> Iterator[Callable[..., Any]]:
    """open_queue(path=QUEUE, width=1280) is the moderator's queue page, logged in, script ready."""
    contexts: list[Any] = []

    def open_(path: str = QUEUE, width: int = 1280) -> Any:
        client = Client()
        client.force_login(moderator)
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_site,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.goto(f"{live_site}{path}")
        page.wait_for_function("() => window.fanfareQueue !== undefined")
        return page

    yield open_
    for context in contexts:
        context.close()


def current_is(page: Any, entry: Entry) -> None:
    page.wait_for_function(f"() => window.fanfareQueue.current === '{entry.pk}'")


def all_sent(page: Any, acked: int) -> None:
    page.wait_for_function(f"() => window.fanfareQueue.acked >= {acked} && window.fanfareQueue.sending === 0")


def status_text(page: Any) -> str:
    return str(page.locator("#queue-status-text").inner_text() + " " + page.locator("#queue-alert").inner_text())


def test_moderator_approves_and_rejects_citing_a_guideline_with_the_keyboard_only(
    open_queue: Callable[..., Any], campaign: Campaign, moderator: User
) -> None:
    first, second, third = entries(campaign, 3)
    page = open_queue()
    current_is(page, first)
    assert page.get_by_role("heading", name=re.compile("Kitchen Dancer")).is_visible()

    page.keyboard.press("a")
    current_is(page, second)  # at once, before the server answers
    page.keyboard.press("r")
    assert page.locator("#q-reject-prompt").is_visible()
    page.keyboard.press("2")
    current_is(page, third)
    all_sent(page, 2)

    approved = Decision.objects.get(entry=first)
    rejected = Decision.objects.get(entry=second)
    assert (approved.action, approved.moderator) == ("approve", moderator)
    assert rejected.action == "reject"
    assert [g.code for g in rejected.guidelines.all()] == ["song"]
    assert not Decision.objects.filter(entry=third).exists()
    assert "Rejected" in status_text(page)
    assert page.errors == []


def test_two_keys_pressed_30_ms_apart_are_both_acted_on(open_queue: Callable[..., Any], campaign: Campaign) -> None:
    made = entries(campaign, 7)
    page = open_queue()
    # The first keys before the page has its entries: they wait for them, in order.
    page.keyboard.press("r")
    page.wait_for_timeout(30)
    page.keyboard.press("2")
    page.wait_for_timeout(30)
    page.keyboard.press("a")
    current_is(page, made[2])
    page.keyboard.press("a")
    page.wait_for_timeout(30)
    page.keyboard.press("a")
    current_is(page, made[4])
    page.keyboard.press("a")
    page.wait_for_timeout(30)
    page.keyboard.press("r")
    page.wait_for_timeout(30)
    page.keyboard.press("1")
    current_is(page, made[6])
    all_sent(page, 6)
    # Sent in parallel in the background: the server may record them in another order.
    decided = {d.entry_id: d for d in Decision.objects.prefetch_related("guidelines")}
    assert {pk: d.action for pk, d in decided.items()} == {
        made[0].pk: "reject",
        made[1].pk: "approve",
        made[2].pk: "approve",
        made[3].pk: "approve",
        made[4].pk: "approve",
        made[5].pk: "reject",
    }
    assert [g.code for g in decided[made[0].pk].guidelines.all()] == ["song"]
    assert [g.code for g in decided[made[5].pk].guidelines.all()] == ["own-work"]


def test_undo_with_z_brings_the_entry_back_and_no_email_leaves(
    open_queue: Callable[..., Any], campaign: Campaign
) -> None:
    first, second = entries(campaign, 2)
    page = open_queue()
    current_is(page, first)
    page.keyboard.press("a")
    current_is(page, second)
    all_sent(page, 1)
    assert page.locator("#queue-undo").is_visible()
    assert re.search(r"\d s", page.locator("#queue-undo-clock").inner_text())

    page.keyboard.press("z")
    current_is(page, first)
    page.wait_for_function("() => /Undone/.test(document.getElementById('queue-status-text').textContent)")
    decision = Decision.objects.get(entry=first)
    assert decision.undone_at is not None
    assert undo_window_passes() == 0  # past the window: nothing takes effect
    first.refresh_from_db()
    assert first.state == "pending"
    assert not OutboxMail.objects.exists()
    assert mail.outbox == []
    # Still the moderator's to decide; this time the decision takes effect and the fan is told.
    page.keyboard.press("a")
    all_sent(page, 2)
    assert undo_window_passes() == 1
    first.refresh_from_db()
    assert first.state == "approved"
    assert OutboxMail.objects.filter(to="fan@example.test").count() == 1


def test_a_new_decision_typed_right_after_z_waits_for_the_undo_and_is_saved(
    open_queue: Callable[..., Any], campaign: Campaign, monkeypatch: Any
) -> None:
    """r 1, z, a typed quickly: the approval must not reach the server before the undo."""
    from moderation import api as moderation_api

    first, _second = entries(campaign, 2)
    real_post = moderation_api.EntryDecision.post
    calls: list[int] = []

    def slow_first_answer(self: Any, request: Any, entry_id: str) -> Any:
        calls.append(1)
        if len(calls) == 1:  # the rejection's answer is slow: z comes before it
            time.sleep(0.5)
        return real_post(self, request, entry_id)

    monkeypatch.setattr(moderation_api.EntryDecision, "post", slow_first_answer)
    page = open_queue()
    current_is(page, first)
    for key in ("r", "1", "z", "a"):
        page.keyboard.press(key)
        page.wait_for_timeout(30)
    all_sent(page, 2)
    decisions = list(Decision.objects.filter(entry=first).order_by("created_at"))
    assert [(d.action, d.undone_at is not None) for d in decisions] == [("reject", True), ("approve", False)]
    assert "Not saved" not in status_text(page)


def test_bulk_approve_in_the_grid_reports_the_entry_another_moderator_holds(
    open_queue: Callable[..., Any], campaign: Campaign, moderator: User
) -> None:
    made = entries(campaign, 4)
    other = UserFactory.create(email="other.mod@northern.test")
    MembershipFactory.create(user=other, brand=campaign.brand, role=Role.MODERATOR)
    [held] = queue_claim(actor=other, brand=campaign.brand, count=1)
    assert held.pk == made[0].pk

    page = open_queue(f"{QUEUE}?layout=grid")
    page.locator("#q-grid-list [role=option]").nth(3).wait_for()
    assert "other.mod@northern.test" in page.locator(f"#cell-{held.pk}").inner_text()
    page.keyboard.press("*")
    page.keyboard.press("a")
    assert page.locator("#q-grid-list [aria-selected=true]").count() == 4
    page.keyboard.press("a")
    page.wait_for_function("() => /Approved 3 entries/.test(document.getElementById('queue-status-text').textContent)")
    assert "other.mod@northern.test" in status_text(page)
    assert page.locator("#queue-undo").is_visible()
    decided = set(Decision.objects.filter(moderator=moderator).values_list("entry_id", flat=True))
    assert decided == {e.pk for e in made[1:]}
    assert not Decision.objects.filter(entry=held).exists()


def test_question_mark_opens_the_keyboard_map_and_escape_closes_it(
    open_queue: Callable[..., Any], campaign: Campaign
) -> None:
    entries(campaign, 1)
    page = open_queue()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard map")
    dialog.wait_for()
    assert "Reject citing guideline 1–9" in dialog.inner_text()
    page.keyboard.press("a")  # the map has the keys: nothing is approved behind it
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert not Decision.objects.exists()


def test_keys_typed_in_the_search_field_search_and_decide_nothing(
    open_queue: Callable[..., Any], campaign: Campaign
) -> None:
    made = entries(campaign, 3)
    page = open_queue()
    current_is(page, made[0])
    page.keyboard.press("/")
    search = page.get_by_label("Search by caption, fan or entry id")
    assert search.evaluate("el => el === document.activeElement")
    page.keyboard.type("ajrzx number 2")
    assert search.input_value() == "ajrzx number 2"
    page.keyboard.press("Escape")
    assert not search.evaluate("el => el === document.activeElement")
    page.wait_for_timeout(300)
    assert not Decision.objects.exists()
    # Searching shows the matches in the grid.
    search.fill("Move number 2")
    search.press("Enter")
    page.locator(f"#cell-{made[1].pk}").wait_for()
    assert page.locator("#q-grid-list [role=option]").count() == 1


def test_entries_held_ahead_go_back_to_the_pool_when_the_moderator_leaves(
    open_queue: Callable[..., Any], campaign: Campaign, moderator: User, live_site: str
) -> None:
    made = entries(campaign, 6)
    page = open_queue()
    current_is(page, made[0])
    page.wait_for_function("() => window.fanfareQueue.ahead >= 3")
    held = Entry.objects.filter(claimed_by=moderator)
    page.wait_for_timeout(300)
    assert held.count() == 4  # the current entry and the next three
    page.keyboard.press("a")
    all_sent(page, 1)
    page.goto(f"{live_site}/console/")  # pagehide: the page sends a beacon releasing what it held
    for _attempt in range(50):
        if list(held.values_list("pk", flat=True)) == [made[0].pk]:
            break
        page.wait_for_timeout(100)
    # Only the entry in its undo window stays held: nobody else may decide it meanwhile.
    assert list(held.values_list("pk", flat=True)) == [made[0].pk]


def test_done_view_reopens_a_rejected_entry_with_a_reason(
    open_queue: Callable[..., Any], campaign: Campaign, moderator: User
) -> None:
    [entry] = entries(campaign, 1)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"])
    page = open_queue(f"{QUEUE}?view=done")
    current_is(page, entry)
    assert "Rejected by mod@northern.test citing safe" in page.locator("#q-decision").inner_text()
    page.get_by_role("button", name="Re-open this rejected entry…").click()
    dialog = page.get_by_role("dialog", name="Re-open this rejected entry")
    dialog.get_by_role("button", name="Confirm").click()
    assert dialog.get_by_text("Say why, for the audit trail.").is_visible()  # a reason is required
    dialog.get_by_label("Why? (kept in the audit trail)").fill("The stunt was staged safely on a mat.")
    dialog.get_by_role("button", name="Confirm").click()
    dialog.wait_for(state="hidden")
    page.wait_for_function("() => /now/.test(document.getElementById('queue-status-text').textContent)")
    entry.refresh_from_db()
    assert entry.state == "pending"


def test_moderator_sees_who_took_over_the_entry_on_screen(open_queue: Callable[..., Any], campaign: Campaign) -> None:
    made = entries(campaign, 2)
    other = UserFactory.create(email="other.mod@northern.test")
    MembershipFactory.create(user=other, brand=campaign.brand, role=Role.MODERATOR)
    page = open_queue()
    current_is(page, made[0])
    # The lease ran out while the tab was hidden, and another moderator took the entry.
    Entry.objects.filter(pk=made[0].pk).update(
        claimed_by=other, claim_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # back to the tab: leases renewed
    page.locator("#q-banner").wait_for()
    assert "Another moderator holds this entry now" in page.locator("#q-banner").inner_text()
    assert page.locator("#q-hold-label").inner_text() == "Held by"
    assert "other.mod@northern.test" in page.locator("#q-hold").inner_text()
    page.keyboard.press("j")
    current_is(page, made[1])


def test_bulk_reject_cites_the_guideline_and_z_undoes_the_whole_bulk(
    open_queue: Callable[..., Any], campaign: Campaign, moderator: User
) -> None:
    made = entries(campaign, 4)
    page = open_queue(f"{QUEUE}?layout=grid")
    page.locator("#q-grid-list [role=option]").nth(3).wait_for()
    page.locator(f"#cell-{made[1].pk}").focus()
    page.keyboard.press("x")
    page.keyboard.press("Shift+J")
    assert page.locator("#q-grid-list [aria-selected=true]").count() == 2
    page.keyboard.press("r")
    page.keyboard.press("4")
    page.wait_for_function("() => /Rejected 2 entries/.test(document.getElementById('queue-status-text').textContent)")
    bulk = Decision.objects.filter(moderator=moderator)
    assert {d.entry_id for d in bulk} == {made[1].pk, made[2].pk}
    assert {g.code for d in bulk for g in d.guidelines.all()} == {"no-ads"}
    assert len({d.bulk_id for d in bulk}) == 1

    page.keyboard.press("z")
    page.wait_for_function("() => /Undone: 2 decisions/.test(document.getElementById('queue-status-text').textContent)")
    assert bulk.filter(undone_at__isnull=False).count() == 2
    assert undo_window_passes() == 0
    assert set(Entry.objects.filter(state="pending").values_list("pk", flat=True)) == {e.pk for e in made}
