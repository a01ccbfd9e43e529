{#- One row per public service card on KPUM: days since its last review as of as_of;
    stale when not reviewed for over 12 months. -#}

with cards as (
    select * from {{ ref('stg_catalogue__service_cards') }}
),

units as (
    select * from {{ ref('org_units') }}
),

final as (
    select
        cards.card_id,
        cards.title_pl,
        cards.responsible_unit,
        units.name_pl as responsible_unit_name_pl,
        cards.online_available,
        cards.last_reviewed_at,
        {{ dbt.datediff('cast(cards.last_reviewed_at as date)',
                        'cast(' ~ as_of_local() ~ ' as date)', 'day') }}
            as days_since_review,
        -- a card whose latest review is after as_of: the review before it is unknown, so
        -- it is not counted stale (DECISIONS.md § 8)
        coalesce(
            cards.last_reviewed_at
            < {{ subtract_months(as_of_local(), var('service_card_stale_months')) }}, false
        ) as is_stale
    from cards
    left join units on cards.responsible_unit = units.unit_code
)

select * from final
