"""Reference seeds: pin the facts taken from the ordinances and the seeds' internal integrity."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest
import yaml

from warehouse import reference
from warehouse.contracts import CONTRACTS

SEED_NAMES = ("org_units", "sla_targets", "kck_topics", "districts", "portal_areas",
              "default_it_services", "kpi_definitions", "kpi_targets")

COI_UNITS = {
    "IT-01-1": "Director", "IT-01-2": "Director", "IT-01-4": "Director", "IT-01-5": "Director",
    "IT-02-2": "I Deputy Director", "IT-02-3": "I Deputy Director",
    "IT-02-4": "I Deputy Director", "IT-02-5": "I Deputy Director",
    "IT-03-1": "II Deputy Director", "IT-03-2": "II Deputy Director",
    "IT-03-4": "II Deputy Director",
    "IT-04-1": "III Deputy Director", "IT-04-2": "III Deputy Director",
    "IT-04-3": "III Deputy Director",
}
DK_UNITS = {  # ordinance 1231/2025 §3
    "DK-01": "Director", "DK-04": "I Deputy Director", "DK-06": "I Deputy Director",
    "DK-02": "II Deputy Director", "DK-03": "II Deputy Director", "DK-05": "II Deputy Director",
}
KP_UNITS = {  # ordinance 2006/2020 §3, §1 ust. 2
    "KP-01": "II Deputy Director", "KP-02": "Director", "KP-03": "I Deputy Director",
    "KP-04": "Director", "PO": "Mayor", "KP-05": "Plenipotentiary",
}

# Scan garbling of ordinance 004 (see ordinances/README.md) and its relatives: none may
# appear in any name.
GARBLED = ("Obstugi", "Obstlugi", "Zgtoszen", "Zgloszen", "Ustugi", "Ushugi", "Wydziat",
           "Zastgpc", "Budzet", "Systemow", "Uslug", "Obslugi", "Dzialania", "Wspolpracy",
           "si¢", "nastgpuje", "¢", "$")


def units() -> pl.DataFrame:
    return reference.load_seed("org_units")


def unit(code: str) -> dict:
    rows = units().filter(pl.col("unit_code") == code).to_dicts()
    assert len(rows) == 1, code
    return rows[0]


# --- org units -------------------------------------------------------------------------


def test_coi_has_exactly_the_14_units_of_ordinance_1756_2022_with_their_reporting_lines():
    coi = units().filter(pl.col("unit_code").str.starts_with("IT-"))
    assert coi.height == 14
    assert dict(zip(coi["unit_code"], coi["reporting_line"], strict=True)) == COI_UNITS
    assert set(coi["department"]) == {"COI"}
    assert set(coi["parent_code"]) == {"COI"}
    assert not coi["is_assumption"].any()
    assert unit("IT-02-3")["name_pl"] == "Referat ds. zarządzania awarią i zgłoszeniami"
    assert unit("IT-01-4")["name_pl"] == "Stanowiska ds. projektów Smart City"


def test_dk_units_and_dk02_name_spelt_correctly():
    dk = units().filter(pl.col("unit_code").str.starts_with("DK-"))
    assert dict(zip(dk["unit_code"], dk["reporting_line"], strict=True)) == DK_UNITS
    name = unit("DK-02")["name_pl"]
    assert name == "Referat Obsługi Infolinii Miejskiej Krakowskie Centrum Kontaktu"
    assert "ł" in name
    assert unit("DK-03")["name_pl"] == "Referat ds. Bazy Wiedzy i Obsługi Zgłoszeń"
    assert unit("DK-05")["name_pl"] == (
        "Samodzielne Stanowisko ds. Analityki Usługi Informacyjnej i Zgłoszeniowej "
        "oraz Wykorzystywanych Systemów"
    )
    assert unit("DK")["name_pl"] == "Wydział Dialogu, Konsultacji i Kontaktu Obywatelskiego"


def test_kp_units_and_classified_registry_under_its_plenipotentiary():
    kp = units().filter(pl.col("department") == "KP", pl.col("unit_kind") == "unit")
    assert dict(zip(kp["unit_code"], kp["reporting_line"], strict=True)) == KP_UNITS
    assert unit("KP-05")["parent_code"] == "PO"
    assert unit("KP-05")["name_pl"] == "Kancelaria Tajna"
    assert unit("KP-02")["name_pl"] == "Stanowiska ds. Spotkań z Mieszkańcami"


def test_departments_are_parents_and_every_reference_resolves():
    df = units()
    codes = set(df["unit_code"])
    depts = df.filter(pl.col("unit_kind") == "department")
    assert {"COI", "DK", "KP", "PD"} <= set(depts["unit_code"])
    assert (depts["department"] == depts["unit_code"]).all()
    assert unit("COI")["name_pl"] == "Centrum Obsługi Informatycznej"
    assert set(df["department"]) <= codes
    assert set(df["parent_code"].drop_nulls()) <= codes
    # units hang under their department, city bodies under EXT
    inner = df.filter(pl.col("unit_kind") == "unit", pl.col("unit_code") != "KP-05")
    assert (inner["parent_code"] == inner["department"]).all()
    ext = df.filter(pl.col("unit_kind").is_in(["company", "city_unit"]))
    assert {"MPO", "MPK", "ZDMK", "ZZM", "MPWIK", "SMMK"} <= set(ext["unit_code"])
    assert set(ext["department"]) == {"EXT"} and ext["is_assumption"].all()


def test_assumed_rows_are_flagged_and_ordinance_rows_are_not():
    df = units()
    from_ordinances = set(COI_UNITS) | set(DK_UNITS) | set(KP_UNITS) | {"COI", "DK", "KP", "TC"}
    flagged = dict(zip(df["unit_code"], df["is_assumption"], strict=True))
    assert not any(flagged[c] for c in from_ordinances)
    assert flagged["PD"] and flagged["MPO"] and flagged["EP"]
    assert all(flagged[c] for c in set(flagged) - from_ordinances)


# --- codes and spelling -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "column", "pattern"),
    [
        ("org_units", "unit_code", r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"),
        ("default_it_services", "service_code", r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"),
        ("portal_areas", "area_code", r"^[A-Z][A-Z_]*$"),
        ("kck_topics", "topic_code", r"^[a-z][a-z_]*$"),
    ],
)
def test_codes_are_unique_and_well_formed(seed: str, column: str, pattern: str):
    values = reference.load_seed(seed)[column].to_list()
    assert len(values) == len(set(values))
    bad = [v for v in values if not re.fullmatch(pattern, v)]
    assert bad == []


@pytest.mark.parametrize("seed", SEED_NAMES)
def test_seed_files_are_clean_utf8_without_garbled_polish(seed: str):
    raw = reference.seed_path(seed).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM: dbt would read it into the header"
    text = raw.decode("utf-8")
    assert "\ufffd" not in text and "\r" not in text
    df = reference.load_seed(seed)
    for col in (c for c in df.columns if c.startswith("name")):
        for value in df[col].drop_nulls():
            hits = [g for g in GARBLED if g in value]
            assert hits == [], f"{seed}.{col}: {value!r} contains {hits}"


def test_polish_names_carry_polish_letters():
    names = " ".join(units()["name_pl"])
    for letter in "ąęółśżń":
        assert letter in names, letter


# --- other seeds ------------------------------------------------------------------------


def test_districts_are_the_18_of_krakow():
    d = reference.load_seed("districts").sort("district")
    assert d["district"].to_list() == list(range(1, 19))
    by_no = dict(zip(d["district"], d["name_pl"], strict=True))
    assert by_no[1] == "Stare Miasto"
    assert by_no[9] == "Łagiewniki-Borek Fałęcki"
    assert by_no[12] == "Bieżanów-Prokocim"
    assert by_no[18] == "Nowa Huta"
    assert d.filter(pl.col("district") == 18)["full_name_pl"].item() == "Dzielnica XVIII Nowa Huta"
    for row in d.iter_rows(named=True):
        assert row["full_name_pl"] == f"Dzielnica {row['roman']} {row['name_pl']}"


def test_sla_targets_tighten_with_priority():
    s = reference.load_seed("sla_targets").sort("priority")
    assert s["priority"].to_list() == [1, 2, 3, 4]
    assert s["response_target_minutes"].to_list() == [30, 60, 240, 480]
    assert s["resolution_target_minutes"].to_list() == [240, 480, 1440, 4800]
    assert (s["response_target_minutes"] < s["resolution_target_minutes"]).all()


def test_kck_topics_cover_ordinance_1231_2025_s5_and_resident_reports():
    t = reference.load_seed("kck_topics")
    codes = set(t["topic_code"])
    assert {"service_cards", "unit_hours", "culture_events", "sport_events", "city_events",
            "elections", "survey"} <= codes
    assert {"waste", "roads", "public_transport", "greenery", "local_taxes", "parking_zone",
            "snow_clearing", "street_lighting"} <= codes
    assert 25 <= t.height <= 40
    allowed = set(CONTRACTS["calls"].column("record_type").allowed)
    for row in t.iter_rows(named=True):
        assert set(row["record_types"].split("|")) <= allowed, row["topic_code"]
    assert set(t["default_unit"]) <= reference.unit_codes()
    assert t.filter(pl.col("topic_code") == "survey")["record_types"].item() == "survey"


def test_portal_areas_of_kpum_mpi_and_bip():
    a = reference.load_seed("portal_areas")
    kpum = set(a.filter(pl.col("portal") == "KPUM")["area_code"])
    assert {"KPUM_INFO", "KPUM_KCK", "KPUM_UNITS", "KPUM_ACCOUNT"} <= kpum
    assert {"MPI_PORTAL", "BIP"} <= set(a["area_code"])
    assert set(a["portal"]) == set(CONTRACTS["publications"].column("portal").allowed)
    assert a.filter(pl.col("area_code") == "KPUM_ACCOUNT")["name_pl"].item() == "Konto klienta"


# --- default it_services extract --------------------------------------------------------


def test_default_it_services_match_the_contract():
    svc = reference.default_it_services()
    contract = CONTRACTS["it_services"]
    assert svc.columns == contract.column_names
    assert 30 <= svc.height <= 60
    for name in ("criticality",):
        col = contract.column(name)
        assert svc[name].min() >= col.min and svc[name].max() <= col.max
    for name in ("support_hours", "status"):
        assert set(svc[name]) <= set(contract.column(name).allowed)
    assert svc["valid_from"].null_count() == 0
    dated = svc.filter(pl.col("valid_to").is_not_null())
    assert (dated["valid_to"] >= dated["valid_from"]).all()
    assert set(dated["status"]) == {"retired"}
    assert {"planned", "retired"} <= set(svc["status"])


def test_it_services_are_owned_by_coi_units_per_the_ordinance():
    svc = reference.default_it_services()
    owner = dict(zip(svc["service_code"], svc["owner_unit"], strict=True))
    assert set(owner.values()) <= reference.unit_codes()
    assert all(o.startswith("IT-") for o in owner.values())
    # §14: infrastructure services of IT-04-1
    for code in ("NET", "COMPUTE", "STORAGE", "DB", "BACKUP", "MON", "DOMAIN", "TERM", "EMAIL",
                 "VIRT", "APPSRV", "VPN", "TELECOM", "PHONE", "WIFI", "PRINT", "CONSOLE", "CA",
                 "DEVTEST"):
        assert owner[code] == "IT-04-1", code
    # §9: applications and integration of IT-02-4; §15: workstations of IT-04-2
    for code in ("APP", "INT", "APP-EZD", "APP-KPUM", "APP-ATMOS", "APP-FENIX"):
        assert owner[code] == "IT-02-4", code
    for code in ("WKS", "PERIPH", "ESIGN"):
        assert owner[code] == "IT-04-2", code
    hours = dict(zip(svc["service_code"], svc["support_hours"], strict=True))
    assert hours["NET"] == hours["EMAIL"] == hours["DOMAIN"] == "24x7"
    assert hours["WKS"] == "business"
    assert svc.filter(pl.col("service_code") == "WKS-WIN10")["valid_to"].item() == date(
        2025, 10, 14)


# --- yml and API ------------------------------------------------------------------------


def test_seeds_yml_documents_every_seed_and_column():
    spec = yaml.safe_load((reference.SEEDS_DIR / "_seeds.yml").read_text(encoding="utf-8"))
    seeds = {s["name"]: s for s in spec["seeds"]}
    csvs = {p.stem for p in reference.SEEDS_DIR.glob("*.csv")}
    assert set(seeds) == csvs == set(SEED_NAMES)
    for name, s in seeds.items():
        assert s.get("description"), name
        documented = [c["name"] for c in s["columns"]]
        assert documented == reference.load_seed(name).columns, name
        assert all(c.get("description") for c in s["columns"]), name
    assert seeds["default_it_services"]["config"]["enabled"] is False
    for name in set(SEED_NAMES) - {"default_it_services"}:
        assert seeds[name].get("config", {}).get("enabled", True) is True


def test_reference_api():
    assert isinstance(reference.unit_codes(), set)
    assert {"IT-02-3", "DK-02", "KP-02", "PO", "COI"} <= reference.unit_codes()
    assert "elections" in reference.topic_codes()
    assert "BIP" in reference.portal_area_codes()
    assert reference.load_seed("org_units") is reference.load_seed("org_units.csv") or (
        reference.load_seed("org_units").equals(reference.load_seed("org_units.csv")))
    with pytest.raises(FileNotFoundError, match="no_such_seed"):
        reference.seed_path("no_such_seed")
