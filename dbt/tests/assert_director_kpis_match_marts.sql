-- director_kpis is computed from the same rows as the detail marts: the SLA-met share and
-- the KCK service level of every month equal the ones recomputed from the monthly marts.
with kpis as (
    select
        month_start,
        kpi_code,
        value
    from {{ ref('director_kpis') }}
),

sla as (
    select
        month_start,
        'incident_sla_met_pct' as kpi_code,
        round(100.0 * sum(sla_met_tickets) / nullif(sum(tickets_resolved), 0), 2) as expected
    from {{ ref('incident_sla_monthly') }}
    group by 1
),

kck as (
    select
        month_start,
        'kck_service_level_pct' as kpi_code,
        round(100.0 * sum(answered_within_20s) / nullif(sum(offered) - sum(short_abandoned), 0), 2)
            as expected
    from {{ ref('kck_queue_service') }}
    group by 1
),

expected as (
    select * from sla
    where expected is not null
    union all
    select * from kck
    where expected is not null
)

select
    expected.*,
    kpis.value
from expected
left join kpis
    on expected.month_start = kpis.month_start
    and expected.kpi_code = kpis.kpi_code
where kpis.value is null or abs(kpis.value - expected.expected) > 0.01
