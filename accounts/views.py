"""Account pages: the person's own API tokens."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import TokenCreateForm
from accounts.tokens import api_token_issue, api_token_revoke, api_tokens_of


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List, create (password asked again) and revoke one's own API tokens; a new key is shown once."""
    form = TokenCreateForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        adapter = get_adapter(request)
        try:
            confirmed = adapter.authenticate(request, email=request.user.email, password=form.cleaned_data["password"])
        except ValidationError as exc:  # the login lockout
            form.add_error("password", exc.messages[0])
        else:
            if confirmed is None or confirmed.pk != request.user.pk:
                form.add_error("password", _("That is not your password."))
            else:
                _token, new_key = api_token_issue(user=request.user, name=form.cleaned_data["name"])
                form = TokenCreateForm()
    status = 400 if form.errors else 200
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": api_tokens_of(user=request.user), "new_key": new_key},
        status=status,
    )


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: str) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, _("The token is revoked: it no longer works."))
    else:
        messages.error(request, _("That token no longer exists."))
    return redirect("api-tokens")
