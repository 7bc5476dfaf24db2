"""Who may write, seen from the pages: nobody on a public instance (OBS_MODE=public); on the editors'
instance, a signed-in user when OpenID Connect is configured (OBS_AUTH=oidc, Streamlit's st.login),
or whoever the reverse proxy lets through (OBS_AUTH=proxy, user in X-Forwarded-User)."""
from __future__ import annotations

import streamlit as st

from indicators.config import PROXY_HEADER, settings
from indicators.text import plain

def signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError, RuntimeError):
        return False


def user_from_headers(headers, header: str, secret: str = "") -> str | None:
    """The user a reverse proxy names, read from the one configured header (the shipped nginx sets it
    and drops whatever a browser sent under that name), as plain text; None when absent or empty, and
    None unless the request also carries the proxy's secret: a local caller reaching a Streamlit port
    directly (a websocket to 127.0.0.1 with its own X-Forwarded-User) names nobody."""
    import hmac

    if not secret or not hmac.compare_digest((headers.get(PROXY_HEADER) or "").encode(), secret.encode()):
        return None
    name = plain(headers.get(header) or "")
    return name or None


def current_user() -> str | None:
    """The name written in the journal of writes."""
    config = settings()
    if config.auth == "oidc" and signed_in():
        return plain(st.user.get("email") or st.user.get("name") or "") or "utilisateur connecté"
    if config.auth == "proxy":
        return user_from_headers(st.context.headers, config.user_header, config.proxy_secret)
    return None


def can_write() -> bool:
    """Edition mode, and a known user when sign-in is required: signed in through OpenID Connect, or
    named by the proxy (a write without its header is refused, never journaled as « inconnu »)."""
    config = settings()
    if config.mode != "edition":
        return False
    if config.auth == "oidc":
        return signed_in()
    if config.auth == "proxy":
        return current_user() is not None
    return True


def read_only_notice() -> None:
    if settings().mode == "edition" and settings().auth == "proxy":
        st.info("Écriture réservée aux personnes identifiées : passez par le portail de connexion de votre "
                "collectivité (aucun utilisateur n'a été transmis à l'observatoire).")
        return
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


def signed_in_caption() -> None:
    """Who writes, said in the sidebar (and how to leave, with OpenID Connect)."""
    config = settings()
    if config.mode != "edition" or config.auth == "none":
        return
    user = current_user()
    if user is None:
        st.caption("Non identifié : consultation seulement.")
        return
    from indicators.text import md

    st.caption(f"Connecté : {md(user)}")
    if config.auth == "oidc":
        st.button("Se déconnecter", key="w_logout", on_click=st.logout)
