"""The HTTP client for Discourse's REST API (``Api-Key`` / ``Api-Username`` headers).

It only talks HTTP: failures come back as ``CallError``, classified permanent or transient
(``integrations.http``); what the answers mean is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from integrations.http import DEFAULT_TIMEOUT, USER_AGENT, CallError, error_for, refuse_internal


@dataclass(frozen=True)
class Reply:
    status_code: int
    data: Any


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
        refuse_internal(self.base_url)
        try:
            response = self._client.request(method, path, json=json_body)
        except httpx.TimeoutException:
            raise CallError(
                "the forum did not answer in time", status_code=None, permanent=False
            ) from None
        except httpx.HTTPError as exc:
            raise CallError(
                f"could not reach the forum: {type(exc).__name__}",
                status_code=None,
                permanent=False,
            ) from None
        if response.status_code >= 400:
            raise error_for(response)
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        return Reply(status_code=response.status_code, data=data)

    def get_json(self, path: str) -> Any:
        return self.request("GET", path).data
