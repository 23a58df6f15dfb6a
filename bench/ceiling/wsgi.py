"""WSGI entry of the ceiling app: gunicorn -c gunicorn.conf.py bench.ceiling.wsgi:application.

Like config/wsgi.py, the URLconf is imported here so that gunicorn's master (preload_app)
does it once and every worker starts warm.
"""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

# Not setdefault: bench/run.sh may export the platform's settings module.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.ceiling.settings"
application = get_wsgi_application()
import_module(settings.ROOT_URLCONF)
