"""Brand console pages: brands, campaigns, the moderation queue and the weekly feature.

Every brand-scoped view starts with accounts.permissions.brand_for_member, so non-members get 404;
the services check the role again. Views only translate forms to service calls and DomainError
to form errors (next to the field) or to a message on the page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import ADMIN_ROLES, MODERATE_ROLES, READ_ROLES, Brand, Membership, User
from accounts.permissions import AuthenticatedHttpRequest, brand_for_member, member_brand_ids
from campaigns import services as campaign_services
from campaigns.forms import CampaignForm
from campaigns.models import Campaign
from config.errors import DomainError
from moderation import selectors, services
from moderation.forms import DecisionForm, RemoveForm
from submissions.models import Entry, EntryState
from submissions.selectors import rendition_urls, resubmission_history
from submissions.storage import private_url

# Skipped entries, per brand, in the session. "Skip" releases the lease for other moderators;
# the claim then passes over what this moderator skipped (queue_claim_next(exclude=...)), and
# when only skipped entries are left the page offers to review them again.
SKIPPED_SESSION_KEY = "console-skipped-%s"
SKIPPED_MAX = 200
CURATABLE_MAX = 120


def _role_in(user: User, brand: Brand, roles: frozenset[str]) -> bool:
    return brand.pk in member_brand_ids(user=user, roles=roles)


def _picture(renditions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The JPEG renditions as one <img> (smallest and largest at hand), plus a WebP srcset."""
    jpegs = sorted((r for r in renditions if r["format"] == "jpeg"), key=lambda r: r["width"])
    webps = sorted((r for r in renditions if r["format"] == "webp"), key=lambda r: r["width"])
    if not jpegs:
        return None
    return {
        "thumb": jpegs[0],
        "largest": jpegs[-1],
        "srcset": ", ".join(f"{r['url']} {r['width']}w" for r in jpegs),
        "webp_srcset": ", ".join(f"{r['url']} {r['width']}w" for r in webps),
    }


def _no_store(response: HttpResponse) -> HttpResponse:
    # Console pages carry signed links to private files and per-moderator state.
    response["Cache-Control"] = "private, no-store"
    return response


# --- Brands and campaigns -----------------------------------------------------------------------
@login_required
@require_GET
def console_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("brand").order_by("brand__name")
    return render(request, "moderation/console_home.html", {"memberships": memberships})


@login_required
@require_GET
def brand_home(request: AuthenticatedHttpRequest, brand: str) -> HttpResponse:
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
    now = timezone.now()
    rows = []
    # The viewer's role in one query (brand_for_member has checked the membership).
    role = Membership.objects.filter(user=request.user, brand=brand_obj).values_list("role", flat=True).first()
    # Counts come from the entry tallies (selectors.console_campaigns): no query here reads entries.
    campaigns = list(selectors.console_campaigns(brand=brand_obj))
    for campaign in campaigns:
        if campaign.is_open(now):
            status = ("open", _("Open"))
        elif campaign.opens_at > now:
            status = ("scheduled", _("Scheduled"))
        else:
            status = ("closed", _("Closed"))
        rows.append({"campaign": campaign, "status": status})
    return render(
        request,
        "moderation/console_brand.html",
        {
            "brand": brand_obj,
            "rows": rows,
            "can_admin": role in ADMIN_ROLES,
            "can_moderate": role in MODERATE_ROLES,
            "pending_count": sum(c.pending_count for c in campaigns),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: AuthenticatedHttpRequest, brand: str) -> HttpResponse:
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=ADMIN_ROLES)
    return _campaign_form_page(request, brand_obj, campaign=None)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: AuthenticatedHttpRequest, brand: str, slug: str) -> HttpResponse:
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=ADMIN_ROLES)
    campaign = selectors.campaign_of_brand(brand=brand_obj, slug=slug)
    return _campaign_form_page(request, brand_obj, campaign=campaign)


def _campaign_form_page(request: AuthenticatedHttpRequest, brand: Brand, *, campaign: Campaign | None) -> HttpResponse:
    initial = CampaignForm.initial_for(campaign) if campaign else {}
    form = CampaignForm(request.POST if request.method == "POST" else None, initial=initial)
    if campaign is not None:
        # Embedded galleries and shared links use the address: it is fixed once the campaign exists.
        form.fields["slug"].disabled = True
        form.fields["slug"].help_text = _("Fixed: embedded galleries and shared links use it.")
    if form.is_bound and form.is_valid():
        try:
            if campaign is None:
                saved = campaign_services.campaign_create(
                    actor=request.user, brand=brand, guidelines=form.cleaned_data["guidelines"], **form.service_fields()
                )
            else:
                # A fresh copy: the service sets the fields before validating, and on an error
                # this page must still show (and post back to) the campaign as stored.
                saved = campaign_services.campaign_update(
                    actor=request.user,
                    campaign=Campaign.objects.get(pk=campaign.pk),
                    guidelines=form.cleaned_data["guidelines"],
                    **form.service_fields(),
                )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Saved %(hashtag)s.") % {"hashtag": saved.hashtag})
            return redirect("console-brand", brand=brand.slug)
    return render(
        request,
        "campaigns/console_form.html",
        {"brand": brand, "campaign": campaign, "form": form},
        status=400 if form.errors else 200,
    )


# --- The queue ------------------------------------------------------------------------------------
# One page (moderation/templates/moderation/console_queue.html and static/js/console/): the server
# renders the first entry and a JSON config block; with JavaScript the page claims ahead and speaks
# the JSON API (see i7 plan "API"); without it the decision form posts to `decide` below.
QUEUE_VIEWS = selectors.QUEUE_VIEWS
QUEUE_KINDS = ("photo", "video")
ZERO_UUID = uuid.UUID(int=0)


def _skipped(request: AuthenticatedHttpRequest, brand: Brand) -> list[str]:
    return list(request.session.get(SKIPPED_SESSION_KEY % brand.pk, []))


def _set_skipped(request: AuthenticatedHttpRequest, brand: Brand, ids: list[str]) -> None:
    request.session[SKIPPED_SESSION_KEY % brand.pk] = ids[-SKIPPED_MAX:]


def _queue_filters(request: AuthenticatedHttpRequest, brand: Brand) -> dict[str, str]:
    """The view, campaign, kind and search of the address; unknown values fall back to all."""
    view = request.GET.get("view", "pending")
    campaign = request.GET.get("campaign", "")
    kind = request.GET.get("kind", "")
    return {
        "view": view if view in QUEUE_VIEWS else "pending",
        "campaign": campaign if campaign and brand.campaigns.filter(slug=campaign).exists() else "",
        "kind": kind if kind in QUEUE_KINDS else "",
        "q": request.GET.get("q", "").strip()[:200],
        "layout": "grid" if request.GET.get("layout") == "grid" else "one",
    }


def _queue_config(
    request: AuthenticatedHttpRequest, brand: Brand, filters: dict[str, str], counts: dict[str, int]
) -> dict[str, Any]:
    """What the page's script needs, as the JSON block `queue-config`."""
    return {
        "brand": brand.slug,
        "api_base": "/api/v1",
        "csrf_token": get_token(request),
        "undo_seconds": settings.MODERATION_UNDO_SECONDS,
        "me": request.user.email,
        "view": filters["view"],
        "layout": filters["layout"],
        "filters": {name: filters[name] for name in ("campaign", "kind", "q")},
        "counts": counts,
        "campaigns": [
            {"slug": c.slug, "hashtag": c.hashtag, "title": c.title}
            for c in brand.campaigns.order_by("-opens_at").only("slug", "hashtag", "title")
        ],
        # Address patterns with the zero UUID standing for the entry's id.
        "original_url": reverse("console-original", kwargs={"brand": brand.slug, "entry_id": ZERO_UUID}),
        "decide_url": reverse("console-decide", kwargs={"brand": brand.slug, "entry_id": ZERO_UUID}),
        "entry_url": reverse("console-entry", kwargs={"brand": brand.slug, "entry_id": ZERO_UUID}),
    }


def _queue_page(
    request: AuthenticatedHttpRequest,
    brand: Brand,
    *,
    entry: Entry | None,
    form: DecisionForm | None = None,
    front_skipped: bool = False,
    status: int = 200,
) -> HttpResponse:
    filters = _queue_filters(request, brand)
    campaign = brand.campaigns.filter(slug=filters["campaign"]).first() if filters["campaign"] else None
    counts = selectors.queue_counts(brand=brand, campaign=campaign, kind=filters["kind"] or None)
    pending_count = counts["pending"]
    context: dict[str, Any] = {
        "brand": brand,
        "entry": entry,
        "front_skipped": front_skipped,
        "pending_count": pending_count,
        "filters": filters,
        "counts": counts,
        "views": [
            {"name": name, "label": label, "key": name[0], "count": counts[name]}
            for name, label in (
                ("pending", _("Pending")),
                ("flagged", _("Flagged")),
                ("reported", _("Reported")),
                ("appeals", _("Appeals")),
                ("done", _("Done")),
            )
        ],
        "campaigns": brand.campaigns.order_by("-opens_at"),
        "config": _queue_config(request, brand, filters, counts),
    }
    if entry is not None:
        guidelines = entry.campaign.guidelines.filter(active=True)
        context["form"] = form or DecisionForm(guidelines=guidelines)
        renditions = rendition_urls(entry)
        context["picture"] = _picture(renditions)
        context["video"] = next((r for r in renditions if r["format"] == "mp4"), None)
        context["duplicate"] = selectors.duplicate_flag(entry=entry)
        context["versions"] = resubmission_history(entry)
        context["rule_flags"] = entry.rule_flags
        context["history_url"] = context["config"]["entry_url"].replace(str(ZERO_UUID), str(entry.pk))
    return _no_store(render(request, "moderation/console_queue.html", context, status=status))


@login_required
@require_GET
def queue(request: AuthenticatedHttpRequest, brand: str) -> HttpResponse:
    """Claim the next entry for the moderator (or show the one already held) and show it."""
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
    if request.GET.get("skipped") == "review":
        _set_skipped(request, brand_obj, [])
        return redirect("console-queue", brand=brand_obj.slug)
    filters = _queue_filters(request, brand_obj)
    if filters["view"] in ("done", "reported", "appeals"):
        # A list the page's script loads; nothing is claimed for it.
        return _queue_page(request, brand_obj, entry=None)
    skipped = _skipped(request, brand_obj)
    claimed = services.queue_claim(
        actor=request.user,
        brand=brand_obj,
        exclude=skipped,
        campaign=brand_obj.campaigns.filter(slug=filters["campaign"]).first() if filters["campaign"] else None,
        kind=filters["kind"] or None,
        flagged=filters["view"] == "flagged",
        resume=True,
    )
    entry = claimed[0] if claimed else None
    front_skipped = entry is None and bool(skipped) and selectors.queue_pending_count(brand=brand_obj) > 0
    return _queue_page(request, brand_obj, entry=entry, front_skipped=front_skipped)


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, brand: str, entry_id: uuid.UUID) -> HttpResponse:
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
    entry = selectors.entry_of_brand(brand=brand_obj, entry_id=entry_id)
    form = DecisionForm(request.POST, guidelines=entry.campaign.guidelines.filter(active=True))
    back = redirect("console-queue", brand=brand_obj.slug)
    if not form.is_valid():
        if entry.state != EntryState.PENDING:
            messages.error(
                request, _("This entry is already %(state)s.") % {"state": entry.get_state_display().lower()}
            )
            return back
        return _queue_page(request, brand_obj, entry=entry, form=form, status=400)
    try:
        decision = services.entry_decide(
            actor=request.user,
            entry_id=entry.pk,
            action=form.cleaned_data["action"],
            guideline_codes=form.cleaned_data["guidelines"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        entry.refresh_from_db()
        if exc.field in ("guidelines", "note") and entry.state == EntryState.PENDING:
            form.add_error(exc.field, exc.message)
            return _queue_page(request, brand_obj, entry=entry, form=form, status=400)
        messages.error(request, exc.message)
        return back
    done = _("Approved") if decision.action == "approve" else _("Rejected")
    messages.success(
        request,
        _("%(done)s the entry by %(name)s; it takes effect in %(seconds)s seconds.")
        % {"done": done, "name": entry.author.public_name, "seconds": settings.MODERATION_UNDO_SECONDS},
    )
    return back


@login_required
@require_POST
def skip(request: AuthenticatedHttpRequest, brand: str, entry_id: uuid.UUID) -> HttpResponse:
    """Give the entry back to the pool and move on (see SKIPPED_SESSION_KEY)."""
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
    entry = selectors.entry_of_brand(brand=brand_obj, entry_id=entry_id)
    services.queue_release(actor=request.user, entry_ids=[entry.pk])
    _set_skipped(request, brand_obj, [*_skipped(request, brand_obj), str(entry.pk)])
    messages.info(request, _("Skipped. Another moderator can take that entry."))
    return redirect("console-queue", brand=brand_obj.slug)


# --- The weekly feature ---------------------------------------------------------------------------
def _feature_url(brand: Brand, campaign: Campaign, entry_id: uuid.UUID | None = None) -> str:
    url = reverse("console-feature", kwargs={"brand": brand.slug, "slug": campaign.slug})
    return f"{url}#entry-{entry_id}" if entry_id else url


def _feature_page(
    request: AuthenticatedHttpRequest,
    brand: Brand,
    campaign: Campaign,
    *,
    remove_form: RemoveForm | None = None,
    remove_entry_id: uuid.UUID | None = None,
    status: int = 200,
) -> HttpResponse:
    iso_year, iso_week = selectors.shortlist_week(campaign=campaign)
    due_at = campaign.feature_due_at(iso_year, iso_week)
    guidelines = list(campaign.guidelines.filter(active=True))
    shortlist = list(selectors.shortlist_of_week(campaign=campaign, iso_year=iso_year, iso_week=iso_week))
    shortlisted = {item.entry_id for item in shortlist}
    curatable = list(selectors.entries_curatable(campaign=campaign)[: CURATABLE_MAX + 1])
    entries = [
        {
            "entry": entry,
            "picture": _picture(rendition_urls(entry)),
            "shortlisted": entry.pk in shortlisted,
            "remove_form": remove_form if entry.pk == remove_entry_id else RemoveForm(guidelines=guidelines),
        }
        for entry in curatable[:CURATABLE_MAX]
    ]
    features = list(selectors.features_of_campaign(campaign=campaign))
    context = {
        "brand": brand,
        "campaign": campaign,
        "week_label": f"{iso_year}-W{iso_week:02d}",
        "due_at": due_at,
        "due_passed": due_at <= timezone.now(),
        "published_this_week": next((f for f in features if (f.iso_year, f.iso_week) == (iso_year, iso_week)), None),
        "shortlist": [
            {
                "item": item,
                "picture": _picture(rendition_urls(item.entry)),
                "in_feature": position <= campaign.feature_count,
                "position": position,
            }
            for position, item in enumerate(shortlist, start=1)
        ],
        "entries": entries,
        "entries_truncated": len(curatable) > CURATABLE_MAX,
        "features": features,
        "can_moderate": _role_in(request.user, brand, MODERATE_ROLES),
        "can_admin": _role_in(request.user, brand, ADMIN_ROLES),
    }
    return _no_store(render(request, "moderation/console_feature.html", context, status=status))


@login_required
@require_GET
def feature(request: AuthenticatedHttpRequest, brand: str, slug: str) -> HttpResponse:
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
    campaign = selectors.campaign_of_brand(brand=brand_obj, slug=slug)
    return _feature_page(request, brand_obj, campaign)


def _curate(
    request: AuthenticatedHttpRequest, brand: str, slug: str, entry_id: uuid.UUID
) -> tuple[Brand, Campaign, Entry]:
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
    campaign = selectors.campaign_of_brand(brand=brand_obj, slug=slug)
    entry = selectors.entry_of_brand(brand=brand_obj, entry_id=entry_id, campaign=campaign)
    return brand_obj, campaign, entry


@login_required
@require_POST
def shortlist(request: AuthenticatedHttpRequest, brand: str, slug: str, entry_id: uuid.UUID) -> HttpResponse:
    brand_obj, campaign, entry = _curate(request, brand, slug, entry_id)
    try:
        item = services.entry_shortlist(actor=request.user, entry_id=entry.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Shortlisted for week %(week)s.") % {"week": f"{item.iso_year}-W{item.iso_week:02d}"},
        )
    return HttpResponseRedirect(_feature_url(brand_obj, campaign, entry.pk))


@login_required
@require_POST
def unshortlist(request: AuthenticatedHttpRequest, brand: str, slug: str, entry_id: uuid.UUID) -> HttpResponse:
    brand_obj, campaign, entry = _curate(request, brand, slug, entry_id)
    try:
        services.entry_unshortlist(actor=request.user, entry_id=entry.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Taken off this week's shortlist."))
    return HttpResponseRedirect(_feature_url(brand_obj, campaign, entry.pk))


@login_required
@require_POST
def remove(request: AuthenticatedHttpRequest, brand: str, slug: str, entry_id: uuid.UUID) -> HttpResponse:
    """Take down an approved or featured entry after a report, citing guidelines."""
    brand_obj, campaign, entry = _curate(request, brand, slug, entry_id)
    form = RemoveForm(request.POST, guidelines=campaign.guidelines.filter(active=True))
    if form.is_valid():
        try:
            services.entry_remove(
                actor=request.user,
                entry_id=entry.pk,
                guideline_codes=form.cleaned_data["guidelines"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            if exc.field not in form.fields:
                messages.error(request, exc.message)
                return HttpResponseRedirect(_feature_url(brand_obj, campaign, entry.pk))
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Removed the entry by %(name)s.") % {"name": entry.author.public_name})
            return HttpResponseRedirect(_feature_url(brand_obj, campaign))
    messages.error(request, _("The entry was not removed: see its form below."))
    return _feature_page(request, brand_obj, campaign, remove_form=form, remove_entry_id=entry.pk, status=400)


@login_required
@require_POST
def feature_publish(request: AuthenticatedHttpRequest, brand: str, slug: str) -> HttpResponse:
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=ADMIN_ROLES)
    campaign = selectors.campaign_of_brand(brand=brand_obj, slug=slug)
    try:
        published = services.feature_publish(campaign=campaign, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Published the feature of week %(week)s with %(n)s entries.")
            % {"week": published.week_label, "n": published.items.count()},
        )
    return HttpResponseRedirect(_feature_url(brand_obj, campaign))


@login_required
@require_GET
def original(request: AuthenticatedHttpRequest, brand: str, entry_id: uuid.UUID) -> HttpResponse:
    """Moderators open an entry's private original (metadata intact) via a short-lived link.

    Each opening is recorded (`entry.original_opened`): who saw which fan's original file.
    """
    from activity.services import activity_record

    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
    entry = get_object_or_404(Entry, pk=entry_id, campaign__brand=brand_obj)
    activity_record(
        actor=request.user,
        verb="entry.original_opened",
        target_type="entry",
        target_id=entry.pk,
        brand_id=brand_obj.pk,
        campaign_id=entry.campaign_id,
        entry_id=entry.pk,
        snapshot={"author_id": entry.author_id, "format": entry.original_format, "bytes": entry.original_bytes},
    )
    return _no_store(redirect(private_url(entry.original)))
