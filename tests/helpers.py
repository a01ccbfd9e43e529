"""Helpers the test modules share (pytest puts this directory on sys.path)."""

from __future__ import annotations

from pathlib import Path

from warehouse.store import connect_read_only

# an [auth] section of secrets.toml, enough for Streamlit to treat single sign-on as configured
AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 64,
    "client_id": "cityops",
    "client_secret": "s",
    "server_metadata_url": "https://sso.example.invalid/.well-known/openid-configuration",
}


def query(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of ``sql`` on the warehouse's current build, opened read-only and closed."""
    con = connect_read_only(wh)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
