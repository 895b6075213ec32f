"""Sign-up: allauth's form plus the public name a fan's entries are shown with."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth builds its own form on top of this one (ACCOUNT_SIGNUP_FORM_CLASS)."""

    display_name = forms.CharField(
        label=_("Name shown with your entries"),
        max_length=60,
        help_text=_("Public: shown next to your entries on campaign pages and on brands' sites."),
    )

    def signup(self, request: HttpRequest, user: Any) -> None:
        """Called by allauth once the user is saved."""
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])


class TokenCreateForm(forms.Form):
    """A new API token for the signed-in person; the password is asked again, as for the API."""

    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("What the token is for, e.g. “Shop integration”."),
    )
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput, strip=False, max_length=4096)
