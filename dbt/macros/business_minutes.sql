{#- Business minutes of many intervals at once, set-based.

    `intervals` is a relation/CTE name with columns `key_cols` and two instants
    `start_col`, `end_col` (half-open [start, end)). Every interval is joined on overlap to
    int_working_periods (one row per working day, 07:30-15:30 local as instants) and

        business minutes of [a, b) = sum over periods p of greatest(0, least(b, p.end) - greatest(a, p.start))

    Returns one row per key with column `business_minutes` (0 when no overlap; NULL end
    gives 0). Used for ticket segments, open-ticket age and publications. -#}
{% macro business_minutes_of_intervals(intervals, key_cols, start_col='start_instant', end_col='end_instant') -%}
    select
        {% for k in key_cols %}iv.{{ k }}, {% endfor %}
        -- DuckDB's greatest()/least() skip NULLs: sum only rows that matched a period
        coalesce(sum(greatest(0,
            {{ elapsed_minutes('greatest(iv.' ~ start_col ~ ', wp.period_start_instant)',
                               'least(iv.' ~ end_col ~ ', wp.period_end_instant)') }}
        )) filter (where wp.period_start_instant is not null), 0) as business_minutes
    from {{ intervals }} as iv
    left join {{ ref('int_working_periods') }} as wp
        on wp.period_start_instant < iv.{{ end_col }}
        and wp.period_end_instant > iv.{{ start_col }}
    group by {% for k in key_cols %}iv.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endmacro %}
