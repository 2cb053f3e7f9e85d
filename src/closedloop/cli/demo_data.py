"""What the demo's customers say and how its agents answer: Harbour & Pine's channels, the
feedback they send, the root causes found and the requests declined."""

from __future__ import annotations

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.events import Kano
from closedloop.domain.cases.feedback import FeedbackKind

__all__ = ["CAUSES", "CHANNELS", "DECLINES", "KINDS", "TEXTS"]

CHANNELS = (
    (Channel.EMAIL, 30), (Channel.WEB_FORM, 25), (Channel.PHONE, 15), (Channel.CHAT, 10),
    (Channel.SOCIAL_MEDIA, 10), (Channel.POINT_OF_SALE, 6), (Channel.FIELD_STAFF, 4),
)  # fmt: skip
KINDS = (
    (FeedbackKind.COMPLAINT, 45), (FeedbackKind.QUESTION, 30),
    (FeedbackKind.SUGGESTION, 10), (FeedbackKind.COMPLIMENT, 15),
)  # fmt: skip
TEXTS = {
    FeedbackKind.COMPLAINT: (
        "My sofa arrived with a torn cushion", "The delivery came a week late",
        "Staff at the Leeds store refused my return", "I was charged twice for one order",
        "The wardrobe was missing its hinges", "Nobody called me back about my kitchen fitting",
        "The courier left my table in the rain", "My refund has not arrived after 3 weeks",
    ),
    FeedbackKind.QUESTION: (
        "Can I change my delivery date?", "Do you fit kitchens in York?",
        "Is the oak dining table back in stock?", "How do I claim on my guarantee?",
        "Can I return a lamp bought online in a store?",
    ),
    FeedbackKind.SUGGESTION: (
        "Please offer evening delivery slots", "Your app should show stock in my store",
        "Sell spare legs for the Brook sofa",
    ),
    FeedbackKind.COMPLIMENT: (
        "Sam in the Bath store was brilliant", "Delivery team were careful and quick",
        "Love my new bed, thank you",
    ),
}  # fmt: skip
CAUSES = (
    ("courier damage not checked at the warehouse", Kano.DISSATISFIER, 5),
    ("returns policy not trained in stores", Kano.DISSATISFIER, 4),
    ("delivery slots overbooked", Kano.DISSATISFIER, 4),
    ("refunds batched weekly", Kano.SATISFIER, 3),
    ("call-back requests not logged", Kano.DISSATISFIER, 3),
    ("parts missing from flat-pack boxes", Kano.SATISFIER, 2),
    ("no evening delivery", Kano.DELIGHTER, 1),
)
DECLINES = (
    ("out_of_stock", "A replacement oak table before Christmas", 20),
    ("out_of_stock", "The Brook sofa in green this month", 15),
    ("policy", "A refund on a sale item after 30 days", 15),
    ("policy", "Delivery to a second address", 10),
    ("training", "Fitting the kitchen while the fitter trains", 15),
    ("product_gap", "Evening delivery", 10),
    ("product_gap", "Assembly of flat-pack furniture", 5),
    ("other", "A discount on the next order", 10),
)
