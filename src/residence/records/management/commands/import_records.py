import sys
from functools import partial

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from residence.core.encodings import DECLARED, declared
from residence.core.management import input_file
from residence.records.importing import KINDS
from residence.records.services import records_import_csv

PROGRESS_FROM_ROWS = 10_000


class Command(BaseCommand):
    help = "Import department records from a CSV file (all-or-nothing; exit 1 when rejected)."
    # System checks (URLs, admin, templates) say nothing about a data file and cost a
    # third of a second per run; `migrate` and deploys run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument(
            "--encoding",
            choices=sorted(DECLARED),
            help="the file's encoding, when known; otherwise UTF-8 or GB18030 is detected",
        )

    def handle(self, *args, kind, file, encoding=None, **options):
        path = input_file(file)
        with path.open("rb") as f:
            rows = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        progress = None
        if rows > PROGRESS_FROM_ROWS:
            progress = partial(tqdm, total=rows - 1, unit=" rows", desc=f"checking {kind}", file=sys.stderr)
        try:
            with path.open("rb") as stream:
                result = records_import_csv(
                    kind, stream, source=str(path), progress=progress, encoding=declared(encoding or "")
                )
        except KeyboardInterrupt:
            # Said, not a traceback (an outsider's Ctrl-C printed one). All or nothing: an import
            # stopped before its commit applied nothing, and running it again is safe.
            raise CommandError(
                _("Interrupted: the import is all or nothing, so nothing of it was applied; run it again."),
                returncode=130,
            ) from None
        except ValidationError as e:
            # A file refused whole (its header, its encoding): said in the words of the row errors.
            self.stderr.write("; ".join(e.messages))
            self.stderr.write(_("rejected: the file cannot be read as %(kind)s; nothing was applied") % {"kind": kind})
            raise SystemExit(1) from None
        if not result.applied:
            for line, reason in result.errors:
                self.stderr.write(_("line %(line)d: %(reason)s") % {"line": line, "reason": reason})
            if result.unlisted:
                self.stderr.write(_("… and %(n)d more bad row(s), not listed") % {"n": result.unlisted})
            self.stderr.write(_("rejected: %(n)d bad row(s); nothing was applied") % {"n": result.bad_rows})
            raise SystemExit(1)
        self.stdout.write(
            _("%(kind)s: %(rows)d rows, %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {
                "kind": kind,
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )
        for line, note in result.notes:
            self.stdout.write(_("line %(line)d: %(reason)s") % {"line": line, "reason": note})
