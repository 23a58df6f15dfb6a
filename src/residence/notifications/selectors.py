from .models import Message


def message_list(*, user):
    return Message.objects.filter(user=user)


def message_unread_count(*, user) -> int:
    return Message.objects.filter(user=user, read_at__isnull=True).count()
