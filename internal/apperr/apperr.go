// Package apperr defines the small set of coded errors that every layer of
// multicert returns to say why a request cannot be served. The HTTP layer maps
// each code to a status and a page in exactly one place; the message is
// written for the person in front of the screen, in Traditional Chinese.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for the HTTP layer.
type Code string

const (
	NotFound     Code = "not_found"    // the object does not exist or is not yours
	Forbidden    Code = "forbidden"    // you may not do this
	Unauthorized Code = "unauthorized" // you are not logged in or the session expired
	Invalid      Code = "invalid"      // input is wrong; the message says what
	Conflict     Code = "conflict"     // someone else changed the object first
	Locked       Code = "locked"       // too many failed attempts
	TooLarge     Code = "too_large"    // an upload over its size limit
	Internal     Code = "internal"     // a bug or an outage; details are logged, not shown
)

// Error is a coded error with a message fit for the user.
type Error struct {
	Code    Code
	Message string
	// Fields holds per-field messages for form validation (field name → message).
	Fields map[string]string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// New returns a coded error with a user-facing message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Newf is New with formatting.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an Invalid error for form fields; fields maps a form field to its message.
func InvalidFields(msg string, fields map[string]string) *Error {
	return &Error{Code: Invalid, Message: msg, Fields: fields}
}

// CodeOf returns the code of err, or Internal when err carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the coded error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
