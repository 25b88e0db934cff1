from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo community's builder: it imports every app, and nothing imports it."""

    name = "demo"
    verbose_name = "Demo community"
