"""The SMS gateway interface. A city's real gateway is one more backend behind `send`: SMS_BACKEND
names one of BACKENDS, or is the dotted path of the city's adapter, a callable taking the message
(`{"to", "text", "at"}`).

A backend raises when the gateway refuses or cannot be reached; the `sms_deliver` task
(notifications.tasks) retries it with back-off."""

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger("residence.sms")
_file_lock = threading.Lock()

# The locmem backend's outbox, read by tests (like django.core.mail.outbox).
outbox: list[dict] = []


def _console(message: dict) -> None:
    logger.warning("SMS to %s: %s", message["to"], message["text"])


def _file(message: dict) -> None:
    path = Path(settings.SMS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(message, ensure_ascii=False) + "\n"
    with _file_lock, path.open("a", encoding="utf-8") as f:
        f.write(line)
    _console(message)


def _locmem(message: dict) -> None:
    outbox.append(message)


class GatewayRefused(Exception):
    """The gateway did not take the message (the "flaky" backend's refusal)."""


# The flaky backend's refusals in this process, read by tests; flaky_reset() starts over.
refused: list[dict] = []


def _flaky(message: dict) -> None:
    """Refuse the first SMS_FLAKY_FAILURES sends of the process (-1: all), then act as locmem."""
    failures = settings.SMS_FLAKY_FAILURES
    if failures < 0 or len(refused) < failures:
        refused.append(message)
        raise GatewayRefused(f"flaky gateway refused send {len(refused)}")
    _locmem(message)


def flaky_reset() -> None:
    refused.clear()


BACKENDS = {"console": _console, "file": _file, "locmem": _locmem, "flaky": _flaky}


def backend(name: str) -> Callable[[dict], None]:
    """The backend SMS_BACKEND names, or ImproperlyConfigured: checked when the platform starts (an
    outsider's mistyped adapter started, and every SMS, staff logins' codes too, waited unsent)."""
    if name in BACKENDS:
        return BACKENDS[name]
    try:
        adapter = import_string(name)
    except ImportError as e:
        raise ImproperlyConfigured(
            f"SMS_BACKEND {name!r} is neither one of {', '.join(BACKENDS)} nor the dotted path of an adapter: {e}"
        ) from None
    if not callable(adapter):
        raise ImproperlyConfigured(f"SMS_BACKEND {name!r} is not callable.")
    return adapter


def send(to: str, text: str, at: str) -> None:
    backend(settings.SMS_BACKEND)({"to": to, "text": text, "at": at})
