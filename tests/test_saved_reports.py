"""Saved reports (issue 15 § 2): owner, rename, duplicate and delete in the reports file and
through the builder; others' reports read-only with single sign-on; a shared link that opens
the same report in the same language; the language kept in the address on every page; pins
on the personal page (per browser in the address, per user with single sign-on).

Every value shown is checked against DuckDB's own sum of the mart, not the builder's output."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from helpers import AUTH_SECRETS
from helpers import query as rows
from streamlit.testing.v1 import AppTest

from dashboards import reports
from dashboards.components import md_text
from dashboards.i18n import column_label, t
from dashboards.navigation import PAGES

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "app.py"
ANNA = {"is_logged_in": True, "name": "Anna Nowak", "email": "a.nowak@um.krakow.pl"}
JAN = {"is_logged_in": True, "name": "Jan Kowal", "email": "j.kowal@um.krakow.pl"}


@pytest.fixture
def wh(built_warehouse, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(built_warehouse))
    monkeypatch.setenv("CITYOPS_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("CITYOPS_AUTH", raising=False)
    return built_warehouse


def directory() -> Path:
    return reports.reports_dir(Path("unused"))  # CITYOPS_REPORTS_DIR


def topics_report(name: str = "Tematy KCK") -> reports.ReportDefinition:
    return reports.ReportDefinition(name=name, mart="kck_call_topics",
                                    measures=[("answered", "sum")], breakdowns=["topic_code"])


def expected_topics(wh: Path) -> dict[str, float]:
    return dict(rows(wh, "select topic_code, sum(answered) from marts.kck_call_topics "
                         "group by 1"))


def shown(at: AppTest, lang: str, index: int = 0) -> dict[str, float]:
    """{topic code: answered} of a topics table on the page, in ``lang``'s formats."""
    table = at.dataframe[index].value
    measure = f"{t('agg_sum', lang)}: {column_label('answered', lang)}"
    numbers = [v.replace("\u00a0", "").replace(" ", "") for v in table[measure]]
    numbers = [v.replace(",", "") if lang == "en" else v.replace(",", ".") for v in numbers]
    return {k: float(v) for k, v in zip(table[column_label("topic_code", lang)], numbers,
                                        strict=True)}


def open_app(page: str | None = None, query: dict | None = None,
             user: dict | None = None) -> AppTest:
    """A new session (a new tab, or a reload) with ``query`` in its address."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    if user is not None:
        at.user = user
        at.secrets["auth"] = AUTH_SECRETS
    at.query_params.update(query or {})
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


# ---------------------------------------------------------------- the reports file

def test_life_cycle_in_the_reports_file(tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    reports.save_report(tmp_path, topics_report(), "anna")
    info = reports.report_info(tmp_path, "Tematy KCK")
    assert info.owner == "anna" and info.created_at == info.updated_at
    assert before <= datetime.fromisoformat(info.created_at) <= datetime.now(UTC)
    path = tmp_path / reports.REPORTS_FILE
    reports.save_pins(tmp_path, "anna", ["Tematy KCK"])

    # another owner may not overwrite, rename or delete it: the file stays byte for byte
    kept = path.read_bytes()
    for attempt in (lambda: reports.save_report(tmp_path, topics_report(), "jan"),
                    lambda: reports.rename_report(tmp_path, "Tematy KCK", "Moje", "jan"),
                    lambda: reports.delete_report(tmp_path, "Tematy KCK", "jan")):
        with pytest.raises(reports.ReportError) as caught:
            attempt()
        assert caught.value.key == "report_not_owner"
        assert path.read_bytes() == kept

    # names refused as for a save; an existing one is not taken over by a rename
    reports.save_report(tmp_path, topics_report("Inny"), "anna")
    for bad, key in (("../zły raport", "report_name_invalid"),
                     ("Rаport", "report_name_mixed_scripts"),  # a Cyrillic а
                     ("Inny", "report_name_taken")):
        with pytest.raises(reports.ReportError) as caught:
            reports.rename_report(tmp_path, "Tematy KCK", bad, "anna")
        assert caught.value.key == key, bad
    assert reports.list_reports(tmp_path) == ["Inny", "Tematy KCK"]

    # the owner renames: same definition, same creation time, pins follow
    new = reports.rename_report(tmp_path, "Tematy KCK", "Tematy KCK — suma", "anna")
    assert new == "Tematy KCK — suma"
    assert reports.list_reports(tmp_path) == ["Inny", "Tematy KCK — suma"]
    renamed = reports.load_report(tmp_path, new)
    assert (renamed.mart, renamed.measures, renamed.breakdowns) == (
        "kck_call_topics", [("answered", "sum")], ["topic_code"])
    assert reports.report_info(tmp_path, new).created_at == info.created_at
    assert reports.load_pins(tmp_path, "anna") == [new]
    # a link by the old name still means it (twice renamed too); a new report taking the
    # old name takes its links from then on
    assert reports.current_name(tmp_path, "Tematy KCK") == new
    reports.rename_report(tmp_path, new, "Tematy KCK — pośrednio", "anna")
    reports.save_report(tmp_path, topics_report("Tematy KCK — pośrednio"), "anna")  # replaced
    assert reports.current_name(tmp_path, "Tematy KCK") == "Tematy KCK — pośrednio"
    assert reports.current_name(tmp_path, new) == "Tematy KCK — pośrednio"
    reports.rename_report(tmp_path, "Tematy KCK — pośrednio", new, "anna")
    assert reports.current_name(tmp_path, "Tematy KCK") == new
    assert reports.current_name(tmp_path, "Nigdy nie było") is None
    reports.save_report(tmp_path, topics_report("Tematy KCK"), "jan")
    assert reports.current_name(tmp_path, "Tematy KCK") == "Tematy KCK"
    reports.delete_report(tmp_path, "Tematy KCK", "jan")

    # anyone duplicates; the copy is theirs, named "Kopia – NAME", then "Kopia 2 – NAME"
    assert reports.duplicate_report(tmp_path, new, "jan") == "Kopia – Tematy KCK — suma"
    assert reports.duplicate_report(tmp_path, new, "jan") == "Kopia 2 – Tematy KCK — suma"
    copy = reports.report_info(tmp_path, "Kopia – Tematy KCK — suma")
    assert copy.owner == "jan"
    assert reports.load_report(tmp_path, copy.name).to_json() == {
        **renamed.to_json(), "name": copy.name}
    long = "R" * 80
    reports.save_report(tmp_path, topics_report(long), "anna")
    copied = reports.duplicate_report(tmp_path, long, "jan", prefix="Copy")
    assert copied == "Copy – " + "R" * 73 and len(copied) == 80

    # the owner deletes: gone, with the pins naming it; the copies stay
    reports.delete_report(tmp_path, new, "anna")
    assert new not in reports.list_reports(tmp_path)
    assert "Kopia – Tematy KCK — suma" in reports.list_reports(tmp_path)
    assert reports.load_pins(tmp_path, "anna") == []
    with pytest.raises(reports.ReportError) as caught:
        reports.delete_report(tmp_path, new, "anna")
    assert caught.value.key == "report_not_found"

    # a report saved before owners: the shared local owner's, no times
    data = json.loads(path.read_text(encoding="utf-8"))
    data["Stary"] = topics_report("Stary").to_json()
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert reports.report_info(tmp_path, "Stary") == reports.SavedReport(
        "Stary", reports.LOCAL_OWNER, None, None)


# ---------------------------------------------------------------- the builder

def test_builder_saves_renames_duplicates_and_deletes(wh):
    at = open_app("builder")
    assert t("saved_shared_owner", "pl") in texts(at.caption)  # single sign-on is off
    at.selectbox(key="b_mart__pl").set_value("kck_call_topics").run()
    at.multiselect(key="b_measures__pl").set_value(["answered"]).run()
    at.multiselect(key="b_breakdowns__pl").set_value(["topic_code"]).run()
    at.text_input(key="b_name").set_value("../zły raport").run()
    at.button(key="b_save").click().run()
    assert texts(at.error) == [t("report_name_invalid", "pl")]
    assert reports.list_reports(directory()) == []

    at.text_input(key="b_name").set_value("Tematy KCK").run()
    at.button(key="b_save").click().run()
    assert not at.exception and texts(at.success) == [t("builder_saved", "pl", name="Tematy KCK")]
    assert at.selectbox(key="b_open__pl").value == "Tematy KCK"
    assert at.query_params["report"] == "Tematy KCK"
    assert texts(at.code) == ["/kreator-raportow?report=Tematy+KCK&lang=pl"]
    assert reports.report_info(directory(), "Tematy KCK").owner == reports.LOCAL_OWNER

    at.text_input(key="b_rename").set_value("Tematy KCK — suma").run()
    at.button(key="b_rename_btn").click().run()
    assert reports.list_reports(directory()) == ["Tematy KCK — suma"]
    assert at.selectbox(key="b_open__pl").value == "Tematy KCK — suma"
    assert at.query_params["report"] == "Tematy KCK — suma"
    assert shown(at, "pl") == expected_topics(wh)

    at.button(key="b_duplicate").click().run()
    copy = "Kopia – Tematy KCK — suma"
    assert reports.list_reports(directory()) == [copy, "Tematy KCK — suma"]
    assert at.selectbox(key="b_open__pl").value == copy
    assert shown(at, "pl") == expected_topics(wh)

    at.button(key="b_delete").click().run()
    assert texts(at.warning) == [t("saved_delete_confirm", "pl", name=copy)]
    assert reports.list_reports(directory()) == [copy, "Tematy KCK — suma"]  # asked first
    at.button(key="b_delete_yes").click().run()
    assert not at.exception
    assert reports.list_reports(directory()) == ["Tematy KCK — suma"]
    assert at.selectbox(key="b_open__pl").value is None and "report" not in at.query_params


def test_another_users_report_opens_read_only(wh, monkeypatch):
    monkeypatch.setenv("CITYOPS_AUTH", "oidc")
    reports.save_report(directory(), topics_report(), ANNA["email"])
    kept = (directory() / reports.REPORTS_FILE).read_bytes()
    at = open_app("builder", {"report": "Tematy KCK"}, JAN)
    assert t("saved_shared_owner", "pl") not in texts(at.caption)
    assert texts(at.info) == [t("saved_read_only", "pl", owner=md_text(ANNA["email"]))]
    assert at.button(key="b_rename_btn").disabled and at.button(key="b_delete").disabled
    assert at.text_input(key="b_rename").disabled and not at.button(key="b_duplicate").disabled
    at.button(key="b_save").click().run()  # the same name: not his to overwrite
    assert texts(at.error) == [t("report_not_owner", "pl", name="Tematy KCK")]
    assert (directory() / reports.REPORTS_FILE).read_bytes() == kept

    at.button(key="b_pin").click().run()  # pinned for Jan, in the reports folder
    assert "pin" not in at.query_params
    assert reports.load_pins(directory(), JAN["email"]) == ["Tematy KCK"]
    at.button(key="b_duplicate").click().run()
    copy = reports.report_info(directory(), "Kopia – Tematy KCK")
    assert copy.owner == JAN["email"]
    assert texts(at.info) == []  # his copy is his: no read-only note
    assert not at.button(key="b_rename_btn").disabled

    # Anna's own report is hers to change
    anna = open_app("builder", {"report": "Tematy KCK"}, ANNA)
    assert texts(anna.info) == [] and not anna.button(key="b_delete").disabled
    # pins are per user: Jan's page shows his pin, Anna's page none
    jan_page = open_app("my_reports", user=JAN)
    assert texts(jan_page.subheader) == ["Tematy KCK"]
    assert t("pins_kept_per_user", "pl") in texts(jan_page.caption)
    assert shown(jan_page, "pl") == expected_topics(wh)
    anna_page = open_app("my_reports", user=ANNA)
    assert texts(anna_page.subheader) == []
    assert texts(anna_page.info) == [t("pins_empty", "pl", builder=t("page_builder", "pl"))]


def test_a_shared_link_opens_the_same_report_in_the_same_language(wh):
    topic = rows(wh, "select topic_code from marts.kck_call_topics group by 1 "
                     "order by sum(answered) desc limit 1")[0][0]
    defn = topics_report("Najczęstszy temat")
    defn.filters = [reports.Filter("topic_code", "in", [topic])]
    reports.save_report(directory(), defn)
    at = open_app("builder", {"lang": "en"})
    at.selectbox(key="b_open__en").set_value("Najczęstszy temat").run()
    link = at.code[0].value
    url = urlsplit(link)
    assert url.path == "/kreator-raportow"
    query = dict(parse_qsl(url.query))
    assert query == {"report": "Najczęstszy temat", "lang": "en"}

    fresh = open_app("builder", query)  # another person, a new session
    assert fresh.title[0].value == t("page_builder", "en")
    assert fresh.selectbox(key="b_open__en").value == "Najczęstszy temat"
    assert fresh.selectbox(key="b_mart__en").value == "kck_call_topics"
    assert fresh.pills(key="b_f0_vals").value == [topic]
    answered = rows(wh, "select sum(answered) from marts.kck_call_topics where topic_code = ?",
                    [topic])[0][0]
    assert shown(fresh, "en") == {topic: answered}
    assert fresh.query_params == {"report": "Najczęstszy temat", "lang": "en"}

    # renamed since the link was shared: the link opens it under its new name
    reports.rename_report(directory(), "Najczęstszy temat", "Temat numer jeden",
                          reports.LOCAL_OWNER)
    later = open_app("builder", query)
    assert later.selectbox(key="b_open__en").value == "Temat numer jeden"
    assert shown(later, "en") == {topic: answered}
    assert later.query_params == {"report": "Temat numer jeden", "lang": "en"}

    gone = open_app("builder", {"report": "Nie ma takiego", "lang": "en"})
    assert texts(gone.error) == [t("report_not_found", "en", name="Nie ma takiego")]
    assert "report" not in gone.query_params


def test_the_language_in_the_address_survives_reloads_and_pages(wh):
    at = open_app(query={"lang": "en"})
    assert at.title[0].value == t(PAGES[0].title_key, "en")
    assert at.radio(key="lang").value == "en"
    for page in PAGES[1:]:
        at.query_params.clear()  # moving in the navigation clears the page's parameters
        at.switch_page(page.file).run()
        assert not at.exception, page.name
        assert at.title[0].value == t(page.title_key, "en"), page.name
        assert at.query_params["lang"] == "en", page.name  # and the app writes it back
    reload = open_app(PAGES[2].name, dict(at.query_params))
    assert reload.title[0].value == t(PAGES[2].title_key, "en")
    reload.radio(key="lang").set_value("pl").run()
    assert reload.query_params["lang"] == "pl"
    assert reload.title[0].value == t(PAGES[2].title_key, "pl")
    again = open_app(PAGES[2].name, dict(reload.query_params))
    assert again.title[0].value == t(PAGES[2].title_key, "pl")
    assert open_app(query={"lang": "xx"}).title[0].value == t(PAGES[0].title_key, "pl")


def test_pins_show_on_the_personal_page(wh):
    reports.save_report(directory(), topics_report())
    reports.save_report(directory(), topics_report("Do usunięcia"))
    empty = open_app("my_reports")
    assert empty.title[0].value == t("page_my_reports", "pl")
    assert texts(empty.info) == [t("pins_empty", "pl", builder=t("page_builder", "pl"))]
    assert t("pins_kept_in_url", "pl") in texts(empty.caption)

    at = open_app("builder", {"report": "Tematy KCK"})
    at.button(key="b_pin").click().run()
    assert at.button(key="b_pin").label == t("saved_unpin", "pl")
    at.selectbox(key="b_open__pl").set_value("Do usunięcia").run()
    at.button(key="b_pin").click().run()
    assert at.query_params["pin"] == ["Tematy KCK", "Do usunięcia"]
    bookmark = dict(at.query_params)
    at.query_params.clear()  # moving to the page in the navigation
    at.switch_page("views/my_reports.py").run()
    assert at.query_params["pin"] == ["Tematy KCK", "Do usunięcia"]
    assert texts(at.subheader) == ["Tematy KCK", "Do usunięcia"]
    assert shown(at, "pl", 0) == expected_topics(wh) == shown(at, "pl", 1)
    link = at.get("page_link")[0].proto
    assert (link.page, dict(parse_qsl(link.query_string))) == (
        "kreator-raportow", {"report": "Tematy KCK", "lang": "pl"})

    # a bookmark of any page brings them back in a new session; a deleted one says so
    reports.delete_report(directory(), "Do usunięcia", reports.LOCAL_OWNER)
    later = open_app("my_reports", {k: v for k, v in bookmark.items() if k != "report"})
    assert texts(later.subheader) == ["Tematy KCK", "Do usunięcia"]
    assert texts(later.warning) == [t("report_not_found", "pl", name="Do usunięcia")]
    assert shown(later, "pl") == expected_topics(wh)
    later.button(key="pin1_unpin").click().run()
    later.button(key="pin0_unpin").click().run()
    assert "pin" not in later.query_params
    assert texts(later.info) == [t("pins_empty", "pl", builder=t("page_builder", "pl"))]
