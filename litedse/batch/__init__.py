"""Many solves: study files, Dask runs into a resumable Parquet store, and the study report."""
