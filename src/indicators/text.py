"""User text made safe for every place it is shown (Streamlit markdown, HTML, plotly), and checked on
the way in. Imported indicator labels, units, sources and group names come from anyone who can reach
the import page: they are data, never markup."""
from __future__ import annotations

import html
import re
import unicodedata

# CommonMark lets any ASCII punctuation be escaped with a backslash; escaping every markup character
# means a label can never become a link, an image (an outside request), a heading or a colour
# directive (`:red[...]`), and `$` never starts LaTeX.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=\"'^])")
# Bare addresses: GFM turns `www.x.fr` and `https://x.fr` into links even when escaped around.
_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)")
# Letters of any script, digits, spaces and the punctuation a French label or unit needs.
_ALLOWED = re.compile(r"^[\w\s'’,.;:()/%‰€°²³+&–—«»?-]*$")
LIMITS = {"category": 80, "label": 120, "unit": 40, "source": 300, "licence": 120, "definition": 600, "name": 120,
          "description": 600}
FIELD_NAMES = {"category": "catégorie", "label": "libellé", "unit": "unité", "source": "source", "licence": "licence",
               "definition": "définition", "name": "nom", "description": "description"}


_ZWSP = "\u200b"
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")


def _unlinked(text: object) -> str:
    """GFM turns `http://…`, `www.…` and `a@b.fr` into links even inside escaped text: a zero-width
    space after `:`, `www` and `@` keeps them plain text, and the text reads the same."""
    return _AUTOLINK.sub(lambda m: m.group(0)[0] + _ZWSP + m.group(0)[1:], str(text if text is not None else ""))


def md(text: object) -> str:
    """Text shown literally by `st.markdown`, `st.caption`, `st.info`, widget labels and metrics."""
    plain = _unlinked(text).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", plain)


def html_text(text: object) -> str:
    """Text for an HTML fragment shown through markdown (quotes escaped, so safe in attributes too)."""
    return html.escape(_unlinked(text), quote=True)


def plot(text: object) -> str:
    """Text for plotly titles, legends, hovers and annotations: plotly reads `<a href>`, `<b>`, `<br>`…
    as markup and turns entities back into characters, so escaped text shows as typed."""
    return html.escape(str(text if text is not None else ""), quote=False)


def check(field: str, value: str, required: bool = True) -> str | None:
    """A French message saying what is wrong with a user-supplied label, unit, source…, or None."""
    name = FIELD_NAMES.get(field, field)
    text = value or ""
    if not text.strip():
        return f"le champ « {name} » est obligatoire." if required else None
    limit = LIMITS.get(field, 120)
    if len(text) > limit:
        return f"le champ « {name} » dépasse {limit} caractères ({len(text)})."
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in text if c not in " "):
        return f"le champ « {name} » contient un caractère de contrôle ou invisible."
    if _URL.search(text):
        return f"le champ « {name} » ne peut pas contenir d'adresse web : nommez le producteur et le jeu de données."
    bad = sorted({c for c in text if not _ALLOWED.match(c)})
    if bad:
        return (f"le champ « {name} » contient des caractères non admis : "
                + " ".join(f"« {c} »" for c in bad[:8]) + " (lettres, chiffres, espaces et ponctuation courante).")
    return None


def plain(value: object, limit: int = 120) -> str:
    """Text from outside (a proxy's user header, a publisher's installation name) made plain before it is
    stored or shown: control, invisible and bidirectional characters removed (U+202E would show
    « ‮nimda » reversed), markup characters dropped, spaces squeezed, cut to `limit`."""
    text_ = unicodedata.normalize("NFC", str(value if value is not None else ""))
    kept = "".join(" " if c in "\t\n\r" else c for c in text_
                   if unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs") or c in "\t\n\r")
    kept = re.sub(r"[<>`$\\{}]", "", kept)
    return re.sub(r"\s+", " ", kept).strip()[:limit]


def not_available(where: str, coverage: str, what: str = "", then: str = "") -> str:
    """The one sentence every screen says where a figure is missing (markdown; `where` and `then` are
    already markdown, `what` and `coverage` are escaped here): never a 0, always the coverage."""
    lead = f"{md(what)} : donnée non disponible" if what else "Donnée non disponible"
    return f"{lead} {where}{' ; ' + then if then else ''}. Couverture : {md(coverage)}"
