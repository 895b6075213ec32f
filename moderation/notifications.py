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
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from campaigns.models import Guideline
from moderation.models import Decision, DecisionAction, Feature, FeatureEntry, OutboxMail
from submissions.models import Entry

log = logging.getLogger(__name__)

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
        rules = "\n".join(f"- {g.number}. {g.text}" for g in decision.guidelines.order_by("number"))
        if decision.action == DecisionAction.REMOVE:
            subject = _("Your %(hashtag)s entry was removed") % names
            parts = [_("Your entry to %(title)s was taken down after a report. It does not follow:") % names, rules]
        else:
            subject = _("Your %(hashtag)s entry was not accepted") % names
            parts = [_("Your entry to %(title)s does not follow these guidelines:") % names, rules]
        if decision.note:
            parts.append(_("Moderator's note:") + " " + decision.note)
    parts.append(link)
    [mail] = _outbox_add([(entry.author.email, subject, "\n\n".join(parts))])
    return mail


def entry_rejected_by_rule(*, entry: Entry, guideline: Guideline, why: str, appeal_until: dt.datetime) -> OutboxMail:
    """Write the statement of reasons for an entry an automatic rule rejected; call inside that transaction.

    Says what was decided, which guideline (its text), that automated means decided it, how and
    until when to appeal, and a decision reference (the entry id).
    """
    campaign = entry.campaign
    link = f"{settings.SITE_URL}{reverse('my-entries')}"
    names = {"hashtag": campaign.hashtag, "title": campaign.title}
    subject = _("Your %(hashtag)s entry was not accepted") % names
    parts = [
        _("Your entry to %(title)s was not accepted: it does not follow this guideline:") % names,
        f"- {guideline.number}. {guideline.text}",
        _("This decision was made by automated means, by one of the brand's automatic rules:") + " " + why,
        _(
            "If you think it is wrong, you can appeal once until %(date)s: open “My entries” and choose "
            "“Appeal”. A person who took no part in this decision will review it."
        )
        % {"date": date_format(appeal_until, "DATE_FORMAT")},
        link,
        _("Decision reference:") + f" {entry.pk}",
    ]
    [mail] = _outbox_add([(entry.author.email, subject, "\n\n".join(parts))])
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
