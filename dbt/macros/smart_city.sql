{#- SELECT: the rows of `relation` (a CTE of Smart City projects judged on a day) with
    their measures and RAG verdict (DECISIONS.md § 12 and 12a), the one copy the portfolio
    (as of as_of) and every earlier month (smart_city_project_months) are judged with.
    `relation` holds status, planned_start, planned_end, actual_end, budget_pln, spent_pln
    and milestones_overdue; `judged_on` is SQL for the day it is judged on. Adds
    forecast_end, budget_burn_pct, elapsed_pct, schedule_variance_days, rag_status and
    rag_reason. -#}
{% macro sc_judged(relation, judged_on) -%}
    select
        scored.*,
        {{ sc_rag_status(
            'scored.status', 'scored.schedule_variance_days', 'scored.budget_burn_pct',
            'scored.elapsed_pct', 'scored.milestones_overdue') }} as rag_status,
        {{ sc_rag_reason(
            'scored.status', 'scored.schedule_variance_days', 'scored.budget_burn_pct',
            'scored.elapsed_pct', 'scored.milestones_overdue') }} as rag_reason
    from (
        select
            measured.*,
            {{ dbt.datediff('measured.planned_end', 'measured.forecast_end', 'day') }}
                as schedule_variance_days
        from (
            select
                {{ relation }}.*,
                {{ sc_forecast_end(
                    relation ~ '.status', relation ~ '.actual_end', relation ~ '.planned_end',
                    judged_on) }} as forecast_end,
                {{ pct(relation ~ '.spent_pln', relation ~ '.budget_pln') }} as budget_burn_pct,
                {{ sc_elapsed_pct(
                    relation ~ '.status', relation ~ '.planned_start', relation ~ '.planned_end',
                    judged_on) }} as elapsed_pct
            from {{ relation }}
        ) as measured
    ) as scored
{%- endmacro %}

{#- The Smart City RAG rule (DECISIONS.md § 12a), used by sc_judged. Arguments are SQL
    expressions. Finished and cancelled projects are not rated: their state is their own
    ('completed', 'cancelled'); an active project (planned, in progress, on hold) is red,
    amber or green. A schedule-only judgement (a month before the portfolio's history)
    passes budget_burn_pct as null: the budget terms then never fire, nor does the hold
    (a status it does not know). -#}
{% macro sc_rag_status(status, variance, burn, elapsed, overdue) -%}
    case
        when {{ status }} = 'completed' then 'completed'
        when {{ status }} = 'cancelled' then 'cancelled'
        when {{ variance }} > 30 or {{ burn }} > 100 or {{ overdue }} >= 2 then 'red'
        when
            {{ variance }} > 0 or {{ burn }} > coalesce({{ elapsed }}, 100) + 10
            or {{ overdue }} = 1 or {{ status }} = 'on_hold'
            then 'amber'
        else 'green'
    end
{%- endmacro %}

{#- Why a project has its RAG state: 'completed', 'cancelled', 'on track' (green), or the
    triggers of amber and red joined by '; ' (the dashboards translate each part). -#}
{% macro sc_rag_reason(status, variance, burn, elapsed, overdue) -%}
    case
        when {{ status }} = 'completed' then 'completed'
        when {{ status }} = 'cancelled' then 'cancelled'
        else coalesce(nullif(concat_ws(
            '; ',
            case
                when {{ variance }} > 30 then 'more than 30 days late'
                when {{ variance }} > 0 then 'late'
            end,
            case
                when {{ burn }} > 100 then 'over budget'
                when {{ burn }} > coalesce({{ elapsed }}, 100) + 10
                    then 'spending ahead of schedule'
            end,
            case
                when {{ overdue }} >= 2 then {{ overdue }} || ' milestones overdue'
                when {{ overdue }} = 1 then '1 milestone overdue'
            end,
            case when {{ status }} = 'on_hold' then 'on hold' end
        ), ''), 'on track')
    end
{%- endmacro %}

{#- When a project ends, judged on `judged_on`: its actual end; for a cancelled one its
    planned end; else its planned end, or `judged_on` once that has passed (a project
    running past its plan ends no earlier than the day it is judged). -#}
{% macro sc_forecast_end(status, actual_end, planned_end, judged_on) -%}
    case
        when {{ actual_end }} is not null then {{ actual_end }}
        when {{ status }} = 'cancelled' then {{ planned_end }}
        else greatest({{ planned_end }}, {{ judged_on }})
    end
{%- endmacro %}

{#- Share of the planned duration elapsed on `judged_on`, 0–100 (100 when completed). -#}
{% macro sc_elapsed_pct(status, planned_start, planned_end, judged_on) -%}
    case
        when {{ status }} = 'completed' then 100.0
        when {{ planned_end }} <= {{ planned_start }} then null
        else least(
            100.0,
            greatest(
                0.0,
                cast(100 * {{ dbt.datediff(planned_start, judged_on, 'day') }} as double)
                / {{ dbt.datediff(planned_start, planned_end, 'day') }}
            )
        )
    end
{%- endmacro %}
