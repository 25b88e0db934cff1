"""How one column's value is written to an export and read back: times in UTC ISO 8601, decimals
at their column's scale, UUIDs as text, JSON as JSON. One place, so an export of imported data
writes the same text as the export it came from."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.dateparse import parse_date, parse_datetime


class BadValue(ValueError):
    """A value in the file that its column cannot hold."""


def encode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        assert isinstance(value, datetime)
        return value.astimezone(UTC).isoformat()
    if isinstance(field, models.DateField):
        assert isinstance(value, date)
        return value.isoformat()
    if isinstance(field, models.DecimalField):
        places = Decimal(1).scaleb(-(field.decimal_places or 0))
        return format(Decimal(str(value)).quantize(places), "f")
    if isinstance(field, models.UUIDField) or isinstance(value, uuid.UUID):
        # A UUID column, or a foreign key to a table keyed by UUID (a forum action's connection).
        return str(value)
    if isinstance(field, models.ForeignKey):
        # A key to a table with UUID keys (a forum call's Discourse connection) is its text.
        return encode(field.target_field, value)
    return value


def decode(field: models.Field[Any, Any], value: Any) -> Any:
    """The Python value for ``field`` from its exported form (raises ``BadValue``)."""
    if value is None:
        if not field.null:
            raise BadValue("is empty but the column requires a value")
        return None
    try:
        if isinstance(field, models.DateTimeField):
            parsed = parse_datetime(str(value))
            if parsed is None or parsed.tzinfo is None:
                raise BadValue(f"{value!r} is not a UTC time")
            return parsed
        if isinstance(field, models.DateField):
            day = parse_date(str(value))
            if day is None:
                raise BadValue(f"{value!r} is not a date")
            return day
        if isinstance(field, models.DecimalField):
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise BadValue(f"{value!r} is not a decimal written as text")
            return Decimal(value)
        if isinstance(field, models.UUIDField):
            return uuid.UUID(str(value))
        if isinstance(field, models.BooleanField):
            if not isinstance(value, bool):
                raise BadValue(f"{value!r} is not true or false")
            return value
        if isinstance(field, models.IntegerField | models.AutoField):
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadValue(f"{value!r} is not a whole number")
            return value
        if isinstance(field, models.FloatField):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadValue(f"{value!r} is not a number")
            return float(value)
        if isinstance(field, models.CharField | models.TextField):
            if not isinstance(value, str):
                raise BadValue(f"{value!r} is not text")
            if field.max_length is not None and len(value) > field.max_length:
                raise BadValue(f"is longer than {field.max_length} characters")
            return value
    except (InvalidOperation, ValueError) as exc:
        if isinstance(exc, BadValue):
            raise
        raise BadValue(f"{value!r}: {exc}") from None
    return value
