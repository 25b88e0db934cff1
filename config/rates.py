"""Rates written for people: ``"5/15m"`` is five hits per quarter hour. No Django here, so the
settings can check every configured rate at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    """``limit`` hits per ``seconds``; written ``"5/15m"``, ``"10/h"``, ``"600/min"``."""

    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text)
        if match is None:
            raise ValueError(f"A rate looks like '5/15m' or '10/h' (hits a period), got {text!r}.")
        count, length, unit = match.groups()
        seconds = int(length or 1) * _UNIT_SECONDS[unit[0]]
        if int(count) < 1 or seconds < 1:
            raise ValueError(f"A rate needs at least one hit per period, got {text!r}.")
        return cls(limit=int(count), seconds=seconds)
