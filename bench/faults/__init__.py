"""Helpers of bench/fault_matrix.py: the harness (CLI subprocesses, warehouse state hashes,
process-tree kills), a fault-injecting HTTP server on 127.0.0.1, and the case families."""
