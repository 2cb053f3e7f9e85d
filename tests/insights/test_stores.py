"""The same hand-worked week gives the same report on every store closedloop ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from closedloop import CaseStore, SQLiteStore
from closedloop.insights import compute, to_dict
from tests.insights.fixture import SINCE, UNTIL, build


def figures(store: CaseStore | None) -> dict[str, object]:
    built, _, _ = build(store)
    document = to_dict(compute(built, SINCE, UNTIL))
    # Case ids differ from run to run; everything else must agree.
    for waiting in document["unanswered"]["oldest"]:
        waiting["case_id"] = "-"
    for entry in (*document["root_causes"], *document["dissatisfiers"]):
        entry["examples"] = len(entry["examples"])
    for category in document["no_log"]:
        for example in category["examples"]:
            example["case_id"] = "-"
    return document


@pytest.fixture(scope="module")
def reference() -> dict[str, object]:
    return figures(None)


def test_sqlite_reports_what_memory_reports(tmp_path: Path, reference: dict[str, object]) -> None:
    with SQLiteStore(tmp_path / "week.db") as store:
        assert figures(store) == reference


@pytest.mark.postgres
def test_postgres_reports_what_memory_reports(
    postgres: CaseStore, reference: dict[str, object]
) -> None:
    assert figures(postgres) == reference
