"""Releases of the social contract: canaries with a gate and automatic rollback, the
spokescouncil that ratifies a version, and release health (docs/releases.md)."""
