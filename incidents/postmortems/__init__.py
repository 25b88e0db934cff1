"""Restorative postmortems (issue 12): the document and its sections, the circle (participants,
harms and needs, the repair exchange, agreements), action items verified against an indicator,
the blameless check, reminders, metrics, pages and API.

Installed as its own app (``incidents.postmortems``, label ``postmortems``). It builds on
``incidents``, ``budgets`` and ``community``; the rest of ``incidents`` never imports it (it
registers itself through the hooks ``incidents`` exposes).
"""
