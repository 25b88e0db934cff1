"""The Korean tests need the compiled catalogue (``make test`` compiles it; so does this, once
per run, when the .po is newer than its .mo)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from community.catalogue import catalogue_path


@pytest.fixture(autouse=True, scope="session")
def _compiled_catalogues() -> None:
    po = catalogue_path("ko")
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        call_command("compilemessages", locale=["ko"], verbosity=0)
