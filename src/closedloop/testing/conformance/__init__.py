"""The storage conformance kit: prove a CaseStore adapter meets docs/storage.md."""

from closedloop.testing.conformance.cases import Capabilities, CaseStoreContract

__all__ = ["Capabilities", "CaseStoreContract"]
