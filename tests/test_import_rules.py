"""The importers' conversion rules, one by one, on small native files written here
(dbt/DECISIONS.md § 18): header styles, date styles and time zones, code lists and their
policies, the ServiceNow snapshot rules, the queue log's stage times, Open311's outcomes,
the mapping skeleton, the reject threshold, the profile checks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import city_mapping, query, write_text

from warehouse.cli import main
from warehouse.importing import import_files
from warehouse.importing.profile import ProfileError, canonical, load_profile
from warehouse.load import DEFAULT_MAX_REJECT_PCT, LoadRefused, load_directory
from warehouse.store import current_file

SN_HEADER = ("number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,"
             "made_sla,caller_id,opened_by,opened_at,sys_created_by,sys_created_at,"
             "sys_updated_by,sys_updated_at,contact_type,location,category,subcategory,"
             "u_symptom,cmdb_ci,impact,urgency,priority,assignment_group,assigned_to,"
             "knowledge,u_priority_confirmation,notify,problem_id,rfc,vendor,caused_by,"
             "closed_code,resolved_by,resolved_at,closed_at")
QL_HEADER = ("Unnamed: 0,vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,"
             "vru_time,q_start,q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server")


def _sn_row(number: str, state: str, mod: int, updated: str, *, opened="1/3/2016 10:00",
            group="Group 1", priority="3 - Moderate", resolved="?") -> str:
    return (f"{number},{state},true,0,0,{mod},true,Caller 1,Opened by  1,{opened},"
            f"Created by 1,{opened},Updated by 1,{updated},Phone,Location 1,Category 1,"
            f"Sub 1,Symptom 1,?,2 - Medium,2 - Medium,{priority},{group},?,true,false,"
            f"Do Not Notify,?,?,?,?,code 5,Resolved by 1,{resolved},?")


SN_MAPPING = """
timezone = "Europe/Warsaw"
[groups]
policy = "fallback"
fallback = "IT-02-3"
map = { "Group 2" = "IT-02-4" }
[locations]
policy = "fallback"
fallback = "KP"
[categories]
policy = "fallback"
fallback = "APP"
"""


def _events(wh: Path, ticket: str) -> list[tuple]:
    return query(wh, "select event, strftime(event_at, '%d %H:%M'), event_seq, group_code "
                     "from raw.ticket_events where ticket_id = ? order by event_at, event_seq",
                 [ticket])


# ---- header and date styles, time zones ----------------------------------------------

def test_one_column_whatever_its_header_style():
    assert canonical("Created Date") == canonical("CreatedDate") == canonical(
        "created_date") == "createddate"
    assert canonical("vru+line") == "vruline" and canonical("Unnamed: 0") == "unnamed0"


def test_311_dates_in_every_style_are_converted_from_the_citys_zone(tmp_path):
    """12-hour AM/PM, 2-digit years and ISO with T, New York time converted to Warsaw
    (EDT = UTC-4 in June, EST = UTC-5 in January: +6 h either way), never relabelled."""
    src = write_text(tmp_path / "nyc.csv", "\n".join([
        "Unique Key,Created Date,Closed Date,Agency,Complaint Type,Status,"
        "Open Data Channel Type",
        "1,06/26/2018 10:58:54 AM,06/26/2018 12:50:01 PM,NYPD,Noise,Closed,PHONE",
        "2,01/15/18 11:30:00 PM,,DOT,Pothole,Open,ONLINE",
        "3,2018-06-26T10:58:54.000,2018-06-27T00:00:00,DSNY,Dirty,Closed,MOBILE",
    ]) + "\n")
    wh = tmp_path / "wh.duckdb"
    mapping = city_mapping(tmp_path, '[request_types]\npolicy = "fallback"\nfallback = "other"\n'
                                 '[agencies]\npolicy = "fallback"\nfallback = "DK-03"\n')
    import_files("socrata-311", [src], wh, mapping=mapping)
    rows = query(wh, "select submission_id, strftime(received_at, '%Y-%m-%d %H:%M:%S'), "
                     "strftime(closed_at, '%Y-%m-%d %H:%M:%S'), channel, outcome "
                     "from raw.submissions order by 1")
    assert rows == [
        ("1", "2018-06-26 16:58:54", "2018-06-26 18:50:01", "phone", "resolved"),
        ("2", "2018-01-16 05:30:00", None, "portal", "open"),
        ("3", "2018-06-26 16:58:54", "2018-06-27 06:00:00", "mobile_app", "resolved"),
    ]


def test_the_mappings_time_zone_replaces_the_profiles(tmp_path):
    src = write_text(tmp_path / "la.csv", "SRNumber,CreatedDate,Owner,RequestType,Status,"
                 "RequestSource,CD\n1-1,12/31/2017 11:59:58 PM,BOS,Graffiti,Open,Call,13\n")
    base = '[request_types]\npolicy = "fallback"\nfallback = "other"\n' \
           '[agencies]\npolicy = "fallback"\nfallback = "DK-03"\n'
    wh = tmp_path / "la.duckdb"
    import_files("socrata-311", [src], wh, mapping=city_mapping(tmp_path, base))  # variant la
    assert query(wh, "select strftime(received_at, '%Y-%m-%d %H:%M:%S'), district "
                     "from raw.submissions") == [("2018-01-01 08:59:58", None)]
    wh2 = tmp_path / "warsaw.duckdb"
    import_files("socrata-311", [src], wh2, mapping=city_mapping(
        tmp_path, 'timezone = "Europe/Warsaw"\n' + base + '[districts]\nmap = { "13" = "5" }\n'))
    # the wall clock as written, and council district 13 only through the mapping
    assert query(wh2, "select strftime(received_at, '%Y-%m-%d %H:%M:%S'), district "
                      "from raw.submissions") == [("2017-12-31 23:59:58", 5)]


# ---- code lists -----------------------------------------------------------------------

def test_a_reject_policy_rejects_the_row_naming_the_code(tmp_path):
    src = write_text(tmp_path / "nyc.csv", "Unique Key,Created Date,Agency,Complaint Type,Status,"
                 "Open Data Channel Type\n1,06/26/2018 10:58:54 AM,NYPD,Noise,Open,PHONE\n"
                 "2,06/26/2018 10:59:54 AM,DOT,Noise,Open,PHONE\n")
    mapping = city_mapping(tmp_path, '[request_types]\npolicy = "fallback"\nfallback = "other"\n'
                                 '[agencies]\npolicy = "reject"\nmap = { "DOT" = "ZDMK" }\n')
    wh = tmp_path / "wh.duckdb"
    import_files("socrata-311", [src], wh, mapping=mapping)
    assert query(wh, "select submission_id, responsible_unit from raw.submissions") == [
        ("2", "ZDMK")]
    (reason,) = query(wh, "select reject_reason from raw.submissions__rejected")[0]
    assert "responsible_unit='NYPD' not in the mapping [agencies] (policy reject)" in reason


def test_missing_codes_are_printed_with_counts_and_the_skeleton_reads_back(tmp_path,
                                                                            capsys):
    src = write_text(tmp_path / "nyc.csv", "Unique Key,Created Date,Agency,Complaint Type,Status,"
                 "Open Data Channel Type\n" + "".join(
                     f"{i},06/26/2018 10:58:54 AM,{a},Noise,Open,PHONE\n"
                     for i, a in enumerate(["NYPD", "NYPD", "DOT"])))
    mapping = city_mapping(tmp_path, '[request_types]\npolicy = "fallback"\nfallback = "other"\n'
                                 '[agencies]\npolicy = "fallback"\nfallback = "DK-03"\n'
                                 'map = { "DOT" = "ZDMK" }\n')
    skeleton = tmp_path / "skeleton.toml"
    import_files("socrata-311", [src], tmp_path / "wh.duckdb", mapping=mapping,
                 write_mapping=skeleton)
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "NYPD" in ln)
    assert "agencies" in line and "Agency" in line and " 2 " in line and "DK-03" in line
    assert "DOT" not in out.split("Source codes missing")[1].split("Load")[0]
    doc = tomllib.loads(skeleton.read_text(encoding="utf-8"))
    assert doc["agencies"]["map"] == {"DOT": "ZDMK", "NYPD": ""}
    assert doc["timezone"] == "America/New_York"
    # filled in, the skeleton is a mapping
    skeleton.write_text(skeleton.read_text(encoding="utf-8").replace('"NYPD" = ""',
                                                                     '"NYPD" = "KP"'))
    wh = tmp_path / "wh2.duckdb"
    import_files("socrata-311", [src], wh, mapping=skeleton, max_reject_pct=100)
    assert query(wh, "select responsible_unit, count(*) from raw.submissions group by 1 "
                     "order by 1") == [("KP", 2), ("ZDMK", 1)]


def test_keep_is_refused_for_districts_and_an_undeclared_column_is_refused():
    with pytest.raises(ProfileError, match="policy keep is for units, services and topics"):
        load_profile("socrata-311", _tmp_toml('[districts]\npolicy = "keep"\n'))
    with pytest.raises(ProfileError, match="not a code list of profile"):
        load_profile("socrata-311", _tmp_toml('[groups]\npolicy = "keep"\n'))


def _tmp_toml(text: str) -> Path:
    import tempfile

    fh = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8")
    fh.write(text)
    fh.close()
    return Path(fh.name)


def test_a_profile_reading_an_undeclared_column_is_refused(tmp_path):
    text = (Path("warehouse/importing/profiles/socrata-311.toml").read_text(encoding="utf-8")
            .replace('unique_key = "keep"\n', ""))
    with pytest.raises(ProfileError, match="'uniquekey', which \\[columns\\] does not declare"):
        load_profile(write_text(tmp_path / "p.toml", text))


def test_an_undeclared_native_column_is_dropped_with_a_warning(tmp_path, capsys):
    src = write_text(tmp_path / "nyc.csv", "Unique Key,Created Date,Agency,Complaint Type,Status,"
                 "Open Data Channel Type,Caller Phone\n"
                 "1,06/26/2018 10:58:54 AM,NYPD,Noise,Open,PHONE,+48 600 100 200\n")
    mapping = city_mapping(tmp_path, '[request_types]\npolicy = "fallback"\nfallback = "other"\n'
                                 '[agencies]\npolicy = "fallback"\nfallback = "DK-03"\n')
    wh = tmp_path / "wh.duckdb"
    import_files("socrata-311", [src], wh, mapping=mapping)
    assert "Caller Phone not declared by profile socrata-311" in capsys.readouterr().out
    assert query(wh, "select count(*) from raw.submissions") == [(1,)]


# ---- ServiceNow snapshot log ------------------------------------------------------------

CATALOGUE = """
[[catalogue]]
service_code = "APP-EZD"
name_pl = "Elektroniczne zarządzanie dokumentacją"
name_en = "Electronic document management"
owner_unit = "IT-02-4"
criticality = 2
support_hours = "24x7"
status = "active"
valid_from = "2020-01-01"
"""


def test_the_mappings_catalogue_is_loaded_before_the_tickets_once(tmp_path):
    """A mapping's [[catalogue]] is the city's IT service catalogue: loaded (and checked)
    before the tickets, instead of the default one; the next import skips it unchanged."""
    mapping = city_mapping(tmp_path, SN_MAPPING.replace('fallback = "APP"', 'fallback = "APP-EZD"')
                       + CATALOGUE)
    src = write_text(tmp_path / "log.csv", "\n".join([SN_HEADER, _sn_row("INC1", "New", 0,
                                                                     "1/3/2016 10:01")]) + "\n")
    wh = tmp_path / "wh.duckdb"
    first = import_files("servicenow", [src], wh, mapping=mapping)
    assert first.report.files[0].file_name == "city.toml [catalogue]"
    assert query(wh, "select service_code, support_hours, name_pl from raw.it_services") == [
        ("APP-EZD", "24x7", "Elektroniczne zarządzanie dokumentacją")]
    assert query(wh, "select service_code from raw.tickets") == [("APP-EZD",)]
    second = import_files("servicenow", [src], wh, mapping=mapping)
    assert second.report.files[0].status.startswith("skipped")
    # its rows meet the catalogue's rules, rejected naming the row and the rule
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    result = import_files("servicenow", [src], tmp_path / "wrong.duckdb", max_reject_pct=100,
                          mapping=write_text(wrong / "city.toml", SN_MAPPING + CATALOGUE.replace(
                              '"24x7"', '"weekends"')))
    assert result.report.files[0].rows_rejected == 1
    assert "row 1" in result.report.files[0].reject_reasons[0]
    assert "support_hours='weekends'" in result.report.files[0].reject_reasons[0]
    bad = city_mapping(tmp_path, SN_MAPPING + CATALOGUE + 'unknown = "x"\n')
    with pytest.raises(ProfileError, match=r"\[\[catalogue\]\] #1: \['unknown'\] are not "
                                           "columns of it_services"):
        load_profile("servicenow", bad)


def test_snapshot_rules_give_the_events(tmp_path):
    """New → Active = acknowledged; Awaiting = on_hold; back to Active = resumed; Resolved
    then Active in the same minute = resolved, reopened in sys_mod_count order; a row
    stamped before opened_at and an unknown state (-100) give no event; a change of the
    mapped group alone = assigned; resolved at the transition, not at resolved_at."""
    rows = [
        _sn_row("INC1", "New", 0, "1/3/2016 10:01", resolved="1/3/2016 16:00"),
        _sn_row("INC1", "Active", 8, "1/3/2016 09:00", resolved="1/3/2016 16:00"),  # early
        _sn_row("INC1", "Active", 1, "1/3/2016 10:05", resolved="1/3/2016 16:00"),
        _sn_row("INC1", "Awaiting User Info", 2, "1/3/2016 11:00", resolved="1/3/2016 16:00"),
        _sn_row("INC1", "-100", 3, "1/3/2016 11:30", resolved="1/3/2016 16:00"),
        _sn_row("INC1", "Active", 4, "1/3/2016 12:00", resolved="1/3/2016 16:00"),
        _sn_row("INC1", "Active", 5, "1/3/2016 12:10", group="Group 2",
                resolved="1/3/2016 16:00"),
        # the same minute: file order says Active first, sys_mod_count says Resolved first
        _sn_row("INC1", "Active", 7, "1/3/2016 13:00", group="Group 2",
                resolved="1/3/2016 16:00"),
        _sn_row("INC1", "Resolved", 6, "1/3/2016 13:00", group="Group 2",
                resolved="1/3/2016 16:00"),
        _sn_row("INC1", "Resolved", 9, "1/3/2016 16:00", group="Group 2",
                resolved="1/3/2016 16:00"),
    ]
    src = write_text(tmp_path / "log.csv", "\n".join([SN_HEADER, *rows]) + "\n")
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [src], wh, mapping=city_mapping(tmp_path, SN_MAPPING))
    assert _events(wh, "INC1") == [
        ("opened", "01 10:00", 0, "IT-02-3"),
        ("acknowledged", "01 10:05", 4, "IT-02-3"),
        ("on_hold", "01 11:00", 6, "IT-02-3"),
        ("resumed", "01 12:00", 10, "IT-02-3"),
        ("assigned", "01 12:10", 12, "IT-02-4"),
        ("resolved", "01 13:00", 14, "IT-02-4"),
        ("reopened", "01 13:00", 16, "IT-02-4"),
        ("resolved", "01 16:00", 18, "IT-02-4"),
    ]
    assert query(wh, "select priority, channel, service_code from raw.tickets") == [
        (3, "phone", "APP")]


def test_snapshot_times_are_converted_from_the_instance_zone(tmp_path):
    """São Paulo (BRT, UTC-3, after Brazil's summer time ended on 21 Feb 2016) → Warsaw
    (CET, UTC+1): + 4 h; the opened event is at opened_at."""
    rows = [_sn_row("INC2", "New", 0, "29/2/2016 01:23", opened="29/2/2016 01:16"),
            _sn_row("INC2", "Resolved", 2, "29/2/2016 08:53", opened="29/2/2016 01:16")]
    src = write_text(tmp_path / "log.csv", "\n".join([SN_HEADER, *rows]) + "\n")
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [src], wh, mapping=city_mapping(
        tmp_path, SN_MAPPING.replace('timezone = "Europe/Warsaw"', "")))
    assert _events(wh, "INC2") == [("opened", "29 05:16", 0, "IT-02-3"),
                                   ("resolved", "29 12:53", 4, "IT-02-3")]


def test_a_reopen_into_a_wait_gives_two_ordered_events(tmp_path):
    rows = [_sn_row("INC3", "New", 0, "1/3/2016 10:00"),
            _sn_row("INC3", "Resolved", 1, "1/3/2016 11:00"),
            _sn_row("INC3", "Awaiting Vendor", 2, "1/3/2016 12:00")]
    src = write_text(tmp_path / "log.csv", "\n".join([SN_HEADER, *rows]) + "\n")
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [src], wh, mapping=city_mapping(tmp_path, SN_MAPPING))
    assert _events(wh, "INC3") == [("opened", "01 10:00", 0, "IT-02-3"),
                                   ("resolved", "01 11:00", 4, "IT-02-3"),
                                   ("reopened", "01 12:00", 6, "IT-02-3"),
                                   ("on_hold", "01 12:00", 7, "IT-02-3")]


def test_a_stale_snapshot_is_no_reopening(tmp_path):
    """INC0000137's pattern: a lower sys_mod_count stamped after a higher one is a copy of
    an older version, not a change back to New."""
    rows = [_sn_row("INC4", "New", 1, "1/3/2016 10:00"),
            _sn_row("INC4", "Resolved", 2, "1/3/2016 11:00"),
            _sn_row("INC4", "New", 1, "1/3/2016 11:10"),
            _sn_row("INC4", "Closed", 3, "1/3/2016 12:00")]
    src = write_text(tmp_path / "log.csv", "\n".join([SN_HEADER, *rows]) + "\n")
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [src], wh, mapping=city_mapping(tmp_path, SN_MAPPING))
    assert _events(wh, "INC4") == [("opened", "01 10:00", 0, "IT-02-3"),
                                   ("resolved", "01 11:00", 4, "IT-02-3"),
                                   ("closed", "01 12:00", 8, "IT-02-3")]


def test_the_list_export_gives_opened_resolved_closed(tmp_path):
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [Path("tests/fixtures/real/servicenow_list_export.csv")], wh,
                 mapping=city_mapping(tmp_path, SN_MAPPING))
    assert _events(wh, "INC0100002") == [("opened", "03 09:10", 0, "IT-02-3"),
                                         ("resolved", "04 09:10", 1, "IT-02-3")]
    assert query(wh, "select ticket_id, priority, channel from raw.tickets order by 1") == [
        ("INC0100001", 2, "phone"), ("INC0100002", 3, "portal"), ("INC0100003", 4, "email"),
        ("INC0100004", 1, "phone")]


# ---- queue log --------------------------------------------------------------------------

def _ql(line: str, call: str, customer: str, entry: str, vru_exit: str, q_start: str,
        q_time: int, outcome: str, ser_time: int, server: str) -> str:
    return (f",{line},{call},{customer},0,PS,2010-08-01 00:00:00,{entry},{vru_exit},5,"
            f"{q_start},0:00:00,{q_time},{outcome},0:00:00,0:00:00,{ser_time},{server}")


def test_stage_times_give_offered_answered_ended(tmp_path, capsys):
    rows = [
        _ql("AA01", "1", "0", "10:00:45", "10:00:51", "10:00:51", 42, "AGENT", 96, "VICKY"),
        _ql("AA01", "2", "0", "10:00:21", "10:00:31", "0:00:00", 0, "AGENT", 99, "NAAMA"),
        _ql("AA02", "1", "0", "10:10:10", "10:10:27", "0:00:00", 0, "HANG", 0, "NO_SERVER"),
        _ql("AA02", "2", "0", "10:20:00", "10:20:05", "10:20:05", 3, "PHANTOM", 0,
            "NO_SERVER"),
        _ql("AA02", "3", "0", "11:00:00", "11:00:10", "11:00:10", 65, "HANG", 0, "NO_SERVER"),
        # crossing midnight: queued after 0:00 of the next day
        _ql("AA03", "9", "0", "23:59:50", "23:59:58", "0:00:05", 10, "AGENT", 30, "ANAT"),
    ]
    src = write_text(tmp_path / "q.csv", "\n".join([QL_HEADER, *rows]) + "\n")
    wh = tmp_path / "wh.duckdb"
    import_files("queue-log", [src], wh, mapping=city_mapping(tmp_path,
                                                          'timezone = "Europe/Warsaw"\n'))
    assert "1 hung up in the voice-response unit, 1 recording artefact" in \
        capsys.readouterr().out
    fmt = "'%d %H:%M:%S'"
    assert query(wh, f"select call_id, strftime(offered_at, {fmt}), strftime(answered_at, "
                     f"{fmt}), strftime(ended_at, {fmt}), agent_id is not null from raw.calls "
                     "order by offered_at") == [
        ("20100801-AA01-2", "01 10:00:31", "01 10:00:31", "01 10:02:10", True),
        ("20100801-AA01-1", "01 10:00:51", "01 10:01:33", "01 10:03:09", True),
        ("20100801-AA02-3", "01 11:00:10", None, "01 11:01:15", False),
        ("20100801-AA03-9", "02 00:00:05", "02 00:00:15", "02 00:00:45", True),
    ]
    # the agent's name is only its keyed hash
    assert not query(wh, "select 1 from raw.calls where agent_id in ('VICKY', 'NAAMA')")


def test_the_queue_logs_time_zone_is_converted(tmp_path):
    rows = [_ql("AA01", "1", "0", "10:00:45", "10:00:51", "10:00:51", 42, "AGENT", 96, "V")]
    src = write_text(tmp_path / "q.csv", "\n".join([QL_HEADER, *rows]) + "\n")
    wh = tmp_path / "wh.duckdb"
    import_files("queue-log", [src], wh)  # Israel (IDT, UTC+3) → Warsaw (CEST, UTC+2)
    assert query(wh, "select strftime(offered_at, '%H:%M:%S') from raw.calls") == [
        ("09:00:51",)]


# ---- Open311 ---------------------------------------------------------------------------

def test_open311_offsets_numbers_and_status_notes(tmp_path):
    wh = tmp_path / "wh.duckdb"
    mapping = city_mapping(tmp_path, '[services]\npolicy = "fallback"\nfallback = "other"\n'
                                 '[agencies]\npolicy = "fallback"\nfallback = "DK-03"\n')
    import_files("open311", [Path("tests/fixtures/real/open311_examples.json"),
                             Path("tests/fixtures/real/open311_bulk.csv")], wh, mapping=mapping)
    got = dict((r[0], r[1:]) for r in query(
        wh, "select submission_id, strftime(received_at, '%Y-%m-%d %H:%M'), "
            "strftime(closed_at, '%Y-%m-%d %H:%M'), outcome, channel from raw.submissions"))
    assert got["KRK-2025-0045902"] == ("2025-10-25 00:15", "2025-10-27 09:30", "resolved",
                                       "portal")  # Z → CEST
    assert got["KRK-2025-0012877"] == ("2025-03-28 16:40", "2025-03-31 10:05", "resolved",
                                       "portal")  # across the spring change
    assert got["KRK-2025-0047251"][2] == "duplicate"  # said only in status_notes
    assert got["47305"] == ("2025-11-06 09:48", None, "open", "portal")  # a JSON number
    assert got["KRK-2025-0050002"][2:] == ("duplicate", "mobile_app")  # Bulk: source
    assert got["KRK-2025-0050003"][2:] == ("open", "staff")
    assert got["KRK-2025-0050004"][2] == "rejected"
    assert len(got) == 10


SUBMISSION_COLUMNS = ("submission_id, strftime(received_at, '%Y-%m-%d %H:%M:%S'), channel, "
                      "topic_code, responsible_unit, strftime(closed_at, '%Y-%m-%d %H:%M:%S'), "
                      "outcome, submitter_email_hash")


def _submissions(tmp_path: Path, name: str, files: list[Path]) -> list[tuple]:
    wh = tmp_path / f"{name}.duckdb"
    import_files("open311", files, wh)  # no mapping: the codes are kept as written
    return query(wh, f"select {SUBMISSION_COLUMNS} from raw.submissions order by 1")


def _georeport_xml(requests: list[dict], root: str = "service_requests",
                   record: str = "request") -> str:
    """A GeoReport v2 XML response of ``requests`` (hand-written from the spec: an element
    per field, empty for null, a nested element left in to be ignored)."""
    from xml.sax.saxutils import escape

    def field(key, value):
        return f"<{key}>{'' if value is None else escape(str(value))}</{key}>"

    body = "".join(f"<{record}>" + "".join(field(k, v) for k, v in r.items())
                   + "<attributes><attribute><code>X</code></attribute></attributes>"
                   f"</{record}>\n" for r in requests)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n{body}</{root}>\n'


def test_open311_xml_and_a_wrapped_json_read_as_the_plain_json(tmp_path):
    """GeoReport v2's required format is XML; some servers wrap the JSON array in an
    object. Both give the rows the plain JSON array gives, field for field."""
    import json

    src = Path("tests/fixtures/real/open311_examples.json")
    native = json.loads(src.read_text(encoding="utf-8"))
    plain = _submissions(tmp_path, "plain", [src])
    assert len(plain) == len(native) and any(r[5] for r in plain)
    xml = write_text(tmp_path / "requests.xml", _georeport_xml(native))
    assert _submissions(tmp_path, "xml", [xml]) == plain
    wrapped = write_text(tmp_path / "wrapped.json",
                     json.dumps({"service_requests": native}, ensure_ascii=False))
    assert _submissions(tmp_path, "wrapped", [wrapped]) == plain


def test_a_georeport_error_response_or_another_xml_is_refused_naming_it(tmp_path):
    errors = write_text(tmp_path / "errors.xml", _georeport_xml(
        [{"code": 403, "description": "Invalid api_key"}], root="errors", record="error"))
    other = write_text(tmp_path / "other.xml", _georeport_xml([{"a": 1}], root="services",
                                                          record="service"))
    broken = write_text(tmp_path / "broken.xml", "<service_requests><request>")
    for path, says in ((errors, "the server answered with an error, not requests (403 "
                                "Invalid api_key)"),
                       (other, "not a GeoReport v2 response (root element <services>"),
                       (broken, "cannot be read as XML: no element found")):
        result = CliRunner().invoke(main, ["import", "open311", str(path), "--warehouse",
                                           str(tmp_path / "wh.duckdb")])
        assert result.exit_code == 2, result.output
        assert f"{path.name}: {says}" in " ".join(result.output.split()), result.output


def test_a_windows_1250_semicolon_csv_reads_as_its_utf8_original(tmp_path):
    """Polish Excel writes CSV in Windows-1250 with ';': read as the same text (Polish
    letters kept), and the import says how it was read."""
    src = Path("tests/fixtures/real/open311_v2.csv")
    text = src.read_text(encoding="utf-8")
    assert "ą" in text
    excel = tmp_path / "open311_excel.csv"
    excel.write_bytes(text.replace(",", ";").encode("cp1250"))
    plain = _submissions(tmp_path, "plain", [src])
    assert _submissions(tmp_path, "excel", [excel]) == plain
    assert any("Zarząd Dróg Miasta Krakowa" == r[4] for r in plain)
    wh = tmp_path / "excel.duckdb"
    assert query(wh, "select count(*) from raw.load_audit where message like "
                     "'%read as Windows-1250%'") == [(1,)]


# ---- the load: threshold, idempotence -------------------------------------------------

def test_the_reject_threshold_refuses_the_import_and_swaps_nothing(tmp_path):
    src = write_text(tmp_path / "nyc.csv", "Unique Key,Created Date,Agency,Complaint Type,Status,"
                 "Open Data Channel Type\n1,06/26/2018 10:58:54 AM,NYPD,Noise,Open,PHONE\n"
                 "2,not a date,NYPD,Noise,Open,PHONE\n")
    mapping = city_mapping(tmp_path, '[request_types]\npolicy = "fallback"\nfallback = "other"\n'
                                 '[agencies]\npolicy = "fallback"\nfallback = "DK-03"\n')
    wh = tmp_path / "wh.duckdb"
    runner = CliRunner()
    res = runner.invoke(main, ["import", "socrata-311", str(src), "--mapping", str(mapping),
                               "--warehouse", str(wh)])
    assert res.exit_code == 2 and "1 of 2 rows rejected (50.0 %" in res.output
    assert current_file(wh) is None  # nothing swapped in
    res = runner.invoke(main, ["import", "socrata-311", str(src), "--mapping", str(mapping),
                               "--warehouse", str(wh), "--max-reject-pct", "50"])
    assert res.exit_code == 0, res.output
    assert query(wh, "select count(*) from raw.submissions") == [(1,)]
    # the same file, profile and mapping again: nothing read
    res = runner.invoke(main, ["import", "socrata-311", str(src), "--mapping", str(mapping),
                               "--warehouse", str(wh)])
    assert res.exit_code == 0 and "skipped: already loaded" in res.output


def test_a_load_rejecting_every_row_or_finding_nothing_never_exits_0(tmp_path):
    assert DEFAULT_MAX_REJECT_PCT == 10.0
    opt = next(p for p in main.commands["load"].params if p.name == "max_reject_pct")
    assert opt.default == DEFAULT_MAX_REJECT_PCT
    empty = tmp_path / "empty"
    empty.mkdir()
    runner = CliRunner()
    res = runner.invoke(main, ["load", str(empty), "--warehouse", str(tmp_path / "a.duckdb")])
    assert res.exit_code == 2 and "nothing was recognised" in res.output
    bad = tmp_path / "bad"
    bad.mkdir()
    write_text(bad / "calls.csv", "call_id,queue,offered_at,answered_at,ended_at\n"
                              "C1,Q,2025-13-01 08:00:00,,2025-03-03 08:05:00\n")
    res = runner.invoke(main, ["load", str(bad), "--warehouse", str(tmp_path / "b.duckdb"),
                               "--max-reject-pct", "100"])
    assert res.exit_code == 2 and "1 of 1 rows rejected" in res.output
    assert current_file(tmp_path / "b.duckdb") is None
    with pytest.raises(LoadRefused):
        load_directory(bad, tmp_path / "c.duckdb", max_reject_pct=100)
    load_directory(bad, tmp_path / "c.duckdb")  # the library's default keeps every load


def test_the_daily_update_takes_the_reject_threshold_too(tmp_path):
    """`cityops update` refuses as `cityops load` does: 1 bad row of 20 (5 %) passes the
    default 10 % but not --max-reject-pct 1 — exit 2, nothing built or swapped in."""
    opt = next(p for p in main.commands["update"].params if p.name == "max_reject_pct")
    assert opt.default == DEFAULT_MAX_REJECT_PCT
    src = tmp_path / "src"
    src.mkdir()
    good = [f"C{i},Q,2025-03-03 08:{i:02d}:00,,2025-03-03 08:{i:02d}:30" for i in range(19)]
    write_text(src / "calls.csv", "\n".join(["call_id,queue,offered_at,answered_at,ended_at",
                                         *good, "C99,Q,2025-13-01 08:00:00,,"]) + "\n")
    res = CliRunner().invoke(main, ["update", str(src), "--warehouse",
                                    str(tmp_path / "wh.duckdb"), "--max-reject-pct", "1"])
    assert res.exit_code == 2, res.output
    assert "1 of 20 rows rejected" in " ".join(res.output.split())
    assert current_file(tmp_path / "wh.duckdb") is None


def test_event_seq_keeps_two_events_of_one_minute_apart(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_text(src / "tickets.csv", "ticket_id,opened_at,ticket_type,service_code,requester_unit,"
           "channel,priority,summary\nT1,2025-03-03 08:00:00,incident,APP,KP,phone,3,\n")
    write_text(src / "it_services.csv", "service_code,name_pl,name_en,owner_unit,criticality,"
           "support_hours,status,valid_from,valid_to\nAPP,Aplikacje,Apps,IT-02-4,2,business,"
           "active,2020-01-01,\n")
    write_text(src / "ticket_events.csv", "ticket_id,event_at,event,group_code,priority,"
           "comment_chars,event_seq\nT1,2025-03-03 08:00:00,opened,IT-02-3,3,0,0\n"
           "T1,2025-03-03 09:00:00,resolved,IT-02-3,3,0,2\n"
           "T1,2025-03-03 09:00:00,reopened,IT-02-3,3,0,3\n"
           "T1,2025-03-03 09:30:00,resolved,IT-02-3,3,0,4\n")
    wh = tmp_path / "wh.duckdb"
    report = load_directory(src, wh)
    assert report.rows_rejected == 0
    assert query(wh, "select event, event_seq from raw.ticket_events order by event_seq") == [
        ("opened", 0), ("resolved", 2), ("reopened", 3), ("resolved", 4)]
