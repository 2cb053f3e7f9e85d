"""The storage conformance kit: prove a CaseStore adapter meets docs/storage.md.

Subclass :class:`CaseStoreContract` in a test file, give it the one factory hook, and
pytest runs every requirement against your adapter::

    from closedloop.testing.conformance import CaseStoreContract

    class TestMyStore(CaseStoreContract):
        def make_store(self):
            return MyStore(...)          # a new, empty store each call

Declare what your adapter cannot do with :class:`Capabilities`; the tests that need it are
skipped with that reason instead of failing. Each test's name starts with the number of
the requirement it checks (``test_r2_...``).

The kit follows the storage roles of :mod:`closedloop.ports`, one contract per role, and
:class:`CaseStoreContract` is all of them. While writing an adapter, subclass one role's
contract to run only its tests (:class:`UnitOfWorkContract` first: the others commit
their records through it).
"""

from closedloop.testing.conformance.agents import AgentStorageContract
from closedloop.testing.conformance.base import Capabilities, StoreContract
from closedloop.testing.conformance.cases import CaseStorageContract
from closedloop.testing.conformance.comparison import ReferenceComparisonContract
from closedloop.testing.conformance.customers import CustomerStorageContract
from closedloop.testing.conformance.erasure import ErasureStorageContract
from closedloop.testing.conformance.invitations import InvitationStorageContract
from closedloop.testing.conformance.operations import HealthStorageContract, StoreOverviewContract
from closedloop.testing.conformance.outbox import OutboxStorageContract
from closedloop.testing.conformance.reports import ReportStorageContract
from closedloop.testing.conformance.search import SearchContract
from closedloop.testing.conformance.snapshots import SnapshotContract
from closedloop.testing.conformance.summaries import SummaryContract
from closedloop.testing.conformance.unit_of_work import UnitOfWorkContract

__all__ = [
    "AgentStorageContract",
    "Capabilities",
    "CaseStorageContract",
    "CaseStoreContract",
    "CustomerStorageContract",
    "ErasureStorageContract",
    "HealthStorageContract",
    "InvitationStorageContract",
    "OutboxStorageContract",
    "ReferenceComparisonContract",
    "ReportStorageContract",
    "SearchContract",
    "SnapshotContract",
    "StoreContract",
    "StoreOverviewContract",
    "SummaryContract",
    "UnitOfWorkContract",
]


class CaseStoreContract(
    UnitOfWorkContract,
    CaseStorageContract,
    OutboxStorageContract,
    InvitationStorageContract,
    ErasureStorageContract,
    CustomerStorageContract,
    ReportStorageContract,
    HealthStorageContract,
    StoreOverviewContract,
    SearchContract,
    SummaryContract,
    ReferenceComparisonContract,
    SnapshotContract,
    AgentStorageContract,
):
    """Every numbered requirement of docs/storage.md, as tests. Subclass it."""
