"""Working calendars per source (dbt/DECISIONS.md § 2, § 18): a profile's or mapping's
[calendar], the tickets an import loads carrying it, their business minutes on it —
checked against a clock written here in plain datetime arithmetic (zoneinfo, the weekdays
and hours of the calendar, its holidays listed by hand) — and UMK's for everything else.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest
from helpers import REAL, SN_MAPPING, WARSAW, city_mapping, query, write_text

from warehouse.build import build
from warehouse.calendar import declared_calendar, write_public_holidays
from warehouse.contracts import CONTRACTS
from warehouse.importing import import_files
from warehouse.importing.profile import ProfileError, load_profile
from warehouse.load import load_directory
from warehouse.migrations import migrate


@dataclass(frozen=True)
class Clock:
    """A working calendar as the test knows it: weekdays, hours on the zone's wall clock,
    holidays."""

    zone: str
    weekdays: frozenset[int]
    start: time
    end: time | None  # None: 24:00
    holidays: frozenset[date] = frozenset()

    def minutes(self, a: datetime, b: datetime) -> float:
        """Business minutes of [a, b) (aware datetimes), day by day on the zone's wall
        clock."""
        zone = ZoneInfo(self.zone)
        total = 0.0
        day = a.astimezone(zone).date() - timedelta(days=1)
        while day <= b.astimezone(zone).date() + timedelta(days=1):
            if day.isoweekday() in self.weekdays and day not in self.holidays:
                start = datetime.combine(day, self.start, tzinfo=zone)
                end = (datetime.combine(day, self.end, tzinfo=zone) if self.end else
                       datetime.combine(day + timedelta(days=1), time(), tzinfo=zone))
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += (hi - lo).total_seconds() / 60
            day += timedelta(days=1)
        return total


# Brazil's national public holidays of 2016 and 2025 (Lei 662/1949 and later acts: New
# Year, Good Friday, Tiradentes, Labour Day, Independence, Aparecida, All Souls, the
# Republic, Christmas; Black Consciousness Day from 2024)
BR_HOLIDAYS = frozenset(date.fromisoformat(d) for d in (
    "2016-01-01", "2016-03-25", "2016-04-21", "2016-05-01", "2016-09-07", "2016-10-12",
    "2016-11-02", "2016-11-15", "2016-12-25",
    "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-01", "2025-09-07", "2025-10-12",
    "2025-11-02", "2025-11-15", "2025-11-20", "2025-12-25"))
# Polish public holidays of February 2025 and around: none from 6 Jan to 20 Apr
PL_HOLIDAYS = frozenset({date(2025, 1, 1), date(2025, 1, 6), date(2025, 4, 20),
                         date(2025, 4, 21)})
WEEK = frozenset({1, 2, 3, 4, 5})
BR = Clock("America/Sao_Paulo", WEEK, time(8), time(18), BR_HOLIDAYS)
UMK = Clock("Europe/Warsaw", WEEK, time(7, 30), time(15, 30), PL_HOLIDAYS)


# ---- profiles and mappings -------------------------------------------------------------

def test_the_profiles_declare_their_sources_working_week(tmp_path):
    """The queue log's centre works Sunday–Thursday (Israeli holidays), the ServiceNow log's
    company Monday–Friday (Brazil's); a mapping's [calendar] replaces the profile's whole,
    its hours on the source's zone (the mapping's timezone); `code = "UMK"` alone is UMK."""
    queue = load_profile("queue-log").calendar
    assert (queue.code, queue.weekdays, queue.day_start, queue.day_end, queue.timezone,
            queue.holidays) == ("IL-SUN-THU", (7, 1, 2, 3, 4), "07:00:00", "24:00:00",
                                "Asia/Jerusalem", "IL")
    servicenow = load_profile("servicenow").calendar
    assert (servicenow.code, servicenow.weekdays, servicenow.day_start, servicenow.day_end,
            servicenow.timezone, servicenow.holidays) == (
        "BR-SP-08-18", (1, 2, 3, 4, 5), "08:00:00", "18:00:00", "America/Sao_Paulo", "BR")
    assert load_profile("socrata-311").calendar is None  # no business clock: UMK's
    mapping = city_mapping(tmp_path, 'timezone = "America/Recife"\n' + SN_MAPPING
                     + '[calendar]\ncode = "RECIFE"\nweekdays = [1, 2, 3, 4]\n'
                       'day_start = "09:00"\nday_end = "17:30"\nholidays = ""\n')
    mapped = load_profile("servicenow", mapping)
    assert mapped.calendar.rows() == [("RECIFE", d, "09:00:00", "17:30:00", "America/Recife",
                                       None) for d in (1, 2, 3, 4)]
    assert mapped.calendar_declared_in == "city.toml [calendar]"
    # the tickets it feeds carry it; its events do not need it
    assert mapped.feeds["tickets"].columns["calendar_code"].value == "RECIFE"
    umk = load_profile("servicenow", write_text(tmp_path / "umk.toml",
                                            SN_MAPPING + '[calendar]\ncode = "UMK"\n'))
    assert umk.calendar is None and "calendar_code" not in umk.feeds["tickets"].columns


@pytest.mark.parametrize(("calendar", "message"), [
    ('code = "UMK"\nweekdays = [1, 2, 3, 4, 5, 6]', "UMK is the UMK office calendar"),
    ('code = "X"\nweekdays = [0, 1]\nday_start = "08:00"\nday_end = "16:00"\nholidays = ""',
     r"weekdays = \[0, 1\]: a list of distinct ISO weekdays"),
    ('code = "X"\nweekdays = [1, 1]\nday_start = "08:00"\nday_end = "16:00"\nholidays = ""',
     "distinct ISO weekdays"),
    ('code = "X"\nweekdays = [1]\nday_start = "16:00"\nday_end = "08:00"\nholidays = ""',
     "day_end 08:00 is not after day_start 16:00"),
    ('code = "X"\nweekdays = [1]\nday_start = "8 am"\nday_end = "16:00"\nholidays = ""',
     "day_start = '8 am' is not a time"),
    ('code = "X"\nweekdays = [1]\nday_start = "08:00"\nday_end = "24:30"\nholidays = ""',
     "not a time of day"),
    ('code = "X"\nweekdays = [1]\nday_start = "08:00"\nday_end = "16:00"\nholidays = "XX"',
     "holidays = 'XX' is not a country the holidays package knows"),
    ('code = "X"\nweekdays = [1]\nday_start = "08:00"\nday_end = "16:00"\nholidays = ""\n'
     'timezone = "Mars/Olympus"', "timezone = 'Mars/Olympus' is not an IANA time zone"),
    ('code = "X"\nweekdays = [1]\nday_start = "08:00"\nday_end = "16:00"',
     "calendar X lacks holidays"),
    ('code = "two words"', "a calendar needs a code"),
    ('code = "X"\nhours = "all"', r"unknown key\(s\) \['hours'\]"),
])
def test_a_calendar_that_cannot_be_used_is_refused_naming_the_key(tmp_path, calendar,
                                                                 message):
    mapping = city_mapping(tmp_path, SN_MAPPING + "[calendar]\n" + calendar + "\n")
    with pytest.raises(ProfileError, match=rf"city.toml: \[calendar\]: .*{message}"):
        load_profile("servicenow", mapping)


# ---- an import on its calendar, a plain load on UMK's ----------------------------------

def _native_incidents(path: Path) -> dict[str, dict]:
    """Per incident of the native snapshot log: opened and the last change into Resolved
    (instants), and whether it was ever on hold (Awaiting …) or reopened (Resolved or
    Closed → New or Active) — the snapshot rules of DECISIONS.md § 18."""
    zone = ZoneInfo("America/Sao_Paulo")
    fmt = "%d/%m/%Y %H:%M"
    df = pl.read_csv(path, infer_schema=False).with_row_index("row").with_columns(
        opened=pl.col("opened_at").str.strptime(pl.Datetime, fmt),
        updated=pl.col("sys_updated_at").str.strptime(pl.Datetime, fmt),
        mod=pl.col("sys_mod_count").cast(pl.Int64),
    ).filter(pl.col("updated") >= pl.col("opened")).sort("number", "updated", "mod", "row")
    df = df.filter(pl.col("mod") >= pl.col("mod").cum_max().over("number"))
    out = {}
    for (number,), g in df.group_by(["number"], maintain_order=True):
        states, times = g["incident_state"].to_list(), g["updated"].to_list()
        resolved = None
        for i, s in enumerate(states):
            if s == "Resolved" and (i == 0 or states[i - 1] != "Resolved"):
                resolved = times[i].replace(tzinfo=zone)
        out[number] = {
            "opened": g["opened"][0].replace(tzinfo=zone), "resolved": resolved,
            "held": any(s.startswith("Awaiting") for s in states),
            "reopened": any(a in ("Resolved", "Closed") and b in ("New", "Active")
                            for a, b in zip(states, states[1:], strict=False))}
    return out


def _contract_csv(path: Path, contract: str, rows: list[dict]) -> None:
    names = [c for c in CONTRACTS[contract].column_names if any(c in r for r in rows)]
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)


TICKET = {"ticket_type": "incident", "service_code": "APP", "requester_unit": "KP",
          "channel": "phone", "priority": 3, "opened_at": "2025-02-06 14:00:00"}
THU_TO_SUN = [("opened", "2025-02-06 14:00:00"), ("resolved", "2025-02-09 09:00:00")]


def _events(ticket_id: str) -> list[dict]:
    return [{"ticket_id": ticket_id, "event_at": at, "event": event, "group_code": "IT-02-3",
             "priority": 3, "comment_chars": 0} for event, at in THU_TO_SUN]


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict:
    """The ServiceNow fixture imported on its profile's calendar (no [calendar] in the
    mapping), then `cityops load` of plain contract files: a ticket without calendar_code
    (UMK), one naming the imported calendar, one naming a calendar nobody declared; built."""
    tmp = tmp_path_factory.mktemp("calendars")
    wh = tmp / "wh.duckdb"
    result = import_files("servicenow", [REAL / "servicenow_snapshot_150.csv"], wh,
                          mapping=city_mapping(tmp, SN_MAPPING))
    assert result.report.rows_rejected == 0
    plain = tmp / "plain"
    plain.mkdir()
    _contract_csv(plain / "tickets.csv", "tickets", [{**TICKET, "ticket_id": "T-PLAIN"}])
    _contract_csv(plain / "ticket_events.csv", "ticket_events", _events("T-PLAIN"))
    load_directory(plain, wh)
    named = tmp / "named"
    named.mkdir()
    _contract_csv(named / "tickets.csv", "tickets", [
        {**TICKET, "ticket_id": "T-BR", "calendar_code": "BR-SP-08-18"},
        {**TICKET, "ticket_id": "T-UMK", "calendar_code": "UMK"},
        {**TICKET, "ticket_id": "T-BR-OPEN", "calendar_code": "BR-SP-08-18"},
        {**TICKET, "ticket_id": "T-NOWHERE", "calendar_code": "NOWHERE"}])
    _contract_csv(named / "ticket_events.csv", "ticket_events",
                  _events("T-BR") + _events("T-UMK") + _events("T-BR-OPEN")[:1])
    report = load_directory(named, wh, max_reject_pct=100)
    built = build(wh, docs=False)
    return {"wh": wh, "import": result, "named": report, "build": built}


def test_the_import_declares_its_calendar_and_its_tickets_carry_it(imported):
    wh = imported["wh"]
    assert query(wh, "select calendar_code, iso_weekday, cast(day_start as varchar), "
                     "cast(day_end as varchar), timezone, holiday_country, declared_in "
                     "from raw.working_calendars order by iso_weekday") == [
        ("BR-SP-08-18", d, "08:00:00", "18:00:00", "America/Sao_Paulo", "BR",
         "profile servicenow.toml [calendar]") for d in (1, 2, 3, 4, 5)]
    assert any("working calendar BR-SP-08-18: Mon, Tue, Wed, Thu, Fri 08:00–18:00 "
               "America/Sao_Paulo, holidays BR" in n for n in imported["import"].notes)
    assert query(wh, "select calendar_code, count(*) from raw.tickets group by 1 order by 1"
                 ) == [("BR-SP-08-18", 152), ("UMK", 1), (None, 1)]
    # Brazil's holidays are written beside Poland's, for the same years
    years = query(wh, "select country_code, min(year(holiday_date)), max(year(holiday_date)) "
                      "from raw.public_holidays group by 1 order by 1")
    assert [c for c, *_ in years] == ["BR", "PL"] and years[0][1:] == years[1][1:]
    assert query(wh, "select count(*) from raw.public_holidays where country_code = 'BR' "
                     "and holiday_date = date '2016-03-25'") == [(1,)]  # Good Friday


def test_every_segment_of_the_import_is_measured_on_its_calendar(imported):
    """Each segment of each imported incident: the mart's office minutes equal this
    module's clock of Brazil's week (08:00–18:00 São Paulo, Brazil's holidays) — through
    Brazil's and Europe's summer times, which move the offset between 4 and 5 hours."""
    rows = query(imported["wh"], """
        select ticket_id, event_seq, start_instant, end_instant, office_minutes
        from intermediate.int_ticket_intervals
        where calendar_code = 'BR-SP-08-18' and end_instant is not null""")
    assert len(rows) > 400
    umk_differs = 0
    for ticket, seq, start, end, office in rows:
        assert office == pytest.approx(BR.minutes(start, end), abs=1e-9), (ticket, seq)
        umk_differs += office != pytest.approx(UMK.minutes(start, end), abs=1e-9)
    assert umk_differs > len(rows) / 4  # the calendar matters
    # Good Friday 25 Mar 2016, a weekday, is no business day in Brazil: segments run across it
    across = [(t, s) for t, s, start, end, _ in rows
              if start.date() < date(2016, 3, 25) and end.date() > date(2016, 3, 25)]
    assert len(across) >= 3


def test_the_imported_incidents_resolution_runs_on_their_calendar(imported):
    """An incident never on hold and never reopened is open from its registration to its
    resolution: resolution_business_minutes is the calendar's minutes between the two
    native times — on Brazil's week, not UMK's."""
    native = _native_incidents(REAL / "servicenow_snapshot_150.csv")
    simple = {n: i for n, i in native.items()
              if i["resolved"] is not None and not i["held"] and not i["reopened"]}
    assert len(simple) >= 40
    got = dict(query(imported["wh"], "select ticket_id, resolution_business_minutes from "
                                     "marts.incident_sla where support_hours = 'business'"))
    differs = 0
    for number, incident in simple.items():
        expected = BR.minutes(incident["opened"], incident["resolved"])
        assert got[number] == pytest.approx(expected, abs=1e-9), number
        differs += expected != UMK.minutes(incident["opened"], incident["resolved"])
    assert differs > len(simple) / 2


def test_a_plain_load_keeps_the_umk_calendar(imported):
    """`cityops load` of a ticket without calendar_code (or with UMK) runs it on UMK's clock
    in the same warehouse: Thursday 6 Feb 2025 14:00 → Sunday 9 Feb 09:00 = 90 + 480 = 570
    minutes; the same ticket naming the imported calendar is on Brazil's week (10:00–18:00
    and Friday 08:00–18:00 São Paulo = 1 080), and so is the age of one still open; a
    calendar nobody declared is rejected."""
    wh = imported["wh"]
    got = dict(query(wh, "select ticket_id, resolution_business_minutes from "
                         "marts.incident_sla where ticket_id in ('T-PLAIN', 'T-UMK', 'T-BR')"))
    opened = datetime(2025, 2, 6, 14, tzinfo=WARSAW)
    resolved = datetime(2025, 2, 9, 9, tzinfo=WARSAW)
    assert UMK.minutes(opened, resolved) == 570 and BR.minutes(opened, resolved) == 1080
    assert got == {"T-PLAIN": 570, "T-UMK": 570, "T-BR": 1080}
    assert query(wh, "select ticket_id, calendar_code from intermediate.int_ticket_intervals "
                     "where ticket_id in ('T-PLAIN', 'T-UMK') and event_seq = 1 order by 1"
                 ) == [("T-PLAIN", "UMK"), ("T-UMK", "UMK")]
    # still open at as_of (the latest event, Sunday 09:00): it ages on its calendar too
    assert query(wh, "select as_of_at from marts.build_info") == [(datetime(2025, 2, 9, 9),)]
    assert query(wh, "select is_open, age_business_minutes from marts.incident_sla "
                     "where ticket_id = 'T-BR-OPEN'") == [(True, 1080)]
    tickets = next(f for f in imported["named"].files if f.contract == "tickets")
    assert (tickets.rows_loaded, tickets.rows_rejected) == (3, 1)
    assert "calendar_code='NOWHERE' unknown working calendar" in tickets.reject_reasons[0]


def test_the_generated_sample_is_all_umk(built_warehouse):
    """The sample (`cityops load`, no calendar declared): every segment on UMK, no
    calendar but UMK's, Polish holidays only."""
    assert query(built_warehouse, "select distinct calendar_code from "
                                  "intermediate.int_ticket_intervals") == [("UMK",)]
    assert query(built_warehouse, "select distinct calendar_code from "
                                  "intermediate.int_working_periods") == [("UMK",)]
    assert query(built_warehouse, "select distinct country_code from raw.public_holidays"
                 ) == [("PL",)]


# ---- a calendar changed, a ticket moved: the build refreshes fully ------------------------

LIST_HEADER = ("number,opened_at,state,priority,assignment_group,category,location,contact_type,"
               "resolved_at,closed_at")


def _list_export(path: Path, rows: list[str]) -> Path:
    return write_text(path, "\n".join([LIST_HEADER, *rows]) + "\n")


def _calendar(code: str, start: str, end: str) -> str:
    return (f'timezone = "Europe/Warsaw"\n{SN_MAPPING}[calendar]\ncode = "{code}"\n'
            f'weekdays = [1, 2, 3, 4, 5]\nday_start = "{start}"\nday_end = "{end}"\n'
            'holidays = "PL"\n')


def _incident(number: str, opened: str, resolved: str) -> str:
    return f"{number},{opened},Resolved,3 - Moderate,Desk,Email,Floor 1,Phone,{resolved},"


@pytest.mark.long  # whole-system pass: the long tier (make test-all; CI runs both)
def test_a_changed_calendar_rebuilds_the_tickets_on_it(tmp_path):
    """INC1 imported on calendar CITY (08:00–16:00); the next day's import declares CITY
    as 10:00–14:00: the build refreshes fully, naming the calendar, and INC1 — whose events
    came in no new load — follows. A day on the same calendar stays incremental. INC1's
    ticket delivered again naming another calendar (its events not): a full refresh once
    more."""
    wh = tmp_path / "wh.duckdb"

    def day(name: str, rows: list[str], code: str, start: str, end: str) -> None:
        mapping = write_text(tmp_path / f"{name}.toml", _calendar(code, start, end))
        import_files("servicenow", [_list_export(tmp_path / f"{name}.csv", rows)], wh,
                     mapping=mapping)

    def minutes() -> dict[str, float]:
        return dict(query(wh, "select ticket_id, resolution_business_minutes "
                              "from marts.incident_sla"))

    day("day1", [_incident("INC1", "2025-03-03 09:00:00", "2025-03-04 11:00:00")],
        "CITY", "08:00", "16:00")
    build(wh, docs=False)
    assert minutes() == {"INC1": 420 + 180}  # Mon 09:00–16:00, Tue 08:00–11:00
    day("day2", [_incident("INC2", "2025-03-05 09:00:00", "2025-03-05 13:00:00")],
        "CITY", "10:00", "14:00")
    changed = build(wh, docs=False)
    assert changed.full_refresh, changed.refresh_reason
    assert "working calendar(s) CITY" in changed.refresh_reason
    assert minutes() == {"INC1": 240 + 60, "INC2": 180}  # Mon 10–14, Tue 10–11; Wed 10–13
    day("day3", [_incident("INC3", "2025-03-06 09:00:00", "2025-03-06 15:00:00")],
        "CITY", "10:00", "14:00")
    daily = build(wh, docs=False)
    assert not daily.full_refresh, daily.refresh_reason
    assert minutes() == {"INC1": 300, "INC2": 180, "INC3": 240}
    # calendar OTHER (08:00–16:00) declared by an import; INC1's ticket sent again naming it
    day("day4", [_incident("INC4", "2025-03-07 09:00:00", "2025-03-07 10:00:00")],
        "OTHER", "08:00", "16:00")
    (ticket,) = query(wh, "select ticket_id, opened_at, ticket_type, service_code, "
                          "requester_unit, channel, priority from raw.tickets "
                          "where ticket_id = 'INC1'")
    again = tmp_path / "again"
    again.mkdir()
    names = ["ticket_id", "opened_at", "ticket_type", "service_code", "requester_unit",
             "channel", "priority"]
    _contract_csv(again / "tickets.csv", "tickets",
                  [{**dict(zip(names, ticket, strict=True)), "calendar_code": "OTHER"}])
    load_directory(again, wh, extracted_at=datetime(2025, 3, 10))
    moved = build(wh, docs=False)
    assert moved.full_refresh and "1 built ticket(s) moved to another working calendar" \
        in moved.refresh_reason
    assert minutes() == {"INC1": 600, "INC2": 180, "INC3": 240, "INC4": 60}
    assert query(wh, "select distinct calendar_code from intermediate.int_ticket_intervals "
                     "where ticket_id = 'INC1'") == [("OTHER",)]


def test_a_calendar_declared_again_unchanged_keeps_its_row(tmp_path):
    from warehouse.calendar import WorkingCalendar, declare_calendar

    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    migrate(con)
    cal = WorkingCalendar("IL-SUN-THU", (7, 1, 2, 3, 4), "07:00:00", "24:00:00",
                          "Asia/Jerusalem", "IL")
    assert declare_calendar(con, cal, "profile queue-log.toml [calendar]", "load-1")
    assert not declare_calendar(con, cal, "city.toml [calendar]", "load-2")
    assert con.execute("select distinct _load_id from raw.working_calendars").fetchall() == [
        ("load-1",)]
    assert declared_calendar(con, "IL-SUN-THU") == cal.rows()
    later = WorkingCalendar("IL-SUN-THU", (7, 1, 2, 3, 4), "08:00:00", "17:00:00",
                            "Asia/Jerusalem", "IL")
    assert declare_calendar(con, later, "city.toml [calendar]", "load-3")
    assert con.execute("select count(*), min(_load_id) from raw.working_calendars"
                       ).fetchone() == (5, "load-3")
    # the holidays of its country are written beside Poland's
    assert write_public_holidays(con, range(2024, 2027))
    assert con.execute("select count(*) from raw.public_holidays where country_code = 'IL' "
                       "and holiday_date = date '2025-06-02'").fetchone() == (1,)
    assert not write_public_holidays(con, range(2024, 2027))  # the same: left alone
    con.close()
