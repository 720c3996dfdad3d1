//! Trace files in Parquet: read with polars, handed to `workloads::trace` as rows.
