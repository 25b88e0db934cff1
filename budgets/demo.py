"""Demo step (order 30): placeholder, filled in below."""

from __future__ import annotations


def register() -> None:
    """Imported for its decorators."""
