//! UTC calendar dates of Unix times, in the proleptic Gregorian calendar,
//! without a time-zone database: zip entry times and the day and hour
//! buckets of a data-package analysis need nothing more.

/// A Unix time broken into its UTC date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcDateTime {
    pub fn from_unix(seconds: i64) -> UtcDateTime {
        let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
        let second_of_day = seconds.rem_euclid(86_400) as u32;
        UtcDateTime {
            year,
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z; None for an impossible date.
    pub fn to_unix(self) -> Option<i64> {
        let days_in_month = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap_year(self.year) => 29,
            2 => 28,
            _ => return None,
        };
        if self.day == 0 || self.day > days_in_month || self.hour > 23 || self.minute > 59 || self.second > 60 {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        Some(days * 86_400 + i64::from(self.hour * 3600 + self.minute * 60 + self.second))
    }

    /// "YYYY-MM-DD".
    pub fn date_string(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// (year, month 1-12, day 1-31) of a day counted from 1970-01-01
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        let leap = UtcDateTime::from_unix(951_782_400);
        assert_eq!((leap.year, leap.month, leap.day, leap.hour), (2000, 2, 29, 0));
        let time = UtcDateTime::from_unix(1_772_372_262);
        assert_eq!((time.year, time.month, time.day, time.hour, time.minute, time.second), (2026, 3, 1, 13, 37, 42));
        assert_eq!(time.date_string(), "2026-03-01");
        let before = UtcDateTime::from_unix(-1);
        assert_eq!((before.year, before.month, before.day, before.second), (1969, 12, 31, 59));
        assert_eq!(UtcDateTime { month: 2, day: 29, ..leap }.to_unix(), Some(951_782_400));
        assert_eq!(UtcDateTime { year: 2001, month: 2, day: 29, ..leap }.to_unix(), None);
        assert_eq!(UtcDateTime { month: 13, ..leap }.to_unix(), None);
    }

    proptest! {
        #[test]
        fn round_trips(seconds in -100_000_000_000i64..100_000_000_000) {
            prop_assert_eq!(UtcDateTime::from_unix(seconds).to_unix(), Some(seconds));
        }
    }
}
