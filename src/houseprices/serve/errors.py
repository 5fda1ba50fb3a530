"""Typed serving errors. Each maps to one HTTP status and renders as a JSON body that names the
offending field (when there is one) and says how to fix the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from houseprices.errors import HousePricesError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: which field, which row (0-based), which value."""

    field: str | None
    problem: str
    row: int | None = None
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "problem": self.problem}
        if self.row is not None:
            out["row"] = self.row
        if self.value is not None:
            out["value"] = _short(self.value)
        return out


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ServeError(HousePricesError):
    """Base of the errors a request can cause; `status` is the HTTP status to answer with."""

    status = 400
    kind = "bad_request"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    @property
    def field(self) -> str | None:
        return self.problems[0].field if self.problems else None

    def body(self) -> dict[str, Any]:
        return {
            "error": self.kind,
            "message": self.message,
            "field": self.field,
            "details": [p.as_dict() for p in self.problems],
        }


class InvalidInput(ServeError):
    """The body parsed but its columns or values break the input contract."""

    kind = "invalid_input"


class MalformedBody(ServeError):
    """The body is not valid CSV/JSON (or is empty)."""

    kind = "malformed_body"


class UnsupportedMediaType(ServeError):
    status = 415
    kind = "unsupported_media_type"


class NotAcceptable(ServeError):
    status = 406
    kind = "not_acceptable"


class PayloadTooLarge(ServeError):
    status = 413
    kind = "payload_too_large"


class UnknownVariant(ServeError):
    kind = "unknown_variant"


class ModelUnavailable(ServeError):
    """The model is not loaded or its canned prediction fails (a server-side fault)."""

    status = 503
    kind = "model_unavailable"
