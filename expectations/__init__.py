"""Great Expectations suites on raw and marts, and the runner behind `cityops check`."""
