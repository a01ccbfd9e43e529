"""The mutation runner itself (tests/mutate.py): a mutant that breaks a tested rule is
killed, one the tests cannot see survives, a mutant whose text is not there exactly once
is stale, the edited file is put back whatever happens, and the list is well-formed."""

from __future__ import annotations

from pathlib import Path

import mutate
import pytest
from mutate import Mutant, apply_and_run, stale_reason


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A project of one module and its test (the copy the runner would make)."""
    (tmp_path / "rules.py").write_text("def limit():\n    return 20\n\n\ndef unused():\n"
                                       "    return 1\n")
    (tmp_path / "test_rules.py").write_text("from rules import limit\n\n\n"
                                            "def test_limit():\n    assert limit() == 20\n")
    return tmp_path


def _m(old: str, new: str, tests: str = "test_rules.py") -> Mutant:
    return Mutant(id="m", file="rules.py", old=old, new=new, rule="r", tests=tests)


def test_a_tested_rule_broken_is_killed_and_the_file_put_back(tiny):
    before = (tiny / "rules.py").read_bytes()
    outcome = apply_and_run(tiny, _m("return 20", "return 21"), None)
    assert outcome.result == "killed" and "1 failed" in outcome.detail
    assert (tiny / "rules.py").read_bytes() == before


def test_an_untested_change_survives(tiny):
    assert apply_and_run(tiny, _m("return 1", "return 2"), None).result == "survived"


def test_a_selection_of_no_test_is_empty_not_killed(tiny):
    outcome = apply_and_run(tiny, _m("return 20", "return 21", "test_rules.py -k nothing"),
                            None)
    assert outcome.result == "empty"


@pytest.mark.parametrize(("old", "count"), [("return 99", 0), ("return", 2)])
def test_text_not_there_exactly_once_is_stale(tiny, old, count):
    before = (tiny / "rules.py").read_bytes()
    outcome = apply_and_run(tiny, _m(old, "pass"), None)
    assert outcome.result == "stale" and f"occurs {count} times" in outcome.detail
    assert (tiny / "rules.py").read_bytes() == before


def test_the_file_is_put_back_when_the_run_itself_fails(tiny, monkeypatch):
    before = (tiny / "rules.py").read_bytes()

    def boom(*_args):
        assert (tiny / "rules.py").read_text().count("return 21") == 1  # edited meanwhile
        raise RuntimeError("interrupted")

    monkeypatch.setattr(mutate, "run_selection", boom)
    with pytest.raises(RuntimeError):
        apply_and_run(tiny, _m("return 20", "return 21"), None)
    assert (tiny / "rules.py").read_bytes() == before


def test_every_listed_mutant_applies_to_the_project_as_it_is():
    """The curated list against today's files: each `old` exactly once (a stale mutant
    fails here, in the fast tier, long before `make mutate` runs), each rule named, each
    selection one test module."""
    mutants = mutate.load()
    assert len(mutants) >= 60
    root = Path(mutate.ROOT)
    stale = {m.id: stale_reason(m, (root / m.file).read_text(encoding="utf-8"))
             for m in mutants}
    assert {k: v for k, v in stale.items() if v} == {}
    for m in mutants:
        assert m.rule and m.args[0].startswith("tests/test_") and m.args[0].endswith(".py"), m
        assert len([a for a in m.args if a.endswith(".py")]) == 1, m.id


def test_every_rule_section_of_decisions_names_a_listed_mutant():
    text = (Path(mutate.ROOT) / "dbt" / "DECISIONS.md").read_text(encoding="utf-8")
    ids = {m.id for m in mutate.load()}
    sections = [s for s in text.split("\n## ")[1:]]
    assert len(sections) >= 19
    for section in sections:
        title = section.splitlines()[0]
        named = {word.strip("`,.;") for line in section.splitlines()
                 if line.startswith("Mutant") for word in line.split()}
        assert named & ids, f"§ {title}: no 'Mutant: …' line naming a listed mutant"
        assert not {w for w in named if w.count("-") >= 1 and w not in ids
                    and w.islower()}, f"§ {title} names an unknown mutant"
