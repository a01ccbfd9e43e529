{#- One row per month × topic_code, answered calls only (an abandoned call has no
    topic). Answered calls without a topic are counted under 'unclassified'. -#}

with calls as (
    select * from {{ ref('int_calls_measured') }}
    where is_answered
),

topics as (
    select * from {{ ref('kck_topics') }}
),

aggregated as (
    select
        month_start,
        coalesce(topic_code, 'unclassified') as topic_code,
        count(*) as answered,
        {{ exact_duration_sum('handle_seconds', 'seconds') }} as total_handle_seconds,
        count(*) filter (where resolved_on_call) as resolved_on_call,
        count(resolved_on_call) as resolved_on_call_known,
        count(*) filter (where record_type = 'information') as information,
        count(*) filter (where record_type = 'problem') as problems,
        count(*) filter (where record_type = 'idea') as ideas,
        count(*) filter (where record_type = 'survey') as surveys,
        count(forwarded_unit) as forwarded
    from calls
    group by 1, 2
),

final as (
    select
        aggregated.month_start,
        aggregated.topic_code,
        -- a topic code the register does not know (kept unmapped by an importer) is
        -- labelled as such, in topic_group unmapped (DECISIONS.md § 19)
        case
            when aggregated.topic_code = 'unclassified' then 'Bez tematu'
            else coalesce(topics.name_pl, {{ unmapped_name('aggregated.topic_code', 'pl') }})
        end as topic_name_pl,
        case
            when aggregated.topic_code = 'unclassified' then 'Unclassified'
            else coalesce(topics.name_en, {{ unmapped_name('aggregated.topic_code', 'en') }})
        end as topic_name_en,
        case
            when aggregated.topic_code = 'unclassified' then 'unclassified'
            else coalesce(topics.topic_group, 'unmapped')
        end as topic_group,
        aggregated.answered,
        {{ pct('aggregated.answered',
               'sum(aggregated.answered) over (partition by aggregated.month_start)') }}
            as share_of_answered_pct,
        aggregated.total_handle_seconds,
        aggregated.total_handle_seconds / nullif(aggregated.answered, 0) as aht_seconds,
        {{ pct('aggregated.resolved_on_call', 'aggregated.resolved_on_call_known') }}
            as resolved_on_call_pct,
        aggregated.information,
        aggregated.problems,
        aggregated.ideas,
        aggregated.surveys,
        aggregated.forwarded
    from aggregated
    left join topics on aggregated.topic_code = topics.topic_code
)

select * from final
