{#- One row per KCK topic: the topics of the KCK register (seeds/kck_topics, is_mapped)
    and, flagged is_mapped = false, every topic code the raw calls and submissions hold
    that the register does not know — kept by an importer without a mapping, labelled
    "niezmapowane: <code>" / "unmapped: <code>" (DECISIONS.md § 19). -#}

with topics as (
    select * from {{ ref('kck_topics') }}
),

final as (
    {{ with_unmapped_codes(
        'topics', 'kck_topics',
        ['topic_code', 'name_pl', 'name_en', 'topic_group', 'default_unit'],
        {'topic_group': "'unmapped'"}
    ) }}
)

select * from final
