"""Replay recorded Discourse deliveries through the same receive-and-process pipeline (for
backfills and for testing a community's setup)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from community.services import ServiceError
from integrations.discourse.process import process_delivery
from integrations.discourse.receive import Received, receive_delivery
from integrations.models import DiscourseConnection
from integrations.signing import sign, signature_matches


@dataclass(frozen=True)
class ReplayLine:
    headers: dict[str, str]
    body: bytes
    # When the community learned of what the delivery says (imported history); None: now.
    recorded_at: datetime | None = None


def _recorded_at(value: object) -> datetime | None:
    if value is None:
        return None
    when = parse_datetime(value) if isinstance(value, str) else None
    if when is None or when.tzinfo is None:
        raise ServiceError("recorded_at must be an ISO date and time with its time zone")
    if when > timezone.now():
        raise ServiceError("recorded_at cannot be in the future")
    return when


def parse_replay_line(line: str, *, secret: str) -> ReplayLine:
    """One JSON line of a recorded delivery: ``{"headers": {...}, "body": {...} or "...",
    "recorded_at": ISO}`` (``recorded_at`` optional: when the community learned of it).

    Lines recorded without a signature (or for another secret) are signed with this
    connection's secret, so a community can test its setup with any captured file.
    """
    record = json.loads(line)
    if not isinstance(record, dict) or "headers" not in record or "body" not in record:
        raise ServiceError('each line must be {"headers": {...}, "body": ...}')
    raw = record["body"]
    body = raw.encode() if isinstance(raw, str) else json.dumps(raw).encode()
    headers = {str(k): str(v) for k, v in dict(record["headers"]).items()}
    if not signature_matches(secret, body, headers.get("X-Discourse-Event-Signature")):
        headers["X-Discourse-Event-Signature"] = sign(secret, body)
    recorded_at = _recorded_at(record.get("recorded_at"))
    return ReplayLine(headers=headers, body=body, recorded_at=recorded_at)


def replay_delivery(*, connection: DiscourseConnection, line: ReplayLine) -> Received:
    """Store and process one line at once: in one transaction, so that the drain scheduled by
    storing it cannot process it first without its ``recorded_at``."""
    headers = dict(line.headers)
    headers["X-Discourse-Instance"] = connection.base_url
    with transaction.atomic():
        received = receive_delivery(connection_id=connection.pk, headers=headers, body=line.body)
        if received.delivery is not None:
            process_delivery(delivery_id=received.delivery.pk, recorded_at=line.recorded_at)
    return received
