"""Creates a signed-in citizen for the benchmark and prints its bearer token."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
django.setup()

from residence.accounts.models import Channel, User  # noqa: E402
from residence.accounts.services import account_create, session_start  # noqa: E402

user = User.objects.filter(username="bench_user").first() or account_create(
    kind="individual", username="bench_user", password="Bench2026pass", phone="13700000001", consent=True
)
_session, token = session_start(user=user, channel=Channel.API, remember=True)
print(token)
