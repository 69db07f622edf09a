"""What a solve means to a reader: the JSON documents, metrics and breakdowns, the design-class
comparison, Pareto fronts of instances, tables, plots and the report."""
