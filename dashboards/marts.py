"""What the dashboards say about a mart: its name, what is missing when it is empty, and
which source files feed it.

The name and the "what is missing" phrase are catalogue entries (contexts ``mart`` and
``mart_missing`` of ``dashboards/locale/*/LC_MESSAGES/cityops.po``). The source files are
not written down here at all: they are the dbt lineage of the build being served, read from
its ``manifest.json`` beside the warehouse (:func:`warehouse.build.docs_dir`) — every
contract extract upstream of the mart, in load order (``tickets.csv, ticket_events.csv``),
or the seed files when no extract feeds it. So the message names what the build really
read, and a model that starts reading another source changes it with no edit here.
Without a manifest (a warehouse file copied without its build folder) the message says to
load the extracts, without naming them.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from dashboards.i18n import DEFAULT_LANG, has_key, known, t, tn, translations
from warehouse.contracts import LOAD_ORDER


def mart_label(mart: str, lang: str = DEFAULT_LANG) -> str:
    """A reader's name for a mart (``Kolejki KCK (miesięcznie)``); the table name if none."""
    if has_key(mart, lang, "mart"):
        return translations(known(lang)).pgettext("mart", mart)
    return mart


def missing_phrase(mart: str, lang: str = DEFAULT_LANG) -> str:
    """What is missing when ``mart`` is empty, as the empty-state message words it."""
    if has_key(mart, lang, "mart_missing"):
        return translations(known(lang)).pgettext("mart_missing", mart)
    return mart


def manifest_path(warehouse: Path) -> Path:
    from warehouse.build import docs_dir  # imported here: the dashboards rarely need it

    return docs_dir(Path(warehouse)) / "manifest.json"


@functools.lru_cache(maxsize=4)
def _lineage(path: str, mtime_ns: int) -> dict[str, tuple[str, ...]]:
    """{mart: its source files} from one manifest (cached per file and modification)."""
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    parents: dict[str, list[str]] = manifest.get("parent_map", {})
    order = {name: i for i, name in enumerate(LOAD_ORDER)}
    out: dict[str, tuple[str, ...]] = {}
    for uid, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "model" or node.get("schema") != "marts":
            continue
        upstream: set[str] = set()
        todo = list(parents.get(uid, []))
        while todo:
            parent = todo.pop()
            if parent not in upstream:
                upstream.add(parent)
                todo.extend(parents.get(parent, []))
        extracts = sorted({nodes[u]["name"] for u in upstream if u.startswith("source.")
                           and nodes[u]["name"] in order}, key=order.__getitem__)
        if extracts:
            out[node["alias"] or node["name"]] = tuple(f"{name}.csv" for name in extracts)
        else:
            # seed paths are relative to the dbt project, the repository's dbt/ folder
            seeds = sorted(os.path.normpath(os.path.join("dbt", nodes[u]["original_file_path"]))
                           for u in upstream if u.startswith("seed."))
            out[node["alias"] or node["name"]] = tuple(seeds)
    return out


def source_files(mart: str, warehouse: Path) -> tuple[str, ...]:
    """The files feeding ``mart`` in the build served at ``warehouse``; () if unknown."""
    path = manifest_path(warehouse)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return ()
    return _lineage(str(path), mtime).get(mart, ())


def empty_message(mart: str, lang: str, warehouse: Path) -> str:
    """"No IT ticket data in the warehouse — load tickets.csv, … and rebuild"."""
    files = source_files(mart, warehouse)
    what = missing_phrase(mart, lang)
    if not files:
        return t("empty_mart_no_lineage", lang, what=what)
    return tn("empty_mart", len(files), lang, what=what, files=", ".join(files))


@functools.lru_cache(maxsize=4)
def _docs(path: str, mtime_ns: int) -> dict[str, tuple[str, dict[str, str]]]:
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model" or node.get("schema") != "marts":
            continue
        columns = {name: col.get("description") or ""
                   for name, col in (node.get("columns") or {}).items()}
        out[node["alias"] or node["name"]] = (node.get("description") or "", columns)
    return out


def marts_docs(manifest: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{mart: (its description, {column: description})} from the served build's dbt
    manifest (written by the build beside the warehouse, read offline); {} without one.
    The descriptions are dbt's, in English (dbt/models/marts/*.yml)."""
    path = Path(manifest)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _docs(str(path), mtime)
