"""Lab checks: the results `academy-lab` reports from a trainee's lab machine, kept with the attempt."""
