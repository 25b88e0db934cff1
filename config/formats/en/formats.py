"""English dates as this product has always written them ("2 Dec 2026", "2 Dec 2026, 14:30",
"2 Dec"); other languages take Django's formats for their locale (Korean: "2026년 12월 2일")."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
SHORT_DATETIME_FORMAT = "j M, H:i"
