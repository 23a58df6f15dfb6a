"""A city's SMS gateway adapter as README describes one (SMS_BACKEND=tests.sms_adapter.send), for
tests of how it is plugged in: it prints what it would send."""

NOT_CALLABLE = "a setting that names something that cannot send"


def send(message: dict) -> None:
    print("gateway:", message["to"], message["text"])
