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

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

# The form fields and multipart framing that travel with the file (caption, alt text, headers).
MULTIPART_ALLOWANCE = 1024 * 1024
# Routes that take a file, by URL name → how to find the file limit that applies.
UPLOAD_ROUTES = {"api-campaign-entries", "entry-create", "api-upload-file"}
# The largest file any campaign may accept (campaigns.Campaign.max_bytes' validator).
CEILING = 500 * 1024 * 1024


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def _file_limit(url_name: str, kwargs: dict[str, object]) -> int:
    """The file limit of the campaign or slot the route names (the ceiling when it names none)."""
    from campaigns.models import Campaign
    from submissions.models import UploadSlot

    try:
        if url_name == "api-upload-file":
            found = UploadSlot.objects.filter(pk=kwargs.get("slot_id")).values_list("max_bytes", flat=True).first()
        else:
            found = Campaign.objects.filter(slug=kwargs.get("slug")).values_list("max_bytes", flat=True).first()
    except (ValueError, TypeError):
        found = None
    return int(found) if found else CEILING


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
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        url_name = match.url_name if match else None
        if url_name in UPLOAD_ROUTES and match is not None:
            if url_name == "entry-create" and not request.user.is_authenticated:
                # Only signed-in fans may send a file: don't read an anonymous one to find that out.
                return redirect_to_login(request.get_full_path())
            file_limit = _file_limit(url_name, match.kwargs)
            if length > file_limit + MULTIPART_ALLOWANCE:
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
        return self.get_response(request)

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
