"""The JSON Schema (draft 2020-12) of host events: the envelope, and each type's ``data``."""

from __future__ import annotations

from typing import Any

from closedloop.domain.hostevents.catalogue import KINDS
from closedloop.domain.hostevents.envelope import SCHEMA_VERSION
from closedloop.domain.hostevents.fields import Kind

__all__ = ["schema"]

_CASE_FIELDS: dict[str, Any] = {
    "by": {"type": "string"},
    "case_version": {"type": "integer", "minimum": 1},
}


def _data(kind: Kind) -> dict[str, Any]:
    case = not kind.name.startswith("survey.")
    properties = {**(_CASE_FIELDS if case else {}), **{f.name: dict(f.schema) for f in kind.fields}}
    required = [*(_CASE_FIELDS if case else ())] + [f.name for f in kind.fields if not f.personal]
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def schema() -> dict[str, Any]:
    """The JSON Schema every :meth:`HostEvent.to_dict` satisfies (``personal`` fields are
    present only when the subscription opted in to personal data)."""
    variants = [
        {
            "if": {"properties": {"type": {"const": name}}},
            "then": {"properties": {"data": _data(kind)}},
        }
        for name, kind in KINDS.items()
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "closedloop host event",
        "type": "object",
        "properties": {
            "type": {"enum": list(KINDS)},
            "version": {"const": SCHEMA_VERSION},
            "id": {
                "type": "string",
                "minLength": 1,
                "description": "<tenant>/<case or invitation id>/<version>/<type>, the tenant "
                "percent-encoded: unique across tenants, the same on every redelivery",
            },
            "occurred_at": {"type": "string", "format": "date-time"},
            "tenant": {"type": "string", "minLength": 1},
            "case_id": {"type": ["string", "null"]},
            "data": {"type": "object"},
        },
        "required": ["type", "version", "id", "occurred_at", "tenant", "case_id", "data"],
        "additionalProperties": False,
        "allOf": variants,
    }
