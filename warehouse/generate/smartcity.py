"""Smart City portfolio (IT-01-4): ``sc_projects`` and ``sc_milestones``.

Not scaled (a portfolio, not a flow): **32 projects** with **3–8 milestones** each, across
the areas of Kraków's Smart City strategy (Mobilność, Środowisko, E-administracja,
Bezpieczeństwo, Jakość życia, Gospodarka).  Project dates spread from two years before the
period to a year after it; relative to the end of the period about a third are completed,
four in ten in progress, the rest planned, on hold or cancelled.  Slippage is lognormal
(most projects a few weeks late, some months), budgets lognormal (median 2.5 M PLN), and
~20 % of projects overspend (up to 1.5× budget): the cases the RAG status must catch.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from .calendar import Period
from .refdata import SMART_CITY, Reference

PROJECTS: list[tuple[str, str, str | None]] = [
    ("Inteligentny System Transportu – rozbudowa sterowania sygnalizacją", "Mobilność", "ZDMK"),
    ("Dynamiczna informacja pasażerska na przystankach", "Mobilność", "ZTP"),
    ("Czujniki zajętości miejsc parkingowych w SPP", "Mobilność", "ZTP"),
    ("Parkingi Park & Ride z informacją o wolnych miejscach", "Mobilność", "ZTP"),
    ("Miejska wypożyczalnia rowerów – integracja z Kartą Krakowską", "Mobilność", "ZTP"),
    ("Liczniki ruchu rowerowego i pieszego", "Mobilność", "ZDMK"),
    ("Sieć czujników jakości powietrza", "Środowisko", "WS"),
    ("Inteligentne oświetlenie uliczne LED ze sterowaniem", "Środowisko", "ZDMK"),
    ("Monitoring poziomu wód i system ostrzegania przed podtopieniami", "Środowisko", "BZ"),
    ("Czujniki zapełnienia pojemników na odpady", "Środowisko", "MPO"),
    ("Inwentaryzacja drzew z wykorzystaniem skanowania laserowego", "Środowisko", "ZZM"),
    ("Energetyczny monitoring budynków miejskich", "Środowisko", "ZBK"),
    ("Nowe e-usługi w Krakowskim Portalu Usług Miejskich", "E-administracja", None),
    ("Wirtualny asystent KCK (chatbot)", "E-administracja", "DK-02"),
    ("Miejska platforma otwartych danych", "E-administracja", None),
    ("Elektroniczne Zarządzanie Dokumentacją – migracja do EZD RP", "E-administracja", None),
    ("Aplikacja mobilna Kraków – zgłoszenia mieszkańców", "E-administracja", "DK-03"),
    ("Cyfrowy bliźniak miasta (model 3D)", "E-administracja", "GD"),
    ("Elektroniczna rekrutacja do żłobków i przedszkoli", "E-administracja", "EK"),
    ("Płatności online za opłaty lokalne", "E-administracja", "PD"),
    ("Rozbudowa miejskiego monitoringu wizyjnego", "Bezpieczeństwo", "BZ"),
    ("System powiadamiania mieszkańców SMS", "Bezpieczeństwo", "BZ"),
    ("Centrum operacji bezpieczeństwa SOC dla UMK", "Bezpieczeństwo", None),
    ("Miejska sieć łączności radiowej dla służb", "Bezpieczeństwo", "SMMK"),
    ("Darmowe Wi-Fi w przestrzeni publicznej", "Jakość życia", None),
    ("Mapa dostępności dla osób z niepełnosprawnościami", "Jakość życia", "PS"),
    ("Teleopieka dla seniorów", "Jakość życia", "MOPS"),
    ("Cyfrowe konsultacje społeczne i budżet obywatelski online", "Jakość życia", "DK-04"),
    ("Inteligentne ławki i punkty ładowania", "Jakość życia", "ZZM"),
    ("Platforma wsparcia start-upów i otwarte dane dla biznesu", "Gospodarka", None),
    ("Kraków Living Lab – testowanie rozwiązań w mieście", "Gospodarka", None),
    ("Analityka ruchu turystycznego", "Gospodarka", "KP-01"),
]

MILESTONES = ["Koncepcja i analiza potrzeb", "Studium wykonalności", "Postępowanie przetargowe",
              "Podpisanie umowy z wykonawcą", "Projekt techniczny", "Pilotaż",
              "Wdrożenie – etap I", "Wdrożenie – etap II", "Szkolenia użytkowników",
              "Odbiór końcowy"]


def _d(day_number: np.ndarray | int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day_number))


def projects_and_milestones(rng: np.random.Generator, period: Period,
                            ref: Reference) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = len(PROJECTS)
    start0, end0 = period.days[0], period.days[-1] + 1
    planned_start = rng.integers(start0 - 730, end0 + 180, n)
    duration = rng.integers(180, 1100, n)
    planned_end = planned_start + duration
    start_slip = np.round(np.exp(rng.normal(np.log(20), 1.0, n))).astype(int)
    end_slip = np.round(np.exp(rng.normal(np.log(45), 1.1, n))).astype(int)
    end_slip[rng.random(n) < 0.25] *= -1  # some finish early
    fate = rng.random(n)
    budget = np.round(np.exp(rng.normal(np.log(2_500_000), 0.9, n)), -3)
    over = rng.random(n) < 0.2
    rows, ms_rows = [], []
    for i, (name, area, owner) in enumerate(PROJECTS):
        owner_code = owner if owner and ref.has_unit(owner) else SMART_CITY
        a_start = planned_start[i] + start_slip[i]
        a_end = max(planned_end[i] + end_slip[i], a_start + 60)
        started = a_start < end0
        if not started:
            status, act_s, act_e, frac = "planned", None, None, 0.0
        elif fate[i] < 0.07:
            status, act_s, act_e, frac = "cancelled", a_start, None, rng.uniform(0.1, 0.5)
        elif a_end < end0:
            status, act_s, act_e, frac = "completed", a_start, a_end, 1.0
        elif fate[i] < 0.17:
            status, act_s, act_e, frac = "on_hold", a_start, None, rng.uniform(0.2, 0.7)
        else:
            status, act_s, act_e = "in_progress", a_start, None
            frac = float(np.clip((end0 - a_start) / max(a_end - a_start, 1), 0.05, 0.98))
        burn = frac * (rng.uniform(1.05, 1.5) if over[i] else rng.uniform(0.7, 1.0))
        rows.append({
            "project_id": f"SC-{i + 1:03d}", "name": name, "strategy_area": area,
            "owner_unit": owner_code, "status": status,
            "planned_start": _d(planned_start[i]), "planned_end": _d(planned_end[i]),
            "actual_start": _d(act_s) if act_s is not None else None,
            "actual_end": _d(act_e) if act_e is not None else None,
            "budget_pln": float(budget[i]), "spent_pln": float(np.round(budget[i] * burn, 2)),
        })
        k = int(rng.integers(3, 9))
        names = sorted(rng.choice(len(MILESTONES), size=k, replace=False))
        due = planned_start[i] + np.round(np.linspace(0.15, 1.0, k) * duration[i]).astype(int)
        real = a_start - planned_start[i] + np.round(
            np.linspace(0.15, 1.0, k) * (a_end - a_start)).astype(int) + planned_start[i]
        real = np.maximum.accumulate(real + rng.integers(-10, 25, k))
        for j in range(k):
            done = None
            if status in ("completed", "in_progress", "on_hold", "cancelled") and \
                    real[j] < end0 and (status != "on_hold" or j < k // 2) and \
                    (status != "cancelled" or j < 2):
                done = _d(real[j])
            ms_rows.append({"project_id": f"SC-{i + 1:03d}", "milestone": MILESTONES[names[j]],
                            "due_on": _d(due[j]), "done_on": done})
    projects = pl.DataFrame(rows, schema={
        "project_id": pl.String, "name": pl.String, "strategy_area": pl.String,
        "owner_unit": pl.String, "status": pl.String, "planned_start": pl.Date,
        "planned_end": pl.Date, "actual_start": pl.Date, "actual_end": pl.Date,
        "budget_pln": pl.Float64, "spent_pln": pl.Float64})
    milestones = pl.DataFrame(ms_rows, schema={"project_id": pl.String, "milestone": pl.String,
                                               "due_on": pl.Date, "done_on": pl.Date})
    return projects, milestones
