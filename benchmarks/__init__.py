"""msgboxx benchmarks: ``make bench`` (or ``python -m benchmarks``) measures and reports."""
