{#- Business minutes of many intervals at once, set-based.

    `intervals` is a relation/CTE name with columns `key_cols` and two instants
    `start_col`, `end_col` (half-open [start, end)); one row per key. The office clock is
    int_working_periods (one row per working day of each working calendar, its period as
    instants): with `calendar_col` (a column of `intervals` naming each interval's
    calendar, int_working_calendars) each interval is measured on its own calendar's
    periods; without it, on UMK's (the default calendar: publications). With C(t) = office
    milliseconds from the calendar's first period up to instant t,

        business minutes of [a, b) = (C(b) - C(a)) / 60000     (0 when b <= a or b is NULL)

    which equals the sum over periods p of greatest(0, least(b, p.end) - greatest(a, p.start)).
    C(t) = (length of all periods before the latest period starting at or before t)
           + least(greatest(t - that period's start, 0), its length),
    found with an ASOF join (a sort-merge on the period start; the calendar an equality
    condition beside it) — two lookups per interval instead of a range join of every
    interval with every period it overlaps, so the cost is linear in the intervals.
    Integer milliseconds keep the difference exact. The periods of one calendar never
    overlap (each lies within one local day). Used for ticket segments, the age of open
    tickets and publications. Engine-specific (ASOF join, epoch milliseconds): dispatched,
    macros/engine/engine.sql. -#}
{% macro business_minutes_of_intervals(intervals, key_cols, start_col='start_instant', end_col='end_instant', calendar_col=none) -%}
    {{ return(adapter.dispatch('business_minutes_of_intervals', 'cityops')(
        intervals, key_cols, start_col, end_col, calendar_col)) }}
{%- endmacro %}
{% macro default__business_minutes_of_intervals(intervals, key_cols, start_col='start_instant', end_col='end_instant', calendar_col=none) -%}
    {{ engine_not_implemented('business_minutes_of_intervals') }}
{%- endmacro %}
{% macro duckdb__business_minutes_of_intervals(intervals, key_cols, start_col='start_instant', end_col='end_instant', calendar_col=none) -%}
    {%- set same_calendar -%}
        {%- if calendar_col is not none %}iv.{{ calendar_col }} = {alias}.calendar_code and {% endif -%}
    {%- endset %}
    with office_periods as (
        select
            calendar_code,
            period_start_instant,
            epoch_ms(period_start_instant) as period_start_ms,
            epoch_ms(period_end_instant) - epoch_ms(period_start_instant) as period_ms,
            coalesce(sum(epoch_ms(period_end_instant) - epoch_ms(period_start_instant)) over (
                partition by calendar_code order by period_start_instant
                rows between unbounded preceding and 1 preceding
            ), 0) as office_ms_before
        from {{ ref('int_working_periods') }}
        {%- if calendar_col is none %}
        where calendar_code = '{{ default_calendar() }}'
        {%- endif %}
    )
    select
        {% for k in key_cols %}iv.{{ k }}, {% endfor %}
        case
            when iv.{{ end_col }} > iv.{{ start_col }} then (
                coalesce(pe.office_ms_before + least(greatest(
                    epoch_ms(iv.{{ end_col }}) - pe.period_start_ms, 0), pe.period_ms), 0)
                - coalesce(ps.office_ms_before + least(greatest(
                    epoch_ms(iv.{{ start_col }}) - ps.period_start_ms, 0), ps.period_ms), 0)
            ) / 60000.0
            else 0
        end as business_minutes
    from {{ intervals }} as iv
    asof left join office_periods as ps
        on {{ same_calendar | replace('{alias}', 'ps') }}iv.{{ start_col }} >= ps.period_start_instant
    asof left join office_periods as pe
        on {{ same_calendar | replace('{alias}', 'pe') }}iv.{{ end_col }} >= pe.period_start_instant
{%- endmacro %}
