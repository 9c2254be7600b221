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
}

// Record writes ev with the actor on ctx, in tx.
func Record(ctx context.Context, tx *store.Store, clk clock.Clock, ev Event) error {
	a := ActorFrom(ctx)
	return tx.InsertAuditEvent(ctx, model.AuditEvent{
		OccurredAt:     clk.Now(),
		ActorType:      a.Type,
		ActorID:        nullable.String(a.ID),
		ActorLabel:     nullable.String(a.Label),
		Action:         ev.Action,
		OrganizationID: nullable.String(ev.OrgID),
		UserID:         nullable.String(ev.UserID),
		TargetType:     nullable.String(ev.TargetType),
		TargetID:       nullable.String(ev.TargetID),
		Changes:        ev.Changes,
		IP:             nullable.String(a.IP),
		UserAgent:      nullable.String(a.UserAgent),
		RequestID:      nullable.String(a.RequestID),
	})
}
