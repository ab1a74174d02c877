package models

import "time"

// attempts is the failed-login counter and lock of one credential (a staff
// password, a unit account's password, an NHI card registration).
type attempts struct {
	failed      *int
	lockedUntil **time.Time
}

// locked returns the lock error while the credential is locked; once the
// lock has run out it starts counting afresh.
func (a attempts) locked(now time.Time) error {
	if *a.lockedUntil == nil {
		return nil
	}
	if now.Before(**a.lockedUntil) {
		return lockedError(**a.lockedUntil)
	}
	*a.failed, *a.lockedUntil = 0, nil
	return nil
}

// fail counts a failure and locks at MaxFailedLogins; it returns the lock
// error when this failure locked the credential.
func (a attempts) fail(now time.Time) error {
	*a.failed++
	if *a.failed < MaxFailedLogins {
		return nil
	}
	until := now.Add(LockoutDuration)
	*a.lockedUntil = &until
	return lockedError(until)
}

// reset clears the counter after a success.
func (a attempts) reset() { *a.failed, *a.lockedUntil = 0, nil }
