"""Console pages of a brand's automatic rules: the list by kind, add, edit, delete, try a text.

Every member of the brand reads the list and tries texts; owners, admins and moderators change
rules (others get 404 on the writing pages). The forms only collect input: the rules services
check it, and their DomainError is shown next to the field it names.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import MODERATE_ROLES, READ_ROLES, Brand
from accounts.permissions import AuthenticatedHttpRequest, brand_for_member, member_brand_ids
from config.errors import DomainError
from console.forms import RuleForm, RuleTestForm
from moderation import services
from moderation.models import Rule, RuleKind
from moderation.rules import text_matches


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _highlighted(text: str, matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut into plain and matched pieces (overlaps merged into the first), for <mark>."""
    pieces: list[dict[str, Any]] = []
    at = 0
    for match in sorted(matches, key=lambda m: m["span"][0]):
        start, end = match["span"]
        if start < at:
            continue
        if start > at:
            pieces.append({"text": text[at:start], "match": None})
        pieces.append({"text": text[start:end], "match": match})
        at = end
    if at < len(text):
        pieces.append({"text": text[at:], "match": None})
    return pieces


def _save(form: RuleForm, *, request: AuthenticatedHttpRequest, brand: Brand, rule: Rule | None) -> Rule | None:
    data = form.cleaned_data
    fields = {
        "kind": data["kind"],
        "value": data["value"],
        "action": data["action"],
        "guideline": data["guideline"] or None,
        "campaign": data["campaign"] or None,
    }
    try:
        if rule is None:
            return services.rule_create(actor=request.user, brand=brand, **fields)
        return services.rule_update(actor=request.user, brand=brand, rule_id=rule.pk, **fields)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@login_required
def rules(request: AuthenticatedHttpRequest, brand: str) -> HttpResponse:
    """The brand's rules grouped by kind, the form to add one, and "Try a text"."""
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
    can_edit = brand_obj.pk in member_brand_ids(user=request.user, roles=MODERATE_ROLES)
    form = RuleForm(brand=brand_obj, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        if form.is_valid() and _save(form, request=request, brand=brand_obj, rule=None) is not None:
            messages.success(request, _("The rule is in place."))
            return redirect("console-rules", brand=brand_obj.slug)
    tester = RuleTestForm(request.GET or None)
    tried = None
    if tester.is_valid():
        text = tester.cleaned_data["text"]
        found = text_matches(brand_id=brand_obj.pk, text=text)
        tried = {"text": text, "matches": found, "pieces": _highlighted(text, found)}
    all_rules = list(Rule.objects.filter(brand=brand_obj).select_related("campaign"))
    groups = [
        {"kind": kind, "label": label, "rules": [r for r in all_rules if r.kind == kind]}
        for kind, label in RuleKind.choices
    ]
    context = {
        "brand": brand_obj,
        "groups": groups,
        "form": form,
        "can_edit": can_edit,
        "tester": tester,
        "tried": tried,
    }
    return _no_store(render(request, "console/rules.html", context, status=400 if form.errors else 200))


@login_required
def rule_edit(request: AuthenticatedHttpRequest, brand: str, rule_id: uuid.UUID) -> HttpResponse:
    """Change one rule (owners, admins, moderators)."""
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
    rule = get_object_or_404(Rule.objects.select_related("campaign"), pk=rule_id, brand=brand_obj)
    initial = {
        "kind": rule.kind,
        "value": rule.value,
        "action": rule.action,
        "guideline": rule.guideline,
        "campaign": rule.campaign.slug if rule.campaign else "",
    }
    form = RuleForm(brand=brand_obj, data=request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid() and _save(form, request=request, brand=brand_obj, rule=rule):
        messages.success(request, _("The rule is changed."))
        return redirect("console-rules", brand=brand_obj.slug)
    context = {"brand": brand_obj, "rule": rule, "form": form}
    return _no_store(render(request, "console/rule_edit.html", context, status=400 if form.errors else 200))


@login_required
def rule_delete(request: AuthenticatedHttpRequest, brand: str, rule_id: uuid.UUID) -> HttpResponse:
    """Ask to confirm, then delete one rule (owners, admins, moderators)."""
    brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
    rule = get_object_or_404(Rule.objects.select_related("campaign"), pk=rule_id, brand=brand_obj)
    if request.method == "POST":
        services.rule_delete(actor=request.user, brand=brand_obj, rule_id=rule.pk)
        messages.success(request, _("The rule is deleted."))
        return redirect("console-rules", brand=brand_obj.slug)
    return _no_store(render(request, "console/rule_delete.html", {"brand": brand_obj, "rule": rule}))
