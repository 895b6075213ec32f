"""The fan's appeal page: see the contested decision and the deadline, file the one appeal, and
read its outcome afterwards. Only the entry's author sees it (others 404)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest
from config.errors import DomainError
from moderation import services
from moderation.forms import AppealForm
from moderation.models import Appeal
from submissions.models import Entry
from submissions.selectors import rejection_of


@login_required
@require_http_methods(["GET", "POST"])
def entry_appeal(request: AuthenticatedHttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = Entry.objects.select_related("campaign").filter(pk=entry_id, author=request.user).first()
    if entry is None:
        raise Http404
    appeal = Appeal.objects.filter(entry=entry).first()
    basis = services.appeal_basis(entry)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and appeal is None and form.is_valid():
        try:
            services.appeal_file(actor=request.user, entry_id=entry.pk, text=form.cleaned_data["text"])
        except DomainError as exc:
            form.add_error("text" if exc.field == "text" else None, exc.message)
        else:
            messages.success(request, _("Your appeal was sent. You will get the answer by e-mail."))
            return redirect("entry-appeal", entry_id=entry.pk)
    return render(
        request,
        "moderation/entry_appeal.html",
        {
            "entry": entry,
            "appeal": appeal,
            "basis": basis,
            "rejection": rejection_of(entry),
            "form": form,
            "max_length": services.APPEAL_TEXT_MAX,
        },
    )
