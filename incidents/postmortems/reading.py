"""The editor's data: a postmortem's sections, findings and action items, read at once. A read
model shared by the editor page and the API; the caller has already checked access
(``incidents.postmortems.access``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from incidents.postmortems.models import (
    ActionItem,
    BlamelessFinding,
    FindingStatus,
    Postmortem,
    PostmortemSection,
)
from incidents.postmortems.sections import SECTIONS


@dataclass(frozen=True)
class DocumentParts:
    sections: list[dict[str, Any]]
    """``{"spec": SectionSpec, "section": PostmortemSection}`` in the template's order."""
    findings: list[BlamelessFinding]
    """Open and acknowledged passages (revised ones are gone from the text)."""
    items: list[ActionItem]

    @property
    def open_findings(self) -> list[BlamelessFinding]:
        return [f for f in self.findings if f.status == FindingStatus.OPEN]


def document_parts(doc: Postmortem) -> DocumentParts:
    rows = {
        s.key: s
        for s in PostmortemSection.objects.filter(postmortem=doc).select_related("updated_by")
    }
    return DocumentParts(
        sections=[
            {"spec": spec, "section": rows[spec.key]} for spec in SECTIONS if spec.key in rows
        ],
        findings=list(
            BlamelessFinding.objects.filter(postmortem=doc)
            .exclude(status=FindingStatus.REVISED)
            .select_related("named_membership")
        ),
        items=list(
            ActionItem.objects.filter(postmortem=doc)
            .select_related("owner", "verify_clause", "contract_version", "runbook")
            .prefetch_related("verify_clause__translations")
            .order_by("due_on", "pk")
        ),
    )


def with_parts(doc: Postmortem) -> Postmortem:
    """``doc`` again, with its sections, items and findings prefetched (for the API)."""
    found = (
        Postmortem.objects.filter(pk=doc.pk)
        .prefetch_related("sections", "action_items__contract_version", "blameless_findings")
        .first()
    )
    assert found is not None
    return found
