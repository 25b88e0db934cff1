"""The agreements-kept figure (issue 12 item 8): of the agreements decided in a period, the
share that was kept. A read model shared by the open agreements page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from community.models import Community
from incidents.postmortems.models import Agreement, AgreementStatus


@dataclass(frozen=True)
class AgreementsKept:
    kept: int
    not_kept: int
    open: int

    @property
    def decided(self) -> int:
        return self.kept + self.not_kept

    @property
    def kept_percent(self) -> int | None:
        """Kept over decided, as a whole percentage (None before anything was decided)."""
        if not self.decided:
            return None
        return round(100 * self.kept / self.decided)


def agreements_kept(*, community: Community, since: datetime | None = None) -> AgreementsKept:
    """Agreements kept / not kept (decided since ``since``) and still open, for ``community``."""
    rows = Agreement.objects.filter(postmortem__community=community)
    decided_since = Q() if since is None else Q(decided_at__gte=since)
    counts = rows.aggregate(
        kept=Count("pk", filter=Q(status=AgreementStatus.KEPT) & decided_since),
        not_kept=Count("pk", filter=Q(status=AgreementStatus.NOT_KEPT) & decided_since),
        open=Count("pk", filter=Q(status=AgreementStatus.OPEN)),
    )
    return AgreementsKept(kept=counts["kept"], not_kept=counts["not_kept"], open=counts["open"])
