-- The catalogue's ticket counts add up to the detail: every ticket once, under its
-- service; the open ones as incident_sla marks them at as_of.
with catalogue as (
    select
        coalesce(sum(tickets), 0) as tickets,
        coalesce(sum(open_tickets), 0) as open_tickets
    from {{ ref('service_catalogue') }}
),

detail as (
    select
        count(*) as tickets,
        count(*) filter (where is_open) as open_tickets
    from {{ ref('incident_sla') }}
)

select
    catalogue.tickets as catalogue_tickets,
    detail.tickets as incident_sla_tickets,
    catalogue.open_tickets as catalogue_open,
    detail.open_tickets as incident_sla_open
from catalogue cross join detail
where catalogue.tickets != detail.tickets or catalogue.open_tickets != detail.open_tickets
