-- Every mart is taken at the build's as_of (marts.build_info, the one row every reader
-- uses): the as_of_at stamp of each row equals it (incremental marts move the stamp of
-- the rows they keep: stamp_as_of), and no monthly mart has a month after its month.
{%- set stamped = ['incident_sla', 'submissions', 'service_card_freshness',
                   'smart_city_portfolio'] %}
{%- set monthly = ['incident_sla_monthly', 'kck_queue_service', 'kck_calls_hourly',
                   'kck_call_topics', 'unit_workload', 'director_kpis',
                   'director_kpis_by_unit'] %}
with build as (
    select as_of_at, cast(date_trunc('month', as_of_at) as date) as as_of_month
    from {{ ref('build_info') }}
),
offending as (
    {% for mart in stamped -%}
    select '{{ mart }}: as_of_at is not the build''s' as failure, count(*) as n_rows
    from {{ ref(mart) }} as m cross join build
    where m.as_of_at is distinct from build.as_of_at
    union all
    {% endfor -%}
    {% for mart in monthly -%}
    select '{{ mart }}: month after as_of', count(*)
    from {{ ref(mart) }} as m cross join build
    where m.month_start > build.as_of_month
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}
)
select * from offending where n_rows > 0
