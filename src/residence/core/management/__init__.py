"""What the operator commands share."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def input_file(file: str) -> Path:
    """The file an operator named, or a one-line refusal that says what is wrong with the name."""
    path = Path(file)
    if path.is_dir():
        raise CommandError(_("Not a file but a folder: %(file)s") % {"file": file})
    if not path.exists():
        raise CommandError(_("No such file: %(file)s") % {"file": file})
    if not path.is_file():  # a device or a pipe (an outsider's /dev/null was said not to exist)
        raise CommandError(_("Not a regular file: %(file)s") % {"file": file})
    return path
