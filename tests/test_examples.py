from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_quickstart_closes_the_loop() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("case-1: closed after 5 events")
    assert out.count("--- to mary@example.com") == 3
    assert "Every store team is trained on returns by Friday" in out
