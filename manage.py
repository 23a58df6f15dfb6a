#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError, ProgrammingError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as e:
        # A setting refused at start (SECRET_KEY, FROZEN_TODAY, ...): the operator reads why in one
        # line, as a command's own errors (an outsider's got a 38-line traceback).
        sys.exit(f"Error: {e}")
    except OperationalError as e:
        # The database could not be reached or opened (a wrong DATABASE_URL, a server down): what it
        # answered, in one line (an outsider's got a traceback).
        sys.exit(f"Error: the database refused the command: {' '.join(str(e).split())}")
    except ProgrammingError as e:
        # Most often a database never migrated (an outsider's new PostgreSQL database): said with
        # the way out, in one line.
        sys.exit(f"Error: {str(e).splitlines()[0]}. Has `manage.py migrate` been run on this database?")
