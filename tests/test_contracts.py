"""The source contracts are the one home of their facts: the generated documents are current,
and every place that needs a contract fact takes it from warehouse/contracts.py."""

from __future__ import annotations

import yaml

from expectations.as_of import known_at
from expectations.freshness_suites import freshness_suites
from warehouse import contract_docs
from warehouse.build import AS_OF_COLUMNS
from warehouse.calendar import DATED_COLUMNS
from warehouse.contracts import CONTRACTS, LOAD_ORDER, Column, event_moments


def test_generated_contract_documents_are_current():
    assert contract_docs.stale() == [], "run python -m warehouse.contract_docs"


def test_dbt_sources_carry_each_contracts_key_known_at_and_columns():
    doc = yaml.safe_load(contract_docs.SOURCES.read_text())
    tables = {t["name"]: t for t in doc["sources"][0]["tables"]}
    assert set(CONTRACTS) <= set(tables)
    for name, contract in CONTRACTS.items():
        table = tables[name]
        assert table["meta"]["key"] == list(contract.key)
        assert table["meta"].get("known_at") == contract.known_at
        assert [c["name"] for c in table["columns"]] == [c.stored_name for c in contract.columns]
        assert all(c["description"] for c in table["columns"])


def test_every_column_is_documented_and_every_date_is_an_event_or_a_plan():
    for contract in CONTRACTS.values():
        for col in contract.columns:
            assert col.doc.strip(), (contract.name, col.name)
            assert (col.moment is not None) == (col.type in ("timestamp", "date"))
    try:
        Column("due", "date")
    except ValueError as exc:
        assert "event or a plan" in str(exc)
    else:
        raise AssertionError("a date without a moment was accepted")


def test_derived_facts_follow_the_contracts():
    """The default as_of's columns, the calendar's, the known-at rules of the checks: all
    derived, so a new contract or column cannot be forgotten in one of them."""
    assert AS_OF_COLUMNS == tuple((c.name, col.name) for c in CONTRACTS.values()
                                  for col in c.columns if col.type == "timestamp")
    assert DATED_COLUMNS == event_moments()
    assert ("sc_projects", "planned_end") not in DATED_COLUMNS  # a plan may lie years ahead
    assert {n: known_at(n) for n in CONTRACTS} == {n: c.known_at for n, c in CONTRACTS.items()}
    # every source whose rows happen in time has its freshness suite, with its known-at rule
    suites = {s.name: s.sql for s in freshness_suites()}
    assert set(suites) == {f"freshness.{n}" for n, c in CONTRACTS.items() if c.known_at}
    assert all(f"max({CONTRACTS[n.split('.')[1]].known_at})" in sql for n, sql in suites.items())
    assert set(LOAD_ORDER) == set(CONTRACTS)


def test_the_specification_names_every_rule_of_a_contract():
    spec = contract_docs.SPEC.read_text()
    for contract in CONTRACTS.values():
        assert f"## `{contract.name}`" in spec
        for col in contract.columns:
            assert f"| `{col.name}` |" in spec
            for value in col.allowed or ():
                assert f"`{value}`" in spec
    assert "**personal data**: stored only as a keyed hash, as `caller_number_hash`" in spec
