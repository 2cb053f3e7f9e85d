"""NotifierRouter: one notifier per channel, so each message leaves the way it should."""

from __future__ import annotations

from collections.abc import Mapping

from closedloop.domain.cases.channel import Channel
from closedloop.domain.errors import UndeliverableError, ValidationError
from closedloop.domain.outbox.notification import Notification
from closedloop.ports import Notifier

__all__ = ["NotifierRouter"]


class NotifierRouter:
    """A :class:`~closedloop.ports.Notifier` that hands each notification to the notifier of
    its channel (by name), or to ``default``.

    ``NotifierRouter({Channel.EMAIL: smtp, sms: sms_gateway}, default=webhook)`` sends email
    by SMTP, texts through your gateway and everything else (staff alerts on a custom channel,
    chat) to your app. A notification whose channel has no notifier and no default is refused
    with :class:`~closedloop.UndeliverableError`: a dead letter at once, since retrying cannot
    help (add a route and ``desk.outbox.requeue`` it). Errors of the chosen notifier pass
    through unchanged, so the outbox retries or gives up as it would for that notifier alone.
    """

    def __init__(
        self, routes: Mapping[Channel | str, Notifier], *, default: Notifier | None = None
    ) -> None:
        if not isinstance(routes, Mapping):
            raise ValidationError.of(
                "routes", f"routes must map channels to notifiers (a dict), got {routes!r:.80}"
            )
        self._routes: dict[str, Notifier] = {}
        for channel, notifier in routes.items():
            name = channel.name if isinstance(channel, Channel) else channel
            if not isinstance(name, str) or not callable(getattr(notifier, "send", None)):
                raise ValidationError.of(
                    "routes",
                    "routes map a Channel (or its name) to a notifier with a send(notification) "
                    f"method; got {channel!r}: {notifier!r}",
                )
            if name in self._routes:
                raise ValidationError.of(
                    "routes", f"channel {name!r} is routed twice; give it one notifier"
                )
            self._routes[name] = notifier
        if default is not None and not callable(getattr(default, "send", None)):
            raise ValidationError.of("default", f"default must be a notifier, got {default!r}")
        self._default = default

    def notifier_for(self, channel: Channel) -> Notifier | None:
        """The notifier that would send on ``channel``; None when there is none."""
        return self._routes.get(channel.name, self._default)

    def send(self, notification: Notification) -> None:
        """Send through the channel's notifier (or the default), passing on what it returns:
        the outbox warns of a notifier that returns a value rather than raising."""
        notifier = self.notifier_for(notification.channel)
        if notifier is None:
            routed = ", ".join(sorted(self._routes)) or "none"
            raise UndeliverableError(
                notification.key,
                f"no notifier for channel {notification.channel.name!r} (routed: {routed}) "
                "and no default; add one to NotifierRouter and requeue the dead letter",
            )
        return notifier.send(notification)
