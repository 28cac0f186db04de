package validate

import (
	"errors"
	"fmt"
	"math"
)

// Config holds the thresholds of the rules, which a tenant may set. A zero
// value means "use the default"; WithDefaults fills them in.
type Config struct {
	// MinHourlyRate is the minimum gross hourly wage in EUR; a lower
	// hourly_rate gives contract.rate_below_minimum. Default 12.02 (SMIC 2026).
	MinHourlyRate float64 `json:"min_hourly_rate"`
	// MaxContractWeeklyHours is the most weekly_hours a contract may state.
	// Default 48.
	MaxContractWeeklyHours float64 `json:"max_contract_weekly_hours"`
	// MaxDurationMonths is the longest assignment in calendar months.
	// Default 18.
	MaxDurationMonths int `json:"max_duration_months"`
	// MaxDailyHours is the most hours a timesheet may count on one day.
	// Default 10.
	MaxDailyHours float64 `json:"max_daily_hours"`
	// MaxWeeklyHours is the most hours a timesheet may count in one ISO
	// week. Default 48.
	MaxWeeklyHours float64 `json:"max_weekly_hours"`
	// TotalTolerance is how far total_hours may be from the sum of the
	// entries. Default 0.01.
	TotalTolerance float64 `json:"total_tolerance"`
	// LowConfidence is the extraction confidence under which a required
	// field gives document.low_confidence. Default 0.5.
	LowConfidence float64 `json:"low_confidence"`
}

// DefaultConfig returns the spec's thresholds.
func DefaultConfig() Config {
	return Config{
		MinHourlyRate:          12.02,
		MaxContractWeeklyHours: 48,
		MaxDurationMonths:      18,
		MaxDailyHours:          10,
		MaxWeeklyHours:         48,
		TotalTolerance:         0.01,
		LowConfidence:          0.5,
	}
}

// WithDefaults returns c with every zero threshold set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	setIfZero(&c.MinHourlyRate, d.MinHourlyRate)
	setIfZero(&c.MaxContractWeeklyHours, d.MaxContractWeeklyHours)
	setIfZero(&c.MaxDurationMonths, d.MaxDurationMonths)
	setIfZero(&c.MaxDailyHours, d.MaxDailyHours)
	setIfZero(&c.MaxWeeklyHours, d.MaxWeeklyHours)
	setIfZero(&c.TotalTolerance, d.TotalTolerance)
	setIfZero(&c.LowConfidence, d.LowConfidence)
	return c
}

func setIfZero[T int | float64](p *T, def T) {
	if *p == 0 {
		*p = def
	}
}

// Validate checks every threshold and returns all the problems found, one
// plain sentence each, joined. Call it after WithDefaults: it refuses zeros.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(inRange(c.MinHourlyRate, 0, 1000), "min_hourly_rate must be above 0 and at most 1000 EUR, got %v", c.MinHourlyRate)
	check(inRange(c.MaxContractWeeklyHours, 0, 168), "max_contract_weekly_hours must be above 0 and at most 168, got %v", c.MaxContractWeeklyHours)
	check(c.MaxDurationMonths > 0 && c.MaxDurationMonths <= 1200, "max_duration_months must be between 1 and 1200, got %d", c.MaxDurationMonths)
	check(inRange(c.MaxDailyHours, 0, 24), "max_daily_hours must be above 0 and at most 24, got %v", c.MaxDailyHours)
	check(inRange(c.MaxWeeklyHours, 0, 168), "max_weekly_hours must be above 0 and at most 168, got %v", c.MaxWeeklyHours)
	check(inRange(c.TotalTolerance, 0, 24), "total_tolerance must be above 0 and at most 24 hours, got %v", c.TotalTolerance)
	check(inRange(c.LowConfidence, 0, 1), "low_confidence must be above 0 and at most 1, got %v", c.LowConfidence)
	return errors.Join(errs...)
}

// inRange reports whether lo < f <= hi, refusing NaN.
func inRange(f, lo, hi float64) bool {
	return !math.IsNaN(f) && f > lo && f <= hi
}
