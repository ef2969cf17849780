"""Dashboards and reports (统计看板与《企业服务动态》): what staff look at rather than read.

* `scope`: whose numbers a dashboard or report shows (the city, a district, a department),
  decided from a staff member or an organisation in one place.
* `periods`: calendar quarters and "the period before", shared by every comparison.
* `appeal_summary` / `delivery_summary` / `refresh`: daily summary tables over appeals and
  push deliveries, refreshed incrementally by a job, so a year of a large city's data
  aggregates in well under a second.
* `figures`: the period's headline figures, one function the dashboard and the quarterly
  report both read, so the two always agree.
* `dashboard`, `league`, `report_content`, `report_files`, `reports`: the admin home
  dashboard, the league table with changes since the last period, and the quarterly report
  (HTML, PDF, XLSX) generated on a schedule and on demand.
* `synthetic`: a year of synthetic data for trying all of this at scale.
"""
