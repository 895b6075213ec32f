"""E-mails that tell fans what happened to their entries. Sent after the change commits;
a mail failure is logged and never undoes a decision."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from moderation.models import Decision, DecisionAction, Feature, FeatureEntry

log = logging.getLogger(__name__)


def _send(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, None, [to])
    except Exception:
        log.exception("Could not send %r to %s", subject, to)


def entry_decided(*, decision_id: int) -> None:
    decision = Decision.objects.select_related("entry__author", "entry__campaign").get(pk=decision_id)
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
    _send(to=entry.author.email, subject=subject, body="\n\n".join(parts))


def feature_published(*, feature_id: int) -> None:
    feature = Feature.objects.select_related("campaign").get(pk=feature_id)
    for item in FeatureEntry.objects.filter(feature=feature).select_related("entry__author"):
        _send(
            to=item.entry.author.email,
            subject=_("Your entry is featured in %(hashtag)s!") % {"hashtag": feature.campaign.hashtag},
            body=_("Your entry was picked for the %(week)s gallery of %(title)s.\n\n%(link)s")
            % {
                "week": feature.week_label,
                "title": feature.campaign.title,
                "link": f"{settings.SITE_URL}{reverse('campaign-detail', kwargs={'slug': feature.campaign.slug})}",
            },
        )
