"""Tag messages: one human line, a blank line, then a JSON object (the machine-readable block).

JSON is also valid YAML, so people can read it with either; readers accept a YAML mapping after a `---`
line too (for blocks written by hand or by other tools). Messages without a block (GTO's, people's) give {}.
"""

from __future__ import annotations

import json
from typing import Any

SIGNATURE_MARKERS = (
    "-----BEGIN PGP SIGNATURE-----",
    "-----BEGIN SSH SIGNATURE-----",
    "-----BEGIN SIGNED MESSAGE-----",
)


def compose(summary: str, data: dict[str, Any] | None) -> str:
    line = " ".join(summary.split()) or "mlops registry event"
    if not data:
        return line + "\n"
    return f"{line}\n\n{json.dumps(data, indent=2, sort_keys=True, default=str)}\n"


def strip_signature(message: str) -> str:
    if "-----BEGIN " not in message:
        return message
    for marker in SIGNATURE_MARKERS:
        at = message.find(marker)
        if at >= 0:
            message = message[:at]
    return message


def summary(message: str) -> str:
    return message.strip().split("\n", 1)[0].strip()


def parse(message: str) -> dict[str, Any]:
    """The machine-readable block of a message, or {} when there is none or it does not parse."""
    return parse_checked(message)[0]


def parse_checked(message: str, shown: str = "tag message") -> tuple[dict[str, Any], str | None]:
    """(the block, or {}; why a block that is there was refused, or None).

    Anyone with push rights writes tag messages, so the block goes through the bounded reader: a deep,
    huge or alias-bombed block is refused in bounded time, and the caller warns and goes on."""
    from mlops.config.yamlload import MESSAGE, YamlProblem, load_data

    text = strip_signature(message)
    at = text.find("\n{")
    block = text[at + 1 :] if at >= 0 else None
    if block is None:
        at = text.find("\n---\n")
        block = text[at + 5 :] if at >= 0 else None
    if block is None:
        return {}, None
    try:
        data = load_data(block, shown, MESSAGE)
    except YamlProblem as problem:
        return {}, problem.reason
    return (data, None) if isinstance(data, dict) else ({}, None)
