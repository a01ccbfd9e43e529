{#- One row (grain: the build): the moment the warehouse is built as known at. Every
    page, report and check that prints "the date of the data" reads it here, so the date
    exists whichever sources a city has loaded. -#}

with final as (
    select
        {{ as_of_local() }} as as_of_at,
        cast({{ as_of_local() }} as date) as as_of_date
)

select * from final
