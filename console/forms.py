"""The audit page's filter form: the same reading of the filters as the API (activity.selectors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand
from activity.selectors import ActivityFilters, activity_filters
from campaigns.models import Campaign, Guideline
from config.errors import DomainError
from moderation.models import RuleAction, RuleKind
from moderation.rules import TERM_MAX

# Offered while typing in the "Action" field; any other start of a verb works too.
KNOWN_VERBS = (
    "entry.",
    "decision.",
    "decision.made",
    "decision.undone",
    "decision.lapsed",
    "entry.approved",
    "entry.rejected",
    "entry.removed",
    "entry.reopened",
    "entry.restored",
    "entry.approval_withdrawn",
    "entry.withdrawn",
    "entry.processed",
    "entry.refused",
    "entry.original_opened",
    "bulk.decided",
    "appeal.",
    "claim.taken_over",
    "shortlist.",
    "feature.published",
    "campaign.",
    "guidelines.changed",
    "terms.changed",
    "membership.",
)


class ActivityFilterForm(forms.Form):
    since = forms.CharField(
        label=_("From"),
        required=False,
        max_length=40,
        help_text=_("A date (2026-11-25) or date-time, UTC."),
    )
    until = forms.CharField(label=_("Until"), required=False, max_length=40, help_text=_("To the end of that day."))
    actor = forms.CharField(
        label=_("Who"),
        required=False,
        max_length=254,
        help_text=_("An e-mail, a person's id, or “system”."),
    )
    verb = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        help_text=_("e.g. “entry.” or “entry.approved”."),
        widget=forms.TextInput(attrs={"list": "known-verbs", "autocomplete": "off"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            self.filters = activity_filters({k: v or "" for k, v in cleaned.items()})
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            self.filters = ActivityFilters()
        else:
            if self.filters.inverted:
                self.add_error("until", _("The end must come after the start."))
        return cleaned


class RuleForm(forms.Form):
    """One automatic rule; the rules services check the value, guideline and campaign."""

    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=TERM_MAX,
        help_text=_(
            "A word or phrase; an e-mail address or domain; entries per hour (3, or network:10); "
            "hours:24 or approved:1 for new accounts."
        ),
    )
    action = forms.ChoiceField(label=_("Action"), choices=RuleAction.choices)
    # guideline and campaign: choices of the brand, made in __init__

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns = list(Campaign.objects.filter(brand=brand).order_by("title"))
        codes = sorted(set(Guideline.objects.filter(campaign__brand=brand, active=True).values_list("code", flat=True)))
        self.fields["guideline"] = forms.ChoiceField(
            label=_("Guideline cited when rejecting"),
            required=False,
            choices=[("", _("None")), *((code, code) for code in codes)],
        )
        self.fields["campaign"] = forms.ChoiceField(
            label=_("Campaign"),
            required=False,
            choices=[("", _("Every campaign")), *((c.slug, c.title) for c in campaigns)],
        )


class RuleTestForm(forms.Form):
    text = forms.CharField(label=_("Text to try"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
