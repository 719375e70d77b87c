"""Meta-datasets: the container (learning curves, fit times), ASlib scenarios, the sources of tables and the resumable builder."""
