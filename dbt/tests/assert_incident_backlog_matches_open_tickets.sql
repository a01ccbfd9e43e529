-- The backlog of the month of as_of equals the tickets incident_sla marks open.
with monthly as (
    select coalesce(sum(backlog_at_month_end), 0) as backlog
    from {{ ref('incident_sla_monthly') }}
    where month_start = cast({{ dbt.date_trunc('month', as_of_local()) }} as date)
),

detail as (
    select count(*) filter (where is_open) as open_tickets
    from {{ ref('incident_sla') }}
)

select
    monthly.backlog,
    detail.open_tickets
from monthly cross join detail
where monthly.backlog != detail.open_tickets
