DROP TABLE working_hours;
