"""Framework-free pieces of the integrations contract: signatures, retry delays, dedupe keys.

Both directions sign the same way (DESIGN.md §4): ``sha256=<hex HMAC-SHA256 of the raw body>``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

SIGNATURE_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of an ``X-…-Signature`` header against the raw body."""
    if not header or not header.startswith(SIGNATURE_PREFIX) or not secret:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


def backoff_seconds(attempt: int, *, base: float = 5.0, cap: float = 3600.0) -> float:
    """Delay before retry number ``attempt`` (1-based): 5 s, 10 s, 20 s, ... capped at an hour."""
    if attempt < 1:
        return 0.0
    return float(min(cap, base * 2 ** (attempt - 1)))


def same_instance(header: str | None, base_url: str) -> bool:
    """Discourse names itself in ``X-Discourse-Instance`` (its base URL, no trailing slash)."""
    if not header:
        return False
    return header.strip().rstrip("/").lower() == base_url.strip().rstrip("/").lower()


def content_key(event_name: str, body: dict[str, Any], raw: bytes) -> str:
    """What makes two deliveries "the same news", whatever their event ids.

    Posts and reviewables carry a ``version`` that changes on every edit or transition, so
    (event, object id, version) is the content. Objects without a version (users, topics, pings)
    fall back to a hash of the body: an exact resend is a duplicate, any change is news.
    """
    for kind in ("post", "reviewable"):
        obj = body.get(kind)
        if isinstance(obj, dict) and "id" in obj and "version" in obj:
            return f"{event_name}:{kind}:{obj['id']}:v{obj['version']}"
    return f"{event_name}:sha256:{hashlib.sha256(raw).hexdigest()}"


def topic_id_of(external_id: str) -> str | None:
    """The Discourse topic id behind a space's external id (``topic:123``, ``t/123`` or ``123``)."""
    value = external_id.strip()
    for prefix in ("topic:", "t/", "topic-"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value if value.isdigit() else None
