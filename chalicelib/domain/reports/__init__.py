"""Reports: what may be asked for, the lifecycle of a requested report, the digest's week, and
the cells a report's rows become."""
