import pytest

from residence.places.models import AcceptancePoint, District, Street
from residence.places.selectors import in_city

pytestmark = pytest.mark.django_db


def test_all_74_streets_and_one_street_office_point_each():
    assert Street.objects.count() == 74
    assert District.objects.count() == 9
    assert set(Street.objects.filter(new_district="大鹏新区").values_list("name", flat=True)) == {
        "葵涌街道",
        "大鹏街道",
        "南澳街道",
    }
    offices = AcceptancePoint.objects.filter(kind="street_office")
    assert offices.count() == 74 and set(offices.values_list("street", flat=True)) == set(
        Street.objects.values_list("code", flat=True)
    )


def test_acceptance_points_list_sorted_with_fields(api):
    response = api.get("/api/v1/acceptance-points")
    points = response.json()
    assert response.status_code == 200 and len(points) == 74
    assert [p["code"] for p in points] == sorted(p["code"] for p in points)
    first = points[0]
    assert first["district"] == "440303" and first["district_name"] == "罗湖区"
    assert first["street"] == "440303001" and first["street_name"] == "桂园街道" and first["address"]


def test_acceptance_points_filtered_by_district(api):
    points = api.get("/api/v1/acceptance-points?district=440311").json()
    assert len(points) == 6 and {p["district"] for p in points} == {"440311"}


def test_unknown_district_is_a_clear_400(api):
    response = api.get("/api/v1/acceptance-points?district=999999")
    assert response.status_code == 400 and "district" in response.json()["error"]["fields"]


def test_stale_token_is_ignored_on_public_lookups(api):
    api.token = "not-a-token"
    assert api.get("/api/v1/acceptance-points").status_code == 200


@pytest.mark.parametrize(
    ("address", "in_shenzhen"),
    [
        ("深圳市福田区福华路 1 号", True),
        ("广东省深圳市南山区科技园 2 栋", True),
        ("福田区福华路 8 号", True),
        ("深圳市大鹏新区葵涌街道 1 号", True),
        ("北京市朝阳区建国路 88 号", False),
        ("北京市朝阳区深圳大厦 1 号", False),
        ("东莞市凤岗镇深圳路", False),
        ("北京市福田区某路 1 号", False),
        ("惠州市 福田区", False),
        ("ＳＺ福田区", False),
        ("深圳市北京路 1 号", False),  # no district
    ],
)
def test_a_courier_address_is_in_shenzhen_when_it_starts_with_a_district(address, in_shenzhen):
    assert in_city(address) is in_shenzhen


def test_the_acceptance_points_page_names_districts_and_streets_in_the_readers_language(client):
    # RULES §13 gives the districts' English names; the streets' are their pinyin and
    # "Subdistrict"; the offices' names stay Chinese (an outsider reading English could not pick
    # a street from 74 Chinese names).
    english = client.get("/applications/acceptance-points/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/applications/acceptance-points/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<h2 id="d440304">Futian</h2>' in english and '<h2 id="d440304">福田区</h2>' in chinese
    # 大鹏新区 apart from 龙岗区 (RULES §13), as in the forms' lists.
    dapeng = chinese.split('<h2 id="d440307-new">大鹏新区</h2>', 1)[1].split("</section>", 1)[0]
    assert (
        "葵涌街道" in dapeng
        and "南澳街道" in dapeng
        and "葵涌" not in chinese.split('id="d440307">', 1)[1].split("</section>")[0]
    )
    assert "Bao&#x27;an" in english and "福田街道办事处" in english
    assert 'data-label="Street">Futian Subdistrict</td>' in english
    assert "Futian Subdistrict" not in chinese and ">福田街道</td>" in chinese
    # Each point's kind in English, as its choice in the form says it; the Chinese name says it already.
    assert '<span lang="zh-CN">福田街道办事处居住证受理点</span><br><span class="hint">Street office</span>' in english
    assert '<span lang="zh-CN">福田街道办事处居住证受理点</span></td>' in chinese


def test_every_street_has_its_english_name_read_as_shenzhen_writes_it():
    names = dict(Street.objects.values_list("name", "name_en"))
    assert all(english.endswith(" Subdistrict") for english in names.values()) and len(names) == 74
    # Worked out by hand: 涌 is read chong in this place name, and a syllable starting with a
    # vowel takes an apostrophe.
    assert names["葵涌街道"] == "Kuichong Subdistrict"
    assert names["南澳街道"] == "Nan'ao Subdistrict" and names["新安街道"] == "Xin'an Subdistrict"
    assert names["沙头角街道"] == "Shatoujiao Subdistrict" and names["华强北街道"] == "Huaqiangbei Subdistrict"


def test_dapengs_streets_and_points_are_grouped_under_the_new_district():
    """RULES §13: 葵涌, 大鹏 and 南澳 are 大鹏新区's, coded under Longgang (an outsider in 大鹏 looked
    for 大鹏新区 and found its streets under 龙岗区)."""
    from django.utils import translation

    from residence.applications.forms import point_choices
    from residence.registrations.forms import street_choices

    dapeng = {"440307009", "440307010", "440307011"}
    for language, area, longgang in (("zh-hans", "大鹏新区", "龙岗区"), ("en", "Dapeng New District", "Longgang")):
        with translation.override(language):
            streets = dict(street_choices())
            points = dict(point_choices())
        assert {code for code, _name in streets[area]} == dapeng
        assert not dapeng & {code for code, _name in streets[longgang]} and len(streets[longgang]) == 11
        assert {code[:9] for code, _label in points[area]} == dapeng
        assert list(streets).index(area) == list(streets).index(longgang) + 1
    # The district's code stays Longgang's, as the codes write it: filtering by it finds both groups.
    assert list(dict(street_choices("440307"))) == ["龙岗区", "大鹏新区"]
