"""A KPI's verdict and alerts in words, for the pages and the monthly pack alike (no
Streamlit here: the pack is made by the command line)."""

from __future__ import annotations

from datetime import datetime

from dashboards.formats import deciding_decimals, fmt_date, fmt_number, fmt_value
from dashboards.i18n import N_, t, tn, value_label

GOOD, BAD, NEUTRAL = "#2e7d32", "#c62828", "#1f4e79"  # the charts' on target, off, the value
WARN = "#b45309"  # the warning band's orange, as Streamlit's :orange[] on white

# a verdict's colour, shape and words: never the colour alone (WCAG 2.1 AA, 1.4.1)
VERDICTS = {"on_target": ("green", "●", N_("on_target")),
            "warning": ("orange", "▲", N_("near_target")),
            "off_target": ("red", "■", N_("off_target"))}


def verdict(status: str, lang: str) -> str:
    """Markdown: a verdict as coloured shape and words, e.g. ``:red[■ poza celem]``."""
    colour, shape, key = VERDICTS[status]
    return f":{colour}[{shape} {t(key, lang)}]"


def kpi_definition(d: dict, lang: str) -> list[str]:
    """A KPI's definition from its registry row (marts.kpis) in ``lang``, line by line:
    what it counts, the formula in words, the period basis, the source mart, the owner
    unit, the target with where it comes from and who sets it."""
    numerator, denominator = d[f"numerator_{lang}"], d[f"denominator_{lang}"]
    formula = {"ratio": f"100 × ({numerator}) ÷ ({denominator})",
               "mean": f"({numerator}) ÷ ({denominator})"}.get(d["kind"], numerator)
    lines = [d[f"definition_{lang}"], t("def_formula", lang, formula=formula),
             t("def_period", lang, period=value_label("period_basis", d["period_basis"], lang)),
             t("def_source", lang, mart=f"marts.{d['source_mart']}"),
             t("def_owner", lang, unit=d["owner_unit"])]
    if d.get("target") is not None:
        lines.append(t("def_target", lang, target=fmt_value(d["target"], d["unit"], lang),
                       origin=d[f"target_origin_{lang}"] or "—",
                       set_by=d[f"target_set_by_{lang}"] or "—"))
    return lines


CROSSINGS = {"crossed_to_off_target": N_("alert_crossed_to_off_target"),
             "crossed_to_warning": N_("alert_crossed_to_warning")}


def alert_mark(kind: str) -> tuple[str, str]:
    """An alert's colour and shape: orange ▲ for a fall into the warning band, red ■ else."""
    return ("orange", "▲") if kind == "crossed_to_warning" else ("red", "■")


def alert_text(a: dict, lang: str) -> str:
    """One row of marts.kpi_alerts (with the KPI's unit) in words, plain text."""
    name = a[f"subject_name_{lang}"] or a["subject"]
    if a["alert_kind"] == "topic_spike":
        return t("alert_topic_spike", lang, topic=name, week=fmt_date(a["period_start"], lang),
                 calls=fmt_number(a["value"], lang, 0),
                 baseline=fmt_number(a["baseline"], lang, 0))
    values = {"kpi": name, "value": fmt_value(a["value"], a["unit"], lang),
              "target": fmt_value(a["baseline"], a["unit"], lang)}
    if a["alert_kind"] == "off_target_streak":
        return tn("alert_off_target_streak", a["streak_months"], lang, n=a["streak_months"],
                  **values)
    return t(CROSSINGS[a["alert_kind"]], lang, **values)


def judged_value(value: float | None, target: float | None, unit: str, lang: str) -> str:
    """A value shown with the precision that decides its verdict (formats.deciding_decimals)."""
    return fmt_value(value, unit, lang, deciding_decimals(value, target, unit))


# the sources that happen in time (marts.source_freshness.contract) in words
SOURCE_NAMES = {"tickets": N_("source_tickets"), "ticket_events": N_("source_ticket_events"),
                "calls": N_("source_calls"), "submissions": N_("source_submissions"),
                "publications": N_("source_publications")}


def data_notices(last: dict | None, freshness: list[dict], as_of: datetime | None,
                 lang: str) -> list[str]:
    """What a reader must know before trusting the figures, plain text: the last update
    failed (the figures are the last good build's), and the sources that stopped delivering
    (marts.source_freshness rows that are stale)."""
    out = []
    if last is not None and not last["ok"]:
        out.append(t("update_failed", lang, at=fmt_date(last["at"], lang),
                     message=last["message"] or "—",
                     as_of=fmt_date(as_of, lang) if as_of else "—"))
    for row in freshness:
        if row["is_stale"]:
            out.append(t("source_stale", lang,
                         source=t(SOURCE_NAMES.get(row["contract"], row["contract"]), lang),
                         newest=fmt_date(row["newest_known_at"], lang),
                         days=fmt_number(row["lag_days"], lang, 0)))
    return out
