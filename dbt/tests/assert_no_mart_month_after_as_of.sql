-- Every monthly mart is taken at the build's as_of (marts.build_info, the one place it
-- is kept): no month after the month of as_of.
{%- set monthly = ['incident_sla_monthly', 'kck_queue_service', 'kck_calls_hourly',
                   'kck_call_topics', 'unit_workload', 'director_kpis',
                   'director_kpis_by_unit'] %}
with build as (
    select cast(date_trunc('month', as_of_at) as date) as as_of_month
    from {{ ref('build_info') }}
),

offending as (
    {% for mart in monthly -%}
    select
        '{{ mart }}: month after as_of' as failure,
        count(*) as n_rows
    from {{ ref(mart) }} as m cross join build
    where m.month_start > build.as_of_month
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}
)

select * from offending
where n_rows > 0
