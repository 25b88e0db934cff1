"""Replay (dry run) of a clause over stored history (DESIGN.md §3.7), as its own feature package
(label ``replay``): the rest of the contract never imports it."""
