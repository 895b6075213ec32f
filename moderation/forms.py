"""Console forms for moderators. They collect input; the rules live in moderation.services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import Guideline
from moderation.models import DecisionAction
from moderation.services import NOTE_MAX


class GuidelineCitationForm(forms.Form):
    """Guideline codes cited (checkboxes, rendered by the template) and a note."""

    guidelines = forms.MultipleChoiceField(label=_("Guidelines"), required=False)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. The fan reads it with the decision."),
    )

    def __init__(self, *args: Any, guidelines: Iterable[Guideline], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guideline_list = list(guidelines)
        cast(forms.MultipleChoiceField, self.fields["guidelines"]).choices = [
            (g.code, f"{g.number}. {g.text}") for g in self.guideline_list
        ]

    def guideline_rows(self) -> list[dict[str, Any]]:
        """Each guideline with whether it is ticked, for the template's checkboxes."""
        # Bound: the field's widget reads the ticked codes from the posted data.
        chosen = set(self["guidelines"].data) if self.is_bound else set(self.initial.get("guidelines", []))
        return [{"guideline": g, "checked": g.code in chosen} for g in self.guideline_list]


class DecisionForm(GuidelineCitationForm):
    """Approve or reject the entry on screen; the pressed button names the action."""

    action = forms.ChoiceField(
        choices=[(DecisionAction.APPROVE, _("Approve")), (DecisionAction.REJECT, _("Reject"))],
        error_messages={"required": _("Choose approve or reject.")},
    )


class RemoveForm(GuidelineCitationForm):
    """Take down an approved or featured entry after a report."""


class AppealForm(forms.Form):
    """A fan's appeal: why the decision should be looked at again (the service checks the rules)."""

    text = forms.CharField(
        label=_("Why should the decision be looked at again?"),
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": 2000, "data-counter": "appeal-counter"}),
        help_text=_("Up to 2,000 characters. You can appeal once; a moderator who did not decide will answer."),
    )
