{#- One row (grain: the build): the moment the warehouse is built as known at. Every
    model reads as_of here (as_of_local(), as_of_instant()), and every page, report and
    check that prints "the date of the data" reads it here too, so the date exists whichever
    sources a city has loaded. previous_as_of_at is the as_of of the build before (this
    table as it was), which tells the incremental models what may have moved since. -#}

{{ config(materialized='table') }}

{%- set previous = adapter.get_relation(database=this.database, schema=this.schema,
                                        identifier=this.identifier) if execute else none %}

with this_build as (
    select {{ build_as_of() }} as as_of_at
),

final as (
    select
        as_of_at,
        {{ to_instant('as_of_at') }} as as_of_instant,
        cast(as_of_at as date) as as_of_date,
        {% if previous is not none -%}
        (select max(as_of_at) from {{ this }})
        {%- else -%}
        cast(null as timestamp)
        {%- endif %} as previous_as_of_at
    from this_build
)

select * from final
