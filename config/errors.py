"""The one exception type for business-rule failures."""

from __future__ import annotations


class DomainError(Exception):
    """A rule a person broke: a readable message, the field it concerns, an HTTP status.

    The API maps it to a 4xx JSON body naming the field; views show the message on the page.
    """

    def __init__(self, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.status = status


class Conflict(DomainError):
    """The request is valid but the thing is no longer in a state that allows it (409)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field, status=409)


class RateLimited(DomainError):
    """Too many at once: try again after `retry_after` seconds (429 with a Retry-After header)."""

    def __init__(self, message: str, *, field: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, field=field, status=429)
        self.retry_after = retry_after
