"""The framework's ceiling: one Django view, no middleware, served like the platform (bench/run.sh)."""
