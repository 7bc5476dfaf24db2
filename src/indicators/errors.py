"""Errors a user can cause or meet: one family, each carrying its French message."""
from __future__ import annotations

from dataclasses import dataclass

REBUILD_COMMAND = "make data  (ou : python -m indicators build)"


class ObservatoireError(Exception):
    """Base of every error shown to a user: `str(e)` is the French message, ready for display."""


class DatabaseUnavailable(ObservatoireError):
    """The database file is missing, empty or unreadable."""

    def __init__(self, path: object, reason: str):
        self.path, self.reason = path, reason
        super().__init__(
            f"La base de données {path} est {reason}. "
            f"Reconstruisez-la avec la commande : {REBUILD_COMMAND}"
        )

    PUBLIC = ("Les données de l'observatoire sont momentanément indisponibles. L'équipe qui administre ce site en a "
              "le détail ; réessayez un peu plus tard.")


class DatabaseBusy(ObservatoireError):
    """Another write holds the lock."""

    def __init__(self) -> None:
        super().__init__("Base occupée : une autre écriture est en cours. Réessayez dans un instant.")


class UnknownTerritory(ObservatoireError):
    def __init__(self, code: str):
        super().__init__(f"Territoire inconnu : « {code} ».")


class DatabaseWriteFailed(ObservatoireError):
    """A write could not be made (disk full, read-only folder…): nothing changed."""

    def __init__(self, path: object, reason: str):
        super().__init__(f"Écriture impossible dans {path} : {reason}. La base n'a pas été modifiée.")


class ReadOnlyMode(ObservatoireError):
    """The instance is a public, read-only portal: the writer path refuses."""

    def __init__(self) -> None:
        super().__init__("Cette instance est en lecture seule : aucune écriture n'est possible ici.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's file, where it is, and whether it blocks the import."""

    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    blocking: bool = True

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"ligne {self.line}" if self.line else "",
                                      f"colonne « {self.column} »" if self.column else "") if p)
        shown = f" (valeur : « {self.value} »)" if self.value is not None else ""
        return f"{where + ' : ' if where else ''}{self.message}{shown}"


class HasProblems:
    """What a checked file reports: its problems, split into the blocking ones and the warnings."""

    problems: list[Problem]

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]


class ImportProblem(ObservatoireError):
    """An import that cannot go on; carries every problem found so the report lists them all."""

    def __init__(self, problems: list[Problem], file: str = ""):
        self.problems = problems
        head = f"Fichier « {file} » : " if file else ""
        super().__init__(head + "; ".join(str(p) for p in problems[:5])
                         + (f" … et {len(problems) - 5} autres problèmes." if len(problems) > 5 else ""))
