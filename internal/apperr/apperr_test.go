package apperr_test

import (
	"errors"
	"fmt"
	"testing"

	"roster/internal/apperr"
)

func TestIsAndAs(t *testing.T) {
	cause := errors.New("pq: duplicate key")
	tests := []struct {
		name string
		err  error
		code apperr.Code
	}{
		{"not found", apperr.NotFound("organization not found"), apperr.ErrNotFound},
		{"conflict wrapping a cause", apperr.Conflict("slug is taken").Wrap(cause), apperr.ErrConflict},
		{"forbidden", apperr.Forbidden("no"), apperr.ErrForbidden},
		{"unauthenticated", apperr.Unauthenticated("sign in"), apperr.ErrUnauthenticated},
		{"failed precondition", apperr.FailedPrecondition("already active"), apperr.ErrFailedPrecondition},
		{"invalid", apperr.Invalid(apperr.Field("email", "must be a valid email")), apperr.ErrInvalid},
		{"wrapped with %w", fmt.Errorf("create org: %w", apperr.NotFound("x")), apperr.ErrNotFound},
		{"bare code wrapped", fmt.Errorf("org org_1: %w", apperr.ErrNotFound), apperr.ErrNotFound},
	}
	all := []apperr.Code{apperr.ErrInvalid, apperr.ErrNotFound, apperr.ErrConflict, apperr.ErrForbidden,
		apperr.ErrUnauthenticated, apperr.ErrFailedPrecondition}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range all {
				if got := errors.Is(tt.err, c); got != (c == tt.code) {
					t.Errorf("errors.Is(%v, %s) = %v", tt.err, c, got)
				}
			}
		})
	}

	err := fmt.Errorf("outer: %w", apperr.Conflict("slug is taken").Wrap(cause))
	var e *apperr.Error
	if !errors.As(err, &e) || e.Message != "slug is taken" {
		t.Fatalf("errors.As = %v, %+v", errors.As(err, &e), e)
	}
	if !errors.Is(err, cause) {
		t.Error("the cause is not reachable through errors.Is")
	}
	if got := e.Error(); got != "slug is taken: pq: duplicate key" {
		t.Errorf("Error() = %q", got)
	}
}

func TestViolations(t *testing.T) {
	var v apperr.Violations
	if v.Err() != nil {
		t.Fatal("no violations must give a nil error")
	}
	v.Add("email", "must be a valid email")
	v.Add("email", "is too long")
	v.Add("display_name", "is required")
	err := v.Err()
	if !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("got %v", err)
	}
	if got := err.Error(); got != "invalid fields: email, email, display_name" {
		t.Errorf("message = %q", got)
	}
	fe := apperr.FieldErrors(fmt.Errorf("wrapped: %w", err))
	if fe["email"] != "must be a valid email" || fe["display_name"] != "is required" || len(fe) != 2 {
		t.Errorf("FieldErrors = %v", fe)
	}
	if apperr.FieldErrors(apperr.NotFound("x")) != nil {
		t.Error("FieldErrors of a non-validation error must be nil")
	}
	if got := apperr.Invalid(apperr.Field("email", "is required")).Message; got != "email: is required" {
		t.Errorf("single violation message = %q", got)
	}
}

func TestBecauseNamesTheReason(t *testing.T) {
	err := fmt.Errorf("remove: %w", apperr.FailedPrecondition("the last admin").Because("LAST_ADMIN"))
	var e *apperr.Error
	if !errors.As(err, &e) || e.Reason != "LAST_ADMIN" || !errors.Is(err, apperr.ErrFailedPrecondition) || e.Message != "the last admin" {
		t.Errorf("%#v", e)
	}
}
