"""Keeps the catalogues in step with the code: the message keys used, and those each
catalogue has.

Keys used come from two places:

- **the templates** (``dashboards/templates/*.j2``): the key of every ``t("…")`` call;
- **the code** (``dashboards/**/*.py``, ``warehouse/serve.py`` and ``warehouse/export.py``),
  read as Python syntax: the first argument of ``t``, ``t_all``, ``N_`` (plain keys) and
  ``tn`` (plural keys); of
  ``column_label`` (context ``column``), ``mart_label`` (``mart``) and ``empty_state`` /
  ``missing_phrase`` (``mart_missing``); the second of ``localized`` (the column it makes);
  ``value_label("col", "value")`` (``value:col``). A key built at run time (an f-string,
  ``+``, ``%`` or ``.format`` as the key) is an error: write it out, or map to ``N_("…")``;
- **the data**, for the contexts whose keys are data: every mart (``mart``), every mart
  column and every column the dashboards' query functions return (``column``; columns
  starting with ``_`` are technical and need none), and each enumerated column's allowed
  values (``value:<column>``: the marts' dbt accepted-values sets and the
  values in the seeds).

Run ``python -m dashboards.messages [--warehouse PATH]`` to see what is missing or unused
in each catalogue (exit 1 if anything), ``--update`` to add the missing keys (untranslated,
for a translator to fill) and drop the unused ones. Without a warehouse only the code's
keys are compared. tests/test_i18n.py runs the same comparison on the fixture warehouse.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from dashboards import i18n

ROOT = Path(__file__).resolve().parent.parent
CODE = (ROOT / "dashboards", ROOT / "warehouse" / "serve.py", ROOT / "warehouse" / "export.py")
DATA_CONTEXTS = ("column", "mart")  # and every "value:<column>"

PLAIN = {"t", "t_all", "N_"}
PLURAL = {"tn"}
IN_CONTEXT = {"column_label": ("column", 0), "localized": ("column", 1),
              "mart_label": ("mart", 0), "empty_state": ("mart_missing", 0),
              "missing_phrase": ("mart_missing", 0)}

Key = tuple[str | None, str]  # (context, message id)


@dataclass
class Keys:
    used: dict[Key, list[str]] = field(default_factory=dict)  # key -> where
    plural: set[Key] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def add(self, key: Key, where: str, plural: bool = False) -> None:
        self.used.setdefault(key, []).append(where)
        if plural:
            self.plural.add(key)


def is_data_context(context: str | None) -> bool:
    return context in DATA_CONTEXTS or bool(context and context.startswith("value:"))


# ---------------------------------------------------------------- keys in the code

def _strings(node: ast.expr) -> list[str] | None:
    """The literal strings an argument can be (both arms of ``a if c else b``); None if
    it is not written out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _built(node: ast.expr) -> bool:
    """A key made at run time from pieces: f-string, +, %, or .format()."""
    return (isinstance(node, ast.JoinedStr | ast.BinOp)
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def code_files() -> list[Path]:
    files: list[Path] = []
    for place in CODE:
        files.extend(sorted(place.rglob("*.py")) if place.is_dir() else [place])
    return files


TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_]+)["']""")


def template_keys(keys: Keys) -> None:
    """The keys of the ``t("…")`` calls of the report templates."""
    for path in sorted((ROOT / "dashboards" / "templates").glob("*.j2")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for key in TEMPLATE_KEY.findall(line):
                keys.add((None, key), f"{path.relative_to(ROOT)}:{n}")


def code_keys(files: list[Path] | None = None) -> Keys:
    keys = Keys()
    if files is None:
        template_keys(keys)
    for path in files or code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
            if name in PLAIN or name in PLURAL:
                if not node.args:
                    continue
                arg = node.args[0]
                if _built(arg):
                    keys.problems.append(f"{where}: {name}() with a key built at run time")
                for key in _strings(arg) or []:
                    keys.add((None, key), where, plural=name in PLURAL)
            elif name in IN_CONTEXT:
                context, pos = IN_CONTEXT[name]
                if len(node.args) > pos:
                    for key in _strings(node.args[pos]) or []:
                        keys.add((context, key), where)
            elif name == "value_label" and len(node.args) >= 2:
                columns, values = _strings(node.args[0]), _strings(node.args[1])
                for column in columns or []:
                    for value in values or []:
                        keys.add((f"value:{column}", value), where)
    return keys


# ---------------------------------------------------------------- keys in the data

QUERY_ARGS = {"first": date(2025, 1, 1), "last": date(2025, 12, 1), "month": date(2025, 12, 1),
              "kpi_code": "", "unit_codes": ("",)}


def query_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every column of every frame the query functions of dashboards.queries return (called
    with placeholder arguments: the columns do not depend on the rows)."""
    import dashboards.queries as queries

    columns: set[str] = set()
    for info in pkgutil.iter_modules(queries.__path__):
        if info.name == "common":  # helpers (read, month_range …), not a page's queries
            continue
        module = __import__(f"dashboards.queries.{info.name}", fromlist=["_"])
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            params = list(inspect.signature(fn).parameters.values())
            if not params or params[0].name != "con":
                continue
            args = []
            for p in params[1:]:
                if p.default is not inspect.Parameter.empty:
                    break
                if p.name not in QUERY_ARGS:
                    raise KeyError(f"{module.__name__}.{name}: no placeholder for {p.name!r} "
                                   "(add it to dashboards.messages.QUERY_ARGS)")
                args.append(QUERY_ARGS[p.name])
            cursor = con.cursor()  # as the dashboards run them: a cursor per query
            try:
                result = fn(cursor, *args)
            finally:
                cursor.close()
            if isinstance(result, pl.DataFrame):
                columns.update(result.columns)
    return columns


def accepted_values() -> dict[str, set[str]]:
    """{column: its allowed values} from the marts' dbt tests (``columns_accepted_values``
    in ``dbt/models/marts/**/_*__models.yml``): the one place a mart's allowed set lives."""
    import yaml

    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "dbt" / "models" / "marts").rglob("_*__models.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            for test in model.get("data_tests", []):
                if isinstance(test, dict) and "columns_accepted_values" in test:
                    columns = test["columns_accepted_values"]["arguments"]["columns"]
                    for column, values in columns.items():
                        found.setdefault(column, set()).update(str(v) for v in values)
    return found


def value_domain(column: str) -> set[str]:
    """The values an enumerated column can take: the marts' accepted values (dbt) and the
    values of that column in the seeds (a name two marts use — ``kind`` of a submission,
    ``kind`` of a KPI from the registry seed — takes both)."""
    found = set(accepted_values().get(column, ()))
    from warehouse.reference import load_seed

    for seed in sorted((ROOT / "seeds").glob("*.csv")):
        frame = load_seed(seed.stem)
        if column in frame.columns:
            found.update(str(v) for v in frame[column].drop_nulls().unique())
    return found


def data_keys(warehouse: Path) -> Keys:
    from warehouse.store import connect_read_only

    keys = Keys()
    con = connect_read_only(Path(warehouse))
    try:
        marts: dict[str, list[str]] = {}
        for table, column in con.execute(
                "select table_name, column_name from information_schema.columns "
                "where table_schema = 'marts' order by all").fetchall():
            marts.setdefault(table, []).append(column)
        for table, columns in marts.items():
            keys.add(("mart", table), f"marts.{table}")
            for column in columns:
                if not column.startswith("_"):
                    keys.add(("column", column), f"marts.{table}")
        for column in query_columns(con):
            if not column.startswith("_"):
                keys.add(("column", column), "dashboards.queries")
    finally:
        con.close()
    for column in sorted(i18n.value_columns()):
        domain = value_domain(column)
        if not domain:
            keys.problems.append(f"value:{column}: no allowed set or seed column declares "
                                 "its values")
        for value in domain:
            keys.add((f"value:{column}", value), f"values of {column}")
    return keys


def expected_keys(warehouse: Path | None) -> Keys:
    keys = code_keys()
    if warehouse is not None:
        data = data_keys(warehouse)
        for key, where in data.used.items():
            for w in where:
                keys.add(key, w)
        keys.problems.extend(data.problems)
    return keys


# ---------------------------------------------------------------- comparing

def read_catalogue(lang: str) -> Catalog:
    with open(i18n.catalogue_path(lang), "rb") as fh:
        return read_po(fh, domain=i18n.DOMAIN)


def write_catalogue(lang: str, catalogue: Catalog) -> None:
    with open(i18n.catalogue_path(lang), "wb") as fh:
        write_po(fh, catalogue, width=100, no_location=True)


def _entries(catalogue: Catalog) -> dict[Key, object]:
    out = {}
    for message in catalogue:
        if message.id:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            out[(message.context, key)] = message
    return out


@dataclass
class Difference:
    missing: list[Key] = field(default_factory=list)
    unused: list[Key] = field(default_factory=list)
    untranslated: list[Key] = field(default_factory=list)
    wrong_plural: list[Key] = field(default_factory=list)  # tn() on a singular entry, or t()…

    def __bool__(self) -> bool:
        return bool(self.missing or self.unused or self.untranslated or self.wrong_plural)


def compare(lang: str, keys: Keys, with_data: bool) -> Difference:
    entries = _entries(read_catalogue(lang))
    diff = Difference()
    diff.missing = sorted(set(keys.used) - set(entries), key=str)
    diff.unused = sorted((k for k in set(entries) - set(keys.used)
                          if with_data or not is_data_context(k[0])), key=str)
    for key, message in entries.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            diff.untranslated.append(key)
        if key in keys.used and (key in keys.plural) != message.pluralizable:
            diff.wrong_plural.append(key)
    return diff


def update(lang: str, keys: Keys, with_data: bool) -> Difference:
    """Add the missing keys (untranslated) to ``lang``'s catalogue and drop the unused."""
    diff = compare(lang, keys, with_data)
    catalogue = read_catalogue(lang)
    for context, key in diff.unused:
        catalogue.delete(key, context=context)
    for context, key in diff.missing:
        plural = (context, key) in keys.plural
        string = ("",) * catalogue.num_plurals if plural else ""
        catalogue.add((key, key) if plural else key, string, context=context)
    write_catalogue(lang, catalogue)
    return diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.messages",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "data" / "warehouse.duckdb",
                        help="a built warehouse, for the keys that are data (marts, columns)")
    parser.add_argument("--update", action="store_true",
                        help="add missing keys (untranslated) and drop unused ones")
    args = parser.parse_args(argv)
    from warehouse.store import current_file

    warehouse = args.warehouse if current_file(args.warehouse) else None
    if warehouse is None:
        print(f"No warehouse at {args.warehouse}: comparing the code's keys only.")
    keys = expected_keys(warehouse)
    for problem in keys.problems:
        print(problem)
    bad = bool(keys.problems)
    for lang in i18n.LANGS:
        if args.update:
            for context, key in update(lang, keys, warehouse is not None).missing:
                print(f"{lang}: added {key}{f' [{context}]' if context else ''}: translate it")
        diff = compare(lang, keys, warehouse is not None)
        for what in ("missing", "unused", "untranslated", "wrong_plural"):
            for context, key in getattr(diff, what):
                print(f"{lang}: {what.replace('_', ' ')}: {key}"
                      f"{f' [{context}]' if context else ''}")
        bad = bad or bool(diff)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
