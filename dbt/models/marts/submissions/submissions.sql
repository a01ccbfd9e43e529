{#- One row per submission (a citizen's problem or idea, from any channel: the register;
    DK-03's work is its electronic channels, is_electronic) with its lead times and its
    state as of as_of. -#}

{{ config(
    materialized='incremental',
    unique_key='submission_id',
    meta={'tests_read_rows_of_this_build': true}
) }}
{#- Incremental (DECISIONS.md § 14): a daily build recomputes the submissions of loads this
    table has not seen and those whose as-of columns can still change — open, or not yet
    due at the previous build (is_reply_late is decided when the due date passes; the
    previous build's as_of is build_info.previous_as_of_at). A closed submission past its
    due date is final. -#}

-- depends_on: {{ ref('stg_kck__submissions') }}, {{ ref('build_info') }}
with submissions as (
    {% if is_incremental() %}
    -- the staging rows of the submissions in scope only (the staging view deduplicates and
    -- converts every submission first)
    select * from ({{ stg_kck__submissions_rows(only_keys=
        keys_of_new_loads('submissions', 'submission_id', this)
        ~ ' union select submission_id from ' ~ this
        ~ ' where is_open or reply_due_at > (select previous_as_of_at from '
        ~ ref('build_info') ~ ')') }}) as staged
    {% else %}
    select * from {{ ref('stg_kck__submissions') }}
    {% endif %}
),

topics as (
    select * from {{ ref('kck_topics') }}
),

districts as (
    select * from {{ ref('districts') }}
),

units as (
    select * from {{ ref('org_units') }}
),

states as (
    select
        *,
        {{ add_days('received_at', var('submission_reply_due_days')) }} as reply_due_at,
        received_at <= {{ as_of_local() }}
        and (closed_at is null or closed_at > {{ as_of_local() }}) as is_open
    from submissions
),

final as (
    select
        states.submission_id,
        states.received_at,
        cast({{ dbt.date_trunc('month', 'states.received_at') }} as date) as received_month,
        states.channel,
        coalesce(states.channel in ({{ "'" ~ electronic_channels() | join("', '") ~ "'" }}), false)
            as is_electronic,
        states.call_id,
        states.kind,
        states.topic_code,
        coalesce(topics.name_pl, {{ unmapped_name('states.topic_code', 'pl') }}) as topic_name_pl,
        states.district,
        districts.name_pl as district_name,
        states.responsible_unit,
        coalesce(units.name_pl, {{ unmapped_name('states.responsible_unit', 'pl') }})
            as responsible_unit_name_pl,
        states.forwarded_at,
        states.unit_replied_at,
        states.closed_at,
        states.outcome,
        {{ elapsed_days('states.received_instant', 'states.forwarded_instant') }}
            as days_to_forward,
        {{ elapsed_days('states.forwarded_instant', 'states.unit_replied_instant') }}
            as days_to_unit_reply,
        -- calendar days (real elapsed time, 24 h each), exact to 9 decimals, not rounded:
        -- NULL while open at as_of (closed_at is NULL until it is known)
        {{ exact_elapsed_days('states.received_instant', 'states.closed_instant') }}
            as days_to_close,
        states.reply_due_at,
        states.is_open,
        states.is_open and {{ as_of_local() }} > states.reply_due_at as is_overdue,
        -- closed (or still open at as_of) after the due date: counted once, in the due month
        states.reply_due_at <= {{ as_of_local() }}
        and coalesce(states.closed_at > states.reply_due_at, true) as is_reply_late,
        states._load_id,
        {{ build_id() }} as _build_id
    from states
    left join topics on states.topic_code = topics.topic_code
    left join districts on states.district = districts.district
    left join units on states.responsible_unit = units.unit_code
)

select * from final
