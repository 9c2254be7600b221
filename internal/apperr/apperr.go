// Package apperr holds the typed errors that services return when a request
// cannot be served as asked. They carry a code from the management API's
// vocabulary and a message that is safe to show to the caller; the web layer
// turns them into HTTP responses in one place (web/errors.go), so no service
// and no store ever speaks HTTP.
//
// Build them with the constructors:
//
//	return apperr.NotFound("organization not found")
//	return apperr.Invalid(apperr.Field("email", "must be a valid email"))
//	return apperr.Conflict("that slug is taken").Wrap(err)
//
// and test for them with the standard library:
//
//	errors.Is(err, apperr.ErrNotFound)
//	var e *apperr.Error; errors.As(err, &e)
//
// A bare code is an error too, so a layer that has nothing to say to the user
// can wrap it: fmt.Errorf("organization %s: %w", id, apperr.ErrNotFound).
package apperr

import (
	"errors"
	"strings"
)

// Code is the kind of an error, spelled as the API's error_code. Each code is
// itself an error so it works as a sentinel for errors.Is.
type Code string

func (c Code) Error() string { return strings.ToLower(strings.ReplaceAll(string(c), "_", " ")) }

// The codes services use. The HTTP status of each lives in web/errors.go.
const (
	ErrInvalid            Code = "INVALID_ARGUMENT"    // the input is wrong; see the field violations
	ErrNotFound           Code = "NOT_FOUND"           // the object does not exist or is not visible to the caller
	ErrConflict           Code = "ALREADY_EXISTS"      // a unique value is taken
	ErrForbidden          Code = "PERMISSION_DENIED"   // the caller is known but may not do this
	ErrUnauthenticated    Code = "UNAUTHENTICATED"     // the caller is not signed in or the credentials are bad
	ErrFailedPrecondition Code = "FAILED_PRECONDITION" // the object is in the wrong state (e.g. invite already accepted)
)

// FieldViolation names one input field and what is wrong with it.
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// Field builds a FieldViolation; Description reads as a phrase after the
// field's name ("must be a valid email").
func Field(field, description string) FieldViolation {
	return FieldViolation{Field: field, Description: description}
}

// Error is an error a service returns on purpose.
type Error struct {
	Code Code
	// Message is shown to the caller as is: no internal detail.
	Message string
	// Violations lists bad fields; only ErrInvalid has them.
	Violations []FieldViolation
	// Reason names one refusal among those of its code, stable for API
	// callers to act on (e.g. LAST_ADMIN); "" when the code says enough.
	Reason string
	// Err is the underlying cause. It is logged, never shown.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.Error()
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap gives errors.Is/As access to the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, apperr.ErrNotFound) true for an *Error of that code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Wrap records the cause of e and returns e, so constructors chain:
// apperr.Conflict("that slug is taken").Wrap(err).
func (e *Error) Wrap(cause error) *Error {
	e.Err = cause
	return e
}

// Because sets the stable reason of e and returns e:
// apperr.FailedPrecondition("…").Because("LAST_ADMIN").
func (e *Error) Because(reason string) *Error {
	e.Reason = reason
	return e
}

// NotFound says the object does not exist (or the caller may not know it does).
func NotFound(message string) *Error { return &Error{Code: ErrNotFound, Message: message} }

// Conflict says a value that must be unique is taken.
func Conflict(message string) *Error { return &Error{Code: ErrConflict, Message: message} }

// Forbidden says the caller may not do this.
func Forbidden(message string) *Error { return &Error{Code: ErrForbidden, Message: message} }

// Unauthenticated says the caller must sign in or present valid credentials.
func Unauthenticated(message string) *Error {
	return &Error{Code: ErrUnauthenticated, Message: message}
}

// FailedPrecondition says the object is not in a state that allows this.
func FailedPrecondition(message string) *Error {
	return &Error{Code: ErrFailedPrecondition, Message: message}
}

// Invalid says some input fields are wrong. The message names them, so an API
// caller that reads only "message" still learns what to fix.
func Invalid(violations ...FieldViolation) *Error {
	return &Error{Code: ErrInvalid, Message: invalidMessage(violations), Violations: violations}
}

func invalidMessage(vs []FieldViolation) string {
	switch len(vs) {
	case 0:
		return "the request is invalid"
	case 1:
		return vs[0].Field + ": " + vs[0].Description
	}
	fields := make([]string, len(vs))
	for i, v := range vs {
		fields[i] = v.Field
	}
	return "invalid fields: " + strings.Join(fields, ", ")
}

// Violations collects field problems while a service checks its input:
//
//	var v apperr.Violations
//	if name == "" { v.Add("display_name", "is required") }
//	if err := v.Err(); err != nil { return err }
type Violations []FieldViolation

// Add records one problem.
func (v *Violations) Add(field, description string) { *v = append(*v, Field(field, description)) }

// Err returns an ErrInvalid error with every problem, or nil when there is none.
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	return Invalid(v...)
}

// FieldErrors returns the first description per field of an ErrInvalid error
// in err's chain, for a form that shows each message beside its field. It is
// nil when err carries no violations.
func FieldErrors(err error) map[string]string {
	var e *Error
	if !errors.As(err, &e) || len(e.Violations) == 0 {
		return nil
	}
	m := make(map[string]string, len(e.Violations))
	for _, v := range e.Violations {
		if _, seen := m[v.Field]; !seen {
			m[v.Field] = v.Description
		}
	}
	return m
}
