{#- KCK calls, deduplicated (the latest load wins), as known at as_of. The SQL is the
    macro stg_kck__calls_rows (macros/staging/staging_rows.sql), shared with
    int_calls_measured, which reads it for the calls of new loads only. -#}
{{ stg_kck__calls_rows() }}
