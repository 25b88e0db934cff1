"""A clause's title and text in another of its community's languages, and the one rule that
decides which words a reader sees (docs/i18n.md, "Content stays as written").

The words are the community's own, written by its moderators and never machine-translated. A
clause's own title and wording are in its ``Clause.language`` (the community's default when it
was written); a ``ClauseTranslation`` gives them in one other language. A reader sees their
language's translation, else the clause's own words, field by field: a translation with a title
and no text shows its title over the clause's own text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone, translation

TITLE_MAX_LENGTH = 200


def base_language(code: str | None) -> str:
    """``ko-kr`` is ``ko``; nothing is the site's language."""
    return (code or settings.LANGUAGE_CODE).lower().replace("_", "-").split("-", 1)[0]


def words_digest(title: str, wording: str) -> str:
    """A short fingerprint of a clause's own words, kept with a translation so the editor can
    tell when the words it translates have changed since."""
    return hashlib.sha256(f"{title.strip()}\n{wording.strip()}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ClauseWords:
    """What a reader sees of a clause, and the language of each part (for ``lang``)."""

    title: str
    wording: str
    title_language: str
    wording_language: str


def words_in(
    *,
    title: str,
    wording: str,
    own_language: str,
    translations: Iterable[ClauseTranslation],
    language: str | None = None,
) -> ClauseWords:
    """The clause's words in ``language`` (default: the language active now, which pages,
    the API and notices set to their reader's): its translation there, else its own words."""
    wanted = base_language(language or translation.get_language())
    if wanted != own_language:
        for row in translations:
            if row.language == wanted:
                text = row.text.strip()
                return ClauseWords(
                    title=row.title,
                    wording=text or wording,
                    title_language=wanted,
                    wording_language=wanted if text else own_language,
                )
    return ClauseWords(
        title=title, wording=wording, title_language=own_language, wording_language=own_language
    )


class ClauseTranslation(models.Model):
    """A clause's title and text in one language other than its own."""

    clause = models.ForeignKey(
        "community.Clause", on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    text = models.TextField(blank=True, help_text="Empty: members read the clause's own text.")
    source_digest = models.CharField(
        max_length=16, blank=True, help_text="The clause's own words when this was written."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("clause", "language")
        constraints = [
            models.UniqueConstraint(
                fields=("clause", "language"), name="clause_translation_one_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clause_id} in {self.language}"
