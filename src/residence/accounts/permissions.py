"""Who may call a staff endpoint of the API, decided before the view reads its body or looks up
its object: a caller of another kind or role gets the same 403 whatever the id and the body,
so the answer says nothing about what exists (docs/security.md). The services check again,
for the web pages and any other caller."""

from rest_framework.permissions import BasePermission

from .models import Kind


def staff_roles(*roles: str) -> type[BasePermission]:
    """A DRF permission: a signed-in staff account of one of `roles` (of any role if none)."""

    class StaffRoles(BasePermission):
        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(
                user and user.is_authenticated and user.kind == Kind.STAFF and (not roles or user.role in roles)
            )

    StaffRoles.__name__ = f"StaffRoles({', '.join(roles) or 'any'})"
    return StaffRoles
