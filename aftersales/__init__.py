"""After-sales: products, purchases, tip series, segments, surveys, lapsed buyers."""
