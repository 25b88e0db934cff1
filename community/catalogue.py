"""The translation catalogues kept honest: every marked string is in each language's catalogue,
translated, not fuzzy, and nothing stale is left (``manage.py catalogue --check``; ``--update``
runs ``makemessages`` over the same sources).

The check extracts the sources afresh into a temporary folder (the real catalogue is not
touched), then compares the message ids.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

DOMAINS = ("django",)
# What is not the product's text: tests, tools, generated and vendored files, the catalogues.
IGNORED = (
    "tests",
    "bench",
    "drill",
    "docs",
    "scripts",
    "staticfiles",
    "var",
    "locale",
    "node_modules",
    "requirements",
)


@dataclass(frozen=True)
class Entry:
    context: str
    msgid: str
    plural: str
    translations: tuple[str, ...]
    fuzzy: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.context, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.translations) and all(self.translations)


def _unquote(line: str) -> str:
    text = line.strip()
    value = ast.literal_eval(text)
    return value if isinstance(value, str) else ""


def parse_po(text: str) -> list[Entry]:
    """The entries of a ``.po`` file (obsolete ``#~`` entries and the header left out)."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        current: str | None = None
        fuzzy = False
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if not line or line.startswith("#"):
                continue
            if line.startswith('"') and current is not None:
                fields[current] += _unquote(line)
                continue
            name, _, rest = line.partition(" ")
            current = name
            fields[name] = _unquote(rest)
        if "msgid" not in fields or (fields["msgid"] == "" and "msgctxt" not in fields):
            continue
        translations = tuple(
            value for name, value in sorted(fields.items()) if name.startswith("msgstr")
        )
        entries.append(
            Entry(
                context=fields.get("msgctxt", ""),
                msgid=fields["msgid"],
                plural=fields.get("msgid_plural", ""),
                translations=translations,
                fuzzy=fuzzy,
            )
        )
    return entries


def catalogue_path(language: str, domain: str = "django") -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / f"{domain}.po"


def translated_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _makemessages(languages: list[str], *, symlinks: bool = False) -> None:
    call_command(
        "makemessages",
        locale=languages,
        ignore_patterns=[*IGNORED, ".*"],
        no_obsolete=True,
        add_location="file",  # no line numbers: a catalogue changes only when its strings do
        symlinks=symlinks,
        verbosity=0,
    )


def update() -> None:
    """Brings the catalogues up to date with the sources (new strings arrive untranslated)."""
    with _in(Path(settings.BASE_DIR)):
        _makemessages(translated_languages())


@contextmanager
def _in(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def extract(language: str, domain: str = "django") -> list[Entry]:
    """The entries the sources ask for today, extracted into a temporary copy."""
    base = Path(settings.BASE_DIR)
    with tempfile.TemporaryDirectory() as temporary:
        source = Path(temporary) / "source"
        out = Path(temporary) / "out"
        source.mkdir()
        out.mkdir()
        for child in base.iterdir():
            if child.name.startswith(".") or child.name in IGNORED or not child.is_dir():
                continue
            (source / child.name).symlink_to(child, target_is_directory=True)
        with override_settings(LOCALE_PATHS=[out]), _in(source):
            _makemessages([language], symlinks=True)
        extracted = out / language / "LC_MESSAGES" / f"{domain}.po"
        return parse_po(extracted.read_text()) if extracted.exists() else []


@dataclass
class Report:
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.untranslated or self.fuzzy)

    def lines(self) -> list[str]:
        said = []
        for title, items in (
            (
                "Marked in the sources but not in the catalogue (run manage.py catalogue --update)",
                self.missing,
            ),
            ("In the catalogue but no longer in the sources", self.stale),
            ("Not translated", self.untranslated),
            ("Marked fuzzy (check the translation, then remove the flag)", self.fuzzy),
        ):
            if items:
                said.append(f"{title}:")
                said.extend(f"  {item!r}" for item in items)
        return said


def check(language: str, domain: str = "django") -> Report:
    path = catalogue_path(language, domain)
    committed = parse_po(path.read_text()) if path.exists() else []
    fresh = {entry.key for entry in extract(language, domain)}
    have = {entry.key for entry in committed}
    return Report(
        missing=sorted(msgid for _ctx, msgid in fresh - have),
        stale=sorted(msgid for _ctx, msgid in have - fresh),
        untranslated=[entry.msgid for entry in committed if not entry.translated],
        fuzzy=[entry.msgid for entry in committed if entry.fuzzy],
    )
