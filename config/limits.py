"""Request bodies over their limit are refused from Content-Length, before a byte is read.

Django reads a body only when something asks for it (the CSRF check, a form, DRF's parsers), and
by then a 60 MB upload to a 20 MB campaign has been received in full. This middleware sits before
the CSRF middleware and answers 413 from the declared length: JSON on /api/, a readable page
elsewhere. The limit is the campaign's (or upload slot's) file limit plus room for the form's
other fields on the routes that take a file, and DATA_UPLOAD_MAX_MEMORY_SIZE everywhere else.
The proxy in front should refuse the same sizes (README, "Deploying").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from config.outages import outage_of, outage_response

# The form fields and multipart framing that travel with the file (caption, alt text, headers).
MULTIPART_ALLOWANCE = 1024 * 1024
# Routes that take a file, by URL name → how to find the file limit that applies.
UPLOAD_ROUTES = {"api-campaign-entries", "entry-create", "api-upload-file"}


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def _file_limit(url_name: str, kwargs: dict[str, Any]) -> int:
    """The file limit of the open slot or published campaign the route names; 0 when there is none
    (the view will answer 404, so nothing more than an ordinary body needs to be read)."""
    from campaigns.models import Campaign
    from submissions.models import UploadSlot

    now = timezone.now()
    try:
        if url_name == "api-upload-file":
            found = (
                UploadSlot.objects.filter(pk=str(kwargs["slot_id"]), expires_at__gt=now)
                .values_list("max_bytes", flat=True)
                .first()
            )
        else:
            # Not before it opens: a limit named in the answer would tell that the campaign exists.
            found = (
                Campaign.objects.filter(slug=str(kwargs["slug"]), opens_at__lte=now)
                .values_list("max_bytes", flat=True)
                .first()
            )
    except (KeyError, ValueError, ValidationError):
        found = None
    return int(found or 0)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return self.get_response(request)
        try:
            refusal = self._refusal(request, length)
        except Exception as exc:  # runs before the views: outages must be a 503 here too
            part = outage_of(exc)
            if part is None:
                raise
            return outage_response(request, part)
        return refusal or self.get_response(request)

    def _refusal(self, request: HttpRequest, length: int) -> HttpResponse | None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        url_name = match.url_name if match else None
        if url_name in UPLOAD_ROUTES and match is not None:
            if url_name == "entry-create" and not request.user.is_authenticated:
                # Only signed-in fans may send a file: don't read an anonymous one to find that out.
                return redirect_to_login(request.get_full_path())
            file_limit = _file_limit(url_name, match.kwargs)
            if not file_limit:
                if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                    raise Http404  # no such slot or campaign: answered without reading the body
            elif length > file_limit + MULTIPART_ALLOWANCE:
                message = _("The file is %(size)s; this campaign accepts files up to %(max)s.") % {
                    "size": _mb(length),
                    "max": _mb(file_limit),
                }
                return self._refuse(request, message, field="file")
        elif length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            message = _("The request is %(size)s; the most this address accepts is %(max)s.") % {
                "size": _mb(length),
                "max": _mb(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
            }
            return self._refuse(request, message, field=None)
        return None

    def _refuse(self, request: HttpRequest, message: str, *, field: str | None) -> HttpResponse:
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            body: dict[str, object] = {"detail": message}
            if field:
                body[field] = [message]
            response = JsonResponse(body, status=413)
        else:
            response = render(request, "errors/413.html", {"message": message}, status=413)
        response["Cache-Control"] = "no-store"
        return response
