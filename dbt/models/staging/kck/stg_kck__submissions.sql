{#- KCK submissions (DK-03), deduplicated (the latest load wins), as known at as_of. The SQL
    is the macro stg_kck__submissions_rows (macros/staging/staging_rows.sql), shared with
    the submissions mart, which reads it for the submissions an incremental build
    recomputes. -#}
{{ stg_kck__submissions_rows() }}
