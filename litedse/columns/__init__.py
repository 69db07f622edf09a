"""Instance -> Problem: the SKU table of a design space and the (SKU, mapping) columns of every
workload, evaluated by the technology and performance models and assembled into numpy arrays."""
