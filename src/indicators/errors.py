"""Errors a user can cause or meet: one family, each carrying its French message."""
from __future__ import annotations

from .paths import REBUILD_COMMAND


class ObservatoireError(Exception):
    """Base of every error shown to a user: `str(e)` is the French message, ready for display."""


class DatabaseUnavailable(ObservatoireError):
    """The database file is missing, empty or unreadable."""

    def __init__(self, path: object, reason: str):
        super().__init__(
            f"La base de données {path} est {reason}. "
            f"Reconstruisez-la avec la commande : {REBUILD_COMMAND}"
        )


class DatabaseBusy(ObservatoireError):
    """Another write holds the lock."""

    def __init__(self) -> None:
        super().__init__("Base occupée : une autre écriture est en cours. Réessayez dans un instant.")


class UnknownTerritory(ObservatoireError):
    def __init__(self, code: str):
        super().__init__(f"Territoire inconnu : « {code} ».")
