"""Sweeps: many runs planned from one baseline (plan), kept in sweeps/ID.json (model, queue), run one after
another by one runner (runner), and the table that attributes energy, time, CO2 and accuracy to each technique."""
