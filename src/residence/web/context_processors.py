from django.conf import settings

from residence.notifications.selectors import message_unread_count


def platform(request):
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "platform_name": settings.PLATFORM_NAME,
        "unread_messages": message_unread_count(user=user) if signed_in else 0,
    }
