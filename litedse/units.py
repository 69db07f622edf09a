"""Unit conversions every layer uses, defined once."""

HOURS_PER_YEAR = 8760.0      # 365 days; the failure rates of the presets are per such year
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
