"""Fan pages: enter a challenge, my entries, an entry's page; signed private files."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import AuthenticatedHttpRequest
from campaigns.selectors import campaign_for_viewer
from config.clients import client_address
from config.errors import DomainError
from submissions import selectors, services
from submissions.forms import EntryForm
from submissions.storage import name_from_private_token, private_storage


@login_required
def entry_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    campaign, _preview = campaign_for_viewer(slug=slug, user=request.user)
    form = EntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            entry = services.entry_create(
                author=request.user,
                campaign=campaign,
                upload=upload,
                size=upload.size if upload else 0,
                caption=form.cleaned_data["caption"],
                alt_text=form.cleaned_data["alt_text"],
                consent=form.cleaned_data["consent"],
                client=client_address(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Thanks! Your entry is uploaded."))
            return redirect("entry-detail", entry_id=entry.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "submissions/entry_form.html",
        {
            "campaign": campaign,
            "form": form,
            "guidelines": campaign.guidelines.filter(active=True),
            "is_open": campaign.is_open(),
        },
        status=status,
    )


@login_required
def my_entries(request: AuthenticatedHttpRequest) -> HttpResponse:
    entries = [
        {"entry": e, "renditions": selectors.rendition_urls(e), "rejection": selectors.rejection_of(e)}
        for e in selectors.entries_of_author(user=request.user)
    ]
    return render(request, "submissions/my_entries.html", {"entries": entries})


def entry_detail(request: HttpRequest, entry_id: str) -> HttpResponse:
    entry = selectors.entry_visible_to(user=request.user, entry_id=entry_id)
    renditions = selectors.rendition_urls(entry)
    jpegs = sorted((r for r in renditions if r["format"] == "jpeg"), key=lambda r: r["width"])
    webps = sorted((r for r in renditions if r["format"] == "webp"), key=lambda r: r["width"])
    largest = jpegs[-1] if jpegs else None
    response = render(
        request,
        "submissions/entry_detail.html",
        {
            "entry": entry,
            "largest": largest,
            "video": next((r for r in renditions if r["format"] == "mp4"), None),
            "jpeg_srcset": ", ".join(f"{r['url']} {r['width']}w" for r in jpegs),
            "webp_srcset": ", ".join(f"{r['url']} {r['width']}w" for r in webps),
            "rejection": selectors.rejection_of(entry),
            "is_author": entry.author_id == request.user.pk,
            "in_progress": entry.state in ("uploaded", "processing"),
        },
    )
    if not entry.is_public:
        response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def entry_withdraw(request: AuthenticatedHttpRequest, entry_id: str) -> HttpResponse:
    entry = selectors.entry_visible_to(user=request.user, entry_id=entry_id)
    try:
        services.entry_withdraw(actor=request.user, entry=entry)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your entry is withdrawn."))
    return redirect("my-entries")


@require_GET
def private_media(request: HttpRequest, token: str) -> FileResponse:
    """A private file behind a signed, short-lived link (local storage only)."""
    try:
        name = name_from_private_token(token)
    except signing.BadSignature as exc:
        raise Http404 from exc
    storage = private_storage()
    if not storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
