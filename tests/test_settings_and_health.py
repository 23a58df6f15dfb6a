import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_settings(env, code="from django.conf import settings; settings.SECRET_KEY"):
    full = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "FROZEN_TODAY")}
    full.update({"DJANGO_SETTINGS_MODULE": "config.base", **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
    )


def test_real_settings_hash_passwords_with_argon2():
    out = run_settings({}, "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])")
    assert out.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize("secret", [None, "insecure-development-key-change-me", ""])
def test_production_refuses_a_missing_or_default_secret_key(secret):
    env = {"DEBUG": "0", "SMS_BACKEND": "console"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    out = run_settings(env)
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr


def test_production_sets_secure_cookies_hsts_and_proxy_header():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER)"
    )
    out = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 50, "SMS_BACKEND": "console"}, code)
    assert out.stdout.strip() == "True True True ('HTTP_X_FORWARDED_PROTO', 'https')", out.stderr


def test_frozen_today_refused_in_production_unless_allowed():
    env = {"DEBUG": "0", "SECRET_KEY": "x" * 50, "SMS_BACKEND": "console", "FROZEN_TODAY": "2026-03-02"}
    assert run_settings(env).returncode != 0
    assert run_settings({**env, "ALLOW_FROZEN_TODAY": "1"}).returncode == 0


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "tomorrow"])
def test_a_frozen_today_that_is_no_date_is_refused_at_start(day):
    out = run_settings({"DEBUG": "1", "FROZEN_TODAY": day})
    assert out.returncode != 0 and "FROZEN_TODAY must be a date" in out.stderr
    assert run_settings({"DEBUG": "1", "FROZEN_TODAY": "2026-02-28"}).returncode == 0


def test_an_operator_command_refused_by_a_setting_says_so_in_one_line():
    """An outsider's run_daily_jobs with a bad FROZEN_TODAY printed a 38-line traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "FROZEN_TODAY")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.base", "DEBUG": "1", "FROZEN_TODAY": "2027-02-30"})
    out = subprocess.run(
        [sys.executable, "manage.py", "run_daily_jobs"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 1
    assert out.stderr == "Error: FROZEN_TODAY must be a date YYYY-MM-DD, not '2027-02-30'.\n"
    # The server too, which imports config.wsgi (an outsider's gunicorn printed a 60-line traceback).
    served = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert served.returncode == 1 and served.stderr == out.stderr


def test_an_operator_command_that_cannot_reach_the_database_says_so_in_one_line(tmp_path):
    """An outsider's command with a database that could not be opened printed a traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "FROZEN_TODAY")}
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    env.update({"DJANGO_SETTINGS_MODULE": "config.base", "DEBUG": "1", "DATABASE_URL": f"sqlite:///{missing}"})
    out = subprocess.run(
        [sys.executable, "manage.py", "run_daily_jobs"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 1
    assert out.stderr == "Error: the database refused the command: unable to open database file\n"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL database of its own")
def test_an_operator_command_on_a_database_never_migrated_says_so_in_one_line():
    """An outsider's new, empty PostgreSQL database gave a 64-line traceback."""
    import psycopg

    settings = connection.settings_dict
    server = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS never_migrated")
        admin.execute("CREATE DATABASE never_migrated")
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "FROZEN_TODAY")}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.base",
                "DEBUG": "1",
                "DATABASE_URL": server.rsplit("/", 1)[0] + "/never_migrated",
            }
        )
        out = subprocess.run(
            [sys.executable, "manage.py", "run_daily_jobs"], cwd=ROOT, env=env, capture_output=True, text=True
        )
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS never_migrated")
    assert out.returncode == 1 and len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith("Error: relation ") and "Has `manage.py migrate` been run" in out.stderr


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("LOG_LEVEL=LOUD", "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'."),
        ("TRUSTED_PROXIES=10.0.0.1,not-an-ip", "TRUSTED_PROXIES must list addresses or networks, not 'not-an-ip'."),
        ("DATABASE_URL=mysql://x@y/z", "DATABASE_URL must be sqlite:///… or postgres://user@host:5432/name"),
        ("DATABASE_URL=notaurl", "DATABASE_URL must be sqlite:///… or postgres://user@host:5432/name"),
    ],
)
def test_a_setting_of_the_wrong_shape_is_refused_at_start_saying_which(setting, said):
    """An outsider's LOG_LEVEL=LOUD was a traceback, TRUSTED_PROXIES=not-an-ip passed every command
    and failed only the server, and a mysql:// URL never said that the scheme was the problem."""
    name, value = setting.split("=", 1)
    out = run_settings({"DEBUG": "1", name: value})
    assert out.returncode != 0 and said in out.stderr, out.stderr[-500:]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1948-12-31", "2101-01-01"])
def test_a_frozen_today_outside_the_platforms_years_is_refused_at_start(day):
    out = run_settings({"DEBUG": "1", "FROZEN_TODAY": day})
    assert out.returncode != 0 and "FROZEN_TODAY must lie between 1949-01-01 and 2100-12-31" in out.stderr
    assert run_settings({"DEBUG": "1", "FROZEN_TODAY": "2100-12-31"}).returncode == 0


@pytest.mark.parametrize(("raw", "shown"), [("maybe", "'maybe'"), ("2", "'2'")])
def test_a_switch_that_is_no_boolean_is_refused_at_start(raw, shown):
    # DEBUG=maybe was read as off, and the start then failed on SECRET_KEY.
    out = run_settings({"DEBUG": raw})
    assert out.returncode != 0 and f"DEBUG must be 1/0/true/false, not {shown}." in out.stderr
    code = "from django.conf import settings as s; print(s.DEBUG, s.COURIER_DELIVERY_ALLOWED)"
    assert run_settings({"DEBUG": "TRUE", "COURIER_DELIVERY_ALLOWED": "0"}, code).stdout.strip() == "True False"


@pytest.mark.parametrize(
    ("name", "raw", "said"),
    [
        ("LIMIT_SMS_PER_PHONE_DAY", "abc", "LIMIT_SMS_PER_PHONE_DAY must be a whole number from 0, not 'abc'."),
        ("LIMIT_RESET_SMS_PER_PHONE_DAY", "-1", "must be a whole number from 0, not '-1'."),
        ("IMPORT_WAIT_SECONDS", "x", "IMPORT_WAIT_SECONDS must be a number from 0, not 'x'."),
        ("IMPORT_WAIT_SECONDS", "nan", "not 'nan'."),
        ("SMS_RESEND_SECONDS", "６０", "not '６０'."),
    ],
)
def test_a_number_setting_that_is_no_number_is_refused_at_start_naming_it(name, raw, said):
    out = run_settings({"DEBUG": "1", name: raw})
    assert out.returncode != 0 and said in out.stderr
    code = f"from django.conf import settings as s; print(s.{name})"
    assert run_settings({"DEBUG": "1", name: "7"}, code).stdout.strip() in ("7", "7.0")


def test_the_flaky_gateway_can_be_down_for_every_send_as_the_readme_says():
    """README: SMS_FLAKY_FAILURES "-1: all"; an outsider's drill failed to start with it."""
    code = "from django.conf import settings as s; print(s.SMS_FLAKY_FAILURES)"
    out = run_settings({"DEBUG": "1", "SMS_BACKEND": "flaky", "SMS_FLAKY_FAILURES": "-1"}, code)
    assert out.stdout.strip() == "-1", out.stderr
    assert run_settings({"DEBUG": "1", "SMS_FLAKY_FAILURES": "-2"}).returncode != 0


def test_the_citys_gateway_adapter_is_plugged_in_by_its_dotted_path_and_a_wrong_one_refused_at_start():
    """README: set SMS_BACKEND to the city's gateway adapter. An outsider's mistyped one started,
    and every SMS, staff logins' codes too, waited unsent."""
    code = "from residence.notifications import sms; sms.send('13800000000', 'hello', 'now')"
    out = run_settings({"DEBUG": "1", "SMS_BACKEND": "tests.sms_adapter.send"}, code)
    assert out.stdout.strip() == "gateway: 13800000000 hello", out.stderr
    # Set but empty, as a blank line of an env file sets it: the default (file, in development).
    empty = run_settings(
        {"DEBUG": "1", "SMS_BACKEND": ""}, "from django.conf import settings; print(settings.SMS_BACKEND)"
    )
    assert empty.stdout.strip() == "file", empty.stderr
    for wrong in ("gateway.CityAdapter", "tests.sms_adapter.nothing_here", "tests.sms_adapter.NOT_CALLABLE", "smtp"):
        refused = run_settings({"DEBUG": "1", "SMS_BACKEND": wrong})
        assert refused.returncode != 0 and f"SMS_BACKEND {wrong!r}" in refused.stderr, wrong


def test_database_url_scheme_picks_the_engine():
    code = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'])"
    assert run_settings({"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}, code).stdout.strip().endswith("postgresql")
    assert run_settings({"DATABASE_URL": "sqlite:////tmp/x.db"}, code).stdout.strip().endswith("sqlite3")


def test_the_wsgi_module_loads_views_and_catalogues_without_touching_the_database():
    # gunicorn's master imports it before forking: workers must start warm and must not
    # inherit a database connection.
    code = (
        "import sys, config.wsgi; from django.db import connections; from django.utils.translation import trans_real; "
        "print('config.urls' in sys.modules, 'residence.accounts.api' in sys.modules, "
        "sorted(trans_real._translations), connections['default'].connection is None)"
    )
    out = run_settings({"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}, code)
    assert out.stdout.strip() == "True True ['en', 'zh-hans'] True", out.stderr


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler():
    code = "from django.conf import settings as s; print(s.DATABASES['default']['OPTIONS'].get('prepare_threshold'))"
    url = {"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}
    assert run_settings(url, code).stdout.strip() == "5"
    assert run_settings({**url, "DB_PREPARED_STATEMENTS": "0"}, code).stdout.strip() == "None"


def test_the_development_server_keeps_no_connection_open_after_its_request():
    """runserver serves each request on a new thread: kept connections piled up to PostgreSQL's
    limit (an outsider's 90th request was a 500, "too many clients")."""
    code = "from django.conf import settings as s; print(s.DATABASES['default']['CONN_MAX_AGE'])"
    url = {"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}
    assert run_settings(url, code).stdout.strip() == "0"
    production = {**url, "DEBUG": "0", "SECRET_KEY": "k" * 50, "SMS_BACKEND": "console"}
    assert run_settings(production, code).stdout.strip() == "60"
    assert run_settings({**production, "DB_CONN_MAX_AGE": "5"}, code).stdout.strip() == "5"


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_frozen_today_fixes_the_date_but_not_the_time(settings):
    from residence.core import clock

    settings.FROZEN_TODAY = "2026-03-02"
    first = clock.now()
    assert clock.today().isoformat() == "2026-03-02" and first.date().isoformat() == "2026-03-02"
    assert clock.now() >= first


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_public_and_local(client):
    schema = client.get("/api/v1/schema/?format=json", HTTP_AUTHORIZATION="Bearer stale")
    assert schema.status_code == 200 and "/api/v1/me" in schema.json()["paths"]
    assert client.get("/api/v1/schema/").content.startswith(b"openapi:")
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs and "//cdn" not in docs and "https://" not in docs.split("<body")[0]
    # Its language said, its icon the platform's (an outsider's browser fetched a missing
    # /favicon.ico), and no inline script or style for the Content-Security-Policy to refuse.
    assert '<html lang="en">' in docs and 'rel="icon"' in docs
    assert "<style" not in docs and "<script>" not in docs


@pytest.mark.django_db
def test_the_served_schema_is_a_valid_openapi_document(client):
    """An outsider's validator refused to load the schema: a declaration's declarant_type defaulted
    to "", outside its enum (openapi-core and strict client generators read it so)."""
    from openapi_spec_validator import validate

    schema = client.get("/api/v1/schema/?format=json").json()
    validate(schema)
    body = schema["components"]["schemas"]["DeclarationBodyRequest"]["properties"]["declarant_type"]
    assert "default" not in body and "allOf" in body
    # The receipt's QR target answers a browser with a page, not with the JSON object.
    verify = schema["paths"]["/api/v1/receipts/{reference}/verify"]["get"]["responses"]["200"]["content"]
    assert verify["text/html"]["schema"] == {"type": "string"} and "$ref" in verify["application/json"]["schema"]


@pytest.mark.django_db
def test_pages_lead_developers_to_a_light_page_not_to_the_large_api_reference(client):
    """An outsider on an old phone tapped the footer's link and waited 43 s for the 2 MB API
    reference: every page's footer leads to a small page that says how large the reference is."""
    home = client.get("/").content.decode()
    assert 'href="/developers/"' in home and 'href="/api/v1/docs/"' not in home
    for language, heading, warning in (("zh-hans", "开发者", "500 KB"), ("en", "For developers", "500 KB")):
        page = client.get("/developers/", HTTP_ACCEPT_LANGUAGE=language)
        body = page.content.decode()
        assert page.status_code == 200 and len(page.content) < 20_000
        assert f"<h1>{heading}</h1>" in body and warning in body
        assert 'href="/api/v1/docs/"' in body and 'href="/api/v1/schema/?format=json"' in body


@pytest.mark.django_db
def test_api_answers_json_whatever_the_accept_header(client):
    response = client.get("/api/v1/acceptance-points", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def access_line(environ: dict) -> str:
    """The line gunicorn writes for a request with this WSGI environ, in gunicorn.conf.py's format."""
    import datetime as dt
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    from gunicorn.config import Config

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("access_log_format", conf["access_log_format"])
    response = SimpleNamespace(status="200 OK", sent=17, headers=[])
    logger = conf["logger_class"](cfg)  # as Logger.access formats: missing atoms are "-"
    return cfg.access_log_format % logger.atoms_wrapper_class(
        logger.atoms(response, {}, environ, dt.timedelta(milliseconds=3))
    )


def test_the_access_log_keeps_no_query_string_or_referrer():
    """A query can carry personal data (the public permit check takes a number and a name): the
    access line of gunicorn.conf.py's format has the path, not the query or the referrer."""
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/permits/check?number=4403202600000001&name=%E5%BC%A0%E4%BC%9F",
        "PATH_INFO": "/api/v1/permits/check",
        "QUERY_STRING": "number=4403202600000001&name=%E5%BC%A0%E4%BC%9F",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.1.2.3",
        "HTTP_REFERER": "https://jzz.example/staff/permits/?q=11010519491231002X",
        "HTTP_USER_AGENT": "curl/8",
    }
    line = access_line(environ)
    assert '"GET /api/v1/permits/check HTTP/1.1" 200 17' in line and line.startswith("10.1.2.3 - ")
    for secret in ("4403202600000001", "%E5%BC%A0", "11010519491231002X", "number="):
        assert secret not in line


def test_a_path_or_header_cannot_start_a_second_line_in_the_access_log():
    """An outsider's %0d%0a in a path started a line that read as a request never made, and a NUL
    made grep call the log binary: control characters are written as escapes, on one line."""
    forged = '127.0.0.1 - - [03/Dec/2026:01:40:00 +0800] "POST /admin/ HTTP/1.1" 200 0'
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/receipts/x%0d%0a",
        "PATH_INFO": f"/api/v1/receipts/x\r\n{forged}\x00/verify\u2028",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.1.2.3",
        "HTTP_USER_AGENT": "curl/8 \x1b[2J\x85",
    }
    line = access_line(environ)
    assert len(line.splitlines()) == 1 and "\x00" not in line and "\x1b" not in line
    assert "/api/v1/receipts/x\\x0d\\x0a127.0.0.1 - - " in line and "\\x00/verify\\u2028 HTTP/1.1" in line
    assert line.endswith('"curl/8 \\x1b[2J\\x85"')
    # Chinese in a path is printable and stays as it is.
    assert '"GET /地址/门牌 HTTP/1.1"' in access_line({**environ, "PATH_INFO": "/地址/门牌"})


@pytest.mark.django_db
def test_the_access_log_names_the_client_behind_a_trusted_proxy(settings):
    """Behind the proxy every line showed the proxy's address: the line now also has the client's,
    as the application found it, and a forged X-Forwarded-For from outside changes nothing."""
    from django.test import Client

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    def fetch(peer, forwarded):
        response = Client().get("/healthz", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
        return access_line({**response.wsgi_request.META, "RAW_URI": "/healthz"})

    assert fetch("10.0.0.5", "198.51.100.7, 10.0.0.9").startswith("10.0.0.5 198.51.100.7 ")
    assert fetch("192.0.2.7", "198.51.100.7").startswith("192.0.2.7 192.0.2.7 ")


IMPORT_EACH_FIRST = """
import importlib, multiprocessing, pkgutil, sys
import residence

def load(name):
    try:
        importlib.import_module(name)
    except Exception as exc:
        return f"{name}: {type(exc).__name__}: {exc}"

names = [m.name for m in pkgutil.walk_packages(residence.__path__, "residence.") if ".migrations" not in m.name]
with multiprocessing.get_context("fork").Pool(2, maxtasksperchild=1) as pool:
    problems = [p for p in pool.map(load, names, chunksize=1) if p]
print(len(names), "modules")
print("\\n".join(problems))
sys.exit(1 if problems else 0)
"""


def test_every_module_imports_when_it_is_the_first_one_imported():
    """An import cycle that the test run's order hid (notices → forms → services → notices) broke
    `manage.py check` and `make run` with the real settings: each module is imported here first,
    in a fresh process after `django.setup()`, as a command or a worker may."""
    out = run_settings({"DEBUG": "1"}, IMPORT_EACH_FIRST)
    assert out.returncode == 0, out.stdout + out.stderr
    assert int(out.stdout.split()[0]) > 100  # the walk found the package's modules
