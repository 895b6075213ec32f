"""Public campaign pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from campaigns.selectors import campaign_for_viewer, campaigns_open


def picture(renditions: list[dict[str, Any]]) -> dict[str, Any]:
    """The JPEG renditions as an <img>: the smallest as src, all of them as srcset."""
    jpegs = sorted((r for r in renditions if r["format"] == "jpeg"), key=lambda r: r["width"])
    if not jpegs:
        return {"thumb": None, "srcset": ""}
    return {"thumb": jpegs[0], "srcset": ", ".join(f"{r['url']} {r['width']}w" for r in jpegs)}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/home.html", {"campaigns": campaigns_open()})


def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # The featured gallery and the approved grid come from moderation and submissions, which
    # sit above campaigns; the template reaches them through these helpers.
    from moderation.selectors import feature_document_cached
    from submissions.selectors import entries_public, rendition_urls

    campaign, preview = campaign_for_viewer(slug=slug, user=request.user)
    approved = [
        {"entry": entry, **picture(rendition_urls(entry))} for entry in entries_public(campaign_id=campaign.pk)[:48]
    ]
    feature = feature_document_cached(campaign=campaign)
    featured = [{"entry": e, **picture(e["renditions"])} for e in feature["entries"]]
    response = render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "guidelines": campaign.guidelines.filter(active=True),
            "feature": feature,
            "featured": featured,
            "approved": approved,
            "is_open": campaign.is_open(),
            "preview": preview,
        },
    )
    if preview:  # a team's view of an unpublished campaign: never in a shared cache
        patch_cache_control(response, private=True, no_store=True)
    return response
