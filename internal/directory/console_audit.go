package directory

import (
	"context"
	"iter"
	"regexp"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/model"
	"roster/internal/store"
)

// AuditQuery is the audit log's filter as a person typed it: every field
// optional, dates as YYYY-MM-DD (UTC days, both ends included).
type AuditQuery struct {
	Actor     string // an actor id, or part of an actor's label
	Org       string // organization id
	User      string // user id
	Action    string // "membership.created", or a prefix such as "membership."
	From, To  string
	PageToken string
}

// AuditLog is one page of the audit log.
type AuditLog struct {
	Events []model.AuditEvent
	Page   store.PageInfo
	// Actions are the actions the log holds, for the filter's choices.
	Actions []string
}

// actionPattern is an action or a prefix of whole words ending in a dot.
var actionPattern = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*\.?$`)

// AuditLog returns the page of the audit log q asks for, newest first. When
// q is invalid, the error carries a message per field and the result still
// holds Actions, so the filter form can be shown again with the errors.
func (s *Service) AuditLog(ctx context.Context, q AuditQuery) (AuditLog, error) {
	var out AuditLog
	actions, err := s.store.AuditActions(ctx)
	if err != nil {
		return out, err
	}
	out.Actions = actions

	f, err := q.filter(actions)
	if err != nil {
		return out, err
	}
	out.Events, out.Page, err = s.store.ListAuditEvents(ctx, f, store.PageRequest{Token: q.PageToken})
	return out, err
}

// AuditExport returns every entry of the audit log q matches (its page
// token aside), newest first, read batch by batch as the caller goes. An
// invalid q is an error, as from AuditLog, before any entry is read.
func (s *Service) AuditExport(ctx context.Context, q AuditQuery) (iter.Seq2[model.AuditEvent, error], error) {
	actions, err := s.store.AuditActions(ctx)
	if err != nil {
		return nil, err
	}
	f, err := q.filter(actions)
	if err != nil {
		return nil, err
	}
	return s.store.AuditEvents(ctx, f), nil
}

// AuditEvent returns one entry of the audit log.
func (s *Service) AuditEvent(ctx context.Context, id string) (model.AuditEvent, error) {
	return s.store.AuditEvent(ctx, strings.TrimSpace(id))
}

// filter checks q and turns it into the store's filter. A family of
// actions ("membership.") becomes the list of the log's actions in it.
func (q AuditQuery) filter(known []string) (store.AuditFilter, error) {
	var v apperr.Violations
	f := store.AuditFilter{
		Actor:  strings.TrimSpace(q.Actor),
		OrgID:  strings.TrimSpace(q.Org),
		UserID: strings.TrimSpace(q.User),
	}
	switch action := strings.ToLower(strings.TrimSpace(q.Action)); {
	case action == "":
	case !actionPattern.MatchString(action):
		v.Add("action", "must be an action such as membership.created, or a prefix such as membership.")
	case strings.HasSuffix(action, "."):
		f.Actions = []string{} // a family the log does not hold matches nothing
		for _, a := range known {
			if strings.HasPrefix(a, action) {
				f.Actions = append(f.Actions, a)
			}
		}
	default:
		f.Actions = []string{action}
	}
	from, fromOK := auditDay(&v, "from", q.From)
	to, toOK := auditDay(&v, "to", q.To)
	if fromOK && toOK && !from.IsZero() && !to.IsZero() && to.Before(from) {
		v.Add("to", "must not be before the from date")
	}
	f.From = from
	if !to.IsZero() {
		f.Until = to.AddDate(0, 0, 1) // the whole of the last day
	}
	return f, v.Err()
}

// auditDay parses an optional YYYY-MM-DD as midnight UTC.
func auditDay(v *apperr.Violations, field, s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.Add(field, "must be a date as YYYY-MM-DD, e.g. 2026-01-31")
		return time.Time{}, false
	}
	return t, true
}
