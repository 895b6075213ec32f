"""allauth behaviour for Fanfare."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no type hints
    """Sign-up asks for the public name (accounts.forms.SignupForm); nothing is derived from the e-mail."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True
