"""One adapter per official source: where its current file is, how it is laid out (columns read by
name, never by position), and the checks it must pass before the base uses it."""
from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import datasets
from ..paths import SOURCES_DIR
from . import census, emissions, melodi
from .download import DownloadFailed
from .layout import CheckFailed, LayoutChanged, Summary
from .urssaf import validate_urssaf

__all__ = ["ADAPTERS", "Adapter", "CheckFailed", "LayoutChanged", "Remote", "Summary"]


@dataclass(frozen=True)
class Remote:
    url: str
    sha256: str | None = None


@dataclass(frozen=True)
class Adapter:
    name: str                      # --only NAME: the dataset registry says which dataset it brings
    label: str                     # French, for messages
    catalog: str                   # the publisher's catalogue, JSON or a web page (file names change yearly)
    fallback: str | None           # a stable link used when the catalogue names no file
    pattern: str                   # how the file's address is recognised in the catalogue
    local: str                     # how the file's name is recognised in a --from folder
    validate: Callable[[Path], Summary]
    shipped: str | None = None     # the file shipped with the app that serves until a refresh brings newer
    compare: Callable[[Path, Path], None] | None = None  # a new file against the one the base holds now

    @property
    def dataset(self) -> datasets.Dataset:
        return datasets.by_adapter(self.name)

    @property
    def target(self) -> str:
        """The path under data/sources that the build reads: the dataset's first file."""
        return self.dataset.files[0]

    @property
    def licence(self) -> str:
        return self.dataset.licence

    def locate(self, read_text: Callable[[str], str], base: str | None = None) -> Remote:
        """The current file's address (and its checksum when the catalogue gives one)."""
        catalog, fallback = (_rebase(self.catalog, base), _rebase(self.fallback, base)) if base else \
            (self.catalog, self.fallback)
        pattern = re.compile(self.pattern)
        try:
            text = read_text(catalog)
        except DownloadFailed:  # the catalogue is down: the stable link, if there is one
            text = ""
        try:
            found = _find_in_catalog(json.loads(text), pattern)
        except (ValueError, KeyError):
            found = _find_in_page(text, catalog, pattern)
        if found is None and fallback is None:
            raise LayoutChanged(f"le catalogue {catalog} ne nomme aucun fichier « {self.pattern} »")
        return found or Remote(fallback)


def _rebase(url: str, base: str) -> str:
    """The same path on another server (tests, or a mirror inside an agency's network)."""
    return base.rstrip("/") + "/" + url.split("://", 1)[1].split("/", 1)[1]


def _find_in_page(text: str, page: str, pattern: re.Pattern) -> Remote | None:
    """The last link of a web page matching `pattern` (INSEE's pages list the newest edition last
    or alone), made absolute."""
    links = [urllib.parse.urljoin(page, h) for h in re.findall(r"""href=["']([^"'#]+)["']""", text)]
    found = sorted(h for h in links if pattern.search(h))
    return Remote(found[-1]) if found else None


def _find_in_catalog(node: object, pattern: re.Pattern) -> Remote | None:
    """The first address matching `pattern` anywhere in a JSON catalogue, with a sha256 or checksum
    field beside it if there is one: catalogues change shape, file names follow a pattern."""
    if isinstance(node, dict):
        for value in node.values():
            if isinstance(value, str) and value.startswith("http") and pattern.search(value):
                sha = next((str(v) for k, v in node.items()
                            if k.lower() in ("sha256", "checksum", "hash") and isinstance(v, str) and v), None)
                return Remote(value, sha)
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find_in_catalog(child, pattern)
        if found:
            return found
    return None


MELODI = "https://api.insee.fr/melodi"


def _melodi(name: str, label: str, layout: melodi.MelodiLayout) -> Adapter:
    ds = layout.dataset
    return Adapter(name, label, f"{MELODI}/catalog/{ds}", f"{MELODI}/file/{ds}/{ds}_CSV_FR",
                   rf"{ds}.*CSV_FR", rf"^{ds}.*\.zip$", melodi.validator(layout))


URSSAF_DATASET = ("https://open.urssaf.fr/api/explore/v2.1/catalog/datasets/"
                  "etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last")

ADAPTERS = (
    _melodi("naissances", "Naissances par commune (Insee, état civil)", melodi.BIRTHS),
    _melodi("deces", "Décès par commune (Insee, état civil)", melodi.DEATHS),
    _melodi("creations", "Créations d'entreprises par commune (Insee, SIDE)", melodi.CREATIONS),
    Adapter("populations", "Populations légales historiques (Insee)",
            "https://www.insee.fr/fr/statistiques/3698339",
            "https://www.insee.fr/fr/statistiques/fichier/3698339/base-pop-historiques-1876-2023.xlsx",
            r"base-pop-historiques-1876-\d{4}\.xlsx", r"^base-pop-historiques.*\.xlsx$", census.validate_populations,
            datasets.COG_POP.files[0]),
    Adapter("comparateur", "Base du comparateur de territoires (Insee, recensement)",
            "https://www.insee.fr/fr/statistiques/2521169",
            "https://www.insee.fr/fr/statistiques/fichier/2521169/base_cc_comparateur_csv.zip",
            r"base_cc_comparateur_csv\.zip", r"^base_cc_comparateur.*\.(zip|csv)$", census.validate_comparator,
            datasets.COMPARATEUR.files[0]),
    Adapter("urssaf", "Effectifs salariés privés par commune (Urssaf)", URSSAF_DATASET, f"{URSSAF_DATASET}/exports/csv?delimiter=%3B",
            r"commune-x-ape-last/exports/csv", r"^etablissements-et-effectifs-salaries.*commune-x-ape.*\.csv$",
            validate_urssaf),
    Adapter("citepa", "Inventaire territorialisé des gaz à effet de serre (Citepa)",
            "https://www.data.gouv.fr/api/1/datasets/inventaire-de-gaz-a-effet-de-serre-territorialise/", None,
            r"\.csv", r"(?i)^(igt|citepa|inventaire).*\.csv$", emissions.validate_citepa),
    Adapter("seqe", "Émissions vérifiées des installations SEQE-UE (registre européen)",
            "https://api.github.com/repos/cedricr/eutl/contents/export",
            "https://raw.githubusercontent.com/cedricr/eutl/main/export/emissions-FR-geo.csv",
            r"emissions-FR-geo\.csv", r"^(emissions-FR-geo|eu_ets_emissions_fr).*\.csv$", emissions.validate_ets,
            datasets.EUTL.files[1], emissions.compare_ets),
)


def adapter(name: str) -> Adapter:
    """The adapter named `name`: the build reads the files where the refresh puts them."""
    return next(a for a in ADAPTERS if a.name == name)


def loaded(sources: Path = SOURCES_DIR) -> frozenset[str]:
    """The adapters whose file is in this sources folder (shipped or brought by a refresh)."""
    return frozenset(a.name for a in ADAPTERS if (sources / a.target).exists())
