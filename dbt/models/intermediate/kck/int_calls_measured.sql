{{ config(
    materialized='incremental',
    unique_key='call_id',
    meta={'tests_read_rows_of_this_build': true}
) }}
{#- One row per call offered to a KCK queue with its waits and flags. Incremental: a
    build reads only the calls of loads it has not seen (by _load_id), so a one-day load
    does not rebuild the history. -#}

-- depends_on: {{ ref('stg_kck__calls') }}, {{ ref('build_info') }}
with calls_in_scope as (
    -- the staging instants are not read: converting every call's three timestamps before
    -- the incremental filter converted the whole history; they are converted below, in
    -- scope only
    select
        {{ star_exclude(['offered_instant', 'answered_instant', 'ended_instant'],
                        ref('stg_kck__calls')) }}
    {% if is_incremental() %}
    -- the staging rows of the calls with a raw row from an unseen load only (the same
    -- rows as the staging view for those calls, without deduplicating the whole history)
    from ({{ stg_kck__calls_rows(only_keys=keys_of_new_loads('calls', 'call_id', this)) }}) as staged
    where _load_id not in (select distinct _load_id from {{ this }} where _load_id is not null)
    {% else %}
    from {{ ref('stg_kck__calls') }}
    {% endif %}
),

calls as (
    select
        *,
        {{ to_instant('offered_at') }} as offered_instant,
        {{ to_instant('answered_at') }} as answered_instant,
        {{ to_instant('ended_at') }} as ended_instant
    from calls_in_scope
),

measured as (
    select
        call_id,
        queue,
        offered_at,
        answered_at,
        ended_at,
        agent_id,
        record_type,
        topic_code,
        forwarded_unit,
        resolved_on_call,
        answered_at is not null as is_answered,
        answered_at is null as is_abandoned,
        case
            when answered_at is not null
                then {{ elapsed_seconds('offered_instant', 'answered_instant') }}
            else {{ elapsed_seconds('offered_instant', 'ended_instant') }}
        end as wait_seconds,
        case
            when answered_at is not null
                then {{ elapsed_seconds('answered_instant', 'ended_instant') }}
        end as handle_seconds,
        _load_id
    from calls
),

final as (
    select
        call_id,
        queue,
        offered_at,
        answered_at,
        ended_at,
        cast({{ dbt.date_trunc('month', 'offered_at') }} as date) as month_start,
        cast({{ iso_weekday('offered_at') }} as integer) as weekday,
        cast(hour(offered_at) as integer) as hour,
        agent_id,
        record_type,
        topic_code,
        forwarded_unit,
        resolved_on_call,
        is_answered,
        is_abandoned,
        wait_seconds,
        handle_seconds,
        is_abandoned and wait_seconds < {{ var('kck_short_abandon_seconds') }}
            as is_short_abandoned,
        is_answered and wait_seconds <= {{ var('kck_answer_threshold_seconds') }}
            as is_answered_within_20s,
        _load_id,
        {{ build_id() }} as _build_id
    from measured
)

select * from final
