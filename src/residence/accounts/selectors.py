from residence.core.errors import NotFound

from .models import Organisation, Status, User


def organisation_pending_list():
    return Organisation.objects.select_related("user").filter(user__status=Status.PENDING).order_by("user__date_joined")


def organisation_get(*, pk) -> Organisation:
    organisation = Organisation.objects.select_related("user").filter(pk=pk).first()
    if organisation is None:
        raise NotFound()
    return organisation


def user_find(*, username: str) -> User | None:
    return User.objects.select_related("person").filter(username__iexact=username or "").first()
