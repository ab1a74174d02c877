package models

// CountUnitsSlowly exports the row count for tests that check the counters.
var CountUnitsSlowly = countUnitsSlowly
