//! Sweep results: the table, the Pareto frontier and the sweep report.
