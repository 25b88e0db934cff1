"""A community's postmortem settings: when a postmortem is due, how often it is brought up
again, when every moderator is reminded, and how long a harmed member has to object to a public
summary. Moderators change them on the postmortems page or through the API; a change applies to
postmortems started from then on (a due time already set stays as it was promised)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from community.models import Community
from community.services import ServiceError
from incidents.postmortems.models import PostmortemSettings


@dataclass(frozen=True)
class Bound:
    field: str
    low: int
    high: int
    refusal: Promise


BOUNDS = (
    Bound(
        "due_hours",
        1,
        720,
        gettext_lazy("The due time: choose a whole number of hours from 1 to 720."),
    ),
    Bound(
        "reminder_every_hours",
        1,
        168,
        gettext_lazy("How often reminders repeat: choose a whole number of hours from 1 to 168."),
    ),
    Bound(
        "escalate_after_hours",
        0,
        720,
        gettext_lazy(
            "When every moderator is reminded: choose a whole number of hours past the due time "
            "from 0 to 720."
        ),
    ),
    Bound(
        "objection_window_days",
        1,
        30,
        gettext_lazy(
            "The window to object to a public summary: choose a whole number of days from 1 to 30."
        ),
    ),
)


def update_settings(
    *,
    community: Community,
    due_hours: int | None,
    reminder_every_hours: int | None,
    escalate_after_hours: int | None,
    objection_window_days: int | None,
) -> PostmortemSettings:
    """Change the community's settings; refused, changing nothing, when a value is missing or
    out of its bounds."""
    given = {
        "due_hours": due_hours,
        "reminder_every_hours": reminder_every_hours,
        "escalate_after_hours": escalate_after_hours,
        "objection_window_days": objection_window_days,
    }
    for bound in BOUNDS:
        value = given[bound.field]
        if value is None or not bound.low <= value <= bound.high:
            raise ServiceError(str(bound.refusal))
    with transaction.atomic():
        found, _ = PostmortemSettings.objects.select_for_update().get_or_create(community=community)
        for name, value in given.items():
            setattr(found, name, value)
        found.save(update_fields=list(given))
    return found
