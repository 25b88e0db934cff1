"""Shared helpers for the integrations tests: fixtures, real signatures, a fake Discourse and a
local webhook receiver (both real HTTP servers on 127.0.0.1, random port, in a thread)."""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.test import Client

from integrations.models import DiscourseConnection
from integrations.signing import sign

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-webhook-secret-123"
API_KEY = "discourse-api-key-abc"
API_USER = "system"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def deliver(
    client: Client,
    connection: DiscourseConnection,
    delivery: dict[str, Any],
    *,
    secret: str = SECRET,
    event_id: str | None = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST a delivery to the real endpoint, signed for real over the exact bytes sent."""
    body = raw if raw is not None else json.dumps(delivery["body"]).encode()
    sent = dict(delivery["headers"])
    sent["X-Discourse-Instance"] = connection.base_url
    sent["X-Discourse-Event-Signature"] = sign(secret, body)
    if event_id is not None:
        sent["X-Discourse-Event-Id"] = event_id
    sent.update(headers or {})
    return client.post(
        f"/integrations/discourse/{connection.pk}/",
        data=body,
        content_type="application/json",
        headers=sent,
    )


def reviewable(name: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(fixture(name))
    data["body"]["reviewable"].update(changes)
    return data


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeDiscourse:
    """A Discourse stand-in. ``plan`` maps "METHOD /path" to a list of behaviours consumed in
    order ("ok", "timeout", or a status code); unplanned calls answer like Discourse would."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    plan: dict[str, list[Any]] = field(default_factory=dict)
    review: dict[str, Any] = field(default_factory=dict)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay: float = 1.5
    # Forum user id -> silenced_till, as Discourse keeps it (``user.silenced?``).
    silenced: dict[str, str] = field(default_factory=dict)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]


def _handler(fake: FakeDiscourse) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, data: Any) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            fake.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), body)
            )
            if (
                self.headers.get("Api-Key") != API_KEY
                or self.headers.get("Api-Username") != API_USER
            ):
                return self._answer(403, {"errors": ["You are not permitted to view this."]})
            steps = fake.plan.get(f"{self.command} {self.path}")
            step = steps.pop(0) if steps else "ok"
            if step == "timeout":
                time.sleep(fake.delay)
                return self._answer(200, {})
            if isinstance(step, int):
                return self._answer(step, {"errors": [f"planned {step}"]})
            if self.command == "GET" and self.path == "/session/current.json":
                return self._answer(200, {"current_user": {"id": 1, "username": API_USER}})
            if self.command == "GET" and self.path.startswith("/review/"):
                found = fake.reviews.get(self.path.split("/")[-1].removesuffix(".json"))
                found = found or fake.review
                return self._answer(200, found) if found else self._answer(404, {})
            if self.command == "PUT" and self.path.endswith("/slow_mode.json"):
                if not isinstance(body, dict) or "seconds" not in body:
                    return self._answer(400, {"errors": ["param is missing: seconds"]})
                return self._answer(200, {"success": "OK"})
            if self.command == "PUT" and self.path.endswith("/status.json"):
                if not isinstance(body, dict) or {"status", "enabled"} - body.keys():
                    return self._answer(400, {"errors": ["param is missing"]})
                return self._answer(200, {"success": "OK", "topic_status_update": None})
            if self.command == "POST" and self.path.endswith("/timer.json"):
                if not isinstance(body, dict) or body.get("status_type") != "open":
                    return self._answer(400, {"errors": ["status_type is invalid"]})
                return self._answer(200, {"success": "OK", "execute_at": body.get("time")})
            if self.command == "POST" and self.path == "/posts.json":
                if not isinstance(body, dict) or not body.get("raw") or not body.get("topic_id"):
                    return self._answer(422, {"errors": ["Body is too short"]})
                return self._answer(200, {"id": 990001, "topic_id": body["topic_id"]})
            silence = SILENCE_PATH.fullmatch(self.path)
            if self.command == "PUT" and silence:
                return self._answer(*_silence(fake, silence["user"], silence["verb"], body))
            return self._answer(404, {"errors": ["not found"]})

        do_GET = do_PUT = do_POST = _handle

    return Handler


SILENCE_PATH = re.compile(r"/admin/users/(?P<user>\d+)/(?P<verb>silence|unsilence)\.json")


def _silence(fake: FakeDiscourse, user: str, verb: str, body: Any) -> tuple[int, Any]:
    """Discourse's ``Admin::UsersController#silence`` / ``#unsilence``: the contract's checks,
    409 for a member already silenced, and the answers in the stored fixtures."""
    if verb == "unsilence":
        fake.silenced.pop(user, None)
        answer = fixture("unsilence_response")
        return answer["status"], answer["body"]
    params = body if isinstance(body, dict) else {}
    errors = []
    if not params.get("reason"):
        errors.append("Reason can't be blank")
    elif len(str(params["reason"])) > 300:
        errors.append("Reason is too long (maximum is 300 characters)")
    if not params.get("silenced_till"):
        errors.append("Silenced till can't be blank")
    if params.get("post_action") not in (None, "", "delete", "delete_replies", "edit"):
        errors.append("Post action is not included in the list")
    if errors:
        return 400, {"failed": "FAILED", "errors": errors}
    if user in fake.silenced:
        answer = fixture("silence_conflict")
        return answer["status"], answer["body"]
    fake.silenced[user] = str(params["silenced_till"])
    answer = copy.deepcopy(fixture("silence_response"))
    answer["body"]["silence"]["silenced_till"] = params["silenced_till"]
    answer["body"]["silence"]["silence_reason"] = "\n\n".join(
        str(part) for part in (params.get("reason"), params.get("message")) if part
    )
    return answer["status"], answer["body"]


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def fake_discourse() -> Iterator[FakeDiscourse]:
    fake = FakeDiscourse()
    with serve(_handler(fake)) as url:
        fake.url = url
        yield fake


@dataclass
class Receiver:
    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.received.append((dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serve(Handler) as url:
        receiver.url = f"{url}/hooks/csre"
        yield receiver
