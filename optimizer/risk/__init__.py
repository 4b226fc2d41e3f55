"""Disruption risk: two-stage stochastic sourcing with CVaR, time-to-survive, mpi-sppy."""
