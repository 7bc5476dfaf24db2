"""Links to the views of the app, without Streamlit: every URL key declared once as a `Param` (its
page, type, default, allowed values and bounds, the older names it is still read under), each page's
keys forming its typed view (`CarteView`, `EvolutionsView`…), the registry of pages, and `permalink`,
the one way a link is built (pages, exports, packs, the command line).

Two declarations of one key that could meet on one page fail at import, so a key can no longer mean
two things. A value that is out of range or unknown is replaced by the nearest valid one, with a short
notice, never a traceback. A link written by an older version (`me=0&kc=2`) opens the same view: a
renamed key keeps its old name as an alias. `ui.state` binds all this to the URL and the session.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self

from . import classify, territories, transforms, years
from .text import md

SHARED = "*"          # a key every page reads with the same meaning
MAX_TEXT = 2_000      # characters of one URL value: a longer one is hostile, not a view
MAX_WEIGHT = 10.0


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
    aliases: tuple[str, ...] = ()  # names an older version wrote (its links still open the same view)

    def raw(self, params: Mapping[str, str]) -> str | None:
        """The link's text for this key, under its name or an older one."""
        for name in (self.key, *self.aliases):
            if name in params:
                return params[name]
        return None

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
    by = ("oui" if by else "non") if isinstance(by, bool) else f"{by:g}".replace(".", ",") if isinstance(by, float) \
        else "valeur par défaut" if by is None else by
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
YEAR_FROM = declare(Param("depuis", SHARED, "Première année", "int", None, low=years.FIRST_DATA, high=years.last_data(),
                          aliases=("de",)))
YEAR_TO = declare(Param("jusqu_a", SHARED, "Dernière année", "int", None, low=years.FIRST_DATA, high=years.last_data(),
                        aliases=("a",)))
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
            values[name], notice = param.parse(param.raw(raw))
            if notice:
                notices.append(notice)
        return cls(**values), notices

    @classmethod
    def query(cls, **values: Any) -> dict[str, str]:
        """The URL values of some fields only (`EvolutionsView.query(territories=[code])` → `{"t": code}`),
        for a link into a page that leaves its other keys to their defaults."""
        params = cls.params()
        return {params[name].key: text for name, value in values.items()
                if (text := params[name].dump(value)) is not None}

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
    groupe_seul: bool = _page_param("groupe_seul", "carte", "Membres du groupe seulement", "flag", False, omit_default=True)
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
    mode: str = _page_param("mode", "evolutions", "Mode", "choice", "auto", options=tuple(transforms.MODES))
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
    detail: str | None = _page_param("detail", "comparer", "Indicateur du détail", "choice", aliases=("id",))
    p: str | None = _page_param("p", "comparer", "Période", "choice")
    target: str | None = _field(TARGET)
    nv: int = _page_param("semblables", "comparer", "Nombre de territoires semblables", "int", 5, low=3, high=20,
                          omit_default=True, aliases=("nv",))
    w: str | None = _page_param("poids", "comparer", "Poids de la similarité", "weights", aliases=("w",))
    kc: int = _page_param("voisins", "comparer", "Voisins par membre", "int", 3, low=1, high=10, omit_default=True,
                          aliases=("kc",))
    ie: str | None = _page_param("indicateur_effet", "comparer", "Indicateur de l'effet", "choice", aliases=("ie",))
    me: bool = _page_param("indice", "comparer", "Indice base 100", "flag", True, omit_default=True, aliases=("me",))
    pond: bool = _page_param("pond", "comparer", "Pondération", "flag", True, omit_default=True)
    avec: list[str] = _page_param("avec", "comparer", "Territoires remis dans le vivier", "list", (), limit=50)
    sans: list[str] = _page_param("sans", "comparer", "Territoires retirés du vivier", "list", (), limit=200)
    vivier: str = _page_param("vivier", "comparer", "Vivier de comparaison", "choice", "REG", options=("REG", "DEP", "ZE", "FR"),
                              omit_default=True)
    autres: bool = _page_param("autres", "comparer", "Autres programmes écartés", "flag", True, omit_default=True)
    marche: str = _page_param("marche", "comparer", "Semblables et zone d'emploi", "choice", "partout",
                              options=("partout", "dans", "hors"), omit_default=True)
    hors_ze: bool = _page_param("hors_ze", "comparer", "Zones d'emploi des membres écartées", "flag", False,
                                omit_default=True)
    debuts: bool = _page_param("debuts", "comparer", "Date propre de chaque membre", "flag", True, omit_default=True)
    cw: str | None = _page_param("poids_profil", "comparer", "Poids du profil", "weights", aliases=("cw",))
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
    gp: str | None = _page_param("groupe_dossier", "exporter", "Groupe du dossier", "choice", aliases=("gp",))
    ip: list[str] = _page_param("indicateurs_dossier", "exporter", "Indicateurs du dossier", "list", (), limit=20,
                                aliases=("ip",))
    year_from: int | None = _field(YEAR_FROM)
    year_to: int | None = _field(YEAR_TO)


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



# ---- The pages: one registry for the app's navigation, its links and the tests. ----
@dataclass(frozen=True)
class Page:
    name: str          # url path (empty for the home page, served at /)
    file: str          # the page's module, relative to the project
    title: str
    icon: str          # a Material icon Streamlit bundles (no web font needed offline)
    view: type[View] | None = None


PAGES: tuple[Page, ...] = (
    Page("", "app_pages/accueil.py", "Accueil", ":material/home:"),
    Page("carte", "app_pages/carte.py", "Carte", ":material/map:", CarteView),
    Page("evolutions", "app_pages/evolutions.py", "Évolutions", ":material/show_chart:", EvolutionsView),
    Page("comparer", "app_pages/comparer.py", "Comparer", ":material/compare_arrows:", ComparerView),
    Page("terrain", "app_pages/terrain.py", "Terrain", ":material/location_on:", TerrainView),
    Page("exporter", "app_pages/exporter.py", "Exporter", ":material/download:", ExporterView),
    Page("donnees", "app_pages/donnees.py", "Données", ":material/database:"),
    Page("methodes", "app_pages/methodes.py", "Méthodes", ":material/menu_book:"),
)
_BY_NAME = {p.name: p for p in PAGES}


def page(name: str) -> Page:
    return _BY_NAME[name]


def permalink(view: View) -> str:
    """The absolute link of a view (its page and its state): how every link is built."""
    return url(view.PAGE, **view.to_params())


def url(page_name: str, **params: object) -> str:
    """An absolute link to a page with these URL values (lists joined by commas)."""
    from urllib.parse import quote

    from .paths import base_url

    parts = [f"{k}={quote(','.join(map(str, v)) if isinstance(v, (list, tuple)) else str(v), safe=':,-')}"
             for k, v in params.items() if v not in (None, "", [])]
    return f"{base_url()}/{page_name}" + ("?" + "&".join(parts) if parts else "")
