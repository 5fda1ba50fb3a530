"""Typed exceptions. Each message says what was wrong and how to fix it."""

from __future__ import annotations


class HousePricesError(Exception):
    """Base class of every error this package raises on purpose."""


class DataNotFoundError(HousePricesError):
    """The Kaggle files are not where they were looked for."""


class ChecksumMismatchError(HousePricesError):
    """A data file differs from the recorded version."""


class DataValidationError(HousePricesError):
    """A data file breaks the schema; `report` lists every failure."""

    def __init__(self, message: str, report: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.report = report or []


class ParamsError(HousePricesError):
    """params.yaml is missing a key or has a wrong value."""


class ModelNotFoundError(HousePricesError):
    """No trained model artifact where one was expected."""
