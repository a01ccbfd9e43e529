{#- One row per KCK topic: the topics of the KCK register (seeds/kck_topics, is_mapped)
    and, flagged is_mapped = false, every topic code the raw calls and submissions hold
    that the register does not know — kept by an importer without a mapping, labelled
    "niezmapowane: <code>" / "unmapped: <code>" (DECISIONS.md § 19). -#}

with topics as (
    select * from {{ ref('kck_topics') }}
),

unmapped as (
    {{ codes_in_raw('kck_topics', 'select topic_code from ' ~ ref('kck_topics')) }}
),

final as (
    select
        topic_code,
        name_pl,
        name_en,
        topic_group,
        default_unit,
        true as is_mapped
    from topics
    union all
    select
        code as topic_code,
        {{ unmapped_name('code', 'pl') }} as name_pl,
        {{ unmapped_name('code', 'en') }} as name_en,
        'unmapped' as topic_group,
        cast(null as {{ dbt.type_string() }}) as default_unit,
        false as is_mapped
    from unmapped
)

select * from final
