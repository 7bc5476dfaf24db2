"""Who may write, seen from the pages: nobody on a public instance (OBS_MODE=public); on the editors'
instance, a signed-in user when OpenID Connect is configured (OBS_AUTH=oidc, Streamlit's st.login),
or whoever the reverse proxy lets through (OBS_AUTH=proxy, user in X-Forwarded-User)."""
from __future__ import annotations

import streamlit as st

from indicators.config import settings

PROXY_USER_HEADERS = ("X-Forwarded-User", "X-Remote-User", "X-Auth-Request-Email")


def signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError, RuntimeError):
        return False


def current_user() -> str | None:
    """The name written in the journal of writes."""
    auth = settings().auth
    if auth == "oidc" and signed_in():
        return str(st.user.get("email") or st.user.get("name") or "utilisateur connecté")
    if auth == "proxy":
        headers = st.context.headers
        return next((headers.get(h) for h in PROXY_USER_HEADERS if headers.get(h)), None)
    return None


def can_write() -> bool:
    config = settings()
    if config.mode != "edition":
        return False
    return config.auth != "oidc" or signed_in()


def read_only_notice() -> None:
    st.info("Instance publique, en consultation : les imports, les annulations et la gestion des groupes se font "
            "sur l'instance d'édition de l'observatoire.")


def login_gate() -> None:
    """On the editors' instance with OpenID Connect, nothing but the sign-in screen until signed in."""
    config = settings()
    if config.mode != "edition" or config.auth != "oidc" or signed_in():
        return
    st.title("Observatoire de l'attractivité — édition")
    st.markdown("Cette instance sert à importer des données et à gérer les groupes : connectez-vous avec votre "
                "compte (ProConnect ou le fournisseur d'identité de votre collectivité).")
    st.button("Se connecter", type="primary", on_click=st.login)
    st.stop()


def note(record) -> None:
    """A journal line (`record()`); if it cannot be written the write stays made, and the page says why
    after its rerun."""
    from indicators.journal import JournalFailed

    try:
        record()
    except JournalFailed as exc:
        st.session_state["journal_failed"] = str(exc)


def journal_warning() -> None:
    if st.session_state.get("journal_failed"):
        from indicators.text import md

        st.warning(md(st.session_state.pop("journal_failed")))
