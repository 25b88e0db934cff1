"""The "what is new" decision for Discourse deliveries, framework-free.

A delivery is news unless the forum already sent us the same event id *or* the same content:
Discourse's automatic retries carry a new event id, so the event id alone is not enough. The
database holds both keys unique per connection; these functions compute them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from integrations.discourse.fields import forum_id


def content_key(event_name: str, body: dict[str, Any], raw: bytes) -> str:
    """What makes two deliveries "the same news", whatever their event ids.

    Posts and reviewables carry a ``version`` that changes on every edit or transition, so
    (event, object id, version) is the content. Objects without a version (users, topics, pings)
    fall back to a hash of the body: an exact resend is a duplicate, any change is news. So do
    objects whose id or version is not a number (the key must fit its column and say nothing
    false: two different long ids cut to the same prefix would look like one).
    """
    for kind in ("post", "reviewable"):
        obj = body.get(kind)
        if isinstance(obj, dict):
            object_id, version = forum_id(obj.get("id")), forum_id(obj.get("version"))
            if object_id is not None and version is not None:
                return f"{event_name}:{kind}:{object_id}:v{version}"
    return f"{event_name}:sha256:{hashlib.sha256(raw).hexdigest()}"
