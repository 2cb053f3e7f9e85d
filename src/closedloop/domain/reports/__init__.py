"""Reports' read model: case facts, measured steps and period totals (pure)."""
