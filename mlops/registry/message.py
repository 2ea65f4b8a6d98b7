"""Tag messages: one human line, a blank line, then a JSON object (the machine-readable block).

JSON is also valid YAML, so people can read it with either; readers accept a YAML mapping after a `---`
line too (for blocks written by hand or by other tools). Messages without a block (GTO's, people's) give {}.
"""

from __future__ import annotations

import json
from typing import Any

SIGNATURE_MARKERS = ("-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----",
                     "-----BEGIN SIGNED MESSAGE-----")


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
    text = strip_signature(message)
    at = text.find("\n{")
    if at >= 0:
        try:
            data = json.loads(text[at + 1:])
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
    at = text.find("\n---\n")
    if at >= 0:
        import yaml

        try:
            data = yaml.safe_load(text[at + 5:])
        except yaml.YAMLError:
            return {}
        return data if isinstance(data, dict) else {}
    return {}
