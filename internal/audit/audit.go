// Package audit records who changed what. The actor travels on the request's
// context from the HTTP layer (or the CLI) down to the service that writes
// the event inside its own transaction.
package audit

import (
	"context"

	"roster/internal/clock"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
)

type actorKey struct{}

// WithActor returns ctx carrying the actor of the changes made under it.
func WithActor(ctx context.Context, a model.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor on ctx, or the system when there is none
// (background jobs).
func ActorFrom(ctx context.Context) model.Actor {
	if a, ok := ctx.Value(actorKey{}).(model.Actor); ok {
		return a
	}
	return model.Actor{Type: "system", Label: "Roster"}
}

// Event describes one change. OrgID/UserID say whom it concerns, for filters.
type Event struct {
	Action     string // "organization.created", "membership.removed", …
	OrgID      string
	UserID     string
	TargetType string
	TargetID   string
	Changes    model.JSONObject

	// The names the event keeps, so it reads the same after they change or
	// go: the organization's display name, the user's email, the target's
	// name. Leave them empty unless the object is gone by the time Record
	// runs (deleted in the same transaction); Record reads them itself.
	OrgName, UserLabel, TargetLabel string
}

// targetNameField is, per target type with a name, the field of Changes
// that holds it when the event created or deleted the target.
var targetNameField = map[string]string{
	"role": "name", "permission": "name", "domain": "domain", "api_client": "name",
	"social_provider": "display_name", "admin_session": "email",
}

// Record writes ev with the actor on ctx, in tx. Names the caller did not
// give come from the event's own changes (what a deletion recorded), else
// from the tables, in tx.
func Record(ctx context.Context, tx *store.Store, clk clock.Clock, ev Event) error {
	a := ActorFrom(ctx)
	orgName, userLabel, targetLabel := ev.OrgName, ev.UserLabel, ev.TargetLabel
	if orgName == "" && ev.TargetType == "organization" {
		orgName = changedText(ev.Changes, "display_name")
	}
	if userLabel == "" && ev.TargetType == "user" {
		userLabel = changedText(ev.Changes, "email")
	}
	if field := targetNameField[ev.TargetType]; targetLabel == "" && field != "" {
		targetLabel = changedText(ev.Changes, field)
	}
	return tx.InsertAuditEvent(ctx, model.AuditEvent{
		OccurredAt:       clk.Now(),
		ActorType:        a.Type,
		ActorID:          nullable.String(a.ID),
		ActorLabel:       nullable.String(a.Label),
		Action:           ev.Action,
		OrganizationID:   nullable.String(ev.OrgID),
		OrganizationName: nullable.String(orgName),
		UserID:           nullable.String(ev.UserID),
		UserLabel:        nullable.String(userLabel),
		TargetType:       nullable.String(ev.TargetType),
		TargetID:         nullable.String(ev.TargetID),
		TargetLabel:      nullable.String(targetLabel),
		Changes:          ev.Changes,
		IP:               nullable.String(a.IP),
		UserAgent:        nullable.String(a.UserAgent),
		RequestID:        nullable.String(a.RequestID),
	})
}

// changedText is changes[field] when it is a string (not a from → to pair).
func changedText(changes model.JSONObject, field string) string {
	s, _ := changes[field].(string)
	return s
}
