"""E-mails that tell fans what happened to their entries, through an outbox.

Each e-mail is written as an OutboxMail row inside the transaction of the decision or the
publication it tells of, so it exists exactly when the change does; a task sends it after the
commit. Neither a broker outage (the row waits for the sweeper) nor a mail server failure (the
sweeper tries again, a few times) undoes or blocks the change, and a row is marked sent under
its lock, so it is sent once. (A worker killed between the mail server's acceptance and the
commit would send it again: at least once, never lost.)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from campaigns.models import Guideline
from moderation.models import (
    Appeal,
    AppealOutcome,
    Decision,
    DecisionAction,
    Feature,
    FeatureEntry,
    OutboxMail,
    Report,
)
from submissions.models import Entry

log = logging.getLogger(__name__)

# The public report reasons in the words a fan reads in the e-mail about a hidden entry.
REPORT_REASON_WORDS = {
    "illegal": _lazy("Illegal content"),
    "depicted_person": _lazy("Someone says it shows them and they did not agree"),
    "minor": _lazy("Someone says it shows a minor"),
}

# A mail server that fails is tried again after 2, 4, 8… minutes, at most every six hours, for
# about four days before the mail is given up (and logged as an error).
MAX_MAIL_ATTEMPTS = 20
MAX_MAIL_BACKOFF = dt.timedelta(hours=6)


def entry_decided(*, decision: Decision) -> OutboxMail:
    """Write the e-mail telling the fan about `decision`; call inside the decision's transaction."""
    entry, campaign = decision.entry, decision.entry.campaign
    link = f"{settings.SITE_URL}{reverse('my-entries')}"
    names = {"hashtag": campaign.hashtag, "title": campaign.title}
    # Templates are filled before any text people wrote is appended: a "%" in a note or a
    # guideline must reach the fan as it is.
    if decision.action == DecisionAction.APPROVE:
        subject = _("Your %(hashtag)s entry is approved") % names
        parts = [_("Good news: your entry to %(title)s is now visible on the campaign page.") % names]
    else:
        guidelines = list(decision.guidelines.order_by("number"))
        if decision.action == DecisionAction.REMOVE:
            subject = _("Your %(hashtag)s entry was removed") % names
            decided = _("Your entry to %(title)s was taken down after a report.") % names
        else:
            subject = _("Your %(hashtag)s entry was not accepted") % names
            decided = _("Your entry to %(title)s was not accepted.") % names
        parts = [
            statement_of_reasons(
                entry=entry,
                decided=decided,
                guidelines=[(g.number, g.text) for g in guidelines],
                note=decision.note,
                automated=None,
                decided_at=decision.applied_at or decision.created_at,
                reference=f"D-{decision.pk}",
            )
        ]
        fixable = bool(guidelines) and all(g.fixable for g in guidelines)
        if decision.action == DecisionAction.REJECT and fixable and campaign.is_open():
            again = f"{settings.SITE_URL}{reverse('entry-create', kwargs={'slug': campaign.slug})}?resubmit={entry.pk}"
            parts.append(_("You can fix this and send a new version of your entry while the campaign is open:"))
            parts.append(again)
    parts.append(link)
    [mail] = _outbox_add([(entry.author.email, subject, "\n\n".join(parts))])
    return mail


def statement_of_reasons(
    *,
    entry: Entry,
    decided: str,
    guidelines: Iterable[tuple[int, str]],
    note: str = "",
    automated: str | None,
    decided_at: dt.datetime,
    reference: str,
) -> str:
    """The statement of reasons every rejection, removal and hiding e-mail carries: what was
    decided, which guidelines (their text), whether automated means were involved, how and until
    when to appeal, and a decision reference.

    `decided` is the sentence saying what was decided; `automated` None when a moderator decided,
    else the sentence saying which automated means decided (e.g. "An automatic rule of the brand
    rejected it."). Templates are filled before text people wrote is appended, so a "%" in a note
    or a guideline reaches the fan as it is.
    """
    rules = "\n".join(f"- {number}. {text}" for number, text in guidelines)
    parts = [decided]
    if rules:
        parts.append(_("It does not follow these guidelines of the campaign:") + "\n" + rules)
    if note:
        parts.append(_("Moderator's note:") + " " + note)
    if automated is None:
        parts.append(_("A moderator of the brand decided this. No automated means decided this."))
    else:
        parts.append(_("Automated means were involved:") + " " + automated)
    deadline = decided_at + dt.timedelta(days=settings.APPEAL_WINDOW_DAYS)
    appeal_url = f"{settings.SITE_URL}{reverse('entry-appeal', kwargs={'entry_id': entry.pk})}"
    parts.append(
        _(
            "You may appeal once, until %(date)s: open “My entries”, choose “Appeal” next to this entry "
            "and say why the decision should be looked at again. A moderator who did not make this "
            "decision will answer. Appeal here:"
        )
        % {"date": formats.date_format(deadline, "DATE_FORMAT")}
        + " "
        + appeal_url
    )
    parts.append(_("Decision reference:") + f" {reference}")
    return "\n\n".join(parts)


def appeal_decided(*, appeal: Appeal) -> OutboxMail:
    """Write the e-mail telling the fan the outcome of their appeal, with the moderator's reasons;
    call inside the appeal decision's transaction."""
    entry = appeal.entry
    campaign = entry.campaign
    names = {"hashtag": campaign.hashtag, "title": campaign.title}
    link = f"{settings.SITE_URL}{reverse('my-entries')}"
    if appeal.outcome == AppealOutcome.UPHELD:
        subject = _("Your %(hashtag)s appeal was upheld") % names
        if appeal.restored_to == "pending":
            parts = [_("Your appeal about your entry to %(title)s was upheld: it goes back to review.") % names]
        else:
            parts = [_("Your appeal about your entry to %(title)s was upheld: your entry is visible again.") % names]
    else:
        subject = _("Your %(hashtag)s appeal was not upheld") % names
        parts = [_("Your appeal about your entry to %(title)s was not upheld. This decision is final.") % names]
    parts.append(_("The moderator's reasons:") + " " + appeal.reasons)
    reference = f"D-{appeal.decision_id}" if appeal.decision_id else f"A-{appeal.pk}"
    parts.append(_("Appeal reference:") + f" A-{appeal.pk} ({reference})")
    parts.append(link)
    [mail] = _outbox_add([(entry.author.email, subject, "\n\n".join(parts))])
    return mail


def report_reason_text(report: Report) -> str:
    """A report's reason in the words a fan reads: the guideline cited, or the reason open to anyone."""
    if report.guideline is not None:
        return f"{report.guideline.number}. {report.guideline.text}"
    return str(REPORT_REASON_WORDS.get(report.reason, report.reason))


def entry_hidden(*, entry: Entry, reports: list[Report]) -> OutboxMail:
    """Tell the fan their entry is temporarily hidden after reports, and why (a statement of
    reasons); call inside the hiding transaction. Never names or counts the reporters."""
    campaign = entry.campaign
    names = {"hashtag": campaign.hashtag, "title": campaign.title}
    reasons = list(dict.fromkeys(f"- {report_reason_text(report)}" for report in reports))
    subject = _("Your %(hashtag)s entry is temporarily hidden") % names
    parts = [
        _(
            "Your entry to %(title)s is temporarily hidden from the campaign page and the gallery "
            "while the brand's moderators look at it."
        )
        % names,
        _("Why: people reported it for these reasons:"),
        "\n".join(reasons),
        _(
            "This was automatic: entries are hidden when several people report them, or at once when "
            "someone says it shows them without their agreement or shows a minor. No person has decided yet."
        ),
        _("You need to do nothing now. We will e-mail you when a moderator keeps or removes it."),
        _("Reference:") + f" {entry.pk}",
        f"{settings.SITE_URL}{reverse('my-entries')}",
    ]
    [mail] = _outbox_add([(entry.author.email, subject, "\n\n".join(parts))])
    return mail


def entry_kept(*, entry: Entry) -> OutboxMail:
    """Tell the fan a moderator looked at the reports and their entry is public again."""
    campaign = entry.campaign
    names = {"hashtag": campaign.hashtag, "title": campaign.title}
    subject = _("Your %(hashtag)s entry is back") % names
    parts = [
        _("A moderator looked at the reports on your entry to %(title)s and kept it: it is visible again.") % names,
        _("Reference:") + f" {entry.pk}",
        f"{settings.SITE_URL}{reverse('my-entries')}",
    ]
    [mail] = _outbox_add([(entry.author.email, subject, "\n\n".join(parts))])
    return mail


def entry_rejected_by_rule(*, entry: Entry, guideline: Guideline, why: str, decided_at: dt.datetime) -> OutboxMail:
    """Write the statement of reasons for an entry an automatic rule rejected; call inside that
    transaction. Its reference is the entry id (there is no moderator's decision)."""
    campaign = entry.campaign
    names = {"hashtag": campaign.hashtag, "title": campaign.title}
    subject = _("Your %(hashtag)s entry was not accepted") % names
    statement = statement_of_reasons(
        entry=entry,
        decided=_("Your entry to %(title)s was not accepted.") % names,
        guidelines=[(guideline.number, guideline.text)],
        automated=_("one of the brand's automatic rules rejected it, without a moderator:") + " " + why,
        decided_at=decided_at,
        reference=f"E-{entry.pk}",
    )
    body = "\n\n".join([statement, f"{settings.SITE_URL}{reverse('my-entries')}"])
    [mail] = _outbox_add([(entry.author.email, subject, body)])
    return mail


def feature_published(*, feature: Feature) -> list[OutboxMail]:
    """Write one e-mail per featured fan; call inside the publication's transaction."""
    campaign = feature.campaign
    link = f"{settings.SITE_URL}{reverse('campaign-detail', kwargs={'slug': campaign.slug})}"
    subject = _("Your entry is featured in %(hashtag)s!") % {"hashtag": campaign.hashtag}
    body = _("Your entry was picked for the %(week)s gallery of %(title)s.\n\n%(link)s") % {
        "week": feature.week_label,
        "title": campaign.title,
        "link": link,
    }
    items = FeatureEntry.objects.filter(feature=feature).select_related("entry__author").order_by("position")
    return _outbox_add([(item.entry.author.email, subject, body) for item in items])


def _outbox_add(messages: Iterable[tuple[str, str, str]]) -> list[OutboxMail]:
    mails = [OutboxMail.objects.create(to=to, subject=subject[:255], body=body) for to, subject, body in messages]
    ids = [mail.pk for mail in mails]
    if ids:
        transaction.on_commit(lambda: outbox_queue(mail_ids=ids))
    return mails


def outbox_queue(*, mail_ids: list[int]) -> None:
    """Queue the sending of these e-mails; if the broker is down they wait for the sweeper."""
    from moderation.tasks import send_outbox_mail

    try:
        send_outbox_mail.delay(mail_ids)
    except Exception as exc:
        if send_outbox_mail.app.conf.task_always_eager:
            raise
        log.warning(
            "Could not queue %s e-mail(s) (%s: %s); the sweeper will send them", len(mail_ids), type(exc).__name__, exc
        )


def outbox_send(*, mail_id: int) -> bool:
    """Send one outbox e-mail unless it was sent already or is being sent; True when sent now.

    A mail server failure is counted and logged; the sweeper tries again with backoff until
    MAX_MAIL_ATTEMPTS, then the mail is given up with an error in the log.
    """
    with transaction.atomic():
        mail = (
            OutboxMail.objects.select_for_update(skip_locked=True)
            .filter(pk=mail_id, sent_at__isnull=True, attempts__lt=MAX_MAIL_ATTEMPTS)
            .first()
        )
        if mail is None:
            return False
        try:
            send_mail(mail.subject, mail.body, None, [mail.to])
        except Exception:
            mail.attempts += 1
            mail.next_attempt_at = timezone.now() + min(dt.timedelta(minutes=2**mail.attempts), MAX_MAIL_BACKOFF)
            mail.save(update_fields=["attempts", "next_attempt_at"])
            if mail.attempts >= MAX_MAIL_ATTEMPTS:
                log.exception("Gave up sending %r to %s after %s attempts", mail.subject, mail.to, mail.attempts)
            else:
                log.exception("Could not send %r to %s (attempt %s)", mail.subject, mail.to, mail.attempts)
            return False
        mail.sent_at = timezone.now()
        mail.attempts += 1
        mail.save(update_fields=["sent_at", "attempts"])
    return True


def outbox_send_pending(*, limit: int = 500) -> int:
    """Send the unsent e-mails (oldest first, at most `limit`); returns how many went out."""
    ids = list(
        OutboxMail.objects.filter(sent_at__isnull=True, attempts__lt=MAX_MAIL_ATTEMPTS)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_send(mail_id=mail_id) for mail_id in ids)
