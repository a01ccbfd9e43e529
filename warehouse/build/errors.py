"""The build's failure, shared by its steps."""

from __future__ import annotations


class BuildFailed(Exception):
    """dbt reported failing nodes (or could not run); the served warehouse is unchanged."""

    def __init__(self, message: str, failures: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or []
