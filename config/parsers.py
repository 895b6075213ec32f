"""Request parsers of the API (DEFAULT_PARSER_CLASSES): their refusals are 400s with a readable message.

A module of its own because DRF reads DEFAULT_PARSER_CLASSES while `rest_framework.views` is being
imported; config/api.py imports that module, so the parsers cannot live there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested past Python's recursion limit is a 400, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("The JSON body is nested too deeply; send a flat object.")) from exc


FILE_NAME_TOO_LONG = gettext_lazy("The file name is too long; rename the file to something shorter and send it again.")


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser whose refusals say what to do, on the field concerned."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except exceptions.ParseError as exc:
            # Django refuses a part whose headers pass 10 KiB: in practice a very long file name.
            if "header size" in str(exc.detail):
                raise exceptions.ValidationError({"file": [FILE_NAME_TOO_LONG]}) from exc
            raise
