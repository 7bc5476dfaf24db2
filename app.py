"""Observatoire de l'attractivité: navigation, shared sidebar, and the database guard."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).parent / "src"))  # runs from a clone without `pip install -e .`

from streamlit import config as st_config  # noqa: E402

from indicators import links  # noqa: E402
from indicators.config import ConfigError, serve_on, settings  # noqa: E402
from ui import access, data, francais  # noqa: E402

st.set_page_config(page_title="Observatoire de l'attractivité", page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
                   layout="wide")

# The pages are declared once in indicators.links (their files, titles, Material icons, which Streamlit
# bundles, so no web font is needed offline, and views). The default page is served at `/`, so each
# real view has its own url_path and deep links work.
PAGES = [st.Page(p.file, title=p.title, icon=p.icon, default=not p.name, url_path=p.name or None)
         for p in links.PAGES]

try:
    # Uploads over our limit must reach the page, which refuses them in French (see config.Settings).
    st_config.set_option("server.maxUploadSize", settings().upload_hard_cap_mb)
    serve_on(st_config.get_option("server.port"))  # printed links default to where this server answers
except ConfigError as exc:
    st.error(f"Configuration invalide : {exc}")
    st.stop()

# Our own static style (no user text): captions dark enough for the RGAA contrast ratio (4.5:1).
st.markdown("<style>[data-testid='stCaptionContainer'], [data-testid='stCaptionContainer'] * "
            "{ color: #555b63 !important; opacity: 1 !important; }</style>", unsafe_allow_html=True)

access.login_gate()  # the editors' instance with OpenID Connect: sign in first
page = st.navigation(PAGES)
with st.sidebar:
    st.markdown("### Observatoire de l'attractivité")
    st.caption("Attractivité des territoires et effets des programmes de revitalisation.")
    francais.install(f"{settings().max_upload_mb:g} Mo".replace(".", ","))
    access.signed_in_caption()
data.require_database()
data.run_guarded(page)
