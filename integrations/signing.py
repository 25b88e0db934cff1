"""Signatures, framework-free: both directions sign the same way (DESIGN.md §4),
``sha256=<hex HMAC-SHA256 of the raw body>``."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of an ``X-…-Signature`` header against the raw body."""
    if not header or not header.startswith(SIGNATURE_PREFIX) or not secret:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())
