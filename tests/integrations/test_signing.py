"""Signatures (framework-free): HMAC-SHA256 over the raw body, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from integrations.signing import sign, signature_matches


def test_the_signature_is_sha256_hmac_of_the_raw_body() -> None:
    body = b'{"ping":"OK"}'
    expected = hmac.new(b"secret-secret", body, hashlib.sha256).hexdigest()
    assert sign("secret-secret", body) == f"sha256={expected}"
    assert signature_matches("secret-secret", body, f"sha256={expected}")


@pytest.mark.parametrize(
    "header",
    [None, "", "sha1=abc", "sha256=", "sha256=" + "0" * 64, sign("other-secret", b"{}")],
)
def test_anything_but_the_right_signature_fails(header: str | None) -> None:
    assert not signature_matches("secret-secret", b"{}", header)


def test_an_empty_secret_never_verifies() -> None:
    assert not signature_matches("", b"{}", sign("", b"{}"))
