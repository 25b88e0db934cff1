"""Conflict incidents, facilitators, runbooks, cooldowns and restorative postmortems."""
