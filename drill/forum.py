"""A stand-in Discourse forum for the drill, and the webhook deliveries it "sends".

Deliveries are built from the captured and serializer-shaped fixtures in
``tests/integrations/fixtures/`` (same fields, new ids and fresh times) and signed the way
Discourse signs them: ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.
The forum answers what the app asks of it (``GET /review/{id}.json`` for a flag's detail, the
slow-mode and post calls of a cooldown) and records every call, so the drill can check that a
cooldown that ended was also lifted on the forum.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from drill.services import spare_port

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "integrations" / "fixtures"
REVIEW_PATH = re.compile(r"^/review/(\d+)\.json$")


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]


@dataclass
class Forum:
    """The fake forum's state: which reviewables exist (for the detail fetch) and every call."""

    port: int = field(default_factory=spare_port)
    reviews: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        forum = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, payload: object) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {"raw": raw.decode(errors="replace")}
                with forum.lock:
                    forum.calls.append(Call(self.command, self.path, body))
                return body if isinstance(body, dict) else {}

            def do_GET(self) -> None:
                self._record()
                match = REVIEW_PATH.match(self.path)
                if match:
                    detail = forum.reviews.get(int(match.group(1)))
                    self._answer(200 if detail else 404, detail or {"errors": ["not found"]})
                elif self.path in ("/session/current.json", "/site.json"):
                    self._answer(200, {"current_user": {"username": "system"}})
                else:
                    self._answer(404, {"errors": ["not found"]})

            def do_PUT(self) -> None:
                self._record()
                self._answer(200, {"success": "OK"})

            def do_POST(self) -> None:
                self._record()
                self._answer(200, {"id": len(forum.calls), "success": "OK"})

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the calls are recorded; no console noise

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True, name="forum").start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def slow_mode_calls(self, topic_id: int) -> list[int]:
        """The ``seconds`` of each slow-mode call on a topic, in order (0 lifts it)."""
        path = f"/t/{topic_id}/slow_mode.json"
        with self.lock:
            return [int(c.body.get("seconds", -1)) for c in self.calls if c.path == path]


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    expects: str | None  # the conduct event it should become (external id), if any


class Deliveries:
    """Builds signed deliveries: posts by a few forum members, and flags upheld on them."""

    def __init__(self, *, forum: Forum, secret: str, topic_id: int, members: int = 40) -> None:
        self.forum = forum
        self.secret = secret.encode()
        self.topic_id = topic_id
        self.members = members
        self._post = _fixture("post_created.json")
        self._flag = _fixture("reviewable_approved.json")
        self._review = _fixture("review_5121.json")
        self._next_event_id = 500_000
        self._posts: list[tuple[int, int, str]] = []  # (post id, user id, created_at)
        self._sent_post_bodies: list[bytes] = []

    def _sign(self, event: str, event_type: str, body: dict[str, Any]) -> tuple[dict, bytes]:
        raw = json.dumps(body, separators=(",", ":")).encode()
        self._next_event_id += 1
        headers = {
            "Content-Type": "application/json",
            "X-Discourse-Event": event,
            "X-Discourse-Event-Type": event_type,
            "X-Discourse-Event-Id": str(self._next_event_id),
            "X-Discourse-Instance": self.forum.base_url,
            "X-Discourse-Event-Signature": "sha256="
            + hmac.new(self.secret, raw, hashlib.sha256).hexdigest(),
        }
        return headers, raw

    def post(self, n: int) -> Delivery:
        """``post_created`` for the n-th post (an activity event ``post:<id>``)."""
        body = copy.deepcopy(self._post["body"])
        post = body["post"]
        post_id = 9_000_000 + n
        user_id = 70_000 + n % self.members
        created = datetime.now(UTC)  # a live forum: the post was just written
        post.update(
            id=post_id,
            user_id=user_id,
            username=f"drill_member_{user_id}",
            name=f"Drill member {user_id}",
            topic_id=self.topic_id,
            topic_title="Drill: the shared shed rota",
            post_number=n + 2,
            created_at=_iso(created),
            updated_at=_iso(created),
        )
        self._posts.append((post_id, user_id, _iso(created)))
        headers, raw = self._sign("post_created", "post", body)
        self._sent_post_bodies.append(raw)
        return Delivery(headers, raw, f"post:{post_id}")

    def retry_of_last_post(self) -> Delivery:
        """Discourse's automatic retry: the same content with a *new* event id (a duplicate)."""
        raw = self._sent_post_bodies[-1]
        headers, raw = self._sign("post_created", "post", json.loads(raw))
        return Delivery(headers, raw, None)

    def flag_upheld(self, n: int) -> Delivery:
        """``reviewable_transitioned_to`` status 1 (approved) for a flag on an earlier post:
        a ``flag_upheld`` charged to the post's author. Its detail is put on the forum first."""
        post_id, user_id, created = self._posts[(n * 7) % len(self._posts)]
        reviewable_id = 800_000 + n
        body = copy.deepcopy(self._flag["body"])
        flag = body["reviewable"]
        flag.update(
            id=reviewable_id,
            post_id=post_id,
            topic_id=self.topic_id,
            category_id=self._post["body"]["post"]["category_id"],
            target_created_by_id=user_id,
            created_at=created,
            version=2,
        )
        detail = copy.deepcopy(self._review)
        detail["reviewable"].update(flag)
        detail["users"].append({"id": user_id, "username": f"drill_member_{user_id}"})
        with self.forum.lock:
            self.forum.reviews[reviewable_id] = detail
        headers, raw = self._sign("reviewable_transitioned_to", "reviewable", body)
        return Delivery(headers, raw, f"reviewable:{reviewable_id}:v2")
