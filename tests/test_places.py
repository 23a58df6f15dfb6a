import pytest

from residence.places.models import AcceptancePoint, District, Street

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
