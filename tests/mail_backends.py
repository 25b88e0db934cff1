"""A mail backend for tests that run a real worker (a separate process, with prefork children):
it fails the first N sends, counted in a file all the processes share, and writes every message
it delivers to another file, so a test can see what went out and how often."""

from __future__ import annotations

import fcntl
import json
import os
import smtplib
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

# FLAKY_MAIL_DIR holds ``failures`` (how many sends still fail) and ``sent.jsonl``.
DIR_ENV = "FLAKY_MAIL_DIR"


class FileCountedFlakyBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(os.environ[DIR_ENV])
        with (folder / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            counter = folder / "failures"
            left = int(counter.read_text() or "0")
            if left > 0:
                counter.write_text(str(left - 1))
                raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
            with (folder / "sent.jsonl").open("a") as sent:
                for message in email_messages:
                    sent.write(json.dumps({"to": message.to, "subject": message.subject}) + "\n")
        return len(email_messages)
