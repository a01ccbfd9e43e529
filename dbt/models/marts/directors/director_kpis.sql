{#- One row per month × kpi_code: the city-wide value of each director KPI, its target
    and direction, and the previous month's value. Months run from the first month the
    KPI has data to the month of as_of. -#}

with kpi_values as (
    select * from {{ ref('int_kpi_values') }}
    where unit_code = '(all)'
),

definitions as (
    select t.* from (
        values
        (
            'incident_sla_met_pct',
            'Zgłoszenia rozwiązane w SLA',
            'Tickets resolved within SLA',
            '%', 'higher_is_better', {{ var('target_incident_sla_met_pct') }}, 'ratio'
        ),
        (
            'incident_response_sla_met_pct',
            'Reakcja w czasie SLA',
            'Response within SLA',
            '%', 'higher_is_better', {{ var('target_incident_response_sla_met_pct') }}, 'ratio'
        ),
        (
            'first_line_resolution_pct',
            'Rozwiązane w pierwszej linii',
            'First-line resolution',
            '%', 'higher_is_better', {{ var('target_first_line_resolution_pct') }}, 'ratio'
        ),
        (
            'escalations_without_comment_pct',
            'Eskalacje bez pełnego komentarza',
            'Escalations without a full comment',
            '%', 'lower_is_better', {{ var('target_escalations_without_comment_pct') }}, 'ratio'
        ),
        (
            'incident_backlog',
            'Zaległe zgłoszenia na koniec miesiąca',
            'Ticket backlog at month end',
            'count', 'lower_is_better', null, 'count'
        ),
        (
            'kck_service_level_pct',
            'Poziom obsługi KCK (20 s)',
            'KCK service level (20 s)',
            '%', 'higher_is_better', {{ var('kck_target_service_level_pct') }}, 'ratio'
        ),
        (
            'kck_abandon_rate_pct',
            'Porzucone połączenia KCK',
            'KCK abandonment rate',
            '%', 'lower_is_better', {{ var('kck_target_abandon_rate_pct') }}, 'ratio'
        ),
        (
            'kck_asa_seconds',
            'Średni czas oczekiwania KCK',
            'KCK average speed of answer',
            's', 'lower_is_better', {{ var('kck_target_asa_seconds') }}, 'mean'
        ),
        (
            'submissions_overdue_pct',
            'Zgłoszenia elektroniczne bez odpowiedzi w terminie',
            'Submissions not answered on time',
            '%', 'lower_is_better', {{ var('target_submissions_overdue_pct') }}, 'ratio'
        ),
        (
            'submission_days_to_forward',
            'Dni do przekazania zgłoszenia',
            'Days to forward a submission',
            'days', 'lower_is_better', {{ var('target_submission_days_to_forward') }}, 'mean'
        ),
        (
            'publications_within_1wd_pct',
            'Publikacje w ciągu 1 dnia roboczego',
            'Published within 1 working day',
            '%', 'higher_is_better', {{ var('target_publications_within_1wd_pct') }}, 'ratio'
        ),
        (
            'stale_service_cards_pct',
            'Nieaktualne karty usług (> 12 mies.)',
            'Service cards not reviewed for 12 months',
            '%', 'lower_is_better', {{ var('target_stale_service_cards_pct') }}, 'ratio'
        ),
        (
            'sc_projects_red',
            'Projekty Smart City w stanie czerwonym',
            'Smart City projects rated red',
            'count', 'lower_is_better', {{ var('target_sc_projects_red') }}, 'count'
        )
    ) as t (kpi_code, kpi_name_pl, kpi_name_en, unit, direction, target, kind)
),

kpi_range as (
    select
        kpi_code,
        min(month_start) as first_month,
        max(month_start) as last_month
    from kpi_values
    group by 1
),

months as (
    select cast(month_start as date) as month_start
    from {{ month_series('(select min(month_start) from kpi_values)',
                         'cast(' ~ dbt.date_trunc('month', as_of_local()) ~ ' as date)') }} as m (month_start)
),

grid as (
    select
        months.month_start,
        definitions.*
    from months
    cross join definitions
    inner join kpi_range
        on definitions.kpi_code = kpi_range.kpi_code
        and months.month_start between kpi_range.first_month and kpi_range.last_month
),

valued as (
    select
        grid.*,
        case grid.kind
            when 'count' then coalesce(kpi_values.numerator, 0)
            when 'ratio' then {{ pct('kpi_values.numerator', 'kpi_values.denominator') }}
            else case
                when kpi_values.denominator > 0
                    then kpi_values.numerator / kpi_values.denominator
            end
        end as value
    from grid
    left join kpi_values
        on grid.month_start = kpi_values.month_start
        and grid.kpi_code = kpi_values.kpi_code
),

final as (
    select
        month_start,
        kpi_code,
        kpi_name_pl,
        kpi_name_en,
        cast(value as double) as value,
        cast(target as double) as target,
        unit,
        direction,
        case
            when value is null or target is null then null
            when direction = 'higher_is_better' then value >= target
            else value <= target
        end as is_on_target,
        cast(lag(value) over (partition by kpi_code order by month_start) as double)
            as previous_value,
        cast(value - lag(value) over (partition by kpi_code order by month_start) as double)
            as change
    from valued
)

select * from final
