"""The embed script, the iframe page and, on local storage, the public media folder."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET
from django.views.static import serve

from campaigns.selectors import campaign_for_viewer
from moderation.selectors import feature_document_cached
from submissions.storage import public_storage
from submissions.storage_backends import DOCUMENT_CACHE, RENDITION_CACHE

DOC_SLUG_PLACEHOLDER = "__FANFARE_SLUG__"
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


@require_GET
@cache_control(public=True, max_age=300)
def gallery_js(request: HttpRequest) -> HttpResponse:
    """The embed script. A CDN caches it; the data it reads is a static document in storage."""
    doc_template = public_storage().url(f"features/{DOC_SLUG_PLACEHOLDER}.json")
    source = render_to_string(
        "widget/gallery.js",
        {"doc_template": json.dumps(doc_template), "placeholder": json.dumps(DOC_SLUG_PLACEHOLDER)},
    )
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
@xframe_options_exempt
@cache_control(public=True, max_age=60)
def gallery_frame(request: HttpRequest, slug: str) -> HttpResponse:
    """The gallery as a page of its own, for hosts that allow no scripts (an iframe)."""
    campaign, _preview = campaign_for_viewer(slug=slug, user=None, allow_preview=False)
    doc = feature_document_cached(campaign=campaign)
    entries = []
    for entry in doc["entries"]:
        jpegs = sorted((r for r in entry["renditions"] if r["format"] == "jpeg"), key=lambda r: r["width"])
        if jpegs:
            thumb = next((r for r in jpegs if r["width"] >= 320), jpegs[-1])
            srcset = ", ".join(f"{r['url']} {r['width']}w" for r in jpegs)
            entries.append({**entry, "thumb": thumb, "srcset": srcset})
    response = render(request, "widget/frame.html", {"campaign": campaign, "doc": doc, "entries": entries})
    # Only well-formed origins reach the header: a stray ";" or space would add directives.
    origins = [o.strip() for o in campaign.embed_origins.splitlines() if ORIGIN.fullmatch(o.strip())]
    # The site's policy (django-csp) with frame-ancestors widened to the campaign's embedders.
    response._csp_replace = {"frame-ancestors": origins or ["*"]}  # type: ignore[attr-defined]  # read by django-csp
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # embeddable under COEP: require-corp
    return response


@require_GET
def public_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve the local public folder (embedded defaults only; production uses S3 and a CDN)."""
    if settings.USE_S3:
        raise Http404
    try:
        response = serve(request, path, document_root=str(settings.PUBLIC_MEDIA_ROOT))
    except SuspiciousFileOperation as exc:  # "../" out of the public folder
        raise Http404 from exc
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = DOCUMENT_CACHE if path.startswith("features/") else RENDITION_CACHE
    return response
