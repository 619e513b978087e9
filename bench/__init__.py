"""Load generators and benchmarks that print figures."""
