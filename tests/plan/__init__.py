"""Tests of `sitegen.plan`: planning pages without a site (`test_planner`) and the completeness of
the dependencies the planner records for watch rebuilds (`test_dependencies`)."""
