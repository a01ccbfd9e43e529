"""Service desk (SI UMK, ITIL): ``it_services``, ``tickets`` and ``ticket_events``.

Volumes (scale 1 = one city-year): about **25 000 tickets a year**.  The public UCI
ServiceNow incident log has 24 918 incidents in a year for one organisation; UMK has about
4–5 thousand staff, so a first line at that size is realistic.  Of these ≈ 23 500 are
ordinary user tickets, ≈ 800 monitoring alarms on 24x7 services and the rest come from
outages (below).  Every ticket gets ≈ 6 events.

Modelling assumptions (each one visible in a constant below):
- intake follows office hours (morning peak), Monday peak, summer and year-end dips
  (:mod:`.curves`); monitoring alarms come at any hour, also at night and at weekends;
- priority mix dominated by P3 (the UCI log: 93 % P3; a city desk with outages: ~75 %);
- **outages cascade**: an outage of one service raises a monitoring ticket (24x7 services)
  and then many P1/P2 phone/portal tickets on the same service within the hour; all are
  resolved when the outage ends.  ``30·√scale`` outages a year of ``≈20·√scale`` tickets;
- life cycle: opened → acknowledged → (assigned) → maybe escalated to the second line
  (IT-02-4 applications, IT-04-1 infrastructure, IT-04-2 workstations, IT-02-2 security:
  ~25 % of tickets; 93–96 % with a full comment, improving over time, the rest short or
  empty, which is what the "escalation with full comment" KPI exists to catch) → maybe
  on hold awaiting the user → resumed → resolved → maybe reopened → resolved → closed
  (auto-closure three working days after resolution);
- work times are lognormal (heavy tail) and run on the office clock (Mon–Fri 07:30–15:30,
  no holidays) except on 24x7 services, which have a duty team and are worked (and
  measured) around the clock, so some events happen at night and across DST changes;
  they are sized so that about nine tickets in ten meet their SLA (P3: median ~6 office
  hours to resolution, nine in ten within three working days), with misses clustered in
  the week after a major outage (≥ 4 h), when the desk works through a backlog;
- events after the end of the period are cut off, so recent tickets (and a tail of old
  stuck ones) are still open at the end.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from . import curves
from .calendar import DAY, MINUTE, OFFICE_MINUTES, BusinessClock, Period, fix_dst_gap
from .refdata import (
    FIRST_LINE,
    SECOND_LINE_APPS,
    SECOND_LINE_INFRA,
    SECOND_LINE_SECURITY,
    SECOND_LINE_WORKSTATIONS,
    Reference,
)
from .writer import wallclock

USER_TICKETS_PER_YEAR = 23_500
MONITORING_TICKETS_PER_YEAR = 800
OUTAGES_PER_YEAR = 30
OUTAGE_TICKETS_MEDIAN = 20

#: Relative intake per service (user tickets): workstations, office suite, printing, EZD
#: and accounts (domain) dominate a municipal desk.  Others fall back to their owner.
SERVICE_WEIGHTS: dict[str, float] = {
    "WKS": 14, "OFFICE": 8, "PRINT": 8, "APP-EZD": 8, "DOMAIN": 6, "EMAIL": 6, "APP": 5,
    "PERIPH": 4, "ESIGN": 4, "VPN": 3, "APP-TAX": 3, "APP-FIN": 3, "GSM": 3, "TERM": 2,
    "APP-HR": 2, "APP-GIS": 2, "PHONE": 2, "VOIP": 2, "WIFI": 2, "WKS-SEC": 2,
    "APP-KPUM": 2, "APP-ATMOS": 1.5, "APP-FENIX": 1.5, "MEETING-IT": 1.5,
}
OWNER_WEIGHTS: dict[str, float] = {SECOND_LINE_WORKSTATIONS: 2.0, SECOND_LINE_APPS: 1.5,
                                   SECOND_LINE_INFRA: 0.8}

#: P1…P4 shares for user incidents and for service requests.
INCIDENT_PRIORITY = np.array([0.005, 0.07, 0.80, 0.125])
REQUEST_PRIORITY = np.array([0.0, 0.0, 0.70, 0.30])
INCIDENT_SHARE = 0.6
USER_CHANNELS = (["phone", "email", "portal", "walk_in"], np.array([0.50, 0.20, 0.25, 0.05]))

#: Median response (opened → acknowledged) and work time per priority, seconds.
RESPONSE_MEDIAN = np.array([4, 12, 35, 70]) * MINUTE
#: Median work time per priority (its own clock: office minutes, calendar on 24x7
#: services) and its spread: heavy-tailed, but sized so that a desk staffed for its SLA
#: (targets 240 / 480 / 1440 / 4800 minutes) meets it for about nine tickets in ten.
WORK_MEDIAN = np.array([40, 60, 200, 600]) * MINUTE
WORK_SIGMA = 1.0
ESCALATED_WORK_FACTOR = 1.5
#: A major outage (at least this long) leaves the desk a backlog: tickets opened in the
#: following week take this much longer, so SLA misses cluster in outage months.
MAJOR_OUTAGE = 4 * 3600
MAJOR_OUTAGE_WEEK_FACTOR = 2.2
ESCALATION_P = {"incident": np.array([0.55, 0.45, 0.33, 0.22]),
                "service_request": np.array([0.0, 0.0, 0.24, 0.15])}
#: Share of escalations handed over without a full comment (ordinance 002 §8 requires one):
#: 5.8 % at the start of 2025, improving by 0.8 points a year as the rule is enforced
#: (about 6.7 % in late 2023, 4.3 % in late 2026) — a KPI that hovers around its 5 % target.
NO_COMMENT_2025 = 0.058
NO_COMMENT_TREND = -0.008
ON_HOLD_P = 0.25
REOPEN_P = 0.05
REOPEN_AFTER = 150 * MINUTE  # office time from resolution to the user's reopening
REOPEN_WORK = 120 * MINUTE
CLOSE_AFTER_WORKDAYS = 3

INCIDENT_SUMMARIES = [
    ("Nie działa: ", ""), ("Błąd aplikacji – ", ""), ("Brak dostępu – ", ""),
    ("", " – komunikat o błędzie przy logowaniu"), ("", " działa bardzo wolno"),
    ("Awaria: ", ""), ("Problem: ", " – użytkownik nie może pracować"),
]
REQUEST_SUMMARIES = [
    ("Prośba o nadanie uprawnień – ", ""), ("Wniosek o konfigurację – ", ""),
    ("Prośba o instalację / zmianę – ", ""), ("Odblokowanie konta – ", ""),
    ("Pytanie dotyczące – ", ""), ("Nowe stanowisko pracownika – ", ""),
]
MONITORING_SUMMARIES = [("[MON] Alarm: ", " – przekroczony próg"),
                        ("[MON] Brak odpowiedzi usługi: ", ""), ("[MON] Awaria: ", "")]
OUTAGE_SUMMARIES = [("Awaria: ", " nie działa w całym urzędzie"), ("Nie działa: ", ""),
                    ("Brak dostępu – ", " (jak u innych w wydziale)")]

EVENT_ORDER = ["opened", "acknowledged", "assigned", "escalated", "assigned", "on_hold",
               "resumed", "on_hold", "resumed", "resolved", "reopened", "resolved", "closed"]


def it_services(ref: Reference) -> pl.DataFrame:
    """The default catalogue (seed ``default_it_services``), written out as the extract."""
    return ref.services


def _escalation_group(owner: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Second-line group a ticket of a service goes to: the owner when it is a second-line
    unit; in-house/architecture/knowledge services go to applications; workstation assets
    to workstations; anything else to infrastructure."""
    out = np.full(owner.shape, SECOND_LINE_INFRA, dtype=object)
    out[np.isin(owner, ["IT-01-5", "IT-01-2", "IT-02-5", SECOND_LINE_APPS])] = SECOND_LINE_APPS
    out[np.isin(owner, [SECOND_LINE_WORKSTATIONS, "IT-04-3"])] = SECOND_LINE_WORKSTATIONS
    out[owner == SECOND_LINE_SECURITY] = SECOND_LINE_SECURITY
    out[np.isin(codes, ["SEC-MON", "CA"])] = SECOND_LINE_SECURITY
    return out


def _summaries(rng: np.random.Generator, templates: list[tuple[str, str]],
               names: np.ndarray) -> np.ndarray:
    k = rng.integers(0, len(templates), size=names.size)
    pre = np.array([t[0] for t in templates], dtype=object)[k]
    post = np.array([t[1] for t in templates], dtype=object)[k]
    return pre + names + post


def tickets_and_events(rng: np.random.Generator, period: Period, ref: Reference,
                       scale: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    svc = ref.services.filter(pl.col("status") != "planned")
    codes = np.array(svc["service_code"].to_list(), dtype=object)
    names = np.array(svc["name_pl"].to_list(), dtype=object)
    owners = np.array(svc["owner_unit"].to_list(), dtype=object)
    is247 = np.array([h == "24x7" for h in svc["support_hours"].to_list()])
    crit = svc["criticality"].to_numpy()
    epoch_day = period.days[0]
    vfrom = np.array([(d.toordinal() - 719163) for d in svc["valid_from"].to_list()]) - epoch_day
    vto = np.array([(d.toordinal() - 719163) if d else 10**9 for d in svc["valid_to"].to_list()]
                   ) - epoch_day
    whole = (vfrom <= 0) & (vto >= period.n_days)  # valid for the whole period
    years = period.n_days / 365.25

    def pick_service(w: np.ndarray, day_idx: np.ndarray) -> np.ndarray:
        s = rng.choice(codes.size, size=day_idx.size, p=w / w.sum())
        bad = (day_idx < vfrom[s]) | (day_idx > vto[s])
        ww = np.where(whole, w, 0.0)
        s[bad] = rng.choice(codes.size, size=int(bad.sum()), p=ww / ww.sum())
        return s

    # ---- user tickets -------------------------------------------------------------------
    w_user = np.array([SERVICE_WEIGHTS.get(c, OWNER_WEIGHTS.get(o, 0.5))
                       for c, o in zip(codes, owners, strict=True)])
    dw = curves.day_weights(period, curves.DESK_WEEKDAY, curves.DESK_MONTH, holiday_factor=0.6)
    off = ~period.is_workday
    dw = np.where(off & (period.weekday < 5), curves.DESK_WEEKDAY[5], dw)  # holiday ≈ Saturday
    expected = USER_TICKETS_PER_YEAR * scale * years * dw / dw.sum()
    day_u = curves.expand(curves.counts_per_day(rng, expected))
    t_u = np.where(
        period.is_workday[day_u],
        curves.sample_times(rng, day_u, period, curves.DESK_HOURS),
        curves.sample_times(rng, day_u, period, curves.DESK_OFF_HOURS),
    )
    s_u = pick_service(w_user, day_u)
    is_inc = rng.random(day_u.size) < INCIDENT_SHARE
    prio_u = np.where(is_inc, rng.choice(4, size=day_u.size, p=INCIDENT_PRIORITY),
                      rng.choice(4, size=day_u.size, p=REQUEST_PRIORITY)) + 1
    ch_u = np.array(USER_CHANNELS[0], dtype=object)[
        rng.choice(4, size=day_u.size, p=USER_CHANNELS[1])]

    # ---- monitoring alarms on 24x7 services ---------------------------------------------
    w_mon = np.where(is247, 1.0 + (crit == 1), 0.0)
    n_mon = rng.poisson(MONITORING_TICKETS_PER_YEAR * scale * years)
    day_m = np.sort(rng.integers(0, period.n_days, size=n_mon))
    t_m = curves.sample_times(rng, day_m, period, curves.MONITORING_HOURS)
    s_m = pick_service(w_mon, day_m)
    prio_m = rng.choice(4, size=n_mon, p=[0.08, 0.37, 0.50, 0.05]) + 1

    # ---- outages: one monitoring master + a burst of P1/P2 user tickets ------------------
    n_out = max(1, int(rng.poisson(OUTAGES_PER_YEAR * years * np.sqrt(scale))))
    w_out = np.where(crit == 1, 3.0, np.where(crit == 2, 1.0, 0.2))
    day_o = rng.integers(0, period.n_days, size=n_out)
    in_office = rng.random(n_out) < 0.75
    wdays = np.flatnonzero(period.is_workday)
    day_o = np.where(in_office, wdays[rng.integers(0, wdays.size, size=n_out)], day_o)
    t_o = np.where(in_office, curves.sample_times(rng, day_o, period, curves.DESK_HOURS),
                   curves.sample_times(rng, day_o, period, curves.MONITORING_HOURS))
    s_o = pick_service(w_out, day_o)
    dur_o = np.clip(curves.lognormal_seconds(rng, 100 * MINUTE, 0.8, n_out), 15 * MINUTE,
                    2 * DAY)
    size_o = np.maximum(3, np.round(OUTAGE_TICKETS_MEDIAN * np.sqrt(scale)
                                    * np.exp(0.6 * rng.standard_normal(n_out)))).astype(int)
    clock = BusinessClock(period)
    out_idx = np.repeat(np.arange(n_out), size_o)
    first = np.concatenate([[0], np.cumsum(size_o)[:-1]])
    pos_in = np.arange(out_idx.size) - first[out_idx]
    is_master = pos_in == 0
    # users notice within the hour; at night they notice at the next office opening
    notice = clock.next_open(t_o[out_idx])
    notice = np.where(in_office[out_idx], t_o[out_idx], notice)
    t_c = np.where(is_master, t_o[out_idx] + rng.integers(30, 180, out_idx.size),
                   notice + np.minimum(rng.exponential(15 * MINUTE, out_idx.size),
                                       60 * MINUTE).astype(np.int64))
    s_c = s_o[out_idx]
    prio_c = np.where(rng.random(out_idx.size) < 0.35, 1, 2)
    ch_c = np.where(is_master, np.where(is247[s_c], "monitoring", "phone"),
                    np.array(["phone", "portal", "email"], dtype=object)[
                        rng.choice(3, size=out_idx.size, p=[0.6, 0.2, 0.2])]).astype(object)
    end_c = t_o[out_idx] + dur_o[out_idx]

    # ---- all tickets ----------------------------------------------------------------------
    n_u, n_c = day_u.size, out_idx.size
    t0 = np.concatenate([t_u, t_m, t_c]).astype(np.int64)
    svc_i = np.concatenate([s_u, s_m, s_c])
    prio = np.concatenate([prio_u, prio_m, prio_c]).astype(np.int64)
    channel = np.concatenate([ch_u, np.full(n_mon, "monitoring", dtype=object), ch_c])
    kind = np.concatenate([np.where(is_inc, "incident", "service_request"),
                           np.full(n_mon + n_c, "incident")]).astype(object)
    cascade = np.concatenate([np.zeros(n_u + n_mon, bool), np.ones(n_c, bool)])
    master = np.concatenate([np.zeros(n_u + n_mon, bool), is_master])
    outage_end = np.concatenate([np.zeros(n_u + n_mon, np.int64), end_c])
    summ = np.concatenate([
        np.where(is_inc, _summaries(rng, INCIDENT_SUMMARIES, names[s_u]),
                 _summaries(rng, REQUEST_SUMMARIES, names[s_u])),
        _summaries(rng, MONITORING_SUMMARIES, names[s_m]),
        np.where(is_master, _summaries(rng, MONITORING_SUMMARIES, names[s_c]),
                 _summaries(rng, OUTAGE_SUMMARIES, names[s_c])),
    ]).astype(object)
    summ[rng.random(summ.size) < 0.03] = None  # a few tickets registered without a summary

    internal = np.array(ref.internal_units, dtype=object)
    unit_w = 0.5 + 4.5 * rng.random(internal.size) ** 2  # big and small requesting units
    req = internal[rng.choice(internal.size, size=t0.size, p=unit_w / unit_w.sum())]
    mon = channel == "monitoring"
    req[mon] = owners[svc_i[mon]]

    t0 = fix_dst_gap(t0, period)
    keep = (t0 >= period.start_s) & (t0 < period.end_s)
    order = np.argsort(t0[keep], kind="stable")
    sel = np.flatnonzero(keep)[order]
    t0, svc_i, prio, channel, kind = t0[sel], svc_i[sel], prio[sel], channel[sel], kind[sel]
    cascade, master, outage_end, summ, req = (cascade[sel], master[sel], outage_end[sel],
                                              summ[sel], req[sel])
    major = np.concatenate([[np.iinfo(np.int64).min // 2], np.sort(t_o[dur_o >= MAJOR_OUTAGE])])
    since = t0 - major[np.searchsorted(major, t0, side="right") - 1]  # since the last major one
    backlog = (since < 7 * DAY) & ~cascade
    n = t0.size
    prefix = np.where(kind == "incident", "INC", "REQ")
    ids = pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(7)
    ticket_id = pl.Series(prefix.astype(str)) + ids

    tickets = pl.DataFrame({
        "ticket_id": ticket_id,
        "opened_at": t0,
        "ticket_type": kind.astype(str),
        "service_code": codes[svc_i].astype(str),
        "requester_unit": req.astype(str),
        "channel": channel.astype(str),
        "priority": prio,
        "summary": pl.Series(summ.tolist(), dtype=pl.String),
    }).with_columns(wallclock(pl.col("opened_at")).alias("opened_at"))

    events = _events(rng, period, clock, t0, prio, kind, svc_i, codes, owners, is247,
                     cascade, master, outage_end, backlog)
    events = events.with_columns(
        ticket_id.gather(events["ticket"]).alias("ticket_id"),
        wallclock(pl.col("event_at")).alias("event_at"),
    ).drop("ticket")
    return tickets, events


def _events(rng: np.random.Generator, period: Period, clock: BusinessClock, t0: np.ndarray,
            prio: np.ndarray, kind: np.ndarray, svc_i: np.ndarray, codes: np.ndarray,
            owners: np.ndarray, is247: np.ndarray, cascade: np.ndarray, master: np.ndarray,
            outage_end: np.ndarray, backlog: np.ndarray) -> pl.DataFrame:
    """Every ticket's life cycle, generated a step at a time for all tickets at once."""
    n = t0.size
    cal = is247[svc_i]  # 24x7 services have a duty team: worked (and measured) round the clock

    def adv(t: np.ndarray, s: np.ndarray) -> np.ndarray:
        s = np.maximum(s, 1).astype(np.int64)
        return np.where(cal, t + s, clock.add(t, s))

    def ln(median: np.ndarray | float, sigma: float) -> np.ndarray:
        return curves.lognormal_seconds(rng, median, sigma, n)

    def comments(full: np.ndarray) -> np.ndarray:
        long = np.clip(ln(220, 0.7), 20, 4000)
        short = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 20, n))
        return np.where(full, long, short)

    steps: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    group = np.full(n, FIRST_LINE, dtype=object)
    cur_prio = prio.copy()
    ones = np.ones(n, bool)

    def add(mask: np.ndarray, t: np.ndarray, comment: np.ndarray) -> None:
        steps.append((mask.copy(), t.copy(), group.copy(), cur_prio.copy(), comment))

    add(ones, t0, np.clip(ln(140, 0.8), 0, 4000))  # opened: the description
    t = adv(t0, ln(RESPONSE_MEDIAN[prio - 1], 0.9))
    add(ones, t, np.where(rng.random(n) < 0.7, 0, ln(40, 0.6)))  # acknowledged
    m = rng.random(n) < 0.8
    t = np.where(m, adv(t, ln(10 * MINUTE, 0.8)), t)
    add(m, t, np.zeros(n, np.int64))  # assigned to a first-line agent

    p_esc = np.where(kind == "incident", ESCALATION_P["incident"][prio - 1],
                     ESCALATION_P["service_request"][prio - 1])
    esc = np.where(cascade, master, rng.random(n) < p_esc)
    t = np.where(esc, adv(t, ln(45 * MINUTE, 1.0)), t)
    target = _escalation_group(owners[svc_i], codes[svc_i])
    sec = (rng.random(n) < 0.06) & np.isin(target, [SECOND_LINE_WORKSTATIONS])  # malware
    target = np.where(sec, SECOND_LINE_SECURITY, target)
    group = np.where(esc, target, group)
    bump = esc & (rng.random(n) < 0.04) & (cur_prio > 1)
    cur_prio = np.where(bump, cur_prio - 1, cur_prio)
    years = (t0 / DAY - (date(2025, 1, 1) - date(1970, 1, 1)).days) / 365.25
    no_comment = np.clip(NO_COMMENT_2025 + NO_COMMENT_TREND * years, 0.02, 0.10)
    add(esc, t, comments(rng.random(n) >= no_comment))
    m = esc & (rng.random(n) < 0.7)
    t = np.where(m, adv(t, ln(30 * MINUTE, 1.0)), t)
    add(m, t, np.zeros(n, np.int64))  # assigned within the second line

    for p in (ON_HOLD_P, 0.08):  # on hold awaiting the user, sometimes twice
        hold = ~cascade & (cur_prio > 1) & (rng.random(n) < p)
        t = np.where(hold, adv(t, ln(90 * MINUTE, 1.0)), t)
        add(hold, t, np.clip(ln(90, 0.6), 20, 2000))
        t = np.where(hold, clock.add(t, ln(OFFICE_MINUTES * MINUTE, 1.0)), t)
        add(hold, t, np.where(rng.random(n) < 0.5, 0, ln(60, 0.6)))

    work = ln(WORK_MEDIAN[cur_prio - 1] * np.where(esc, ESCALATED_WORK_FACTOR, 1.0)
              * np.where(backlog, MAJOR_OUTAGE_WEEK_FACTOR, 1.0), WORK_SIGMA)
    stuck = rng.random(n) < 0.004  # forgotten tickets: the tail an ageing report must show
    work = np.where(stuck, work * 60, work)
    t_res = adv(t, work)
    t_res = np.where(cascade, np.maximum(outage_end + rng.integers(0, 30 * MINUTE, n),
                                         t + 5 * MINUTE), t_res)
    t = t_res
    add(ones, t, np.clip(ln(120, 0.8), 0, 4000))  # resolved
    reopen = ~cascade & (rng.random(n) < REOPEN_P)
    # the user reopens when trying again, usually within the next office hours
    t = np.where(reopen, clock.add(t, ln(REOPEN_AFTER, 1.0)), t)
    add(reopen, t, np.clip(ln(100, 0.6), 0, 2000))
    t = np.where(reopen, adv(t, ln(REOPEN_WORK, 1.0)), t)
    add(reopen, t, np.clip(ln(120, 0.8), 0, 4000))
    t = clock.add(t, CLOSE_AFTER_WORKDAYS * OFFICE_MINUTES * MINUTE
                  + rng.integers(0, 10 * MINUTE, n))
    add(ones, t, np.zeros(n, np.int64))  # closed automatically

    k = len(steps)
    mask = np.concatenate([s[0] for s in steps])
    tick = np.tile(np.arange(n), k)[mask]
    step = np.repeat(np.arange(k), n)[mask]
    ts = np.concatenate([s[1] for s in steps])[mask]
    grp = np.concatenate([s[2] for s in steps])[mask]
    pr = np.concatenate([s[3] for s in steps])[mask]
    cm = np.concatenate([s[4] for s in steps])[mask]
    order = np.lexsort((step, tick))
    tick, step, ts, grp, pr, cm = (tick[order], step[order], ts[order], grp[order], pr[order],
                                   cm[order])
    # DST gap, then strictly increasing per ticket: t'_i = max(t_i, t'_{i-1} + 1)
    ts = fix_dst_gap(ts, period)
    start = np.r_[True, tick[1:] != tick[:-1]]
    idx = np.arange(ts.size)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    pos = idx - first
    off = tick.astype(np.int64) << 35
    ts = np.maximum.accumulate(ts - pos + off) - off + pos
    keep = ts < period.end_s  # the future has not happened yet
    names = np.array(EVENT_ORDER, dtype=object)
    return pl.DataFrame({
        "ticket": tick[keep],
        "event_at": ts[keep],
        "event": names[step[keep]].astype(str),
        "group_code": grp[keep].astype(str),
        "priority": pr[keep].astype(np.int64),
        "comment_chars": cm[keep].astype(np.int64),
    })
