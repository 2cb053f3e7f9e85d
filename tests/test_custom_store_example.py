"""The adapter in examples/custom_store.py passes the storage conformance kit."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from closedloop.testing.conformance import Capabilities, CaseStoreContract

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "custom_store.py"

_spec = importlib.util.spec_from_file_location("custom_store_example", EXAMPLE)
assert _spec is not None
assert _spec.loader is not None
custom_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(custom_store)
JsonFolderStore = custom_store.JsonFolderStore


class TestJsonFolderStore(CaseStoreContract):
    capabilities: ClassVar[Capabilities] = Capabilities(persistent=True)

    def make_store(self) -> Any:
        """A store on a new folder each call (hypothesis calls it once per example)."""
        return JsonFolderStore(tempfile.mkdtemp(prefix="closedloop-json-"))

    def reopen(self, store: Any) -> Any:
        return JsonFolderStore(store.root, store.tenant)

    def close(self, store: Any) -> None:
        shutil.rmtree(store.root, ignore_errors=True)


def test_the_example_runs_and_reads_back_what_it_wrote() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("case-1 is acknowledged at version 2; sent ('case-1/2/acknowledgement',)")
    assert "case-1-" in out
    assert "case-1_2_acknowledgement-" in out
