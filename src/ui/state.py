"""The view state a user can see, kept in the URL (`st.query_params`) so any view is a shareable link.

Every URL key is declared once, here, as a `Param` (its page, type, default, allowed values and
bounds); a page's keys together form its typed view (`CarteView`, `EvolutionsView`...). Two
declarations of one key that could meet on one page fail at import, so a key can no longer mean
two things (Comparer's neighbour count used to break Carte's classes). A value that is out of range
or unknown is replaced by the nearest valid one, with a short notice, never a traceback.

`parse`/`dump` and the views' `from_params`/`to_params` are pure (tested without Streamlit);
`read`/`write` bind them to the URL and to the session (page switches drop query parameters).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self, TypeVar

import streamlit as st

from indicators import classify, territories, transforms, years
from indicators.text import md

SHARED = "*"          # a key every page reads with the same meaning
MAX_TEXT = 2_000      # characters of one URL value: a longer one is hostile, not a view
MAX_WEIGHT = 10.0
_MEMO = "url:"
_NOTICES = "url_notices"


class KeyCollision(Exception):
    """Two declarations of one URL key that could be read on the same page."""


@dataclass(frozen=True)
class Param:
    """One URL key: what it holds, its default and the values it may take."""
    key: str
    page: str                      # SHARED or the page's url path
    label: str                     # French name, for the notice that says a value was replaced
    kind: str = "text"             # text | choice | int | float | list | flag | weights
    default: Any = None
    options: tuple[str, ...] | None = None   # for `choice` (None: options known only at run time)
    low: float | None = None
    high: float | None = None
    limit: int = 50                # entries of a list
    omit_default: bool = False     # the default is not written in the link

    def parse(self, raw: str | None, options: Sequence[Any] | None = None, default: Any = None,
              bounds: tuple[float, float] | None = None) -> tuple[Any, str | None]:
        """(value, notice): the raw URL text made valid; the notice says what was replaced, or None.
        `options` and `bounds` narrow the declared ones with what is known at run time (the base's years)."""
        default = self.default if default is None else default
        default = list(default) if isinstance(default, tuple) else default
        if raw is None or raw == "":
            return default, None
        if len(raw) > MAX_TEXT:
            return default, f"{self.label} : valeur trop longue ignorée"
        allowed = options if options is not None else self.options
        if self.kind in ("int", "float"):
            return self._number(raw, default, bounds or (self.low, self.high))
        if self.kind == "list":
            items = list(dict.fromkeys(v for v in raw.split(",") if v))
            kept = [v for v in items if allowed is None or v in allowed][:self.limit]
            return kept, None if kept == items else f"{self.label} : {len(items) - len(kept)} valeur(s) ignorée(s)"
        if self.kind == "flag":
            return (raw == "1", None) if raw in ("0", "1") else (default, _replaced(self.label, raw, default))
        if allowed is not None and raw not in allowed:
            return default, _replaced(self.label, raw, default)
        return raw, None

    def _number(self, raw: str, default: Any, bounds: tuple[float | None, float | None]) -> tuple[Any, str | None]:
        try:
            number = float(raw)
        except ValueError:
            return default, _replaced(self.label, raw, default)
        if not math.isfinite(number):
            return default, _replaced(self.label, raw, default)
        value = int(number) if self.kind == "int" else number
        low, high = bounds
        clamped = min(max(value, low if low is not None else value), high if high is not None else value)
        if self.kind == "int":
            clamped = int(clamped)
        return clamped, None if clamped == number else _replaced(self.label, raw, clamped)

    def dump(self, value: Any) -> str | None:
        """The value as the link writes it; None removes the key."""
        if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
            return None
        if self.omit_default and value == self.default:
            return None
        if self.kind == "flag":
            return "1" if value else "0"
        if isinstance(value, (list, tuple)):
            return ",".join(map(str, value))
        if self.kind == "float":
            return f"{value:g}"
        return str(value)


def _replaced(label: str, raw: str, by: Any) -> str:
    shown = md(raw[:40] + ("…" if len(raw) > 40 else ""))
    by = f"{by:g}".replace(".", ",") if isinstance(by, float) else "valeur par défaut" if by is None else by
    return f"{label} : « {shown} » remplacé par « {md(str(by))} »"


_REGISTRY: dict[str, list[Param]] = {}


def declare(param: Param) -> Param:
    """Register a key; a second declaration that could be read on the same page is an error at import."""
    for known in _REGISTRY.get(param.key, []):
        if known == param:
            return known
        if SHARED in (known.page, param.page) or known.page == param.page:
            raise KeyCollision(f"URL key {param.key!r} declared for {known.page!r} and {param.page!r}")
    _REGISTRY.setdefault(param.key, []).append(param)
    return param


def registry() -> dict[str, list[Param]]:
    return {k: list(v) for k, v in _REGISTRY.items()}


# Keys every page reads with the same meaning, declared once.
TERRITORIES = declare(Param("t", SHARED, "Territoires", "list", (), limit=50))
INDICATOR = declare(Param("i", SHARED, "Indicateurs", "list", (), limit=20))
GROUP = declare(Param("g", SHARED, "Groupe", "choice"))
SMALL = declare(Param("petits", SHARED, "Effectifs faibles", "flag", False, omit_default=True))
YEAR_FROM = declare(Param("de", SHARED, "Première année", "int", None, low=years.FIRST_DATA, high=years.last_data()))
YEAR_TO = declare(Param("a", SHARED, "Dernière année", "int", None, low=years.FIRST_DATA, high=years.last_data()))
TARGET = declare(Param("cible", SHARED, "Territoire", "choice"))


def _field(param: Param) -> Any:
    if isinstance(param.default, tuple):
        return field(default_factory=list, metadata={"param": param})
    return field(default=param.default, metadata={"param": param})


@dataclass
class View:
    """A page's URL state: one field per key. Options known only at run time (territory codes,
    periods, indicators) are checked by the page with `read(..., options=...)`."""
    PAGE: ClassVar[str] = ""

    @classmethod
    def params(cls) -> dict[str, Param]:
        return {f.name: f.metadata["param"] for f in fields(cls)}

    @classmethod
    def param(cls, name: str) -> Param:
        return cls.params()[name]

    @classmethod
    def from_params(cls, raw: Mapping[str, str]) -> tuple[Self, list[str]]:
        """The view a link describes, every value made valid, and the notices for replaced ones."""
        values, notices = {}, []
        for name, param in cls.params().items():
            values[name], notice = param.parse(raw.get(param.key))
            if notice:
                notices.append(notice)
        return cls(**values), notices

    def to_params(self) -> dict[str, str]:
        """The link of this view (defaults the page leaves out are left out)."""
        out = {}
        for name, param in self.params().items():
            text = param.dump(getattr(self, name))
            if text is not None:
                out[param.key] = text
        return out


def _page_param(key: str, page: str, label: str, kind: str = "text", default: Any = None, **kw: Any) -> Any:
    return _field(declare(Param(key, page, label, kind, default, **kw)))


@dataclass
class CarteView(View):
    PAGE: ClassVar[str] = "carte"
    niveau: str = _page_param("niveau", "carte", "Niveau", "choice", "DEP", options=tuple(territories.MAP_LEVELS))
    dans: str | None = _page_param("dans", "carte", "Emprise", "choice")
    indicator: list[str] = _field(INDICATOR)
    p: str | None = _page_param("p", "carte", "Année ou période", "choice")
    methode: str = _page_param("methode", "carte", "Classes", "choice", "quantiles", options=tuple(classify.METHODS))
    k: int = _page_param("k", "carte", "Nombre de classes", "int", 5, low=3, high=9)
    bornes: str | None = _page_param("bornes", "carte", "Bornes", "text", limit=20)
    palette: str = _page_param("palette", "carte", "Palette", "choice", "auto", options=("auto", "div"))
    centre: str = _page_param("centre", "carte", "Centrée sur", "choice", "FR", options=("FR", "REG", "val"))
    refval: float = _page_param("refval", "carte", "Valeur de référence", "float", 0.0, low=-1e15, high=1e15)
    group: str | None = _field(GROUP)
    sel: str | None = _page_param("sel", "carte", "Territoire choisi", "text")
    annees: list[str] = _page_param("annees", "carte", "Autres années", "list", (), limit=5)
    small: bool = _field(SMALL)


@dataclass
class EvolutionsView(View):
    PAGE: ClassVar[str] = "evolutions"
    territories: list[str] = _field(TERRITORIES)
    vue: str = _page_param("vue", "evolutions", "Vue", "choice", "series", options=("series", "profil"))
    # `ref`: 1 (the first territory's département, région and France), 0 (none) or the codes themselves.
    ref: str = _page_param("ref", "evolutions", "Références", "text", "1")
    target: str | None = _field(TARGET)
    indicator: list[str] = _field(INDICATOR)
    group: str | None = _field(GROUP)
    mode: str = _page_param("mode", "evolutions", "Mode", "choice", "valeurs", options=tuple(transforms.MODES))
    base: int | None = _page_param("base", "evolutions", "Année de base", "int", None, low=years.FIRST_DATA,
                                   high=years.last_data())
    year_from: int | None = _field(YEAR_FROM)
    year_to: int | None = _field(YEAR_TO)


LINK_MEMBERS = territories.LINK_MEMBERS  # (inside a View, `territories` is the field of that name)
COMPARER_SECTIONS = ("tableau", "similaires", "effet", "profil", "groupes")


@dataclass
class ComparerView(View):
    PAGE: ClassVar[str] = "comparer"
    territories: list[str] = _field(TERRITORIES)
    group: str | None = _field(GROUP)
    vue: str = _page_param("vue", "comparer", "Vue", "choice", "tableau", options=COMPARER_SECTIONS)
    indicator: list[str] = _field(INDICATOR)
    detail: str | None = _page_param("id", "comparer", "Indicateur du détail", "choice")
    p: str | None = _page_param("p", "comparer", "Période", "choice")
    target: str | None = _field(TARGET)
    nv: int = _page_param("nv", "comparer", "Nombre de territoires semblables", "int", 5, low=3, high=20,
                          omit_default=True)
    w: str | None = _page_param("w", "comparer", "Poids de la similarité", "weights")
    kc: int = _page_param("kc", "comparer", "Voisins par membre", "int", 3, low=1, high=10, omit_default=True)
    ie: str | None = _page_param("ie", "comparer", "Indicateur de l'effet", "choice")
    me: bool = _page_param("me", "comparer", "Indice base 100", "flag", True)
    pond: bool = _page_param("pond", "comparer", "Pondération", "flag", True, omit_default=True)
    avec: list[str] = _page_param("avec", "comparer", "Territoires remis dans le vivier", "list", (), limit=50)
    sans: list[str] = _page_param("sans", "comparer", "Territoires retirés du vivier", "list", (), limit=200)
    vivier: str = _page_param("vivier", "comparer", "Vivier de comparaison", "choice", "REG", options=("REG", "DEP", "FR"),
                              omit_default=True)
    autres: bool = _page_param("autres", "comparer", "Autres programmes écartés", "flag", True, omit_default=True)
    debuts: bool = _page_param("debuts", "comparer", "Date propre de chaque membre", "flag", True, omit_default=True)
    cw: str | None = _page_param("cw", "comparer", "Poids du profil", "weights")
    membres: list[str] = _page_param("membres", "comparer", "Membres du groupe du lien", "list", (),
                                     limit=LINK_MEMBERS)
    debut: int | None = _page_param("debut", "comparer", "Début du groupe du lien", "int", None, low=years.FIRST_START,
                                    high=years.last_start())
    small: bool = _field(SMALL)


@dataclass
class ExporterView(View):
    PAGE: ClassVar[str] = "exporter"
    territories: list[str] = _field(TERRITORIES)
    indicator: list[str] = _field(INDICATOR)
    csv: str = _page_param("csv", "exporter", "Format CSV", "choice", "fr", options=("fr", "int"))
    gp: str | None = _page_param("gp", "exporter", "Groupe du dossier", "choice")
    ip: list[str] = _page_param("ip", "exporter", "Indicateurs du dossier", "list", (), limit=20)
    year_from: int | None = _field(YEAR_FROM)
    year_to: int | None = _field(YEAR_TO)


V = TypeVar("V", bound=View)
@dataclass
class TerrainView(View):
    PAGE: ClassVar[str] = "terrain"
    territories: list[str] = _field(TERRITORIES)
    group: str | None = _field(GROUP)
    lieu: str | None = _page_param("lieu", "terrain", "Territoire", "choice")
    annee: int | None = _page_param("annee", "terrain", "Année des émissions", "int", None, low=years.FIRST_DATA,
                                    high=years.last_data())
    sel: str | None = _page_param("sel", "terrain", "Commune choisie", "text")


VIEWS: tuple[type[View], ...] = (CarteView, EvolutionsView, ComparerView, ExporterView, TerrainView)


# ---- Binding to Streamlit: the URL first, else the value this session last had on the page. ----

def _memo_key(param: Param) -> str:
    return _MEMO + param.key if param.page == SHARED else f"{_MEMO}{param.page}:{param.key}"


def _raw(param: Param) -> tuple[str | None, bool]:
    """The URL's text for a key, else this session's; and whether it came from the URL."""
    if param.key in st.query_params:
        return st.query_params[param.key], True
    return st.session_state.get(_memo_key(param)), False


def read(param: Param, options: Sequence[Any] | None = None, default: Any = None,
         bounds: tuple[float, float] | None = None) -> Any:
    """The valid value of a key. A replaced value from the link is announced once (see `notices`)."""
    raw, from_url = _raw(param)
    value, notice = param.parse(raw, options, default, bounds)
    if notice and from_url:
        st.session_state.setdefault(_NOTICES, []).append(notice)
    return value


def load(view: type[V]) -> V:
    """A page's view from its link (or this session's last values), static checks done; keys whose
    options are known only at run time are checked again by the page with `read(..., options)`."""
    return view(**{name: read(param) for name, param in view.params().items()})


def write(param: Param, value: Any) -> None:
    """Write a value (lists joined by commas); an empty value (or an omitted default) removes the key."""
    text = param.dump(value)
    st.session_state[_memo_key(param)] = text or ""
    if text is None:
        if param.key in st.query_params:
            del st.query_params[param.key]
    elif st.query_params.get(param.key) != text:
        st.query_params[param.key] = text


def notices() -> list[str]:
    """The values of this run's link that were replaced; cleared once read."""
    return st.session_state.pop(_NOTICES, [])


def weights(param: Param, defaults: dict[str, float]) -> dict[str, float]:
    """Weights written as `population:2,density:1`, each in [0, 10]; unknown names and non-finite
    numbers are ignored, missing ones default."""
    out = dict(defaults)
    raw = read(param) or ""
    for part in raw.split(",")[:50]:
        name, _, value = part.partition(":")
        if name in out:
            try:
                number = float(value)
            except ValueError:
                continue
            if math.isfinite(number):
                out[name] = min(max(number, 0.0), MAX_WEIGHT)
    return out


def write_weights(param: Param, values: dict[str, float], defaults: dict[str, float]) -> None:
    write(param, ",".join(f"{k}:{v:g}" for k, v in values.items()) if values != defaults else None)
