"""Static files as production serves them: collected with the settings' own storage, linked from
the pages by a name that carries the file's hash and served with a year's caching, so a phone
on a slow line fetches the style sheet and script once per release, not again every minute."""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    # config.test swaps the storage for the finders' plain one; production's is config.base's.
    from config import base

    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=base.STORAGES):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield root


def test_pages_link_hashed_static_files_served_for_a_year(collected):
    client = Client()
    page = client.get("/")
    assert page.status_code == 200
    links = re.findall(r'(?:href|src)="(/static/web/[^"]+)"', page.content.decode())
    css = next(link for link in links if link.endswith(".css"))
    js = next(link for link in links if link.endswith(".js"))
    for link in (css, js):
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", link), link
        answer = client.get(link)
        assert answer.status_code == 200
        assert "immutable" in answer["Cache-Control"] and "max-age=315360000" in answer["Cache-Control"]
        assert b"".join(answer.streaming_content)
    # The unhashed name still answers (a page cached before a release), briefly cached.
    plain = client.get("/static/web/site.css")
    assert plain.status_code == 200 and "immutable" not in plain["Cache-Control"]
