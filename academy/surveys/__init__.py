"""Pain-point surveys: rounds that score what hurts, results as the team's own sheet had them, the checklist."""
