package store

import (
	"context"
	"iter"
	"time"

	"github.com/lib/pq"

	"roster/internal/model"
)

var auditQueries struct {
	Insert    string `query:"insert-audit-event"`
	Get       string `query:"get-audit-event"`
	ListOlder string `query:"list-audit-events-older"`
	ListNewer string `query:"list-audit-events-newer"`
	Actions   string `query:"audit-actions"`
}

func init() { loadQueries("audit.sql", &auditQueries) }

// InsertAuditEvent writes one audit event. Call it inside the transaction of
// the change it records, so the log never misses or invents a change.
// Labels left nil are looked up in the same statement: the organization's
// display name, the user's email, and the name of a target that has one.
func (s *Store) InsertAuditEvent(ctx context.Context, ev model.AuditEvent) error {
	_, err := s.exec(ctx, auditQueries.Insert,
		ev.ActorType, ev.ActorID, ev.ActorLabel, ev.Action, ev.OrganizationID, ev.UserID,
		ev.TargetType, ev.TargetID, ev.Changes, ev.IP, ev.UserAgent, ev.RequestID, ev.OccurredAt,
		ev.OrganizationName, ev.UserLabel, ev.TargetLabel)
	return err
}

// AuditFilter narrows the audit log. Zero fields match everything.
type AuditFilter struct {
	// Actor is an actor's id, or part of an actor's label (an email, a
	// client's name), matched case-insensitively.
	Actor  string
	OrgID  string
	UserID string
	// Actions matches any of these actions; nil matches every action, an
	// empty list none. A list of exact names, not a pattern, so that a rare
	// action is found through its index instead of by reading the log.
	Actions []string
	// From and Until bound occurred_at: From included, Until not.
	From, Until time.Time
}

// AuditEvent returns one event by id.
func (s *Store) AuditEvent(ctx context.Context, id string) (model.AuditEvent, error) {
	var ev model.AuditEvent
	return ev, found(s.get(ctx, &ev, auditQueries.Get, id), "audit event")
}

// ListAuditEvents returns one keyset page of the events f matches, newest
// first, on (occurred_at, id). There is no total: a filtered log can be
// millions of rows, and counting them would cost more than the page.
func (s *Store) ListAuditEvents(ctx context.Context, f AuditFilter, page PageRequest) ([]model.AuditEvent, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	q := auditQueries.ListOlder
	var at *time.Time // nil: the first page, from the newest event
	var afterID string
	if cur != nil {
		at, afterID = &cur.CreatedAt, cur.ID
		if cur.Backward {
			q = auditQueries.ListNewer
		}
	}
	rows, err := s.auditEvents(ctx, q, f, at, afterID, size+1)
	if err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(ev model.AuditEvent) (time.Time, string) { return ev.OccurredAt, ev.ID })
	return rows, info, nil
}

// auditExportBatch is how many events AuditEvents reads per query.
const auditExportBatch = 500

// AuditEvents yields every event f matches, newest first, in keyset order
// like ListAuditEvents: batch by batch, each a short query continuing from
// the last event of the one before, so a long export holds no transaction
// or cursor open while the client reads. Events written during the export
// are newer than where it is, and not in it. The first error ends it.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) iter.Seq2[model.AuditEvent, error] {
	return func(yield func(model.AuditEvent, error) bool) {
		var at *time.Time
		var afterID string
		for {
			rows, err := s.auditEvents(ctx, auditQueries.ListOlder, f, at, afterID, auditExportBatch)
			if err != nil {
				yield(model.AuditEvent{}, err)
				return
			}
			for _, ev := range rows {
				if !yield(ev, nil) {
					return
				}
			}
			if len(rows) < auditExportBatch {
				return
			}
			last := rows[len(rows)-1]
			at, afterID = &last.OccurredAt, last.ID
		}
	}
}

// auditEvents runs one of the list queries from the position (at, afterID).
func (s *Store) auditEvents(ctx context.Context, query string, f AuditFilter, at *time.Time, afterID string, limit int) ([]model.AuditEvent, error) {
	var actions any // NULL: any action
	if f.Actions != nil {
		actions = pq.Array(f.Actions)
	}
	var rows []model.AuditEvent
	return rows, s.selectAll(ctx, &rows, query, f.Actor, likeEscape(f.Actor), f.OrgID, f.UserID, actions,
		nullTime(f.From), nullTime(f.Until), at, afterID, limit)
}

// AuditActions lists every distinct action in the log, sorted.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var out []string
	return out, s.selectAll(ctx, &out, auditQueries.Actions)
}

// nullTime is NULL for the zero time, so a missing bound drops out of a query.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
