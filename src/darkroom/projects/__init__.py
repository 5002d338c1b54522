"""The project lifecycle: the only code that writes project rows and credit ledger entries."""
