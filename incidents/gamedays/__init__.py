"""Game days: rehearsing a runbook on a recorded flame war, in a hidden sandbox community at
accelerated time (docs/gamedays.md). Not the fault drills of ``drill/`` (PostgreSQL, Redis)."""
