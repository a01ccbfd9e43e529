{#- Publication requests, deduplicated (the latest load wins), as known at as_of. The SQL
    is the macro stg_publications__publications_rows (macros/staging/staging_rows.sql),
    shared with the publications mart, which reads it for the requests of new loads. -#}
{{ stg_publications__publications_rows() }}
