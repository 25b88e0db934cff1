"""The restorative circle of a postmortem (issue 12 items 2, 5 and 7): participants and their
consent, harms and needs, the repair exchange, agreements with each party's consent and their
reminders, forgiveness when a responsible participant's agreements are kept, and the public
summary's approval by the harmed members.

Installed as its own app (label ``circle``, no models: the data lives in ``postmortems``) so
its tasks, pages and API sit beside the document's without sharing modules with it.
"""
