"""The report per tag reads a case's steps from the index by case alone: SQLite's plan for
it walks the period's tags, then each case's steps in the covering index (no lookup in the
table, no walk over every step of the period), with or without statistics."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import SQLiteStore
from closedloop.adapters.read_model import _TAG_STEPS
from closedloop.adapters.rows import us
from closedloop.domain.reports.facts import basis
from closedloop.domain.standards.standard import Standards
from tests.helpers import START


@pytest.mark.parametrize("statistics", [False, True])
def test_the_steps_per_tag_are_read_from_the_index_by_case(
    tmp_path: Path, statistics: bool
) -> None:
    path = tmp_path / "loop.db"
    SQLiteStore(path).close()  # the schema, migrated
    db = sqlite3.connect(path)
    if statistics:
        db.execute("ANALYZE")
    low, high = us(START), us(START + timedelta(days=30))
    params = ("default", basis(Standards()), high, low, low, high)
    plan = [row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + _TAG_STEPS, params)]
    db.close()
    assert plan[0].startswith("SEARCH t USING PRIMARY KEY"), plan
    assert plan[1].startswith("SEARCH s USING COVERING INDEX fact_steps_case"), plan
