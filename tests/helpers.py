"""Helpers the test modules share (pytest puts this directory on sys.path)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from warehouse.store import connect_read_only

# an [auth] section of secrets.toml, enough for Streamlit to treat single sign-on as configured
AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 64,
    "client_id": "cityops",
    "client_secret": "s",
    "server_metadata_url": "https://sso.example.invalid/.well-known/openid-configuration",
}

# the real exports the import tests read (their sources and licences: fixtures/real/README)
REAL = Path(__file__).resolve().parent / "fixtures" / "real"
UTC = ZoneInfo("UTC")
WARSAW = ZoneInfo("Europe/Warsaw")

# a city's ServiceNow mapping that sends every group, location and category to one code
SN_MAPPING = """
[groups]
policy = "fallback"
fallback = "IT-02-3"
[locations]
policy = "fallback"
fallback = "KP"
[categories]
policy = "fallback"
fallback = "APP"
"""


def query(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of ``sql`` on the warehouse's current build, opened read-only and closed."""
    con = connect_read_only(wh)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write_text(path: Path, text: str) -> Path:
    """``text`` written to ``path`` in UTF-8; the path."""
    path.write_text(text, encoding="utf-8")
    return path


def city_mapping(folder: Path, text: str) -> Path:
    """A city's mapping file (TOML) ``text`` in ``folder``."""
    return write_text(folder / "city.toml", text)


def audit_load(con, load_id: str, table: str) -> None:
    """The raw.load_audit row the loader writes for the rows of ``load_id`` in ``table``
    (the build learns from it which sources have new rows)."""
    from warehouse.loading.writing import insert_audit

    (n,) = con.execute(f"select count(*) from raw.{table} where _load_id = ?",
                       [load_id]).fetchone()
    (now,) = con.execute("select localtimestamp").fetchone()
    insert_audit(con, load_id=load_id, contract=table, file_name=f"{table}.csv",
                 sha256=load_id, rows_read=n, rows_loaded=n, rows_rejected=0,
                 status="loaded", message="", started_at=now, finished_at=now,
                 extracted_at=now)


def plant_ticket(con, ticket_id: str, service_code: str, events: list[tuple], load_id: str
                 ) -> None:
    """A ticket of ``service_code`` (no calendar of its own: the UMK office hours) with
    ``events`` (event_at, event, group_code) written straight into raw as load ``load_id``,
    opened at its first event; the other columns copied from the first ticket / event in
    raw. Audit the load with :func:`audit_load` once every ticket of it is planted."""
    con.execute("insert into raw.tickets select * replace (? as ticket_id, ? as opened_at, "
                "? as service_code, null as calendar_code, ? as _load_id) "
                "from raw.tickets order by ticket_id limit 1",
                [ticket_id, events[0][0], service_code, load_id])
    for at, event, group in events:
        con.execute("insert into raw.ticket_events select * replace (? as ticket_id, "
                    "? as event_at, ? as event, ? as group_code, null as event_seq, "
                    "? as _load_id) from raw.ticket_events where event = 'opened' "
                    "order by ticket_id limit 1", [ticket_id, at, event, group, load_id])
