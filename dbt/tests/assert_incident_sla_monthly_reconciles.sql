-- The monthly service-desk mart sums to its detail: every ticket is opened in exactly one
-- month row, every ticket resolved by as_of in exactly one resolved month row.
with monthly as (
    select
        sum(tickets_opened) as opened,
        sum(tickets_resolved) as resolved,
        sum(sla_met_tickets) as sla_met
    from {{ ref('incident_sla_monthly') }}
),

detail as (
    select
        count(*) as opened,
        count(*) filter (where is_resolved) as resolved,
        count(*) filter (where is_sla_met) as sla_met
    from {{ ref('incident_sla') }}
)

select
    monthly.*,
    detail.*
from monthly cross join detail
where
    coalesce(monthly.opened, 0) != detail.opened
    or coalesce(monthly.resolved, 0) != detail.resolved
    or coalesce(monthly.sla_met, 0) != detail.sla_met
