"""DomainError and its kinds; the web and API layers map them to responses."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, detail: str, **kwargs) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = kwargs


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """Blocked by a rule (lifecycle, capacity, restriction…). Carries ``diagnostics``."""

    status = 409

    def __init__(self, detail: str, diagnostics: dict | None = None) -> None:
        super().__init__(detail)
        self.diagnostics = diagnostics or {}


class Invalid(DomainError):
    """Input that breaks a rule of shape or range. Carries ``errors`` {field: [messages]}."""

    status = 422

    def __init__(self, detail: str = "Please correct the highlighted fields.",
                 errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or {}


class PreconditionFailed(DomainError):
    status = 412


class Gone(DomainError):
    status = 410


class RateLimited(DomainError):
    status = 429


class Unavailable(DomainError):
    """A service the request needs is down (the job queue's Redis): try again later."""

    status = 503
