"""Single sign-on for the dashboards: Streamlit's built-in OIDC login, switched on by config.

Off by default (the server binds 127.0.0.1, see ``.streamlit/config.toml``).  With
``CITYOPS_AUTH=oidc`` in the environment, :func:`require_login` — the first call of the
app's entry point — shows only a sign-in prompt until the city's identity provider has
authenticated the user, and stops the script there, so no page, query or number renders
before login.  The provider is configured in the ``[auth]`` section of
``.streamlit/secrets.toml`` (docs/SSO.md has an example).  Switched on but not configured,
it fails closed: an error message, no pages.  Its texts come from the dashboards'
catalogues, in every language at once (no language is chosen before login).

``CITYOPS_AUTH_PROVIDER`` names an ``[auth.<provider>]`` section when there are several.
"""

from __future__ import annotations

import os

import streamlit as st

from dashboards.i18n import DEFAULT_LANG, t, t_all

ENV_MODE = "CITYOPS_AUTH"
ENV_PROVIDER = "CITYOPS_AUTH_PROVIDER"


def auth_mode() -> str:
    """``"oidc"`` when single sign-on is switched on, else ``"off"``."""
    mode = os.environ.get(ENV_MODE, "off").strip().lower()
    if mode in ("", "off", "none", "0", "false"):
        return "off"
    if mode != "oidc":
        # an unknown value must not silently mean "no login"
        raise ValueError(f"{ENV_MODE}={mode!r}: use 'oidc' or 'off'")
    return "oidc"


def _provider() -> str | None:
    return os.environ.get(ENV_PROVIDER) or None


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def is_logged_in() -> bool:
    return bool(st.user.to_dict().get("is_logged_in", False))


def signed_in_user() -> str | None:
    """Who owns what this session saves: the signed-in user's e-mail (the OIDC ``sub`` when
    the provider sends none) with single sign-on on; None with it off (one shared owner)."""
    if auth_mode() != "oidc" or not is_logged_in():
        return None
    info = st.user.to_dict()
    return str(info.get("email") or info.get("sub") or "") or None


def require_login() -> None:
    """Call first in the app entry: with SSO on, render only the sign-in prompt until login."""
    try:
        mode = auth_mode()
    except ValueError as exc:
        st.error(t_all("auth_bad_config", error=exc))
        st.stop()
        return
    if mode == "off":
        return
    if not _auth_configured():
        st.error(t_all("auth_not_configured"))
        st.stop()
        return
    if is_logged_in():
        with st.sidebar:
            name = st.user.to_dict().get("name") or st.user.to_dict().get("email") or ""
            st.caption(t_all("auth_signed_in", name=name))
            st.button(t_all("auth_sign_out"), on_click=st.logout, key="cityops_logout")
        return
    st.title(t("auth_title", DEFAULT_LANG))  # the city hall's own name, as it is
    st.info(t_all("auth_prompt"))
    st.button(
        t_all("auth_sign_in"),
        type="primary",
        key="cityops_login",
        on_click=st.login,
        args=(_provider(),) if _provider() else (),
    )
    st.stop()
