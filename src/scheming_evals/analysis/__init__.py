"""Analysis of Inspect logs: statistics, the tidy table, the paper's tables, the dissection."""
