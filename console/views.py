"""Console pages of the audit trail: a brand's activity with filters and exports, an entry's page.

As on every console page, accounts.permissions.brand_for_member comes first: a person without the
role gets 404. The brand's activity is for AUDIT_ROLES (owners, admins, analysts: see
activity.api); an entry's page with its timeline is for every member of the brand.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import AUDIT_ROLES, MODERATE_ROLES, READ_ROLES
from accounts.permissions import AuthenticatedHttpRequest, brand_for_member, member_brand_ids
from activity.models import Activity
from activity.selectors import activity_of_brand, activity_of_entry
from console.forms import KNOWN_VERBS, ActivityFilterForm
from moderation.models import Appeal
from submissions.models import Entry
from submissions.selectors import rendition_urls, resubmission_history

PAGE_SIZE = 50


def _no_store(response: HttpResponse) -> HttpResponse:
    # These pages carry who did what, and signed links to private pictures.
    response["Cache-Control"] = "private, no-store"
    return response


def _row(row: Activity) -> dict[str, Any]:
    snapshot = row.snapshot or {}
    return {
        "row": row,
        "snapshot": json.dumps(snapshot, ensure_ascii=False, sort_keys=True) if snapshot else "",
    }


@login_required
@require_GET
def activity(request: AuthenticatedHttpRequest, brand: str) -> HttpResponse:
    """The brand's audit trail, newest first: filters, a page of rows, and exports with the same filters."""
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=AUDIT_ROLES)
    form = ActivityFilterForm(request.GET)
    valid = form.is_valid()
    page = None
    if valid:
        rows = activity_of_brand(brand_id=brand_obj.pk, filters=form.filters)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(form.filters.query) if valid else ""
    context = {
        "brand": brand_obj,
        "form": form,
        "page": page,
        "rows": [_row(r) for r in page] if page is not None else [],
        "query": query,
        "known_verbs": KNOWN_VERBS,
    }
    return _no_store(render(request, "console/activity.html", context, status=200 if valid else 400))


def _picture(renditions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The entry's JPEG renditions as one <img> with a srcset (the largest as its fallback)."""
    jpegs = sorted((r for r in renditions if r["format"] == "jpeg"), key=lambda r: r["width"])
    if not jpegs:
        return None
    return {"largest": jpegs[-1], "srcset": ", ".join(f"{r['url']} {r['width']}w" for r in jpegs)}


@login_required
@require_GET
def entry(request: AuthenticatedHttpRequest, brand: str, entry_id: uuid.UUID) -> HttpResponse:
    """One entry of the brand: its picture, state, decisions and everything that happened to it."""
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
    entry_obj = get_object_or_404(
        Entry.objects.select_related("campaign", "author").prefetch_related("renditions"),
        pk=entry_id,
        brand=brand_obj,
    )
    renditions = rendition_urls(entry_obj)
    decisions = entry_obj.decisions.select_related("moderator", "undone_by").prefetch_related("guidelines")
    context = {
        "brand": brand_obj,
        "entry": entry_obj,
        "picture": _picture(renditions),
        "video": next((r for r in renditions if r["format"] == "mp4"), None),
        "decisions": decisions.order_by("created_at"),
        "reports": entry_obj.reports.select_related("guideline").order_by("created_at"),
        "now": timezone.now(),
        "timeline": [_row(r) for r in activity_of_entry(entry_id=entry_obj.pk)],
        "versions": resubmission_history(entry_obj),
        "newer": Entry.objects.filter(resubmission_of=entry_obj).only("pk").first(),
        "can_moderate": brand_obj.pk in member_brand_ids(user=request.user, roles=MODERATE_ROLES),
        "can_audit": brand_obj.pk in member_brand_ids(user=request.user, roles=AUDIT_ROLES),
        "appeal": Appeal.objects.select_related("contested_by", "decided_by").filter(entry=entry_obj).first(),
        "rule_flags": entry_obj.rule_flags,
    }
    return _no_store(render(request, "console/entry.html", context))
