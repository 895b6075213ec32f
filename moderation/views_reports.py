"""The public report page: anyone may report a public entry, without an account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from campaigns.models import Guideline
from config.clients import client_address
from config.errors import DomainError
from moderation import services
from moderation.models import ReportReason
from submissions.models import PUBLIC_STATES, Entry


class ReportForm(forms.Form):
    """A reason (the campaign's guidelines, then the reasons open to anyone) and optional details."""

    reason = forms.ChoiceField(label=_("What is wrong with this entry?"), widget=forms.RadioSelect)
    details = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=services.DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": services.DETAILS_MAX}),
        help_text=_("Anything that helps the moderators, up to 1,000 characters."),
    )

    def __init__(self, *args: Any, guidelines: list[Guideline], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [
            (g.code, _("It breaks rule %(number)s: %(text)s") % {"number": g.number, "text": g.text})
            for g in guidelines
        ]
        choices += [(value, label) for value, label in ReportReason.choices]
        self.fields["reason"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField


def _public_entry(entry_id: str) -> Entry:
    try:
        entry = (
            Entry.objects.select_related("campaign", "author")
            .prefetch_related("renditions")
            .filter(pk=entry_id, state__in=list(PUBLIC_STATES))
            .first()
        )
    except (ValueError, ValidationError) as exc:
        raise Http404 from exc
    if entry is None:
        raise Http404
    return entry


@require_http_methods(["GET", "POST"])
def entry_report(request: HttpRequest, entry_id: str) -> HttpResponse:
    """Report a public entry (GET: the form; POST: send it, then a thank-you that says what happens)."""
    entry = _public_entry(entry_id)
    guidelines = sorted((g for g in entry.campaign.guidelines.all() if g.active), key=lambda g: g.number)
    form = ReportForm(request.POST or None, guidelines=guidelines)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                actor=request.user if request.user.is_authenticated else None,
                entry_id=entry.pk,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                address=client_address(request),
                agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "moderation/entry_report.html", {"entry": entry, "sent": True})
    status = 400 if form.errors else 200
    return render(request, "moderation/entry_report.html", {"entry": entry, "form": form}, status=status)
