"""The Discourse adapter: the connection, webhooks in (receive fast, process in Celery), actions
on the forum, payload parsing and the HTTP client.

The four jobs of a forum adapter stay apart and testable: the HTTP client (``client``), payload
parsing (``payloads``, pure), the "what is new" decision (``dedupe``, pure, held unique by the
database) and persistence through the spine's services (``persist``).
"""
