{#- One row per weekday × hour of the averaging window (int_kck_offered_load): the agents
    KCK needs on the phones for the registry's service-level target (kck_service_level_pct,
    80 %) within the answer threshold (var kck_answer_threshold_seconds, 20 s), by
    Erlang C (DECISIONS.md § 9a). For A erlangs and N > A agents:

      P(wait) = C(N, A) = (A^N / N! · N / (N − A)) / (Σ_{k<N} A^k / k! + A^N / N! · N / (N − A))
      SL(N)   = 1 − C(N, A) · exp(−(N − A) · T / AHT)

    and agents_needed is the least N with SL(N) ≥ target. The search tries N = 0 …
    A + 10 √A + 20 (at most var kck_staffing_max_agents) as a bounded range join; the terms A^k / k! are taken in
    logarithms (k ln A − Σ_{j≤k} ln j) and scaled by their largest, so no power or
    factorial overflows whatever the load. Agents on the phones: no shrinkage (breaks,
    training, absence), no after-call work beyond the measured handle time. -#}

with load as (
    select * from {{ ref('int_kck_offered_load') }}
),

targets as (
    select * from {{ ref('int_kpi_targets') }}
    where kpi_code = 'kck_service_level_pct' and breakdown = 'all'
),

target as (
    select targets.target as target_service_level_pct
    from targets
    where {{ in_force_on('targets', 'cast(' ~ as_of_local() ~ ' as date)') }}
),

numbers as (
    select cast(n as integer) as agents
    from {{ integer_series(0, var('kck_staffing_max_agents')) }} as numbers (n)
),

terms as (
    select
        load.weekday,
        load.hour,
        load.traffic_erlangs,
        load.aht_seconds,
        numbers.agents,
        numbers.agents * ln(load.traffic_erlangs) - sum(ln(greatest(numbers.agents, 1))) over (
            partition by load.weekday, load.hour order by numbers.agents
            rows between unbounded preceding and current row
        ) as log_term
    from load
    -- far more than any service level needs: the target is met within A + 10 √A + 20
    inner join numbers
        on numbers.agents <= load.traffic_erlangs + 10 * sqrt(load.traffic_erlangs) + 20
    where load.traffic_erlangs > 0
),

scaled as (
    select
        *,
        exp(log_term - max(log_term) over (partition by weekday, hour)) as term
    from terms
),

cumulated as (
    select
        *,
        coalesce(sum(term) over (
            partition by weekday, hour order by agents
            rows between unbounded preceding and 1 preceding
        ), 0) as terms_below
    from scaled
),

erlang_c as (
    select
        weekday,
        hour,
        agents,
        traffic_erlangs,
        aht_seconds,
        term * agents / (agents - traffic_erlangs)
        / (terms_below + term * agents / (agents - traffic_erlangs)) as wait_probability
    from cumulated
    where agents > traffic_erlangs
),

service as (
    select
        erlang_c.*,
        1 - erlang_c.wait_probability * exp(
            -(erlang_c.agents - erlang_c.traffic_erlangs)
            * {{ var('kck_answer_threshold_seconds') }} / erlang_c.aht_seconds
        ) as service_level
    from erlang_c
),

enough as (
    select
        service.weekday,
        service.hour,
        min(service.agents) as agents_needed
    from service
    cross join target
    where service.service_level * 100 >= target.target_service_level_pct
    group by 1, 2
),

final as (
    select
        load.window_start,
        load.window_end,
        load.weekday,
        load.hour,
        load.open_days,
        load.offered,
        load.short_abandoned,
        load.answered,
        load.calls_per_hour,
        load.aht_seconds,
        load.traffic_erlangs,
        target.target_service_level_pct,
        {{ var('kck_answer_threshold_seconds') }} as answer_threshold_seconds,
        case when load.traffic_erlangs = 0 then 0 else enough.agents_needed end
            as agents_needed,
        case when load.traffic_erlangs = 0 then 100.0 else 100 * service.service_level end
            as predicted_service_level_pct,
        case when load.traffic_erlangs = 0 then 0.0 else 100 * service.wait_probability end
            as wait_probability_pct,
        case
            when load.traffic_erlangs > 0
                then
                    service.wait_probability * load.aht_seconds
                    / (enough.agents_needed - load.traffic_erlangs)
        end as predicted_asa_seconds,
        {{ pct('load.traffic_erlangs', 'enough.agents_needed') }} as occupancy_pct,
        {{ pct('load.answered_within_20s', 'load.offered - load.short_abandoned') }}
            as observed_service_level_pct
    from load
    cross join target
    left join enough on load.weekday = enough.weekday and load.hour = enough.hour
    left join service
        on enough.weekday = service.weekday
        and enough.hour = service.hour
        and enough.agents_needed = service.agents
)

select * from final
