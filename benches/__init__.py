"""Quality and latency benchmarks of keywise against peers (Presage, kebbie)."""
