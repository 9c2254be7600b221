package store

import (
	"context"

	"roster/internal/model"
)

var auditQueries struct {
	Insert string `query:"insert-audit-event"`
}

func init() { loadQueries("audit.sql", &auditQueries) }

// InsertAuditEvent writes one audit event. Call it inside the transaction of
// the change it records, so the log never misses or invents a change.
func (s *Store) InsertAuditEvent(ctx context.Context, ev model.AuditEvent) error {
	_, err := s.exec(ctx, auditQueries.Insert,
		ev.ActorType, ev.ActorID, ev.ActorLabel, ev.Action, ev.OrganizationID, ev.UserID,
		ev.TargetType, ev.TargetID, ev.Changes, ev.IP, ev.UserAgent, ev.RequestID, ev.OccurredAt)
	return err
}
