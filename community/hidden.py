"""Communities that exist only behind another one (a game day's rehearsal sandbox) and are
left out of community lists and the /metrics community gauges. The package that owns them
registers a source of their ids in ``AppConfig.ready``; the spine never imports it.

A source may also give the words that mark every notice raised inside such a community (the
in-app notice and its e-mail copy, and the e-mails runbook steps send), so that nobody takes a
rehearsal's notice for a real one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from community.models import Community

# () -> a QuerySet of community ids (``values("...")``) to leave out of lists.
type HiddenSource = Callable[[], QuerySet[Any]]

_SOURCES: dict[str, HiddenSource] = {}


@dataclass(frozen=True)
class NoticeMark:
    """Put before a notice's title (``title``: "…: <title>") and its body. The words are lazy
    and said when the mark is applied: under the language of the notice's recipient."""

    title: str | Promise
    body: str | Promise

    def apply(self, title: str, body: str) -> tuple[str, str]:
        mark = str(self.body)
        return (
            _("%(mark)s: %(title)s") % {"mark": self.title, "title": title},
            f"{mark}\n\n{body}" if body else mark,
        )


_MARKS: dict[str, NoticeMark] = {}


def register_hidden_communities(
    name: str, source: HiddenSource, *, mark: NoticeMark | None = None
) -> None:
    _SOURCES[name] = source
    if mark is not None:
        _MARKS[name] = mark


def notice_mark(community_id: int) -> NoticeMark | None:
    """The mark for notices raised in ``community_id`` (None for a listed community): one
    query per source that marks its notices."""
    for name, mark in _MARKS.items():
        if Community.objects.filter(pk=community_id, pk__in=_SOURCES[name]()).exists():
            return mark
    return None


def marked(community_id: int, title: str, body: str) -> tuple[str, str]:
    """``title`` and ``body`` as they are said in ``community_id``: marked in a hidden one."""
    mark = notice_mark(community_id)
    return (title, body) if mark is None else mark.apply(title, body)


def listed(communities: QuerySet[Community]) -> QuerySet[Community]:
    """``communities`` without the hidden ones (one subquery per source, no extra query)."""
    for source in _SOURCES.values():
        communities = communities.exclude(pk__in=source())
    return communities
