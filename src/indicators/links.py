"""Links to views of the app, as printed in exports and packs (no Streamlit here)."""
from __future__ import annotations

from urllib.parse import quote


def permalink(page: str, **params: object) -> str:
    """An absolute link to a view of the app with its state (see paths.base_url)."""
    from .paths import base_url

    parts = [f"{k}={quote(','.join(map(str, v)) if isinstance(v, (list, tuple)) else str(v), safe=':,-')}"
             for k, v in params.items() if v not in (None, "", [])]
    return f"{base_url()}/{page}" + ("?" + "&".join(parts) if parts else "")
