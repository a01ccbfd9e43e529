{#- The Apache Spark bodies of the engine macros (macros/engine/engine.sql says how the
    dispatch works; the DuckDB bodies beside each macro's definition). Spark runs with
    session time zone UTC and TIMESTAMP_NTZ as its TIMESTAMP (dbt/profiles.yml, target
    spark): a wall-clock time is a TIMESTAMP_NTZ, an instant a TIMESTAMP (LTZ) shown in UTC;
    DECISIONS.md § 16 gives the rules and how each was checked against DuckDB. -#}

{#- aggregates -#}
{% macro spark__percentile(col, p) -%}
    percentile({{ col }}, {{ p }})
{%- endmacro %}

{% macro spark__value_at_max(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}

{#- rows -#}
{% macro spark__latest_row_per_key(relation, partition_by, order_by) -%}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ partition_by }} order by {{ order_by }}
            ) as _latest_rank
        from {{ relation }}
    )
    where _latest_rank = 1
{%- endmacro %}

{#- Spark 4.0 has no `* except`: the relation's columns but `columns`, listed. In a dbt unit
    test the relation is the fixture's CTE (`__dbt__cte__<model>`), which has the columns
    of the model it stands for: they are read from that model's table (built before the
    unit test runs). -#}
{% macro spark__star_exclude(columns, relation=none) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error("star_exclude on Spark needs the relation the columns come from") }}
    {%- endif -%}
    {%- set name = (relation.identifier if relation.identifier is defined else relation | string) | replace('`', '') -%}
    {%- if '__dbt__cte__' in name -%}
        {#- (a unit test's context has no graph: the project's schemas are tried in turn,
            generate_schema_name uses them as they are) -#}
        {%- set model_name = name.split('__dbt__cte__')[-1] -%}
        {%- set found = [] -%}
        {%- for schema in ['staging', 'intermediate', 'marts', 'reference'] if not found -%}
            {%- set real = adapter.get_relation(database=none, schema=schema, identifier=model_name) -%}
            {%- if real is not none -%}{%- do found.append(real) -%}{%- endif -%}
        {%- endfor -%}
        {%- set relation = found[0] if found else relation -%}
    {%- endif -%}
    {%- set dropped = columns | map('lower') | list -%}
    {%- set kept = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation)
            if column.name | lower not in dropped and column.name != '_latest_rank' -%}
        {%- do kept.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- if not kept and execute -%}
        {{ exceptions.raise_compiler_error("star_exclude on Spark: no columns found for " ~ relation) }}
    {%- endif -%}
    {{ kept | join(', ') if kept else '*' }}
{%- endmacro %}

{#- strings: Spark's string literals unescape backslashes; regexp_replace replaces every
    match (Java regular expressions, which the project's patterns also are) -#}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}', '{{ replacement | replace("\\", "\\\\") | replace("'", "\\'") }}')
{%- endmacro %}

{% macro spark__raise_sql_error(message) -%}
    raise_error('{{ message | replace("\\", "\\\\") | replace("'", "\\'") }}')
{%- endmacro %}

{#- time. Wall clock -> instant: to_utc_timestamp takes a nonexistent spring time forward
    (as DuckDB) but an ambiguous autumn time as the earlier (summer) one; DuckDB reads it
    as the later (winter) one (DECISIONS.md § 1), so the reading one hour later is taken
    when it shows the same wall clock (the zones of the project change by one hour). -#}
{% macro spark__to_instant(col) -%}
    {{ spark__to_instant_in_zone(col, "'Europe/Warsaw'") }}
{%- endmacro %}

{% macro spark__to_instant_in_zone(col, zone) -%}
    (case
        when cast(from_utc_timestamp(to_utc_timestamp(cast({{ col }} as timestamp_ntz), {{ zone }})
                  + interval 1 hour, {{ zone }}) as timestamp_ntz) = cast({{ col }} as timestamp_ntz)
        then to_utc_timestamp(cast({{ col }} as timestamp_ntz), {{ zone }}) + interval 1 hour
        else to_utc_timestamp(cast({{ col }} as timestamp_ntz), {{ zone }})
    end)
{%- endmacro %}

{% macro spark__to_local(col) -%}
    cast(from_utc_timestamp({{ col }}, 'Europe/Warsaw') as timestamp_ntz)
{%- endmacro %}

{#- milliseconds since the epoch of an instant -#}
{% macro spark__epoch_ms(col) -%}
    unix_millis(cast({{ col }} as timestamp_ltz))
{%- endmacro %}

{% macro spark__elapsed_minutes(start_col, end_col) -%}
    (({{ spark__epoch_ms(end_col) }} - {{ spark__epoch_ms(start_col) }}) / 60000D)
{%- endmacro %}

{% macro spark__elapsed_seconds(start_col, end_col) -%}
    (({{ spark__epoch_ms(end_col) }} - {{ spark__epoch_ms(start_col) }}) / 1000D)
{%- endmacro %}

{% macro spark__elapsed_days(start_col, end_col) -%}
    (({{ spark__epoch_ms(end_col) }} - {{ spark__epoch_ms(start_col) }}) / 86400000D)
{%- endmacro %}

{% macro spark__exact_elapsed_days(start_col, end_col) -%}
    {#- decimal(20, 0) / bigint keeps 18 places in Spark (decimal(38, 0) would keep only 6) -#}
    cast(cast(unix_micros(cast({{ end_col }} as timestamp_ltz)) - unix_micros(cast({{ start_col }} as timestamp_ltz)) as decimal(20, 0))
         / 86400000000 as decimal(18, 9))
{%- endmacro %}

{% macro spark__date_at_seconds(date_expr, seconds) -%}
    (cast({{ date_expr }} as timestamp_ntz) + make_dt_interval(0, 0, 0, {{ seconds }}))
{%- endmacro %}

{#- the raw layer's TIME columns reach Spark as text 'HH:MM:SS' (Parquet export) -#}
{% macro spark__seconds_of_day(col) -%}
    cast(split(cast({{ col }} as string), ':')[0] as int) * 3600
    + cast(split(cast({{ col }} as string), ':')[1] as int) * 60
    + cast(cast(split(cast({{ col }} as string), ':')[2] as double) as int)
{%- endmacro %}

{% macro spark__subtract_months(ts, n) -%}
    (cast({{ ts }} as timestamp_ntz) - make_ym_interval(0, {{ n }}))
{%- endmacro %}

{% macro spark__add_days(ts, n) -%}
    (cast({{ ts }} as timestamp_ntz) + make_dt_interval({{ n }}, 0, 0, 0))
{%- endmacro %}

{% macro spark__last_second_of_month(month_start) -%}
    (cast({{ month_start }} as timestamp_ntz) + interval 1 month - interval 1 second)
{%- endmacro %}

{% macro spark__instant_before(instant) -%}
    ({{ instant }} - interval 1 microsecond)
{%- endmacro %}

{% macro spark__date_series(start_expr, end_expr) -%}
    select explode(sequence(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 day)) as calendar_date
{%- endmacro %}

{% macro spark__month_series(start_expr, end_expr) -%}
    (select explode(sequence({{ start_expr }}, {{ end_expr }}, interval 1 month)))
{%- endmacro %}

{% macro spark__week_series(start_expr, end_expr) -%}
    (select explode(sequence({{ start_expr }}, {{ end_expr }}, interval 7 day)))
{%- endmacro %}

{% macro spark__iso_weekday(col) -%}
    (weekday({{ col }}) + 1)
{%- endmacro %}

{% macro spark__integer_series(lo, hi) -%}
    (select explode(sequence({{ lo }}, {{ hi }})))
{%- endmacro %}

{#- The series are subqueries: their ends are constants or scalar subqueries, never columns
    of another table of the FROM clause (Spark's lateral joins cannot take a join condition
    on the series). -#}

{#- The business clock without an ASOF join. Each working calendar has at most one office
    period per local day (int_working_periods), so C(t) — office milliseconds before the
    instant t — is the office time of the calendar's days before t's local day plus the
    part of that day's period before t: an equality join on (calendar, local day) against a
    table of every day of the calendar's span (a few hundred rows a year: broadcast),
    instead of DuckDB's sort-merge ASOF join. Before the span C is 0, after it the whole
    span's office time — what the ASOF lookup gives (DECISIONS.md § 16). -#}
{% macro spark__business_minutes_of_intervals(intervals, key_cols, start_col='start_instant', end_col='end_instant', calendar_col=none) -%}
    {%- set calendar = ('iv.' ~ calendar_col) if calendar_col is not none else ("'" ~ default_calendar() ~ "'") -%}
    with periods as (
        select
            p.calendar_code,
            p.timezone,
            p.working_date,
            {{ spark__epoch_ms('p.period_start_instant') }} as period_start_ms,
            {{ spark__epoch_ms('p.period_end_instant') }} - {{ spark__epoch_ms('p.period_start_instant') }} as period_ms
        from {{ ref('int_working_periods') }} as p
        {%- if calendar_col is none %}
        where p.calendar_code = '{{ default_calendar() }}'
        {%- endif %}
    ),
    spans as (
        select
            calendar_code,
            timezone,
            min(working_date) as first_day,
            max(working_date) as last_day,
            sum(period_ms) as total_ms
        from periods
        group by calendar_code, timezone
    ),
    span_days as (
        select spans.calendar_code, days.calendar_date
        from spans
        lateral view explode(sequence(spans.first_day, spans.last_day, interval 1 day)) days as calendar_date
    ),
    office_days as (
        select
            span_days.calendar_code,
            span_days.calendar_date,
            periods.period_start_ms,
            coalesce(periods.period_ms, 0) as period_ms,
            coalesce(sum(coalesce(periods.period_ms, 0)) over (
                partition by span_days.calendar_code order by span_days.calendar_date
                rows between unbounded preceding and 1 preceding
            ), 0) as office_ms_before
        from span_days
        left join periods
            on span_days.calendar_code = periods.calendar_code
            and span_days.calendar_date = periods.working_date
    ),
    ends as (
        select
            {% for k in key_cols %}iv.{{ k }}, {% endfor %}
            {{ calendar }} as calendar_code,
            iv.{{ start_col }} as start_at,
            iv.{{ end_col }} as end_at,
            to_date(from_utc_timestamp(iv.{{ start_col }}, spans.timezone)) as start_day,
            to_date(from_utc_timestamp(iv.{{ end_col }}, spans.timezone)) as end_day,
            spans.first_day,
            spans.last_day,
            spans.total_ms
        from {{ intervals }} as iv
        left join spans on {{ calendar }} = spans.calendar_code
    )
    select
        {% for k in key_cols %}ends.{{ k }}, {% endfor %}
        case
            when ends.end_at > ends.start_at then (
                (case
                    when ends.end_day > ends.last_day then ends.total_ms
                    else coalesce(pe.office_ms_before + coalesce(least(greatest(
                        {{ spark__epoch_ms('ends.end_at') }} - pe.period_start_ms, 0), pe.period_ms), 0), 0)
                end)
                - (case
                    when ends.start_day > ends.last_day then ends.total_ms
                    else coalesce(ps.office_ms_before + coalesce(least(greatest(
                        {{ spark__epoch_ms('ends.start_at') }} - ps.period_start_ms, 0), ps.period_ms), 0), 0)
                end)
            ) / 60000D
            else 0
        end as business_minutes
    from ends
    left join office_days as ps
        on ends.calendar_code = ps.calendar_code and ends.start_day = ps.calendar_date
    left join office_days as pe
        on ends.calendar_code = pe.calendar_code and ends.end_day = pe.calendar_date
{%- endmacro %}

{#- Seeds on Spark: dbt-spark (session) pastes each value between quotes without escaping
    them, so a value holding an apostrophe ("Director's office") breaks the INSERT. This
    project's override (dbt's macro dispatch looks in the root project first) writes every
    value as an escaped literal instead; the seeds are small, one INSERT each. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set sql -%}
        insert into {{ this.render() }} values
        {% for row in agate_table.rows -%}
            ({%- for value in row -%}
                {%- if value is none -%}
                    cast(null as {{ types[loop.index0] }})
                {%- else -%}
                    cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                {%- endif -%}
                {%- if not loop.last %}, {% endif -%}
            {%- endfor -%})
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    {%- endset -%}
    {%- if agate_table.rows | length > 0 -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- endif -%}
    {{ return(sql) }}
{% endmacro %}

{#- dbt.dateadd on Spark: wall-clock arithmetic on a TIMESTAMP_NTZ (a DATE becomes its
    midnight, as DuckDB's date + interval does); dbt-spark's own body goes through Unix
    seconds and gave NULL for most month starts here. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set months = {'month': 1, 'quarter': 3, 'year': 12} -%}
    {%- set days = {'day': 1, 'week': 7} -%}
    {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1} -%}
    {%- if datepart in months -%}
    (cast({{ from_date_or_timestamp }} as timestamp_ntz) + make_ym_interval(0, cast(({{ interval }}) * {{ months[datepart] }} as int)))
    {%- elif datepart in days -%}
    (cast({{ from_date_or_timestamp }} as timestamp_ntz) + make_dt_interval(cast(({{ interval }}) * {{ days[datepart] }} as int), 0, 0, 0))
    {%- elif datepart in seconds -%}
    (cast({{ from_date_or_timestamp }} as timestamp_ntz) + make_dt_interval(0, 0, 0, cast(({{ interval }}) * {{ seconds[datepart] }} as bigint)))
    {%- else -%}
    {{ exceptions.raise_compiler_error("dateadd on Spark: no datepart " ~ datepart) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__ordered_string_agg(value, order_by, separator, where=none) -%}
    {%- set collected -%}
        array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ value }}))
        {%- if where is not none %} filter (where {{ where }}){% endif %})
    {%- endset -%}
    (case when size({{ collected }}) > 0
        then array_join(transform({{ collected }}, x -> x.v), '{{ separator }}') end)
{%- endmacro %}

{#- dbt's unit tests cast each fixture value to the column's type as Spark's catalog names
    it; the catalog calls an instant column (TIMESTAMP_LTZ) `timestamp`, which in this
    project's SQL means TIMESTAMP_NTZ (spark.sql.timestampType) and would drop the offset
    of "2025-03-29 10:00:00+01". So a catalog `timestamp` is cast as timestamp_ltz; the rest
    as dbt-spark does. -#}
{% macro spark__safe_cast(field, type) -%}
    {%- set type = 'timestamp_ltz' if type | lower == 'timestamp' else type -%}
    {%- set nested = type.lower().startswith(('struct', 'array', 'map')) -%}
    cast({{ field.strip('"').strip("'") if (nested and field is string) else field }} as {{ type }})
{%- endmacro %}
