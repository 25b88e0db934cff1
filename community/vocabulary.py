"""The conduct event vocabulary (DESIGN.md §2): the one place that says what each kind means.

- `post` (activity): a post, reply or message; `subject` is its own external id.
- `flag_raised` (signal): a flag not yet reviewed; feeds detection, never a charge.
- `flag_upheld` (friction): a flag a moderator agreed with; `category` is the flag type
  (`inappropriate`, `off_topic`, `spam`, `illegal`, ...); `subject` is the post it is about.
- `flag_rejected` (signal): reverses an earlier `flag_upheld` on the same `subject`.
- `moderator_warning`, `post_removed` (friction): with a `severity`.
- `user_suspended`, `user_unsuspended` (signal): recorded from the forum; they cause nothing.

A friction event without a severity takes the community's default for its category, and
`moderate` when the category has none.
"""

from __future__ import annotations

from django.db import models


class EventKind(models.TextChoices):
    POST = "post", "Post"
    FLAG_RAISED = "flag_raised", "Flag raised"
    FLAG_UPHELD = "flag_upheld", "Flag upheld"
    FLAG_REJECTED = "flag_rejected", "Flag rejected"
    MODERATOR_WARNING = "moderator_warning", "Moderator warning"
    POST_REMOVED = "post_removed", "Post removed"
    USER_SUSPENDED = "user_suspended", "User suspended"
    USER_UNSUSPENDED = "user_unsuspended", "User unsuspended"


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


ACTIVITY_KINDS: frozenset[str] = frozenset({EventKind.POST})
FRICTION_KINDS: frozenset[str] = frozenset(
    {EventKind.FLAG_UPHELD, EventKind.MODERATOR_WARNING, EventKind.POST_REMOVED}
)
SIGNAL_KINDS: frozenset[str] = frozenset(
    {
        EventKind.FLAG_RAISED,
        EventKind.FLAG_REJECTED,
        EventKind.USER_SUSPENDED,
        EventKind.USER_UNSUSPENDED,
    }
)
# Kinds that cancel an earlier friction event on the same subject, and which kind they cancel.
REVERSING_KINDS: dict[str, str] = {EventKind.FLAG_REJECTED: EventKind.FLAG_UPHELD}

DEFAULT_SEVERITY = Severity.MODERATE
# A new community's default severity per flag category (editable per community).
DEFAULT_CATEGORY_SEVERITIES: dict[str, str] = {
    "off_topic": Severity.MINOR,
    "inappropriate": Severity.MODERATE,
    "spam": Severity.MODERATE,
    "illegal": Severity.SEVERE,
}


def default_category_severities() -> dict[str, str]:
    return dict(DEFAULT_CATEGORY_SEVERITIES)
