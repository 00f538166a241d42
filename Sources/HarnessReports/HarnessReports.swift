// HarnessReports module
