DROP TABLE timesheet_entries;
DROP TABLE timesheets;
DROP TABLE contracts;
