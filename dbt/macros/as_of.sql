{#- "The warehouse as it was known at as_of" — applied once, in staging.

    A source row that happened after as_of (a ticket opened, an event logged, a call
    ended, a submission received, a publication ready after it) is not in staging at
    all: `where {{ known_at_as_of('col') }}`. A later timestamp on an earlier row (a
    submission forwarded or closed, a publication published, a project finished after
    as_of) has not happened yet: `{{ as_known('col') }}` is NULL then, and
    `{{ as_known_with('col', 'other') }}` blanks a column that only exists once `col`
    has happened (the responsible unit appears when the submission is forwarded).
    With the default as_of (the latest timestamp in the data) nothing is filtered. -#}

{% macro known_at_as_of(col) -%}
    ({{ col }} <= {{ as_of_local() }})
{%- endmacro %}

{% macro as_known(col) -%}
    case when {{ col }} <= {{ as_of_local() }} then {{ col }} end
{%- endmacro %}

{% macro as_known_with(col, value, otherwise='null') -%}
    case when {{ col }} <= {{ as_of_local() }} then {{ value }} else {{ otherwise }} end
{%- endmacro %}

{#- Post-hook of an incremental mart with an `as_of_at` column: the rows an incremental
    build kept were computed at an earlier as_of that changed none of their values, so
    only their stamp moves to this build's as_of (a no-op after a full build). -#}
{% macro stamp_as_of(relation) -%}
    update {{ relation }} set as_of_at = {{ as_of_local() }}
    where as_of_at is distinct from {{ as_of_local() }}
{%- endmacro %}
