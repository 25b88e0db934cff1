"""Replay recorded Discourse deliveries through the same receive-and-process pipeline (for
backfills and for testing a community's setup)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from community.services import ServiceError
from integrations.discourse.process import process_delivery
from integrations.discourse.receive import Received, receive_delivery
from integrations.models import DiscourseConnection
from integrations.signing import sign, signature_matches


@dataclass(frozen=True)
class ReplayLine:
    headers: dict[str, str]
    body: bytes


def parse_replay_line(line: str, *, secret: str) -> ReplayLine:
    """One JSON line of a recorded delivery: ``{"headers": {...}, "body": {...} or "..."}``.

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
    return ReplayLine(headers=headers, body=body)


def replay_delivery(*, connection: DiscourseConnection, line: ReplayLine) -> Received:
    headers = dict(line.headers)
    headers["X-Discourse-Instance"] = connection.base_url
    received = receive_delivery(connection_id=connection.pk, headers=headers, body=line.body)
    if received.delivery is not None:
        process_delivery(delivery_id=received.delivery.pk)
    return received
