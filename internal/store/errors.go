package store

import (
	"errors"

	"github.com/lib/pq"

	"roster/internal/apperr"
)

func notFound(what string) error { return apperr.NotFound(what + " not found") }

// constraintMessages says, for each unique constraint, which field is taken,
// so a conflict names the field the caller must change.
var constraintMessages = map[string]apperr.FieldViolation{
	"organizations_slug_key":                  apperr.Field("slug", "is already used by another organization"),
	"organizations_external_id_key":           apperr.Field("external_id", "is already used by another organization"),
	"users_email_key":                         apperr.Field("email", "is already used by another user"),
	"users_external_id_key":                   apperr.Field("external_id", "is already used by another user"),
	"roles_environment_name":                  apperr.Field("name", "is already used by another role"),
	"roles_organization_name":                 apperr.Field("name", "is already used by another role of this organization"),
	"permissions_name_key":                    apperr.Field("name", "is already used by another permission"),
	"organization_domains_domain":             apperr.Field("domain", "is already claimed by an organization"),
	"memberships_user_id_organization_id_key": apperr.Field("user_id", "is already a member of this organization"),
	"social_providers_pkey":                   apperr.Field("id", "is already used by another social provider"),
}

// mapError turns PostgreSQL's constraint errors into typed errors. Services
// validate first; this is the net for races (two requests creating the same
// email at once) and for anything a service missed.
func mapError(err error) error {
	var pqErr *pq.Error
	if err == nil || !errors.As(err, &pqErr) {
		return err
	}
	switch pqErr.Code {
	case "23505": // unique_violation
		if v, ok := constraintMessages[pqErr.Constraint]; ok {
			e := apperr.Conflict(v.Field + " " + v.Description).Wrap(err)
			e.Violations = []apperr.FieldViolation{v}
			return e
		}
		return apperr.Conflict("that object already exists").Wrap(err)
	case "23503": // foreign_key_violation
		return apperr.FailedPrecondition("the object refers to something that does not exist or is still in use").Wrap(err)
	case "23514", "22001", "22P02", "23502": // check, string too long, bad text representation, not null
		return apperr.Invalid(apperr.Field(fieldOf(pqErr), "is not valid")).Wrap(err)
	case "40001", "40P01": // serialization failure, deadlock: the caller may retry
		return err
	}
	return err
}

func fieldOf(e *pq.Error) string {
	if e.Column != "" {
		return e.Column
	}
	return "request"
}
