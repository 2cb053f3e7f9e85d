"""Every error closedloop raises.

One root, so a host can catch everything with ``except ClosedLoopError``. Where an
error is also a kind of built-in error, it subclasses that too, so ``except
ValueError`` or ``except LookupError`` keeps working::

    ClosedLoopError
    ├── ValidationError (ValueError)            bad input, nothing was stored
    │   ├── NaiveDatetimeError                  a datetime without a time zone
    │   ├── ScoreError                          a score that is not an integer in range
    │   ├── UnknownChannelError (LookupError)   a channel the desk does not know
    │   ├── EmailFormatError                    an inbound email without a usable From
    │   └── WebhookPayloadError                 (also a WebhookError, below)
    ├── LifecycleError                          a step the LATTE lifecycle does not allow
    │   ├── StepNotAllowedError                 the step does not follow from the case's stage
    │   └── StepRefusedError                    the step follows, but a guard refused it
    ├── LifecycleDefinitionError                a lifecycle table that cannot work
    ├── NotFoundError (LookupError)
    │   ├── CaseNotFoundError                   no case with that id
    │   ├── CustomerNotFoundError               no customer with that id
    │   ├── MessageNotFoundError                no outbox message with that key
    │   └── InvitationNotFoundError             no survey invitation with that id
    ├── SurveyTokenError                        a survey answer that cannot be taken
    │   ├── InvalidTokenError                   not a token closedloop issued
    │   ├── AlreadyAnsweredError                the token was used already (single use)
    │   ├── InvitationExpiredError              the invitation's time ran out
    │   └── InvitationWithdrawnError            the invitation was withdrawn (reopened, erased)
    ├── StatusLinkError                         a status link forged, expired or revoked
    ├── ConcurrencyError                        the case changed since it was read
    │   └── DuplicateExternalIdError            that delivery already made another case
    ├── HandleTakenError                        the handle belongs to another customer
    ├── NotifierError                           a notification could not be delivered (retried)
    │   └── UndeliverableError                  retrying cannot help: a dead letter at once
    ├── WebhookError                            an inbound webhook that cannot be trusted
    │   ├── WebhookSignatureError               bad or missing headers, or no signature matches
    │   ├── WebhookTimestampError               signed too long ago (a replay?) or in the future
    │   └── WebhookPayloadError                 signed, but its body is not feedback
    └── StorageError                            the store itself cannot go on
        ├── UnreadableRecordError               one stored record cannot be read back
        ├── SchemaVersionError                  a database written by a newer closedloop
        └── ErasurePendingError                 erased, but old bytes wait in a file

Every message says what was wrong and what to do about it.
"""

from closedloop.domain.errors.kernel import (
    CaseNotFoundError,
    ClosedLoopError,
    ConcurrencyError,
    CustomerNotFoundError,
    DuplicateExternalIdError,
    HandleTakenError,
    InvitationNotFoundError,
    LifecycleDefinitionError,
    LifecycleError,
    MessageNotFoundError,
    NaiveDatetimeError,
    NotFoundError,
    ScoreError,
    StepNotAllowedError,
    StepRefusedError,
    UnknownChannelError,
    ValidationError,
)
from closedloop.domain.errors.tokens import (
    AlreadyAnsweredError,
    InvalidTokenError,
    InvitationExpiredError,
    InvitationWithdrawnError,
    StatusLinkError,
    SurveyTokenError,
)
from closedloop.domain.errors.transport import (
    EmailFormatError,
    ErasurePendingError,
    NotifierError,
    SchemaVersionError,
    StorageError,
    UndeliverableError,
    UnreadableRecordError,
    WebhookError,
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookTimestampError,
)

__all__ = [
    "AlreadyAnsweredError",
    "CaseNotFoundError",
    "ClosedLoopError",
    "ConcurrencyError",
    "CustomerNotFoundError",
    "DuplicateExternalIdError",
    "EmailFormatError",
    "ErasurePendingError",
    "HandleTakenError",
    "InvalidTokenError",
    "InvitationExpiredError",
    "InvitationNotFoundError",
    "InvitationWithdrawnError",
    "LifecycleDefinitionError",
    "LifecycleError",
    "MessageNotFoundError",
    "NaiveDatetimeError",
    "NotFoundError",
    "NotifierError",
    "SchemaVersionError",
    "ScoreError",
    "StatusLinkError",
    "StepNotAllowedError",
    "StepRefusedError",
    "StorageError",
    "SurveyTokenError",
    "UndeliverableError",
    "UnknownChannelError",
    "UnreadableRecordError",
    "ValidationError",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookTimestampError",
]
