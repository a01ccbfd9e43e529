"""The pages on a par with Metabase (issue 15 § 5): durations in hours and working days,
breached tickets listed apart from those nearing breach, one colour per priority / RAG
state / queue / topic group / portal across the app, titled legends, Polish number ticks.

Values are computed a second way (polars or SQL on the marts, WCAG's formula written out
here) and every check is shown failing on planted bad data."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from test_dashboards import open_page, parse_number

from dashboards import components
from dashboards.formats import fmt_number
from dashboards.i18n import column_label, t, value_label
from dashboards.navigation import PAGES
from dashboards.queries import incidents
from warehouse.store import connect_read_only

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "app.py"
WORKING_DAY_MINUTES = 8 * 60  # UMK office hours 07:30–15:30


@pytest.fixture(scope="module")
def wh(pages_warehouse):
    return pages_warehouse


def mart(wh: Path, name: str) -> pl.DataFrame:
    con = connect_read_only(wh)
    try:
        return con.sql(f"select * from marts.{name}").pl()
    finally:
        con.close()


def decoded(value):
    """A figure's JSON with plotly's typed arrays ({"dtype", "bdata"}) read back."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    if isinstance(value, dict):
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    return value


def figures(at: AppTest) -> list[dict]:
    return [decoded(json.loads(c.proto.spec)) for c in at.get("plotly_chart")]


# ---------------------------------------------------------------- breached / nearing breach

def expected_lists(sla: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The two lists from the per-ticket mart, by polars: breached = open and at least its
    resolution target old, by overrun; nearing = open, younger than the target, at least half
    of it used, by the share used."""
    open_ = sla.filter(pl.col("is_open")).with_columns(
        (pl.col("age_business_minutes") - pl.col("resolution_target_minutes")).alias("over"),
        (pl.col("age_business_minutes") / pl.col("resolution_target_minutes")).alias("used"))
    breached = (open_.filter(pl.col("over") >= 0)
                .sort(["over", "ticket_id"], descending=[True, False])
                .select("ticket_id", (pl.col("over") / WORKING_DAY_MINUTES).alias("days")))
    nearing = (open_.filter((pl.col("over") < 0) & (pl.col("used") >= 0.5))
               .sort(["used", "ticket_id"], descending=[True, False])
               .select("ticket_id", (-pl.col("over") / 60).alias("hours"),
                       (pl.col("used") * 100).alias("pct")))
    return breached, nearing


def list_problems(breached: pl.DataFrame, nearing: pl.DataFrame, sla: pl.DataFrame) -> list[str]:
    """What is wrong with the page's two lists against the mart."""
    want_b, want_n = expected_lists(sla)
    problems = []
    if breached["ticket_id"].to_list() != want_b["ticket_id"].to_list():
        problems.append("breached: not the open tickets past target, longest overrun first")
    elif breached["overrun_working_days"].to_list() != pytest.approx(want_b["days"].to_list()):
        problems.append("breached: overrun is not (age - target) in working days")
    if nearing["ticket_id"].to_list() != want_n["ticket_id"].to_list():
        problems.append("nearing: not the open unbreached tickets ≥ 50 %, highest share first")
    elif nearing["time_left_hours"].to_list() != pytest.approx(want_n["hours"].to_list()):
        problems.append("nearing: time left is not (target - age) in hours")
    return problems


def test_breached_tickets_are_listed_apart_from_those_nearing_breach(wh):
    sla = mart(wh, "incident_sla")
    con = connect_read_only(wh)
    try:
        breached, nearing = incidents.breached_tickets(con), incidents.nearing_breach_tickets(con)
    finally:
        con.close()
    # the fixture has breached tickets (the planted test below has nearing ones too)
    assert breached.height
    assert list_problems(breached, nearing, sla) == []
    assert not set(breached["ticket_id"]) & set(nearing["ticket_id"])
    # planted: the old single list (every ticket ≥ 50 %, led by the breached ones) …
    old = pl.concat([breached.select("ticket_id", "overrun_working_days").with_columns(
        time_left_hours=pl.lit(0.0)).drop("overrun_working_days"),
        nearing.select("ticket_id", "time_left_hours")])
    assert list_problems(breached, old, sla)
    # … and a breached list in the wrong order
    assert list_problems(breached.reverse(), nearing, sla)


def test_the_two_lists_on_planted_tickets():
    """Five tickets whose lists are known by hand: 4 800 min target (P4), 240 min (P1)."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""create table marts.incident_sla as select * from (values
        ('LONG', 4, 'APP', 'A', 'IT-02-3', timestamp '2025-01-02 08:00', true, 52800.0, 4800),
        ('JUST', 1, 'APP', 'A', 'IT-02-3', timestamp '2025-01-02 08:00', true, 260.0, 240),
        ('NEAR', 4, 'APP', 'A', 'IT-02-3', timestamp '2025-01-02 08:00', true, 4560.0, 4800),
        ('HALF', 1, 'APP', 'A', 'IT-02-3', timestamp '2025-01-02 08:00', true, 132.0, 240),
        ('FEW', 1, 'APP', 'A', 'IT-02-3', timestamp '2025-01-02 08:00', true, 60.0, 240),
        ('SHUT', 1, 'APP', 'A', 'IT-02-3', timestamp '2025-01-02 08:00', false, null, 240))
        t(ticket_id, priority, service_code, service_name_pl, final_group_code, opened_at,
          is_open, age_business_minutes, resolution_target_minutes)""")
    con.execute("""create or replace table marts.incident_sla as select *,
        case when is_open then 100.0 * age_business_minutes / resolution_target_minutes end
            as resolution_target_used_pct from marts.incident_sla""")
    con.execute("""create table marts.service_catalogue as
        select 'APP' as service_code, 'Aplikacje' as name_pl, 'Applications' as name_en""")
    breached = incidents.breached_tickets(con)
    nearing = incidents.nearing_breach_tickets(con)
    # the service named in English too, beside the Polish name (the seeds' name_en)
    assert breached.select("service_name_pl", "service_name_en").unique().rows() == [
        ("A", "Applications")]
    # 52 800 - 4 800 = 48 000 min = 100 working days; 20 min = 1/24 of a day
    assert breached.select("ticket_id", "overrun_working_days", "age_working_days",
                           "resolution_target_hours").rows() == [
        ("LONG", 100.0, 110.0, 80.0), ("JUST", 20 / 480, 260 / 480, 4.0)]
    # 95 % with 4 h left, then 55 % with 1.8 h left; FEW (25 %) is not near
    assert nearing.select("ticket_id", "resolution_target_used_pct", "time_left_hours").rows() \
        == [("NEAR", 95.0, 4.0), ("HALF", 55.0, 1.8)]


def test_incident_durations_are_hours_and_working_days_with_the_unit_in_the_header(wh):
    at = open_page("incidents")
    headers = [c for d in at.dataframe for c in d.value.columns]
    assert not [h for h in headers if "min" in h.lower().split("(")[-1]], headers
    sla = mart(wh, "incident_sla")
    want_b, want_n = expected_lists(sla)
    overrun, left = column_label("overrun_working_days", "pl"), column_label("time_left_hours",
                                                                                "pl")
    assert "dni rob." in overrun and "h rob." in left
    shown_b = next(d.value for d in at.dataframe if overrun in d.value.columns)
    assert [parse_number(v) for v in shown_b[overrun]] == pytest.approx(
        want_b["days"].head(50).to_list(), abs=0.051)
    shown_n = [d.value for d in at.dataframe if left in d.value.columns]
    assert [parse_number(v) for v in (shown_n[0][left] if shown_n else [])] == pytest.approx(
        want_n["hours"].head(50).to_list(), abs=0.051)
    # the ticket list: ages in working days, targets in hours (a P3's target is 24 h)
    tickets = at.dataframe[-1].value
    target = column_label("resolution_target_hours", "pl")
    assert "h rob." in target and "dni rob." in column_label("age_working_days", "pl")
    targets = dict(sla.select("priority", "resolution_target_minutes").unique().iter_rows())
    for prio, shown in zip(tickets[column_label("priority", "pl")], tickets[target],
                           strict=True):
        assert parse_number(shown) == targets[int(prio)] / 60
    # the distribution charts: hours on the axis and in the series (median of the month)
    resolved = sla.filter(pl.col("resolved_at").is_not_null()).with_columns(
        pl.col("resolved_at").dt.truncate("1mo").dt.date().alias("m"))
    medians = dict(resolved.group_by("m").agg(
        (pl.col("response_business_minutes").median() / 60).alias("h")).iter_rows())
    response = next(f for f in figures(at)
                    if f["layout"]["title"]["text"].startswith("Czas reakcji"))
    assert response["layout"]["yaxis"]["title"]["text"] == t("unit_working_hours", "pl")
    trace = response["data"][0]
    for month, value in zip(trace["x"], trace["y"], strict=True):
        assert value == pytest.approx(medians[pl.Series([month]).str.to_date("%Y-%m-%d")[0]])


# ---------------------------------------------------------------- one colour per category

def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str = "#ffffff") -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_category_colour_meets_wcag_aa_on_white():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#e08a00") < 3  # planted: the old amber fails even for graphics
    used = [c for kind in components.COLOURS.values() for c in kind.values()]
    used += components.PALETTE
    assert all(contrast(c) >= 4.5 for c in used), [(c, contrast(c)) for c in used
                                                    if contrast(c) < 4.5]
    # a value no mapping knows (a new queue) gets a palette colour, the same every time
    assert components.colour("queue", "KCK_NOWA") == components.colour("queue", "KCK_NOWA")
    assert components.colour("queue", "KCK_NOWA") in components.PALETTE


RAG_STATES = ("red", "amber", "green", "completed", "cancelled")


def categories(lang: str, queues: set[str], groups: list[str]):
    """A trace name → (kind, value): how a reader recognises the category in the legend."""
    rag_words = sorted(((value_label("rag_status", s, lang).lower(), s) for s in RAG_STATES),
                       key=lambda w: -len(w[0]))
    group_words = {value_label("topic_group", g, lang): g for g in groups}

    def which(name: str | None) -> tuple[str, str] | None:
        if not name:
            return None
        if m := re.fullmatch(r"P([1-4])", name):
            return "priority", m.group(1)
        if name in queues:
            return "queue", name
        if name in group_words:
            return "topic_group", group_words[name]
        if name in ("KPUM", "MPI", "BIP"):
            return "portal", name
        for word, state in rag_words:
            if name.lower().endswith(word):
                return "rag", state
        return None

    return which


def trace_colours(trace: dict) -> set[str]:
    out = set()
    for part in ("marker", "line"):
        value = (trace.get(part) or {}).get("color")
        if isinstance(value, str):
            out.add(value.lower())
    return out


def figure_problems(figs: list[dict], which, seen: dict) -> list[str]:
    """Charts whose categories are off the one mapping, change colour between charts, carry
    meaning by colour alone, have an untitled legend of bare numbers, or plotly's own
    number format (``15k``, ``1,234.5`` in Polish)."""
    problems = []
    for fig in figs:
        layout, title = fig["layout"], fig["layout"].get("title", {}).get("text", "?")[:50]
        shapes: dict[str, set] = {}
        legend_title = ((layout.get("legend") or {}).get("title") or {}).get("text")
        names = [tr.get("name") for tr in fig["data"] if tr.get("showlegend", True)]
        if len(names) > 1 and all(n and n.strip().isdigit() for n in names) and not legend_title:
            problems.append(f"{title}: a bare legend {names}")
        for trace in fig["data"]:
            category = which(trace.get("name"))
            if category is None:
                continue
            kind, value = category
            colours = trace_colours(trace)
            want = components.COLOURS[kind][value].lower()
            if colours != {want}:
                problems.append(f"{title}: {kind} {value} drawn {colours}, not {want}")
            seen.setdefault(category, set()).update(colours)
            marker = trace.get("marker") or {}
            shape = (marker.get("pattern") or {}).get("shape")
            shapes.setdefault(kind, set()).add(
                (marker.get("symbol"), tuple(shape) if isinstance(shape, list) else shape,
                 trace.get("text") is not None and trace.get("type") == "bar"))
            if not legend_title and kind in ("priority", "queue", "topic_group", "portal"):
                problems.append(f"{title}: {kind} legend without a title")
        for kind, found in shapes.items():
            n = sum(1 for tr in fig["data"] if which(tr.get("name")) and
                    which(tr.get("name"))[0] == kind)
            # plotly has 8 bar patterns: ten topic groups share two of them
            if n > 1 and len(found) < min(n, len(components.PATTERNS)) and kind != "rag":
                problems.append(f"{title}: {kind} told apart by colour alone")
        for axis, spec in layout.items():
            if re.fullmatch(r"[xy]axis\d*", axis) and spec.get("type") != "date" \
                    and spec.get("exponentformat") != "none":
                problems.append(f"{title}: {axis} ticks in plotly's SI format")
    return problems


def test_one_colour_per_priority_rag_queue_group_and_portal_on_every_page(wh):
    queues = set(mart(wh, "kck_queue_service")["queue"])
    groups = mart(wh, "kck_call_topics")["topic_group"].unique().to_list()
    seen: dict = {}
    for lang in ("pl", "en"):
        which = categories(lang, queues, groups)
        for page in PAGES:
            if page.name == "builder":  # its charts are the analyst's own choice
                continue
            at = open_page(None if page == PAGES[0] else page.name, lang)
            figs = figures(at)
            assert figure_problems(figs, which, seen) == [], (page.name, lang)
            for fig in figs:  # the language's symbols: "1 234,5" / "1,234.5"
                assert fig["layout"]["separators"] == {"pl": ",\u00a0", "en": ".,"}[lang]
    # every kind was met, so the check could fail; and each category kept one colour
    assert {kind for kind, _ in seen} == {"priority", "rag", "queue", "topic_group", "portal"}
    assert all(len(colours) == 1 for colours in seen.values()), seen


def axis_problems(fig: dict) -> list[str]:
    """A chart's value axis must say its unit (a title: "%", "liczba", "zł", "godziny
    robocze" …) and a bar's must start at zero. The value axis is y, or x for horizontal
    bars; heatmaps (the value is the colour) and time lines (x is dates) have none."""
    traces, layout = fig["data"], fig["layout"]
    if not traces or any(tr.get("type") == "heatmap" for tr in traces):
        return []
    letter = "x" if all(tr.get("orientation") == "h" for tr in traces) else "y"
    axes = {k: v for k, v in layout.items() if k.startswith(f"{letter}axis")}
    if letter == "x" and any(v.get("type") == "date" for v in axes.values()):
        return []
    problems = []
    if not any((v.get("title") or {}).get("text") for v in axes.values()):
        problems.append(f"no unit on the value axis ({letter})")
    if any(tr.get("type") == "bar" for tr in traces):
        problems += [f"{k}: bars not from zero" for k, v in axes.items()
                     if v.get("rangemode") != "tozero"]
    return problems


def test_every_value_axis_says_its_unit_and_bars_start_at_zero(wh):
    seen = 0
    for lang in ("pl", "en"):
        for page in PAGES:
            if page.name == "builder":  # its own test: one axis title per unit
                continue
            at = open_page(None if page == PAGES[0] else page.name, lang)
            for fig in figures(at):
                seen += 1
                title = (fig["layout"].get("title") or {}).get("text", "")
                assert axis_problems(fig) == [], (page.name, lang, title)
    assert seen > 20


def test_the_axis_check_fails_on_planted_charts():
    bare = {"data": [{"type": "bar", "x": [1], "y": [2]}], "layout": {"yaxis": {}}}
    assert axis_problems(bare) == ["no unit on the value axis (y)", "yaxis: bars not from zero"]
    sideways = {"data": [{"type": "bar", "orientation": "h", "x": [2], "y": ["a"]}],
                "layout": {"xaxis": {"title": {"text": "zł"}, "rangemode": "tozero"},
                           "yaxis": {}}}
    assert axis_problems(sideways) == []


def test_the_colour_check_fails_on_planted_charts():
    which = categories("pl", {"KCK_INFOLINIA"}, ["information"])
    frame = pl.DataFrame({"m": [1, 1, 2, 2], "n": [3, 4, 5, 6], "p": ["P1", "P2", "P1", "P2"]})
    # plotly's own colours, an untitled legend, SI ticks: everything a page must not do
    bare = px.bar(frame, x="m", y="n", color="p")
    bare.update_layout(legend_title=None)
    problems = figure_problems([json.loads(bare.to_json())], which, {})
    assert any("priority 1 drawn" in p for p in problems)
    assert any("without a title" in p for p in problems)
    assert any("SI format" in p for p in problems)
    assert any("colour alone" in p for p in problems)
    # bare numbers as the legend ("2 3 4")
    numbers = go.Figure([go.Bar(x=[1], y=[1], name=str(p)) for p in (2, 3, 4)])
    assert any("bare legend" in p for p in figure_problems([json.loads(numbers.to_json())],
                                                           which, {}))
    # the same through the shared helpers passes
    labels = {1: "P1", 2: "P2"}
    styled = components.px_colours("priority", "p", labels, "pl", patterns=True)
    good = components.style_figure(px.bar(frame, x="m", y="n", color="p", **styled), "x", "pl")
    assert figure_problems([json.loads(good.to_json())], which, {}) == []
    # one category in two colours on two charts
    seen: dict = {}
    other = go.Figure([go.Scatter(x=[1], y=[1], name="P1", line={"color": "#1f4e79"})])
    figure_problems([json.loads(good.to_json()), json.loads(other.to_json())], which, seen)
    assert len(seen[("priority", "1")]) == 2


def test_plotly_numbers_in_the_pages_language():
    fig = components.style_figure(go.Figure(go.Bar(x=["a"], y=[15_000.5])), "x", "pl")
    assert fig.layout.separators == ",\u00a0"  # 15 000,5 — never 15k
    assert fig.layout.yaxis.exponentformat == "none" and fig.layout.yaxis.separatethousands
    assert fig.layout.yaxis.rangemode == "tozero"  # bars from zero
    assert components.style_figure(go.Figure(), "x", "en").layout.separators == ".,"
    # the separators are the ones the tables use
    assert fmt_number(15000.5, "pl") == "15\u00a0000,5"


# ---------------------------------------------------------------- the wrong language

def shown_texts(at: AppTest) -> tuple[list[str], list[str]]:
    """What a page shows, as (the app's own words: titles, labels, captions, headers, chart
    titles, axes and legends; the data's words: table cells, chart categories)."""
    own: list[str] = []
    data: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success", "expander"):
        own += [getattr(e, "label", None) or e.value for e in getattr(at, kind)]
    for m in at.metric:
        own += [m.label, str(m.value)]
    for widget in ("selectbox", "multiselect", "radio", "select_slider"):
        for w in getattr(at, widget):
            if w.key == "lang":  # the switch names each language in itself
                continue
            own.append(w.label)
            data += map(str, w.options)  # units, months, the projects' strategy areas
    own += [c.label for c in at.checkbox]
    own += [b.proto.label for b in at.get("download_button")]
    for d in at.dataframe:
        own += list(d.value.columns)
        for col in d.value.columns:
            if d.value[col].dtype == object:
                data += [v for v in d.value[col] if isinstance(v, str)]
    for fig in figures(at):
        layout = fig["layout"]
        own.append((layout.get("title") or {}).get("text") or "")
        own += [((layout.get(a) or {}).get("title") or {}).get("text") or ""
                for a in layout if re.fullmatch(r"[xy]axis\d*|legend", a)]
        own += [a.get("text") or "" for a in layout.get("annotations", [])]
        for trace in fig["data"]:
            own.append(trace.get("name") or "")
            for axis in ("x", "y"):
                values = trace.get(axis)
                if isinstance(values, list):
                    data += [v for v in values if isinstance(v, str)]
    return own, data


WORD = re.compile(r"[^\W\d_]{4,}")


def words(text: str) -> set[str]:
    """The words of a text, without placeholders ({period}), Streamlit's markdown
    directives (``:green[…]``, ``:material/warning:``), identifiers (``marts.incident_sla``,
    queue ``KCK_PODATKI``) and codes in capitals (service ``OFFICE``)."""
    text = re.sub(r"\{\w+\}|:[a-z]+\[|:material/\w+:", " ", text.replace("\\", ""))
    text = re.sub(r"\b\w+(?:[._]\w+)+\b", " ", text)
    return {w.lower() for w in WORD.findall(text) if not w.isupper()}


def catalogue_words(lang: str) -> set[str]:
    from dashboards.i18n import catalogue

    out: set[str] = set()
    for message in catalogue(lang):
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for s in strings:
                out |= words(s or "")
    return out


def names(wh: Path, lang: str) -> set[str]:
    """The unit and service names of ``lang`` that the other language names differently."""
    other = "en" if lang == "pl" else "pl"
    out = set()
    for table in ("organisation_units", "service_catalogue"):
        frame = mart(wh, table)
        out |= {r[f"name_{lang}"] for r in frame.iter_rows(named=True)
                if r[f"name_{lang}"] and r[f"name_{other}"] and r[f"name_{lang}"]
                != r[f"name_{other}"]}
    return out


# English words Polish uses as its own: the registry's "praktyka ITIL dla service desku"
LOANWORDS = {"pl": {"service"}, "en": set()}


def wrong_language(own: list[str], data: list[str], lang: str, foreign_words: set[str],
                   foreign_names: set[str]) -> list[str]:
    foreign_words = foreign_words - LOANWORDS[lang]
    problems = [f"{text[:70]!r}: {sorted(words(text) & foreign_words)}" for text in own
                if words(text) & foreign_words]
    problems += [f"name {text!r}" for text in set(own + data)
                 if any(n in text for n in foreign_names)]
    return problems


def test_no_text_in_the_wrong_language_on_any_page(wh):
    """English UI: none of the Polish catalogue's own words (those the English catalogue does
    not use) and no Polish unit or service name that has an English one; and the other way
    round. Streamlit's built-in widget texts ("Select all", "No results") are not in
    AppTest's tree: the browser draws them in English whatever the page's language."""
    pl_words, en_words = catalogue_words("pl"), catalogue_words("en")
    foreign = {"en": pl_words - en_words, "pl": en_words - pl_words}
    assert {"zgłoszenia", "jednostka"} <= foreign["en"] and {"tickets", "unit"} <= foreign["pl"]
    found: dict[str, list[str]] = {}
    for lang in ("en", "pl"):
        other = "pl" if lang == "en" else "en"
        foreign_names = names(wh, other)
        assert foreign_names
        for page in PAGES:
            if page.name == "builder":  # the builder names marts and columns as they are
                continue
            at = open_page(None if page == PAGES[0] else page.name, lang)
            own, data = shown_texts(at)
            # the personal page starts empty (nothing pinned): its own texts only
            assert own and (data or page.name == "my_reports"), page.name
            problems = wrong_language(own, data, lang, foreign[lang], foreign_names)
            if problems:
                found[f"{page.name}/{lang}"] = problems
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
    # planted: a Polish caption and a Polish unit name on an English page are found
    unit = sorted(names(wh, "pl"))[0]
    assert wrong_language(["Zgłoszenia IT otwarte"], [unit], "en", foreign["en"],
                          names(wh, "pl")) != []


def test_the_builder_offers_no_build_or_load_stamps(built_warehouse):
    """No picker offers a load id, a build id or the build's own as_of row (issue 15 § 5):
    the columns are read from information_schema here, the builder's whitelist apart."""
    from dashboards import reports

    con = connect_read_only(built_warehouse)
    try:
        stamps = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and (column_name like '\\_%' escape '\\' "
            "or column_name = 'last_load_id' or table_name = 'build_info')").fetchall()
        schema = reports.mart_schema(con)
    finally:
        con.close()
    assert {t for t, _ in stamps} >= {"build_info", "incident_sla"}  # there are some to hide
    offered = {(t, c) for t, cols in schema.items() for c in cols}
    assert not offered & set(stamps)
    assert "build_info" not in schema
    assert "ticket_id" in schema["incident_sla"]  # the rest is still offered
