"""llm-ledger: fetch -> raw -> parse -> normalize -> reconcile -> load -> export."""
