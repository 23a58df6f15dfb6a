"""The payment providers: each takes a fee and gives it back, returning the transaction id. The
sandbox provider answers at once; a city's real provider is another entry. `counter` is the card
terminal of the chosen point's clerk (in this build a sandbox too)."""

import secrets


def _sandbox(*, amount, reference: str) -> str:
    return f"SANDBOX-{reference}-{secrets.token_hex(6).upper()}"


def _sandbox_refund(*, amount, reference: str) -> str:
    return f"SANDBOX-REFUND-{reference}-{secrets.token_hex(6).upper()}"


def _counter(*, amount, reference: str) -> str:
    return f"COUNTER-{reference}-{secrets.token_hex(6).upper()}"


def _counter_refund(*, amount, reference: str) -> str:
    return f"COUNTER-REFUND-{reference}-{secrets.token_hex(6).upper()}"


ONLINE = {"sandbox": _sandbox}
AT_COUNTER = {"counter": _counter}
REFUNDS = {"sandbox": _sandbox_refund, "counter": _counter_refund}
