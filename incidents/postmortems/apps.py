"""The postmortems package's app config: its own models and migrations (label ``postmortems``),
wired into ``incidents`` through registries so that ``incidents`` never imports the package."""

from __future__ import annotations

from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incidents.postmortems"
    label = "postmortems"
    verbose_name = "Restorative postmortems"
