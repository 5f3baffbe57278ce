"""The identity-synchronisation dialect (seeds 000-002): connected systems, run
profiles, synchronisation rules, activities and worker tasks over the run engine."""
