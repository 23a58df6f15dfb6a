"""Settings of the ceiling app: what Django needs to answer one view and nothing more.

No middleware, no installed apps, no database, no templates. DEBUG and the secret come from
the same environment as the platform's (bench/run.sh), so both run alike.
"""

import os

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "ceiling-bench-only")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")
ROOT_URLCONF = "bench.ceiling.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
