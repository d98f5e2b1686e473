// Package setting names a bad setting by its key. Library code reports the
// key a user can find in config.yaml (optimizer.lr, training.schedule.name)
// or, for an option that only a stage has, its name in that stage's JSON
// (overfit_batch); each command maps keys to its own flags, so that the
// libraries never need to know a command line.
package setting

import (
	"errors"
	"fmt"
)

// Error is a bad value of the setting Key; Msg says what is wrong with it
// ("must be > 0, got -1").
type Error struct {
	Key string
	Msg string
}

func (e *Error) Error() string { return e.Key + " " + e.Msg }

// Errorf returns an *Error for key with a formatted message.
func Errorf(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Prefix puts prefix before the key of every *Error in err (a single error
// or a tree built by errors.Join), for a section that validates its own
// keys ("lr") inside a larger config ("optimizer.").
func Prefix(prefix string, err error) error {
	return Map(err, func(e *Error) error { return &Error{Key: prefix + e.Key, Msg: e.Msg} })
}

// Map rewrites every *Error in err (a single error or a tree built by
// errors.Join) with f, and leaves other errors as they are.
func Map(err error, f func(*Error) error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return f(e)
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Map(e, f))
		}
		return errors.Join(out...)
	}
	return err
}
