"""The one place we talk HTTP to the outside: Discourse's API and our webhook receivers.

Errors are classified for the retry policy: a timeout, a connection error, a 5xx or a 429 is
*transient* (retry with backoff); any other 4xx is *permanent* (record it and show it to the
moderators; retrying would only repeat it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from integrations.addresses import InternalAddressError, check_public_url

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "CommunitySRE/1.0"


class ForumError(Exception):
    def __init__(self, message: str, *, status_code: int | None, permanent: bool) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.permanent = permanent


@dataclass(frozen=True)
class Reply:
    status_code: int
    data: Any


def is_transient_status(status_code: int) -> bool:
    return status_code >= 500 or status_code == 429


def _error_for(response: httpx.Response) -> ForumError:
    text = response.text[:200].strip()
    try:
        errors = response.json().get("errors")
        if isinstance(errors, list) and errors:
            text = "; ".join(str(e) for e in errors)[:200]
    except (ValueError, AttributeError):
        pass
    return ForumError(
        f"HTTP {response.status_code}: {text or response.reason_phrase}",
        status_code=response.status_code,
        permanent=not is_transient_status(response.status_code),
    )


class DiscourseClient:
    """Discourse's REST API with ``Api-Key`` / ``Api-Username`` headers."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_username: str,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={
                "Api-Key": api_key,
                "Api-Username": api_username,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )

    def __enter__(self) -> DiscourseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def request(self, method: str, path: str, *, json_body: dict[str, Any] | None = None) -> Reply:
        _refuse_internal(self.base_url)
        try:
            response = self._client.request(method, path, json=json_body)
        except httpx.TimeoutException:
            raise ForumError(
                "the forum did not answer in time", status_code=None, permanent=False
            ) from None
        except httpx.HTTPError as exc:
            raise ForumError(
                f"could not reach the forum: {type(exc).__name__}",
                status_code=None,
                permanent=False,
            ) from None
        if response.status_code >= 400:
            raise _error_for(response)
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        return Reply(status_code=response.status_code, data=data)

    def get_json(self, path: str) -> Any:
        return self.request("GET", path).data


def _refuse_internal(url: str) -> None:
    try:
        check_public_url(url)
    except InternalAddressError as exc:
        raise ForumError(f"refused: {exc}", status_code=None, permanent=True) from None


def post_signed(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """POST an already-serialised, already-signed body; returns the status code or raises."""
    _refuse_internal(url)
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
    except httpx.TimeoutException:
        raise ForumError(
            "the receiver did not answer in time", status_code=None, permanent=False
        ) from None
    except httpx.HTTPError as exc:
        raise ForumError(
            f"could not reach the receiver: {type(exc).__name__}", status_code=None, permanent=False
        ) from None
    if response.status_code >= 300:
        raise _error_for(response)
    return response.status_code


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
