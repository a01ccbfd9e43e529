{#- One row per alert: what the overview and the monthly pack list for a month.

    - off_target_streak: a KPI off target (director_kpis.target_status) this month and the
      var('alert_off_target_months') - 1 months before it, running (streak_months says how
      long);
    - crossed_to_off_target / crossed_to_warning: the verdict got worse this month (from on
      target or warning to off target; from on target to warning);
    - topic_spike: a KCK topic's calls in a week (Monday to Sunday, by the week's Monday,
      listed in that Monday's month) above its seasonal baseline — the median of the
      topic's comparable weeks: the weeks within two weeks of the same week one and two
      years before (52 and 104 weeks back, so weekdays align; 5 or 10 weeks) — by more than
      z·√baseline (a Poisson bound, z = var('alert_spike_z')) and by at least
      var('alert_spike_min_lift') calls; a week only when it is complete by as_of and at
      least var('alert_spike_baseline_weeks') comparable weeks exist (a topic's first year
      has none: a seasonal topic's yearly peak is its season, not a spike).
    subject is the kpi_code or the topic_code; period_start the month (a KPI) or the
    week's Monday (a spike); value is the month's KPI value or the week's calls, baseline
    the target or the topic's median. -#}

with kpis as (
    select * from {{ ref('director_kpis') }}
),

topic_weeks as (
    select * from {{ ref('int_kck_topic_weeks') }}
),

topics as (
    select * from {{ ref('kck_topics') }}
),

ordered as (
    select
        *,
        lag(target_status) over (partition by kpi_code order by month_start)
            as previous_status,
        -- months in a run of the same "off target or not": a gaps-and-islands count
        row_number() over (partition by kpi_code order by month_start)
        - row_number() over (
            partition by kpi_code, coalesce(target_status = 'off_target', false)
            order by month_start
        ) as run_id
    from kpis
),

streaks as (
    select
        *,
        count(*) over (
            partition by kpi_code, run_id, coalesce(target_status = 'off_target', false)
            order by month_start rows between unbounded preceding and current row
        ) as streak_months
    from ordered
),

{# the KPI alerts: (alert_kind, the months of streaks that raise it), one select list #}
{% set kpi_alert_rules = [
    (
        "'off_target_streak'",
        "target_status = 'off_target' and streak_months >= "
        ~ var('alert_off_target_months'),
    ),
    (
        "case when target_status = 'off_target' then 'crossed_to_off_target'"
        ~ " else 'crossed_to_warning' end",
        "(target_status = 'off_target' and previous_status in ('on_target', 'warning'))"
        ~ " or (target_status = 'warning' and previous_status = 'on_target')",
    ),
] %}
kpi_alerts as (
    {%- for alert_kind, raised in kpi_alert_rules %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        month_start,
        {{ alert_kind }} as alert_kind,
        kpi_code as subject,
        cast(value as double) as value,
        cast(target as double) as baseline,
        cast(streak_months as integer) as streak_months,
        kpi_name_pl as subject_name_pl,
        kpi_name_en as subject_name_en
    from streaks
    where {{ raised }}
    {%- endfor %}
),

-- the comparable weeks of a week: those of the years before, within
-- var('alert_spike_window_days') of the same week (52 weeks back, so weekdays align)
baselined as (
    select
        this_week.topic_code,
        this_week.week_start,
        this_week.calls,
        median(past.calls) as baseline,
        count(past.calls) as baseline_weeks
    from topic_weeks as this_week
    inner join topic_weeks as past
        on this_week.topic_code = past.topic_code
        and (
            past.week_start between {{ dbt.dateadd('day', -378, 'this_week.week_start') }}
            and {{ dbt.dateadd('day', -350, 'this_week.week_start') }}
            or past.week_start between {{ dbt.dateadd('day', -742, 'this_week.week_start') }}
            and {{ dbt.dateadd('day', -714, 'this_week.week_start') }}
        )
    group by 1, 2, 3
),

spikes as (
    select
        cast({{ dbt.date_trunc('month', 'baselined.week_start') }} as date) as month_start,
        'topic_spike' as alert_kind,
        baselined.topic_code as subject,
        cast(baselined.calls as double) as value,
        cast(baselined.baseline as double) as baseline,
        cast(null as integer) as streak_months,
        -- a topic the KCK register does not know (kept unmapped, DECISIONS.md § 19)
        coalesce(topics.name_pl, {{ unmapped_name('baselined.topic_code', 'pl') }})
            as subject_name_pl,
        coalesce(topics.name_en, {{ unmapped_name('baselined.topic_code', 'en') }})
            as subject_name_en,
        baselined.week_start as period_start
    from baselined
    left join topics on baselined.topic_code = topics.topic_code
    where baselined.baseline_weeks >= {{ var('alert_spike_baseline_weeks') }}
    -- the week is over by as_of
    and {{ dbt.dateadd('day', 7, 'baselined.week_start') }} <= {{ as_of_local() }}
    and baselined.calls > baselined.baseline
    + {{ var('alert_spike_z') }} * sqrt(baselined.baseline)
    and baselined.calls >= baselined.baseline + {{ var('alert_spike_min_lift') }}
),

final as (
    select
        *,
        month_start as period_start
    from kpi_alerts
    union all
    select * from spikes
)

select * from final
