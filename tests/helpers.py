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
