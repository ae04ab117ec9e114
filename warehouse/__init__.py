"""The DuckDB warehouse: schema, connection and lock, versioned (SCD2) load, analyst views."""
