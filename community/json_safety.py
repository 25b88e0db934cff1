"""What JSON from outside must look like before it is stored (framework-free).

PostgreSQL's ``jsonb`` and ``text`` refuse the NUL character, and UTF-8 cannot encode a lone
surrogate (``"\\ud800"`` is valid JSON but not valid text), so either one would fail at the
database or when we echo it back: an error page instead of a clear 400. Deeply nested documents
exhaust the parser's recursion. Every JSON value we accept is checked here first.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as text, or None."""
    if "\x00" in text:
        return "must not contain the NUL character"
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "must be valid Unicode (it contains a lone surrogate)"
    return None


def json_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why a parsed JSON value cannot be stored, or None. Checks keys and strings at any depth
    (iteratively, so a hostile document cannot exhaust the stack here either)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return f"is nested more than {max_depth} levels deep"
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return problem
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str):
                    problem = text_problem(key)
                    if problem:
                        return f"has a key that {problem}"
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


def too_deep(value: Any, *, max_depth: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests containers more than ``max_depth`` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def printable(text: str, *, limit: int = 200) -> str:
    """``text`` safe to echo in an error message: unstorable characters become U+FFFD."""
    return "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char
        for char in text[:limit]
    )
