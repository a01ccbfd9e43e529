-- Tickets requested per unit and month add up to the tickets opened.
select
    (select coalesce(sum(tickets_requested), 0) from {{ ref('unit_workload') }}) as workload,
    (select count(*) from {{ ref('incident_sla') }}) as tickets
where (select coalesce(sum(tickets_requested), 0) from {{ ref('unit_workload') }})
   != (select count(*) from {{ ref('incident_sla') }})
