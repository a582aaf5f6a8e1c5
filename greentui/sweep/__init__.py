"""Sweeps: many runs planned from one baseline, queued one after another, and the table that attributes energy, time, CO2 and accuracy to each technique."""
