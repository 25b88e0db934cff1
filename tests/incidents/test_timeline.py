"""The timeline is append-only: no edit or delete anywhere, admin included."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from incidents import services
from incidents.models import TimelineEntry
from incidents.models.incidents import AppendOnlyError


def test_notes_are_appended_with_their_author(incident, mod_actor, moderator) -> None:
    entry = services.add_note(incident=incident, text="Spoke with both.", actor=mod_actor)
    assert (entry.kind, entry.author, entry.by) == ("note", moderator, "maya_mod")
    with pytest.raises(Exception, match="Write something"):
        services.add_note(incident=incident, text="  ", actor=mod_actor)


def test_an_entry_cannot_be_edited_or_deleted(incident) -> None:
    entry = incident.timeline.get()
    entry.text = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        TimelineEntry.objects.filter(pk=entry.pk).update(text="x")
    with pytest.raises(AppendOnlyError):
        TimelineEntry.objects.all().delete()
    assert TimelineEntry.objects.get(pk=entry.pk).text.startswith("Declared")


def test_the_admin_can_neither_change_nor_delete_entries(incident, moderator) -> None:
    admin = site._registry[TimelineEntry]
    request = RequestFactory().get("/")
    request.user = moderator
    moderator.is_superuser = True
    entry = incident.timeline.get()
    assert not admin.has_change_permission(request, entry)
    assert not admin.has_delete_permission(request, entry)
    assert not admin.has_add_permission(request)
