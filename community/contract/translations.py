"""A clause's title and text in the community's other languages, written by its moderators.

A translation says what the clause already says, in another language, so it is not part of
what a version changes: a moderator may add or correct one at any time, for a draft clause or
one already published, without publishing a new version; members read it at once. Every change
is a request the audit log records (``config.audit.AuditMiddleware``: who, when, which clause and
language). The clause's own words, and what the versions froze, stay as they were. Pages, the
API and notices read the words through ``Clause.words_in`` (``community.models.translations``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.contract.services import ClauseInvalid
from community.models import Clause, ClauseTranslation, words_digest
from community.models.translations import TITLE_MAX_LENGTH


def other_languages(clause: Clause) -> list[tuple[str, str]]:
    """The languages a clause may be translated into: ours, except its own (code, name)."""
    return [(code, name) for code, name in settings.LANGUAGES if code != clause.language]


def _refusals(clause: Clause, language: str, title: str, text: str) -> list[tuple[str, str]]:
    if language not in dict(other_languages(clause)):
        if language == clause.language:
            message = _("This is the clause's own language: change its words in the clause itself.")
        else:
            message = _("Choose one of the languages offered: %(languages)s.") % {
                "languages": ", ".join(code for code, _name in other_languages(clause))
            }
        return [("language", message)]
    errors = []
    if text and not title:
        errors.append(("title", _("Give the title in this language too.")))
    if len(title) > TITLE_MAX_LENGTH:
        errors.append(
            (
                "title",
                _("Keep the title to %(limit)s characters or fewer (it has %(length)s).")
                % {"limit": TITLE_MAX_LENGTH, "length": len(title)},
            )
        )
    return errors


def save_clause_translation(
    *, clause: Clause, language: str, title: str, text: str
) -> ClauseTranslation | None:
    """Write (or correct) the clause's title and text in ``language``. Both empty removes the
    translation (members then read the clause's own words) and returns None. Refuses, naming
    the field and changing nothing: a language we do not have or the clause's own, a text
    without a title, a title over the clause title's length."""
    title, text = title.strip(), text.strip()
    errors = _refusals(clause, language, title, text)
    if errors:
        raise ClauseInvalid(errors)
    if not title:
        remove_clause_translation(clause=clause, language=language)
        return None
    with transaction.atomic():
        row, _created = ClauseTranslation.objects.update_or_create(
            clause=clause,
            language=language,
            defaults={
                "title": title,
                "text": text,
                "source_digest": words_digest(clause.title, clause.wording),
                "updated_at": timezone.now(),
            },
        )
    return row


def remove_clause_translation(*, clause: Clause, language: str) -> bool:
    """Remove the clause's translation into ``language`` (True when there was one)."""
    deleted, _rows = ClauseTranslation.objects.filter(clause=clause, language=language).delete()
    return deleted > 0


@dataclass(frozen=True)
class TranslationRow:
    """One other language in the clause editor: what is written there, and whether the
    clause's own words changed since it was written."""

    language: str
    name: str
    translation: ClauseTranslation | None
    stale: bool = False

    @property
    def title(self) -> str:
        return self.translation.title if self.translation else ""

    @property
    def text(self) -> str:
        return self.translation.text if self.translation else ""


def translation_rows(clause: Clause) -> list[TranslationRow]:
    by_language = {row.language: row for row in clause.translations.all()}
    now = words_digest(clause.title, clause.wording)
    rows = []
    for code, name in other_languages(clause):
        row = by_language.get(code)
        stale = row is not None and bool(row.source_digest) and row.source_digest != now
        rows.append(TranslationRow(language=code, name=name, translation=row, stale=stale))
    return rows
