"""The 74 streets of RULES §13 and one acceptance point per street office, as data."""

import csv
from pathlib import Path

STREETS_CSV = Path(__file__).parent / "data" / "shenzhen-streets.csv"
DISTRICT_NAMES_EN = {
    "440303": "Luohu",
    "440304": "Futian",
    "440305": "Nanshan",
    "440306": "Bao'an",
    "440307": "Longgang",
    "440308": "Yantian",
    "440309": "Longhua",
    "440310": "Pingshan",
    "440311": "Guangming",
}


def street_office_point_code(street_code: str) -> str:
    return f"{street_code}01"


def _rows() -> list[dict]:
    with STREETS_CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_street_english_names(Street) -> None:
    """The streets' English names (places migration 0004, for databases loaded before it)."""
    for row in _rows():
        Street.objects.filter(code=row["street_code"]).update(name_en=row["street_name_en"])


def load_places(District, Street, AcceptancePoint) -> None:
    """Upsert districts, streets and street-office points; takes the model classes so a
    migration can pass its historical models (before migration 0004, a street has no English
    name)."""
    rows = _rows()
    english = any(field.name == "name_en" for field in Street._meta.get_fields())
    for row in rows:
        district, _ = District.objects.update_or_create(
            code=row["district_code"],
            defaults={"name": row["district_name"], "name_en": DISTRICT_NAMES_EN[row["district_code"]]},
        )
        street, _ = Street.objects.update_or_create(
            code=row["street_code"],
            defaults={
                "name": row["street_name"],
                **({"name_en": row["street_name_en"]} if english else {}),
                "district": district,
                "new_district": row["new_district"],
            },
        )
        AcceptancePoint.objects.update_or_create(
            code=street_office_point_code(street.code),
            defaults={
                "name": f"{street.name}办事处居住证受理点",
                "kind": "street_office",
                "street": street,
                "address": f"深圳市{row['new_district'] or district.name}{street.name}办事处",
            },
        )
