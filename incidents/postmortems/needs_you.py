"""Needs you: postmortems due and not yet published (registered in the spine's attention
registry, so ``incidents.needs_you`` needs no import of this package)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from community.attention import Item
from community.models import Community
from incidents.postmortems.models import Postmortem


class PostmortemsDue:
    """Unpublished postmortems whose due time is within a day, or past."""

    name = "postmortems-due"

    def waiting(self, community: Community) -> QuerySet[Any]:
        return (
            Postmortem.objects.filter(community=community)
            .unpublished()
            .filter(due_at__lte=timezone.now() + timedelta(days=1))
            .select_related("incident")
            .order_by("due_at")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        now = timezone.now()
        items = []
        for doc in rows:
            if doc.due_at <= now:
                detail = _("It was due %(age)s ago.") % {"age": timesince(doc.due_at, now, depth=1)}
            else:
                detail = _("It is due in %(age)s.") % {"age": timesince(now, doc.due_at, depth=1)}
            items.append(
                Item(
                    kind="postmortem",
                    key=str(doc.pk),
                    title=_("The postmortem of “%(title)s” is due") % {"title": doc.incident.title},
                    detail=f"{detail} {doc.get_state_display()}.",
                    since=doc.due_at,
                    action=_("Finish the postmortem"),
                    url=reverse("postmortems:editor", args=[community.slug, doc.pk]),
                )
            )
        return items
