"""Notices in the recipient's language, not in the language of the person whose action caused
them: an English-speaking moderator decides an appeal; the Korean member reads it in Korean."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from budgets import services as budget_services
from budgets.models import Appeal
from community.models import Community, Membership, Notification, PersonalSettings


def _charge_and_appeal(community: Community, membership: Membership, capture: Any) -> Appeal:
    for _ in range(2):
        with capture(execute=True):
            budget_services.create_charge(
                community=community,
                membership=membership,
                kind="moderator_warning",
                severity="moderate",
                reason="Sharp words",
                occurred_at=timezone.now(),
                by=None,
            )
    charge = membership.charges.first()
    assert charge is not None
    with capture(execute=True):
        return budget_services.file_appeal(
            charge=charge, membership=membership, statement="I was quoting someone"
        )


def test_an_english_moderator_s_decision_reaches_a_korean_member_in_korean(
    community: Community,
    moderator: User,
    member: User,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    PersonalSettings.objects.create(user=member, language="ko")
    PersonalSettings.objects.create(user=moderator, language="en")
    appeal = _charge_and_appeal(community, member_membership, django_capture_on_commit_callbacks)
    # The moderator was told in English, though the member who appealed reads Korean.
    to_decide = Notification.objects.get(kind="appeal_to_decide")
    assert to_decide.title == "milo_member appealed a charge"
    assert set(to_decide.deliveries.values_list("language", flat=True)) == {"en"}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        # The moderator's own page is English (the request's language is theirs).
        budget_services.decide_appeal(appeal=appeal, uphold=True, reason="Fair", by=moderator)
    decided = Notification.objects.get(kind="appeal_decided")
    assert decided.title == "이의 제기 결과: 차감이 되돌려져 더 이상 반영되지 않아요"
    assert decided.body.startswith("“Sharp words”에 대한 결정이에요. 운영자의 말: Fair")
    assert set(decided.deliveries.values_list("language", flat=True)) == {"ko"}
    (email,) = [m for m in mail.outbox if m.to == [member.email]]
    assert email.subject == f"Garden Club: {decided.title}"
    assert "이메일로 받을 알림을 고르세요" in email.body
    # The budget's own note of the tier change (on My budget) is Korean too.
    client = Client()
    client.force_login(member)
    page = client.get("/c/garden/notifications/").content.decode()
    assert decided.title in page


def test_a_member_who_chose_nothing_reads_notices_in_the_community_s_default(
    community: Community,
    moderator: User,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    community.default_language = "ko"
    community.save()
    PersonalSettings.objects.create(user=moderator, language="en")
    _charge_and_appeal(community, member_membership, django_capture_on_commit_callbacks)
    tier = Notification.objects.filter(recipient=member_membership, kind="tier_changed").first()
    assert tier is not None
    assert tier.title == "조용히 알려 드려요: 지금은 예산의 여유가 줄었어요"
    assert set(tier.deliveries.values_list("language", flat=True)) == {"ko"}
    to_decide = Notification.objects.get(kind="appeal_to_decide")
    assert to_decide.title == "milo_member appealed a charge"
