"""Fan pages: enter a challenge, my entries, an entry's page; signed private files."""

from __future__ import annotations

import mimetypes
from typing import Any, cast

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
from submissions import resubmissions, selectors, services, uploads
from submissions.forms import EntryForm
from submissions.models import Entry
from submissions.signals import entries_listed
from submissions.storage import name_from_private_token, private_storage


@login_required
def entry_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Enter a campaign; with `?resubmit=<entry id>`, send a new version of a rejected entry."""
    campaign, _preview = campaign_for_viewer(slug=slug, user=request.user)
    previous = _entry_to_resubmit(request, campaign_id=campaign.pk)
    initial = {"caption": previous.caption, "alt_text": previous.alt_text} if previous else None
    form = EntryForm(request.POST or None, request.FILES or None, initial=initial)
    refusal = selectors.entry_resubmit_refusal(previous, author=request.user) if previous else ""
    if request.method == "POST" and form.is_valid() and not refusal:
        upload = form.cleaned_data["file"]
        try:
            if previous is not None:
                entry = _resubmit(request, previous=previous, form=form)
            else:
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
            if previous is not None:
                messages.success(request, _("Thanks! Your new version is uploaded."))
            else:
                messages.success(request, _("Thanks! Your entry is uploaded."))
            return redirect("entry-detail", entry_id=entry.pk)
    if previous is not None:
        form.fields["file"].help_text = _(
            "Leave it empty to keep the current picture, or choose a new photo or video to replace it."
        )
    status = 400 if form.errors or (request.method == "POST" and refusal) else 200
    rejection = selectors.entry_rejection(previous) if previous else None
    return render(
        request,
        "submissions/entry_form.html",
        {
            "campaign": campaign,
            "form": form,
            "guidelines": campaign.guidelines.filter(active=True),
            "is_open": campaign.is_open(),
            "previous": previous,
            "previous_rejection": rejection,
            "refusal": refusal,
        },
        status=status,
    )


def _entry_to_resubmit(request: AuthenticatedHttpRequest, *, campaign_id: int) -> Entry | None:
    """The fan's own entry of this campaign named by `resubmit` (query or form), else None; 404 if not theirs."""
    entry_id = request.POST.get("resubmit") or request.GET.get("resubmit")
    if not entry_id:
        return None
    entry = selectors.entry_visible_to(user=request.user, entry_id=entry_id)
    if entry.author_id != request.user.pk or entry.campaign_id != campaign_id:
        raise Http404
    return entry


def _resubmit(request: AuthenticatedHttpRequest, *, previous: Entry, form: EntryForm) -> Entry:
    """Without JavaScript: a chosen file goes through an upload slot, as the script would send it."""
    upload = form.cleaned_data["file"]
    slot_id = None
    if upload is not None:
        slot = uploads.upload_slot_create(
            author=request.user,
            campaign=previous.campaign,
            content_type=upload.content_type or "",
            size=upload.size or 0,
            client=client_address(request),
            resubmission=True,
        )
        uploads.upload_slot_receive(author=request.user, slot_id=slot.pk, upload=upload, size=upload.size or 0)
        slot_id = slot.pk
    return resubmissions.entry_resubmit(
        actor=request.user,
        entry=previous,
        caption=form.cleaned_data["caption"],
        alt_text=form.cleaned_data["alt_text"],
        consent=form.cleaned_data["consent"],
        slot_id=slot_id,
    )


@login_required
def my_entries(request: AuthenticatedHttpRequest) -> HttpResponse:
    mine = list(selectors.entries_of_author(user=request.user))
    # What the apps above add to each row (an appeal, …): see submissions.signals.entries_listed.
    added: dict[Any, dict[str, Any]] = {}
    for _receiver, extras in entries_listed.send(sender=Entry, entries=mine, user=request.user):
        for entry_id, values in cast("dict[Any, dict[str, Any]]", extras or {}).items():
            added.setdefault(entry_id, {}).update(values)
    entries = [
        {
            "entry": e,
            "renditions": selectors.rendition_urls(e),
            "rejection": selectors.rejection_of(e),
            "resubmittable": selectors.entry_resubmittable(e),
            **added.get(e.pk, {}),
        }
        for e in mine
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
            "resubmittable": entry.author_id == request.user.pk and selectors.entry_resubmittable(entry),
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
