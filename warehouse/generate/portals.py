"""Portals (KPUM, MPI, BIP): ``service_cards`` and ``publications``.

- **Service cards** (not scaled: the city's catalogue of matters): ≈ **520 cards**, the
  order of magnitude of the KPUM service catalogue.  Each card belongs to the unit that
  handles the matter; 45 % can be done online.  ``last_reviewed_at``: seven cards in eight
  were reviewed in the last year, the rest 12–30 months ago (stale: ~12 %, just over the
  10 % target), which is the backlog the freshness KPI is meant to expose.
- **Publications** (scale 1): ≈ **17 000 requests a year** (KPUM ≈ 45 %, Magiczny Kraków
  ≈ 35 %, BIP ≈ 20 %): ~70 a working day across the City Hall's units.  Content is made
  ready in office hours; ordinance 001 requires publication "without delay", so most are
  published within a few office hours (lognormal, median 60 office minutes), ~8 % take
  more than a working day (~15 % in July and August, when editors are on leave, and a few
  more around Christmas) and under 1 % more than a week; 0.7 % are never published.
  Editor roles follow ordinance 000 (Redaktor Naczelny, Redakcja portalu, Menedżer
  Portfolio Usług, Koordynator, Operator) and 001 (Redakcja MPI, Redaktor BIP).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import curves
from .calendar import DAY, HOUR, MINUTE, OFFICE_OPEN, BusinessClock, Period
from .refdata import Reference
from .writer import wallclock

PUBLICATIONS_PER_YEAR = 17_000
#: Office time from ready to published: lognormal (median, spread), slower when editors are
#: on leave (summer holidays, the days around Christmas).
PUBLISH_MEDIAN = 60 * MINUTE
PUBLISH_SIGMA = 1.4
PUBLISH_MONTH = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.8, 2.0, 1.0, 1.0, 1.0, 1.3])
N_CARDS = 520
#: Share of cards not reviewed for over a year at the end of the period (the yearly review
#: slips for about one card in eight; the KPI's target is at most 10 %).
STALE_SHARE = 0.12

#: Typical matters per unit (unit codes of seeds/org_units.csv; absent units drop out).
CARD_TITLES: dict[str, list[str]] = {
    "SA": ["Zameldowanie na pobyt stały", "Zameldowanie na pobyt czasowy",
           "Wymeldowanie z pobytu stałego", "Wydanie dowodu osobistego",
           "Zgłoszenie utraty dowodu osobistego", "Udostępnienie danych z rejestru PESEL",
           "Wpis do rejestru wyborców", "Zaświadczenie o zameldowaniu",
           "Rejestracja działalności gospodarczej (CEIDG)", "Zezwolenie na sprzedaż alkoholu"],
    "USC": ["Rejestracja urodzenia dziecka", "Zawarcie małżeństwa",
            "Rejestracja zgonu", "Wydanie odpisu aktu stanu cywilnego",
            "Zmiana imienia lub nazwiska", "Transkrypcja zagranicznego aktu",
            "Sprostowanie aktu stanu cywilnego"],
    "EP": ["Rejestracja pojazdu", "Wyrejestrowanie pojazdu", "Wydanie prawa jazdy",
           "Wymiana prawa jazdy", "Zgłoszenie zbycia pojazdu",
           "Czasowa rejestracja pojazdu", "Wydanie międzynarodowego prawa jazdy"],
    "PD": ["Podatek od nieruchomości – osoby fizyczne", "Podatek od nieruchomości – firmy",
           "Podatek od środków transportowych", "Ulga w spłacie podatku",
           "Zaświadczenie o niezaleganiu w podatkach",
           "Deklaracja o wysokości opłaty za odpady", "Zwrot nadpłaty podatku"],
    "AU": ["Pozwolenie na budowę", "Zgłoszenie budowy", "Decyzja o warunkach zabudowy",
           "Pozwolenie na rozbiórkę", "Zmiana sposobu użytkowania obiektu"],
    "PP": ["Wypis i wyrys z planu miejscowego", "Wniosek do projektu planu miejscowego"],
    "GD": ["Wypis z rejestru gruntów", "Nadanie numeru porządkowego budynku",
           "Udostępnienie mapy zasadniczej"],
    "SM": ["Przekształcenie użytkowania wieczystego", "Dzierżawa gruntu gminnego",
           "Bonifikata od opłaty przekształceniowej"],
    "MS": ["Najem lokalu z zasobu gminy", "Zamiana mieszkania komunalnego",
           "Dodatek mieszkaniowy", "Dodatek energetyczny"],
    "EK": ["Rekrutacja do przedszkola", "Rekrutacja do szkoły podstawowej",
           "Dofinansowanie kształcenia młodocianych pracowników", "Stypendium Prezydenta"],
    "KD": ["Wpis do gminnej ewidencji zabytków", "Dotacja na prace przy zabytku",
           "Mecenat Miasta Krakowa – dotacja na projekt kulturalny"],
    "SP": ["Dotacja na zadanie sportowe", "Nagroda sportowa Prezydenta"],
    "WS": ["Dofinansowanie wymiany pieca", "Zezwolenie na usunięcie drzewa",
           "Rejestracja psa i czipowanie", "Dotacja na zieleń na dachach"],
    "GK": ["Zezwolenie na odbiór nieczystości ciekłych", "Zgłoszenie nieodebranych odpadów"],
    "PS": ["Karta Dużej Rodziny", "Krakowska Karta Rodzinna 3+", "Orzeczenie o niepełnosprawności",
           "Karta parkingowa dla osoby niepełnosprawnej"],
    "BZ": ["Zgłoszenie zgromadzenia publicznego", "Zezwolenie na imprezę masową"],
    "RM": ["Petycja do Rady Miasta", "Wniosek o udostępnienie informacji publicznej"],
    "FK": ["Płatności na rzecz miasta – numery kont", "Wydanie zaświadczenia o pomocy de minimis"],
    "KP-02": ["Spotkanie z Prezydentem Miasta", "Skarga lub wniosek do Prezydenta Miasta"],
    "DK-04": ["Zgłoszenie projektu do budżetu obywatelskiego", "Inicjatywa lokalna"],
    "ZTP": ["Abonament w strefie płatnego parkowania", "Karta Krakowska – wydanie"],
}
QUALIFIERS = ["", " – tryb pilny", " – przez pełnomocnika", " – dla cudzoziemców",
              " – wydanie duplikatu", " – zmiana danych", " – przez ePUAP", " – odwołanie",
              " – przedłużenie", " – dla przedsiębiorców", " – dla osób niepełnosprawnych",
              " – korekta", " – informacja o stanie sprawy", " – wniosek uzupełniający",
              " – rezygnacja", " – wydanie zaświadczenia"]

CONTENT_BY_PORTAL = {
    "KPUM": (["service_card", "news", "unit_page", "document"], [0.38, 0.22, 0.25, 0.15]),
    "MPI": (["news", "unit_page", "document"], [0.7, 0.15, 0.15]),
    "BIP": (["document", "unit_page"], [0.8, 0.2]),
}
AREA_WEIGHTS = {"KPUM_INFO": 0.45, "KPUM_UNITS": 0.3, "KPUM_KCK": 0.08, "KPUM_ACCOUNT": 0.05,
                "KPUM_EXTRA": 0.12, "MPI_PORTAL": 0.6, "MPI_SERVICES": 0.15,
                "MPI_UNITS": 0.15, "MPI_WORLD": 0.05, "MPI_FOTO": 0.05}
SERVICE_CARD_AREA = "KPUM_INFO"
ACTIONS = {"service_card": [0.12, 0.80, 0.08], "news": [0.90, 0.08, 0.02],
           "unit_page": [0.10, 0.85, 0.05], "document": [0.70, 0.25, 0.05]}
EDITOR_ROLES = {
    ("KPUM", "service_card"): (["Menedżer Portfolio Usług", "Koordynator", "Operator"],
                               [0.3, 0.5, 0.2]),
    ("KPUM", "other"): (["Operator", "Koordynator", "Redakcja portalu", "Redaktor Naczelny"],
                        [0.5, 0.3, 0.15, 0.05]),
    ("MPI", "other"): (["Redakcja MPI", "Operator", "Koordynator"], [0.4, 0.4, 0.2]),
    ("BIP", "other"): (["Redaktor BIP", "Operator"], [0.5, 0.5]),
}


def service_cards(rng: np.random.Generator, period: Period, ref: Reference) -> pl.DataFrame:
    departments = ref.departments + ref.external_units
    pairs = [(f"{title}{q}", unit) for unit, titles in CARD_TITLES.items()
             if ref.has_unit(unit) for title in titles for q in QUALIFIERS]
    if not pairs:  # seeds without any of the usual units: generic titles
        pairs = [(f"Sprawa nr {i}", departments[i % len(departments)]) for i in range(N_CARDS)]
    # the plain title of every matter first, then variants at random
    base = [i for i, (t, _) in enumerate(pairs) if not any(t.endswith(q) for q in QUALIFIERS
                                                              if q)]
    rest = np.setdiff1d(np.arange(len(pairs)), base)
    extra = rng.choice(rest, size=max(0, min(N_CARDS - len(base), rest.size)), replace=False)
    pick = np.sort(np.concatenate([np.array(base, dtype=int), extra]))
    n = pick.size
    titles = [pairs[i][0] for i in pick]
    units = [pairs[i][1] for i in pick]
    stale = rng.random(n) < STALE_SHARE
    age_days = np.where(stale, rng.integers(366, 900, n), rng.integers(1, 365, n))
    reviewed = (period.end_s - age_days * DAY) // DAY * DAY + OFFICE_OPEN \
        + rng.integers(0, 8 * HOUR, n)
    return pl.DataFrame({
        "card_id": [f"KU-{i + 1:04d}" for i in range(n)],
        "title_pl": titles,
        "responsible_unit": units,
        "online_available": rng.random(n) < 0.45,
        "last_reviewed_at": reviewed,
    }).with_columns(wallclock(pl.col("last_reviewed_at")).alias("last_reviewed_at"))


def publications(rng: np.random.Generator, period: Period, ref: Reference, scale: float,
                 cards: pl.DataFrame) -> pl.DataFrame:
    years = period.n_days / 365.25
    dw = curves.day_weights(period, curves.EDITOR_WEEKDAY) * period.is_workday
    day = curves.expand(curves.counts_per_day(rng, dw / dw.sum() * PUBLICATIONS_PER_YEAR
                                              * scale * years))
    n = day.size
    ready = curves.sample_times(rng, day, period, curves.EDITOR_HOURS)
    ready = np.sort(ready)
    portals = np.array(["KPUM", "MPI", "BIP"], dtype=object)
    portal = portals[rng.choice(3, size=n, p=[0.45, 0.35, 0.20])]
    content = np.empty(n, dtype=object)
    for p, (types, w) in CONTENT_BY_PORTAL.items():
        m = portal == p
        content[m] = np.array(types, dtype=object)[rng.choice(len(types), int(m.sum()), p=w)]
    area = np.empty(n, dtype=object)
    for p in CONTENT_BY_PORTAL:
        codes = ref.areas.filter(pl.col("portal") == p)["area_code"].to_list()
        w = np.array([AREA_WEIGHTS.get(c, 0.05) for c in codes])
        m = portal == p
        area[m] = np.array(codes, dtype=object)[rng.choice(len(codes), int(m.sum()),
                                                           p=w / w.sum())]
    is_card = content == "service_card"
    if SERVICE_CARD_AREA in ref.areas["area_code"].to_list():
        area[is_card] = SERVICE_CARD_AREA
    action = np.empty(n, dtype=object)
    for c, w in ACTIONS.items():
        m = content == c
        action[m] = np.array(["create", "update", "unpublish"], dtype=object)[
            rng.choice(3, int(m.sum()), p=w)]

    internal = np.array(ref.internal_units, dtype=object)
    uw = 0.3 + rng.random(internal.size) ** 2 * 3
    owner = internal[rng.choice(internal.size, n, p=uw / uw.sum())]
    card_ids = np.array(cards["card_id"].to_list(), dtype=object)
    card_units = np.array(cards["responsible_unit"].to_list(), dtype=object)
    ci = rng.integers(0, card_ids.size, n)
    card = np.where(is_card, card_ids[ci], None)
    owner = np.where(is_card, card_units[ci], owner)
    media = "KS-RMM"
    if ref.has_unit(media):
        owner[(portal == "MPI") & (content == "news") & (rng.random(n) < 0.4)] = media

    role = np.empty(n, dtype=object)
    for (p, c), (roles, w) in EDITOR_ROLES.items():
        m = (portal == p) & ((content == "service_card") == (c == "service_card"))
        role[m] = np.array(roles, dtype=object)[rng.choice(len(roles), int(m.sum()), p=w)]
    role[rng.random(n) < 0.02] = None

    clock = BusinessClock(period)
    month = period.month[(ready // DAY - period.days[0]).astype(np.int64)]
    delay = curves.lognormal_seconds(rng, PUBLISH_MEDIAN * PUBLISH_MONTH[month - 1],
                                     PUBLISH_SIGMA, n)
    published = clock.add(ready, delay)
    never = (rng.random(n) < 0.007) | (published >= period.end_s)
    return pl.DataFrame({
        "publication_id": [f"PUB{i + 1:08d}" for i in range(n)],
        "portal": portal.astype(str), "portal_area": area.astype(str),
        "content_type": content.astype(str), "owner_unit": owner.astype(str),
        "action": action.astype(str), "ready_at": ready,
        "published_at": pl.Series(np.where(never, -1, published)),
        "service_card_id": pl.Series(card.tolist(), dtype=pl.String),
        "editor_role": pl.Series(role.tolist(), dtype=pl.String),
    }).with_columns(
        wallclock(pl.col("ready_at")).alias("ready_at"),
        wallclock(pl.when(pl.col("published_at") >= 0).then(pl.col("published_at")))
        .alias("published_at"),
    )
