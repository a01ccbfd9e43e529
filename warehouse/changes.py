"""What a build must redo: the project's code and the data compared with the served build.

The served build's manifest (``docs_dir/manifest.json``) says what code made the tables
that are there now; ``raw.load_audit`` and ``raw.build_log`` say what data came since and
whether as_of moved. From those:

- :func:`upstream_change_reason` — the incremental models must start again (full refresh)
  because their code, the code of anything they read, or a project macro they call changed;
- :func:`vars_change_reason` — everything must be built again because a var of
  ``dbt_project.yml`` changed (dbt's manifest does not record them: the build keeps them
  beside the docs, ``PROJECT_VARS_FILE``);
- :func:`nodes_to_run` — the nodes an incremental build runs: a node whose inputs, code and
  as_of are all the same as in the served build would write the same rows again (dbt would
  rebuild them all; a daily load touches five sources of nine, and the reference seeds,
  the catalogue and the Smart City portfolio rarely change).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AS_OF_MACRO = "macro.cityops.as_of_local"  # every as_of in the SQL goes through it
PROJECT = "cityops"
PROJECT_VARS_FILE = "project_vars.json"  # beside the served manifest: the vars it was built with


@dataclass(frozen=True)
class DataChanges:
    """The data a build sees that the served build did not: the raw tables (source names)
    with rows loaded or rewritten since it, and whether as_of moved."""

    sources: frozenset[str]
    as_of_moved: bool


class CodeDiff:
    """The project as parsed now against the served build's manifest."""

    def __init__(self, manifest: Any, before: dict[str, Any]) -> None:
        self.manifest = manifest
        self.old_nodes: dict[str, Any] = before.get("nodes", {})
        self.old_macros: dict[str, Any] = before.get("macros", {})
        self.adapter_type: str = manifest.metadata.adapter_type  # e.g. duckdb, spark
        self._macros: dict[str, frozenset[str]] = {}

    @classmethod
    def load(cls, manifest: Any, previous_manifest: Path | None) -> CodeDiff | None:
        """None when there is no served build to compare with."""
        if previous_manifest is None or not previous_manifest.exists():
            return None
        return cls(manifest, json.loads(previous_manifest.read_text()))

    def macros_of(self, uid: str) -> frozenset[str]:
        """The macros a node calls, directly or through others, with the implementation
        ``adapter.dispatch`` picks for the manifest's adapter: ``<adapter>__<name>`` when
        the package has one, else ``default__<name>`` (dbt/macros/engine/). dbt records the
        picked body in ``depends_on`` when it can resolve the dispatch while parsing; this
        follows it when it cannot. A body of another engine (or the erroring default of
        a macro the adapter implements) cannot change this build's SQL, so it is not
        followed."""
        if uid not in self._macros:
            found: set[str] = set()
            stack = list(self.manifest.nodes[uid].depends_on.macros)
            while stack:
                macro = stack.pop()
                if macro in found or macro not in self.manifest.macros:
                    continue
                found.add(macro)
                stack += self.manifest.macros[macro].depends_on.macros
                package, name = macro.rsplit(".", 1)
                for prefix in (self.adapter_type, "default"):
                    if f"{package}.{prefix}__{name}" in self.manifest.macros:
                        stack.append(f"{package}.{prefix}__{name}")
                        break
            self._macros[uid] = frozenset(found)
        return self._macros[uid]

    def changed_macros(self, uid: str) -> list[str]:
        """The project macros the node calls whose code differs from the served build's."""
        return sorted(m.split(".")[-1] for m in self.macros_of(uid)
                      if self.manifest.macros[m].package_name == PROJECT
                      and m in self.old_macros
                      and self.old_macros[m].get("macro_sql") != self.manifest.macros[m].macro_sql)

    def node_changed(self, uid: str) -> bool:
        """The node's own SQL (or seed file) or configuration differs, or it is new."""
        old = self.old_nodes.get(uid)
        node = self.manifest.nodes[uid]
        if old is None:
            return True
        if old.get("checksum", {}).get("checksum") != node.checksum.checksum:
            return True
        return _jsonable(old.get("config")) != _jsonable(node.config.to_dict())

    def code_changed(self, uid: str) -> bool:
        return self.node_changed(uid) or bool(self.changed_macros(uid))

    def uses_as_of(self, uid: str) -> bool:
        return AS_OF_MACRO in self.macros_of(uid)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _parents(node: Any) -> list[str]:
    return list(getattr(node.depends_on, "nodes", []))  # a seed depends on no node


def _ancestors(manifest: Any, roots: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        uid = stack.pop()
        if uid in seen or uid not in manifest.nodes:
            continue
        seen.add(uid)
        stack += _parents(manifest.nodes[uid])
    return seen


def upstream_change_reason(manifest: Any, previous_manifest: Path | None) -> str | None:
    """Why the incremental models must be rebuilt from scratch because the project changed
    since the served build: the SQL or configuration of an incremental model or of anything
    it reads (models, seeds), or a project macro they call. Their kept rows were computed by
    the old code; the new code must recompute them all (dbt users run --full-refresh after
    such a deploy; this makes it automatic). A macro only tests call does not count."""
    diff = CodeDiff.load(manifest, previous_manifest)
    if diff is None:
        return None
    incremental = [uid for uid, node in manifest.nodes.items()
                   if getattr(node.config, "materialized", None) == "incremental"]
    upstream = sorted(_ancestors(manifest, incremental))
    changed = [manifest.nodes[uid].name for uid in upstream if diff.node_changed(uid)]
    if not changed:
        changed = sorted({m for uid in upstream for m in diff.changed_macros(uid)})
    if changed:
        return f"the project changed since the served build ({', '.join(changed[:5])})"
    return None


def vars_change_reason(previous_manifest: Path | None, now: dict[str, Any]) -> str | None:
    """Why every model must be built again: the project's vars (targets, office hours,
    thresholds) differ from the ones the served build used. None when they are the same or
    the served build did not record them."""
    if previous_manifest is None:
        return None
    recorded = previous_manifest.parent / PROJECT_VARS_FILE
    if not recorded.exists():
        return None
    before = json.loads(recorded.read_text())
    changed = sorted(name for name in set(before) | set(now)
                     if _jsonable(before.get(name)) != _jsonable(now.get(name)))
    if changed:
        return f"vars of dbt_project.yml changed since the served build ({', '.join(changed[:5])})"
    return None


def nodes_to_run(manifest: Any, previous_manifest: Path | None,
                 changes: DataChanges) -> list[str] | None:
    """The names of the nodes an incremental build runs (None: every node).

    A table (or incremental model) runs when its data can differ from the served build's:
    its code changed, it reads a source with new rows, it uses as_of and as_of moved, or
    anything it reads runs for one of those reasons. A view holds no data — it is made
    again only when its SQL can differ: its code or an upstream model's changed, or it
    compiles as_of in and as_of moved. A seed runs when its file changed. A data test runs
    when anything it reads may hold different rows, or its own code changed.
    """
    diff = CodeDiff.load(manifest, previous_manifest)
    if diff is None:
        return None
    sources = {uid: src.name for uid, src in manifest.sources.items()}
    data: dict[str, bool] = {}
    code: dict[str, bool] = {}

    def code_upstream(uid: str) -> bool:  # this node's code or any ancestor's changed
        if uid not in code:
            node = manifest.nodes[uid]
            code[uid] = diff.code_changed(uid) or any(
                code_upstream(p) for p in _parents(node) if p in manifest.nodes)
        return code[uid]

    def data_changed(uid: str) -> bool:
        if uid in sources:
            return sources[uid] in changes.sources
        if uid not in data:
            node = manifest.nodes[uid]
            data[uid] = (diff.code_changed(uid)
                         or (changes.as_of_moved and diff.uses_as_of(uid))
                         or any(data_changed(p) for p in _parents(node)
                                if p in manifest.nodes or p in sources))
        return data[uid]

    selected = []
    for uid, node in manifest.nodes.items():
        kind = node.resource_type.value
        if kind == "model" and node.config.materialized == "view":
            run = code_upstream(uid) or (changes.as_of_moved and diff.uses_as_of(uid))
        elif kind in ("model", "seed", "test"):
            run = data_changed(uid)
        else:
            continue
        if run:
            selected.append(node.name)
    return sorted(selected)
