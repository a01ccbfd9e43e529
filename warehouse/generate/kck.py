"""Kraków Contact Centre (DK-02 infoline, DK-03 electronic channels): ``calls``, ``submissions``.

**Calls** (scale 1): ≈ **175 000 calls offered a year**.  KCK consultants answered more
than 157 thousand calls in 2023 (local press); with ~5 % abandoned (short abandons and
calls to the closed line included) ≈ 166 thousand are answered.  The infoline works
Mon–Fri 07:40–15:30 and not on public holidays.
- Topics follow :mod:`.topics` (tax deadlines, elections, winter, summer); the caller
  picks a queue in the IVR: local taxes and the waste fee → ``KCK_PODATKI``, elections →
  ``KCK_WYBORY``, surveys → ``KCK_ANKIETY``, reports of problems and ideas →
  ``KCK_ZGLOSZENIA``, everything else → ``KCK_INFOLINIA``.  Queue names are free text as
  the switch reports them: ~1.5 % come in variant spelling (case, stray spaces).
- **Waits come from a queue model**: one pool of multi-skilled consultants answers the
  five queues; its staffing per 15-minute slot is planned from each queue's average
  working day (by weekday and time of day) at 60 % occupancy (at least two agents).  A
  slot's offered load ρ = talk seconds offered / (agents × 900 s) gives the probability
  of waiting at all and the wait of those who do (Sakasegawa's M/M/c approximation up to
  ρ = 0.85, plus the backlog of excess work beyond), so an ordinary month answers ~85 %
  of calls within 20 s with ~4 % abandoned, and tax-deadline and election peaks, which
  the rota does not follow, push service level under 80 % and abandonment over 5 %.  Patience is
  lognormal (median 240 s); 2 % of callers hang up within 5 s (short abandons); calls
  offered while the line is closed are abandoned.
- Answered calls: 73 % resolved on the call (local press: 73 % answered directly, 5 % passed to
  a second line, 22 % transferred); problems and ideas are forwarded to the topic's
  responsible unit or company (``default_unit`` of the topic seed).
- Caller numbers: a pool of callers (one per ≈ 3 calls) drawn Zipf–Mandelbrot, so repeat
  callers exist; 35 % Kraków landlines ``+48 12 …``, the rest mobiles; 4 % withheld.

**Submissions** (scale 1): ≈ **9 500 a year, growing**.  Reports through KCK were 528 in a
month at the end of 2024 and a record 1 051 in May 2025 (local press): the level is
anchored at 700 a month in December 2024 (portal, e-mail, app and ePUAP together),
growing 42 %/yr before 2025, 82 %/yr in the first months of 2025 and 8 %/yr after, with
a spring peak (May × 1.35) when potholes and greenery surface.  DK-03 forwards them in
office hours (median 3 working hours); units and companies reply with their own habits
(median 2–12 days; some late, a few not at all); open ones at the end stay ``open``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import curves
from .calendar import (
    DAY,
    HOUR,
    INFOLINE_CLOSE,
    INFOLINE_OPEN,
    MINUTE,
    OFFICE_MINUTES,
    BusinessClock,
    Period,
    fix_dst_gap,
)
from .refdata import ELECTRONIC_CHANNELS, Reference
from .topics import CALL_SHARES, SUBMISSION_SHARES, topic_matrix
from .writer import wallclock

CALLS_PER_YEAR = 175_000
SLOT = 15 * MINUTE
OCCUPANCY = 0.6
QUEUES = ["KCK_INFOLINIA", "KCK_PODATKI", "KCK_ZGLOSZENIA", "KCK_WYBORY", "KCK_ANKIETY"]
QUEUE_OF_TOPIC = {"local_taxes": 1, "waste_fee": 1, "elections": 3, "survey": 4}
RECORD_TYPES = ["information", "problem", "idea", "survey"]
RECORD_WEIGHTS = np.array([0.78, 0.19, 0.03, 1.0])
TALK_MEDIAN = np.array([150, 270, 240, 300])  # seconds per record type
SHORT_ABANDON_SHARE = 0.02
PATIENCE_MEDIAN = 240
WITHHELD = 0.04

#: Population of the 18 districts (thousands, GUS/UMK ~2023); the centre gets extra reports.
DISTRICT_POP = np.array([30, 31, 48, 70, 31, 23, 21, 63, 17, 27, 53, 64, 38, 31, 53, 41,
                         20, 51], dtype=float)
DISTRICT_POP[0] *= 2.0

FIRST_NAMES = ["anna", "maria", "katarzyna", "malgorzata", "agnieszka", "barbara", "ewa",
               "krystyna", "magdalena", "joanna", "aleksandra", "zofia", "monika", "piotr",
               "krzysztof", "andrzej", "tomasz", "pawel", "jan", "michal", "marcin", "jakub",
               "adam", "lukasz", "grzegorz", "mateusz", "wojciech", "mariusz", "dariusz",
               "kamil", "natalia", "julia", "karolina", "bartosz", "szymon", "filip"]
LAST_NAMES = ["nowak", "kowalski", "wisniewski", "wojcik", "kowalczyk", "kaminski",
              "lewandowski", "zielinski", "szymanski", "wozniak", "dabrowski", "kozlowski",
              "mazur", "jankowski", "kwiatkowski", "krawczyk", "piotrowski", "grabowski",
              "nowakowski", "pawlowski", "michalski", "nowicki", "adamczyk", "dudek",
              "zajac", "wieczorek", "jablonski", "krol", "majewski", "olszewski", "jaworski",
              "malinowski", "pawlak", "witkowski", "walczak", "stepien", "gorski", "rutkowski"]
DOMAINS = (["gmail.com", "wp.pl", "o2.pl", "onet.pl", "interia.pl", "op.pl", "poczta.fm",
            "outlook.com", "tlen.pl", "protonmail.com"],
           np.array([0.34, 0.16, 0.12, 0.1, 0.1, 0.06, 0.03, 0.05, 0.02, 0.02]))


def _topics(ref: Reference) -> tuple[list[str], np.ndarray, np.ndarray]:
    codes = ref.topic_list()
    allowed = np.array([[rt in (s or "").split("|") for rt in RECORD_TYPES]
                        for s in ref.topics["record_types"].to_list()])
    default_unit = np.array(ref.topics["default_unit"].to_list(), dtype=object)
    return codes, allowed, default_unit


def _pool_pick(rng: np.random.Generator, n: int, pool: int) -> np.ndarray:
    """Indices into a pool of ``pool`` people, Zipf–Mandelbrot: a few frequent ones."""
    w = 1.0 / (np.arange(pool) + 10.0)
    return rng.choice(pool, size=n, p=w / w.sum())


def _unique_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    draw = rng.integers(low, high, size=int(n * 1.2) + 10)
    _, first = np.unique(draw, return_index=True)
    return draw[np.sort(first)][:n]


def _phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    land = rng.random(n) < 0.35
    nums = _unique_ints(rng, n, 0, 10**7)
    mob_prefix = np.array([500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511, 512,
                           513, 514, 515, 516, 517, 518, 519, 530, 531, 532, 533, 534, 535,
                           536, 537, 538, 539, 570, 571, 572, 573, 574, 575, 576, 577, 578,
                           579, 600, 601, 602, 603, 604, 605, 606, 607, 608, 609, 660, 661,
                           662, 663, 664, 665, 666, 667, 668, 669, 690, 691, 692, 693, 694,
                           695, 696, 697, 698, 699, 720, 721, 722, 723, 724, 725, 726, 727,
                           728, 729, 780, 781, 782, 783, 784, 785, 786, 787, 788, 789, 790,
                           791, 792, 793, 794, 795, 796, 797, 798, 799, 880, 881, 882, 883,
                           884, 885, 886, 887, 888, 889])
    pre = mob_prefix[rng.integers(0, mob_prefix.size, n)]
    a, b, c = nums // 10_000 % 1000, nums // 100 % 100, nums % 100
    s = pl.DataFrame({"land": land, "pre": pre, "a": a, "b": b, "c": c, "n6": nums % 10**6})
    out = s.select(
        pl.when(pl.col("land")).then(pl.format(
            "+48 12 {} {} {}", pl.col("a").cast(pl.String).str.zfill(3),
            pl.col("b").cast(pl.String).str.zfill(2), pl.col("c").cast(pl.String).str.zfill(2)))
        .otherwise(pl.format(
            "+48 {} {} {}", pl.col("pre").cast(pl.String),
            (pl.col("n6") // 1000).cast(pl.String).str.zfill(3),
            (pl.col("n6") % 1000).cast(pl.String).str.zfill(3)))
    ).to_series()
    return np.array(out.to_list(), dtype=object)


def _queue_model(rng: np.random.Generator, period: Period, t: np.ndarray, q: np.ndarray,
                 rtype: np.ndarray, day: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """When each call is answered and ends, whether it is abandoned, and the planned agents
    per queue × weekday × slot: the queue model of :func:`calls` (its random draws in the
    same order as ever, so the same seed gives the same calls)."""
    n = t.size
    talk = curves.lognormal_seconds(rng, TALK_MEDIAN[rtype], 0.6, n) + 15
    aht_q = np.array([np.mean(talk[q == k]) if np.any(q == k) else 180.0
                      for k in range(len(QUEUES))])
    tod_slot = (t % DAY) // SLOT
    open_line = ((t % DAY) >= INFOLINE_OPEN) & ((t % DAY) < INFOLINE_CLOSE)
    # planned staffing: the rota of each skill (queue) is planned from its history, calls
    # per working day, shaped by weekday and slot of the day; one pool of multi-skilled
    # consultants answers all queues, so the pool's load drives every queue's wait
    slot_mass = curves.INFOLINE_HOURS.reshape(-1, 3).sum(axis=1)  # 96 slots of 15 min
    per_day = np.bincount(q, minlength=len(QUEUES)) / max(int(period.is_workday.sum()), 1)
    wd_factor = curves.INFOLINE_WEEKDAY / curves.INFOLINE_WEEKDAY[:5].mean()  # rota by weekday
    work_plan = (per_day[:, None, None] * wd_factor[None, :, None] * slot_mass[None, None, :]
                 * aht_q[:, None, None])  # seconds of talk per queue × weekday × slot
    agents = np.maximum(2, np.ceil(work_plan / SLOT / OCCUPANCY)).astype(np.int64)
    pool = np.maximum(2, np.ceil(work_plan.sum(axis=0) / SLOT / OCCUPANCY))
    abs_slot = t // SLOT
    _, inv, arrivals = np.unique(abs_slot, return_inverse=True, return_counts=True)
    work = np.bincount(inv, weights=aht_q[q])[inv]  # talk seconds offered in the slot
    aht = work / arrivals[inv]
    c = pool[period.weekday[day], tod_slot]
    rho = work / (c * SLOT)
    r = np.minimum(rho, 0.85)  # a 15-minute slot never reaches a steady state beyond that
    # M/M/c: a caller waits at all with probability P_w (Erlang C, here Sakasegawa's
    # r^(√(2(c+1))−1)); a waiting caller waits Exp(AHT / (c(1−r))); an overloaded slot
    # adds the backlog of excess work, and then everyone waits
    backlog = np.maximum(work - 0.85 * c * SLOT, 0) / (2 * c)
    p_wait = np.where(backlog > 0, 1.0, r ** (np.sqrt(2 * (c + 1)) - 1))
    wq = np.minimum(aht / (c * (1 - r)) + backlog, 1500)
    waits = rng.random(n) < p_wait
    wait = (waits * rng.exponential(1.0, n) * wq).astype(np.int64) + rng.integers(2, 7, n)
    short = rng.random(n) < SHORT_ABANDON_SHARE
    patience = np.where(short, rng.integers(1, 5, n),
                        curves.lognormal_seconds(rng, PATIENCE_MEDIAN, 0.9, n))
    abandoned = (patience < wait) | ~open_line
    end_abandon = np.where(open_line, t + np.minimum(patience, wait),
                           t + rng.integers(8, 40, n))
    answered_at = t + wait
    ended = np.where(abandoned, end_abandon, answered_at + talk)
    return answered_at, ended, abandoned, agents


def calls(rng: np.random.Generator, period: Period, ref: Reference,
          scale: float) -> pl.DataFrame:
    codes, allowed, default_unit = _topics(ref)
    years = period.n_days / 365.25
    dw = curves.day_weights(period, curves.INFOLINE_WEEKDAY) * period.is_workday
    m = topic_matrix(period, codes, CALL_SHARES) * dw[:, None]
    expected = m / m.sum() * CALLS_PER_YEAR * scale * years
    cnt = curves.counts_per_day(rng, expected)
    cell = curves.expand(cnt)
    day, topic = cell // len(codes), cell % len(codes)
    n = day.size
    t = fix_dst_gap(curves.sample_times(rng, day, period, curves.INFOLINE_HOURS), period)

    # record type given the topic's allowed types
    w = allowed * RECORD_WEIGHTS  # per topic, then looked up per call (saves memory)
    cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(n)
    rtype = np.zeros(n, dtype=np.int64)
    for k in range(len(RECORD_TYPES) - 1):
        rtype += u > cdf[topic, k]
    q = np.array([QUEUE_OF_TOPIC.get(codes[k], 0) for k in range(len(codes))])[topic]
    q = np.where((q == 0) & np.isin(rtype, [1, 2]), 2, q)

    # ---- queue model (its own function: its dozens of per-call arrays are freed before
    # the frame is built, which keeps the generator's peak memory at 10× under 3 GiB) ----
    answered_at, ended, abandoned, agents = _queue_model(rng, period, t, q, rtype, day)

    # ---- outcome of answered calls -------------------------------------------------------
    uo = rng.random(n)
    resolved = np.select([rtype == 0, rtype == 1, rtype == 2], [uo < 0.885, uo < 0.10, uo < 0.2],
                         True)
    units = np.array(sorted(set(default_unit.tolist()) | {ELECTRONIC_CHANNELS}), dtype=object)
    unit_of_topic = np.searchsorted(units, default_unit)
    fwd = np.where(resolved | (rtype == 3), -1, unit_of_topic[topic])
    second = (rtype == 0) & ~resolved & (rng.random(n) < 0.3)
    fwd[second] = int(np.searchsorted(units, ELECTRONIC_CHANNELS))  # to the knowledge base

    # ---- identities ------------------------------------------------------------------------
    order = np.lexsort((q, t))
    n_pool = max(50, n // 3)
    caller = _pool_pick(rng, n, n_pool)
    withheld = rng.random(n) < WITHHELD
    pool = pl.Series(_phone_numbers(rng, n_pool).tolist(), dtype=pl.String)
    max_agents = agents.max(axis=(1, 2))
    agent_off = np.concatenate([[0], np.cumsum(np.ceil(max_agents * 1.6))[:-1]]).astype(int)
    agent_no = agent_off[q] + (rng.random(n) * np.ceil(max_agents[q] * 1.6)).astype(int) + 1
    variant = rng.random(n)

    df = pl.DataFrame({
        "offered_at": t, "q": q.astype(np.int64), "answered_at": answered_at,
        "ended_at": ended, "abandoned": abandoned, "agent_no": agent_no,
        "caller": caller, "withheld": withheld, "variant": variant,
        "rtype": rtype.astype(np.int64), "topic": topic.astype(np.int64), "fwd": fwd,
        "resolved_on_call": resolved,
    })[order]
    qname = pl.col("q").replace_strict(dict(enumerate(QUEUES)), return_dtype=pl.String)
    unit_names = pl.Series(units.tolist(), dtype=pl.String)
    df = df.with_columns(
        pl.when(pl.col("variant") < 0.008).then(qname.str.to_lowercase() + " ")
        .when(pl.col("variant") < 0.012).then(" " + qname)
        .when(pl.col("variant") < 0.015).then(qname.str.to_titlecase())
        .otherwise(qname).alias("queue"),
        pl.col("agent_no").cast(pl.String).str.zfill(3).alias("agent_id"),
        pl.when(~pl.col("withheld")).then(pool.gather(df["caller"])).alias("caller_number"),
        pl.col("rtype").replace_strict(dict(enumerate(RECORD_TYPES)), return_dtype=pl.String)
        .alias("record_type"),
        pl.col("topic").replace_strict(dict(enumerate(codes)), return_dtype=pl.String)
        .alias("topic_code"),
        pl.when(pl.col("fwd") >= 0).then(unit_names.gather(df["fwd"].clip(0)))
        .alias("forwarded_unit"),
    ).drop("q", "agent_no", "caller", "withheld", "variant", "rtype", "topic", "fwd")
    ans = ~pl.col("abandoned")
    return df.with_columns(
        pl.format("FX{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(9))
        .alias("call_id"),
        wallclock(pl.col("offered_at")).alias("offered_at"),
        wallclock(pl.when(ans).then(pl.col("answered_at"))).alias("answered_at"),
        wallclock(pl.col("ended_at")).alias("ended_at"),
        pl.when(ans).then(pl.format("KCK{}", pl.col("agent_id"))).alias("agent_id"),
        *[pl.when(ans).then(pl.col(c)).alias(c)
          for c in ("record_type", "topic_code", "forwarded_unit", "resolved_on_call")],
    ).drop("abandoned")


def _submission_level(period: Period) -> np.ndarray:
    """Submissions per month (before the season): 700 in December 2024, see module doc."""
    y = period.years_since_2025
    return np.where(y < 0, 700 * np.exp(0.35 * y),
                    np.where(y < 0.4, 700 * np.exp(0.6 * y),
                             700 * np.exp(0.24) * np.exp(0.08 * (y - 0.4))))


SUBMISSION_MONTH = np.array([0.9, 0.9, 1.1, 1.25, 1.35, 1.2, 1.05, 1.0, 1.05, 0.95, 0.85, 0.8])
#: Units' reply habits (office days): each unit's median is drawn around this (×/÷ 1.6),
#: slower in the busy months (× season^power); a unit in four is sloppy and leaves 4 % of
#: its submissions unanswered (others 0.5 %).
REPLY_MEDIAN_DAYS = 4.0
REPLY_LOAD_POWER = 1.5


def submissions(rng: np.random.Generator, period: Period, ref: Reference,
                scale: float) -> pl.DataFrame:
    codes_all, allowed_all, unit_all = _topics(ref)
    ok = allowed_all[:, 1] | allowed_all[:, 2]  # topics one can report or propose
    codes = [c for c, k in zip(codes_all, ok, strict=True) if k]
    allowed, default_unit = allowed_all[ok], unit_all[ok]
    dw = curves.day_weights(period, curves.SUBMISSION_WEEKDAY, holiday_factor=0.65)
    per_day = _submission_level(period) * 12 / 365.25 * SUBMISSION_MONTH[period.month - 1]
    m = topic_matrix(period, codes, SUBMISSION_SHARES)
    m = m / m.sum(axis=1, keepdims=True) * (dw / dw.mean() * per_day * scale)[:, None]
    cell = curves.expand(curves.counts_per_day(rng, m))
    day, topic = cell // len(codes), cell % len(codes)
    n = day.size
    t = fix_dst_gap(curves.sample_times(rng, day, period, curves.SUBMISSION_HOURS), period)
    order = np.argsort(t, kind="stable")
    day, topic, t = day[order], topic[order], t[order]

    y = period.years_since_2025[day]
    p_app = np.clip(0.18 + 0.08 * y, 0.08, 0.35)
    p_epuap = np.full(n, 0.07)
    p_email = np.clip(0.27 - 0.05 * y, 0.15, 0.35)
    u = rng.random(n)
    channel = np.where(u < p_app, "mobile_app", np.where(u < p_app + p_epuap, "epuap",
                       np.where(u < p_app + p_epuap + p_email, "email", "portal")))
    can_problem, can_idea = allowed[topic, 1], allowed[topic, 2]
    kind = np.where(can_problem & (~can_idea | (rng.random(n) < 0.85)), "problem", "idea")
    district = rng.choice(18, size=n, p=DISTRICT_POP / DISTRICT_POP.sum()) + 1
    no_district = rng.random(n) < np.where(kind == "idea", 0.3, 0.04)

    n_pool = max(30, int(n / 2.5))
    first = rng.integers(0, len(FIRST_NAMES), n_pool)
    last = rng.integers(0, len(LAST_NAMES), n_pool)
    dom = rng.choice(len(DOMAINS[0]), size=n_pool, p=DOMAINS[1])
    style = rng.integers(0, 4, n_pool)
    num = rng.integers(1, 99, n_pool)
    fn, ln_ = np.array(FIRST_NAMES)[first], np.array(LAST_NAMES)[last]
    ln_ = np.where(np.char.endswith(ln_, "ski") & np.char.endswith(fn, "a"),
                   np.char.add(np.char.rstrip(ln_, "i"), "a"), ln_)  # Kowalska
    local = np.select(
        [style == 0, style == 1, style == 2],
        [np.char.add(np.char.add(fn, "."), ln_),
         np.char.add(np.char.add(np.char.add(fn, "."), ln_), num.astype(str)),
         np.char.add(np.char.add(np.array([f[0] for f in fn]), "."), ln_)],
        np.char.add(np.char.add(fn, ln_), num.astype(str)))
    emails = np.char.add(np.char.add(local, "@"), np.array(DOMAINS[0])[dom]).astype(object)
    email = emails[_pool_pick(rng, n, n_pool)]
    email[(channel == "epuap") & (rng.random(n) < 0.5)] = None

    clock = BusinessClock(period)
    # DK-03 triage: a few closed without forwarding (duplicates, outside the city's remit)
    triage = clock.add(t, curves.lognormal_seconds(rng, 3 * HOUR, 1.1, n))
    dup = rng.random(n) < 0.06
    units = np.array(ref.external_units, dtype=object)
    resp = np.where(rng.random(n) < 0.88, default_unit[topic],
                    units[rng.integers(0, units.size, n)]).astype(object)
    all_units = np.array(sorted(set(ref.units["unit_code"].to_list())), dtype=object)
    u_med = np.exp(np.log(REPLY_MEDIAN_DAYS) + 0.45 * rng.standard_normal(all_units.size))
    u_silent = np.where(rng.random(all_units.size) < 0.25, 0.04, 0.005)
    ui = np.searchsorted(all_units, resp)
    busy = SUBMISSION_MONTH[period.month[day] - 1] ** REPLY_LOAD_POWER  # spring: slower
    reply = clock.add(triage, curves.lognormal_seconds(
        rng, u_med[ui] * busy * OFFICE_MINUTES * MINUTE, 0.8, n))
    silent = rng.random(n) < u_silent[ui]
    closed = clock.add(reply, curves.lognormal_seconds(rng, 4 * HOUR, 1.0, n))
    outcome = np.where(rng.random(n) < 0.85, "resolved", "rejected").astype(object)
    closed = np.where(dup, triage, closed)
    outcome[dup] = np.where(rng.random(int(dup.sum())) < 0.7, "duplicate", "rejected")
    end = period.end_s
    fwd_ok = ~dup & (triage < end)
    reply_ok = fwd_ok & ~silent & (reply < end)
    closed_ok = (dup & (triage < end)) | (reply_ok & (closed < end))
    outcome[~closed_ok] = "open"
    df = pl.DataFrame({
        "received_at": t, "channel": channel, "kind": kind,
        "topic_code": np.array(codes)[topic],
        "district": pl.Series(np.where(no_district, -1, district)),
        "submitter_email": pl.Series(email.tolist(), dtype=pl.String),
        "forwarded_at": pl.Series(np.where(fwd_ok, triage, -1)),
        "responsible_unit": pl.Series(np.where(fwd_ok, resp, None).tolist(), dtype=pl.String),
        "unit_replied_at": pl.Series(np.where(reply_ok, reply, -1)),
        "closed_at": pl.Series(np.where(closed_ok, closed, -1)),
        "outcome": outcome.astype(str),
    })
    neg = [pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c)
           for c in ("district", "forwarded_at", "unit_replied_at", "closed_at")]
    return df.with_columns(neg).with_columns(
        pl.format("ZG{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8))
        .alias("submission_id"),
        *[wallclock(pl.col(c)).alias(c)
          for c in ("received_at", "forwarded_at", "unit_replied_at", "closed_at")],
        # DK-03's electronic reports only: none was taken from a KCK call
        pl.lit(None, dtype=pl.String).alias("call_id"),
    )
