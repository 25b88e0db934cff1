"""The war room in a real browser: every action clicked twice (or, for a one-off control, on a
second object of its kind), and after each click the page holds every region once, no id twice
and exactly the forms a fresh load of the page shows (the classic duplication: a control inside
a refreshed region inheriting a target while the server answers with something bigger)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import expect

from community.models import Community, Membership, Space
from community.services import set_role
from incidents import services
from incidents.models import Incident, StepKind
from incidents.starter_runbooks import install_starter_runbooks
from tests.conftest import PASSWORD, browser_login, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REGIONS = (
    "room-header",
    "room-timeline",
    "room-roles",
    "room-runbooks",
    "room-cooldowns",
    "room-reports",
    "room-metrics",
)
SNAPSHOT = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const forms = [...document.querySelectorAll('form')].map(f => {
    const keys = [...f.querySelectorAll('input[type=hidden]')]
      .filter(i => !['csrfmiddlewaretoken', 'version'].includes(i.name))
      .map(i => i.name + '=' + i.value).join('&');
    return (f.getAttribute('action') || '') + '?' + keys;
  });
  return {ids, forms};
}"""
SETTLED = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def _check(page: Any) -> Counter[str]:
    snap = page.evaluate(SNAPSHOT)
    ids = Counter(snap["ids"])
    assert not [i for i, n in ids.items() if n > 1], ids
    for region in REGIONS:
        assert ids[region] == 1, region
    forms = Counter(snap["forms"])
    assert not [f for f, n in forms.items() if n > 1], forms
    return forms


def _same_as_a_fresh_load(page: Any) -> None:
    after_swap = _check(page)
    page.reload()
    assert _check(page) == after_swap


def _unfold(page: Any) -> Any:
    """Open the folded sections (a reload folds them again), so their controls can be used."""
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    return page


def _click(page: Any, button: Any) -> None:
    with page.expect_response(lambda r: r.request.method == "POST"):
        button.click()
    page.wait_for_function(SETTLED)
    _same_as_a_fresh_load(page)


def _button(page: Any, name: str | re.Pattern[str], *, last: bool = False) -> Any:
    buttons = _unfold(page).get_by_role("button", name=name, exact=isinstance(name, str))
    return buttons.last if last else buttons.first


def _twice(page: Any, name: str | re.Pattern[str], *, last: bool = False) -> None:
    for _ in range(2):
        _click(page, _button(page, name, last=last))


def _choose(page: Any, label: str, option: str) -> None:
    _unfold(page).get_by_label(re.compile(rf"^{re.escape(label)}:?$")).select_option(label=option)


def test_every_war_room_action_clicked_twice_leaves_no_duplicate_form_or_id(
    browser_page: Any, community: Community, moderator: Any
) -> None:
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept("Given in the browser test"))
    fran = make_user("fran_facilitator")
    set_role(community=community, user=fran, role="moderator")
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    actor = services.Actor.person(moderator)
    incident = services.declare_incident(
        community=community, title="Proposals: heated", severity="SEV3", spaces=[space], actor=actor
    )
    for name in ("rue", "sol"):
        services.report_heated_space(
            community=community,
            space=space,
            reporter=Membership.objects.create(community=community, display_name=name),
            message=f"{name} says it is getting personal",
        )
    install_starter_runbooks(community=community)
    manual = services.create_runbook(
        community=community, name="Runbook C: Two checks", description="", by=moderator
    )
    for title in ("Read the thread", "Talk to the parties"):
        services.add_runbook_step(runbook=manual, title=title, kind=StepKind.CHECKLIST, config={})

    browser_login(page, moderator.username, PASSWORD)
    page.goto(f"/c/garden/incidents/{incident.pk}/")
    _same_as_a_fresh_load(page)

    # Roles: offer to someone else and withdraw (twice), then take it, then tick the checklist.
    for _ in range(2):
        _choose(page, "Facilitator", "fran_facilitator")
        _click(page, _button(page, "Offer the role"))
        _click(page, _button(page, "Withdraw offer"))
    for _ in range(2):  # the second says they already are
        _choose(page, "Facilitator", moderator.username)
        _click(page, _button(page, "Offer the role"))
    expect(page.get_by_test_id("facilitator")).to_have_text(moderator.username)
    _twice(page, re.compile(r"^Mark done: "))
    for kind in ("Scribe", "Liaison"):
        _choose(page, "Role", kind)
        _choose(page, "Person", moderator.username)
        _click(page, _button(page, "Assign"))

    # Runbooks, then a person's update after the cooldown began.
    _click(page, _button(page, "Run Runbook A: Cool Down"))
    _click(page, _button(page, "Run Runbook C: Two checks"))
    for text in ("Read the thread with both parties.", "One party asked for more time."):
        page.get_by_label(re.compile(r"^Update:?$")).fill(text)
        _click(page, _button(page, "Post update"))
        expect(page.get_by_test_id("timeline")).to_contain_text(text)
    _twice(page, "Skip…", last=True)  # Runbook C's two steps
    _click(page, _button(page, "Mark done"))  # Runbook A's step 4
    expect(page.get_by_test_id("next-step")).to_contain_text("due at")
    _click(page, _button(page, "Check in now"))
    # The space reads calm, but a person spoke since the cooldown began: a proposal, not a lift.
    expect(page.get_by_test_id("proposal")).to_be_visible()
    expect(page.get_by_test_id("cooldowns")).to_contain_text("active")
    _click(page, _button(page, "Keep cooling"))
    expect(page.get_by_test_id("cooldowns")).to_contain_text("active")

    # Cooldowns by hand.
    _twice(page, "+30 min")
    _click(page, _button(page, "Lift early…"))
    for _ in range(2):  # the second is refused: one cooldown per space
        _choose(page, "Space", "Proposals")
        with page.expect_response(lambda r: r.request.method == "POST"):
            _button(page, "Start cooldown").click()
        page.wait_for_function(SETTLED)
        _check(page)
    expect(page.get_by_test_id("error")).to_contain_text("already has an active cooldown")
    _same_as_a_fresh_load(page)
    _click(page, _button(page, "Lift early…"))

    # Reports that joined, details, and the lifecycle.
    _twice(page, "Detach to the board")
    expect(page.get_by_test_id("reports")).to_contain_text("No member reports")
    _twice(page, "Save details")
    _click(page, _button(page, "Mark monitoring"))
    _click(page, _button(page, "Mark mitigating"))
    with page.expect_navigation():
        page.get_by_role("link", name="Resolve…").click()
    page.get_by_label("Summary").fill("Both parties agreed to take it to the proposals thread.")
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve the incident").click()
    _same_as_a_fresh_load(page)
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
