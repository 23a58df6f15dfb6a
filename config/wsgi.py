import os
import sys
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application
from django.utils import translation

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as e:
    # A setting refused (SECRET_KEY, FROZEN_TODAY, ...): the server does not start, and says why in
    # one line, as manage.py does (an outsider's gunicorn printed a 60-line traceback).
    sys.exit(f"Error: {e}")

# Django imports the URLconf (every view, DRF, drf-spectacular) and each language's catalogue
# on a process's first request: 0.24-0.30 s. Done here, gunicorn's master does it once
# (preload_app) and every worker, recycled ones too, starts warm; in the workers it stalled
# each start and recycle under load (docs/performance.md). Nothing here touches the database.
import_module(settings.ROOT_URLCONF)
for code, _name in settings.LANGUAGES:
    translation.activate(code)
translation.deactivate()
