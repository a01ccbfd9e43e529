{#- Service-desk tickets, deduplicated (the latest load wins), as known at as_of. The SQL
    is the macro stg_service_desk__tickets_rows (macros/staging/staging_rows.sql), shared
    with incident_sla, which reads it for the tickets an incremental build recomputes. -#}
{{ stg_service_desk__tickets_rows() }}
