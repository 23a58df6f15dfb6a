"""What the current request says about itself, for code that has no request in hand: the client's
address, set by ClientAddressMiddleware for the request's duration, so that every audit event a
request writes says where it came from (an outsider found staff actions recorded with no address,
as the services that write them were never given one)."""

from contextvars import ContextVar

client_address: ContextVar[str] = ContextVar("client_address", default="")
