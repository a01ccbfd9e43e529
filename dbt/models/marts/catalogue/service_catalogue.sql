{#- One row per IT service of the COI catalogue (IT-01-1) with its owner and the
    service-desk outcome of its tickets; and, flagged is_mapped = false, every service code
    of the raw tickets the catalogue does not hold (kept by an importer without a mapping),
    labelled "niezmapowane: <code>" and on the default clock, var default_support_hours
    (DECISIONS.md § 19). -#}

with catalogue as (
    select * from {{ ref('stg_catalogue__it_services') }}
),

-- a service without a catalogue entry runs on the default clock
services as (
    {{ with_unmapped_codes(
        'catalogue', 'it_services',
        ['service_code', 'name_pl', 'name_en', 'owner_unit', 'criticality', 'support_hours',
         'status', 'valid_from', 'valid_to'],
        {
            'criticality': 'cast(null as integer)',
            'support_hours': "'" ~ var('default_support_hours') ~ "'",
            'valid_from': 'cast(null as date)',
            'valid_to': 'cast(null as date)',
        }
    ) }}
),

units as (
    select * from {{ ref('org_units') }}
),

tickets as (
    select * from {{ ref('incident_sla') }}
),

per_service as (
    select
        service_code,
        count(*) as tickets,
        count(*) filter (where ticket_type = 'incident') as incidents,
        count(*) filter (where is_open) as open_tickets,
        count(*) filter (where is_sla_met) as sla_met_tickets,
        count(*) filter (where is_resolved) as resolved_tickets,
        {{ percentile('resolution_business_minutes', 0.5) }} as median_resolution_business_minutes
    from tickets
    group by 1
),

final as (
    select
        services.service_code,
        services.name_pl,
        services.name_en,
        services.owner_unit,
        coalesce(units.name_pl, {{ unmapped_name('services.owner_unit', 'pl') }})
            as owner_unit_name_pl,
        services.criticality,
        services.support_hours,
        services.status,
        services.valid_from,
        services.valid_to,
        services.is_mapped,
        coalesce(per_service.tickets, 0) as tickets,
        coalesce(per_service.incidents, 0) as incidents,
        coalesce(per_service.open_tickets, 0) as open_tickets,
        coalesce(per_service.resolved_tickets, 0) as resolved_tickets,
        {{ pct('per_service.sla_met_tickets', 'per_service.resolved_tickets') }} as sla_met_pct,
        per_service.median_resolution_business_minutes
    from services
    left join per_service on services.service_code = per_service.service_code
    left join units on services.owner_unit = units.unit_code
)

select * from final
