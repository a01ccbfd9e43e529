-- Tickets requested per unit and month add up to the tickets opened.
with workload as (
    select coalesce(sum(tickets_requested), 0) as tickets_requested
    from {{ ref('unit_workload') }}
),

tickets as (
    select count(*) as tickets
    from {{ ref('incident_sla') }}
)

select
    workload.tickets_requested as workload,
    tickets.tickets
from workload cross join tickets
where workload.tickets_requested != tickets.tickets
