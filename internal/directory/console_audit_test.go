package directory_test

import (
	"errors"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/directory"
)

func TestAuditLogQuery(t *testing.T) {
	f := newFixture(t)
	org, err := f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(24 * time.Hour) // 2026-03-02
	if _, err := f.dir.UpdateOrganization(f.ctx, org.ID, directory.OrganizationInput{DisplayName: ptr("Acme Corp")}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name    string
		q       directory.AuditQuery
		actions []string // newest first
		field   string   // the field with a problem, if any
	}{
		{"everything", directory.AuditQuery{}, []string{"organization.updated", "organization.created"}, ""},
		{"org", directory.AuditQuery{Org: " " + org.ID + " "}, []string{"organization.updated", "organization.created"}, ""},
		{"another org", directory.AuditQuery{Org: "org_other"}, nil, ""},
		{"action", directory.AuditQuery{Action: "organization.created"}, []string{"organization.created"}, ""},
		{"family, any case", directory.AuditQuery{Action: "Organization."}, []string{"organization.updated", "organization.created"}, ""},
		{"family of nothing", directory.AuditQuery{Action: "user."}, nil, ""},
		{"actor label", directory.AuditQuery{Actor: "roster"}, []string{"organization.updated", "organization.created"}, ""},
		{"first day only", directory.AuditQuery{From: "2026-03-01", To: "2026-03-01"}, []string{"organization.created"}, ""},
		{"from the second day", directory.AuditQuery{From: "2026-03-02"}, []string{"organization.updated"}, ""},
		{"bad action", directory.AuditQuery{Action: "organization.*"}, nil, "action"},
		{"bad action, two dots", directory.AuditQuery{Action: "organization.."}, nil, "action"},
		{"bad from", directory.AuditQuery{From: "03/01/2026"}, nil, "from"},
		{"bad to", directory.AuditQuery{To: "2026-13-01"}, nil, "to"},
		{"to before from", directory.AuditQuery{From: "2026-03-02", To: "2026-03-01"}, nil, "to"},
		{"bad page token", directory.AuditQuery{PageToken: "nope"}, nil, "page_token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			log, err := f.dir.AuditLog(f.ctx, tt.q)
			if tt.field != "" {
				if msg := apperr.FieldErrors(err)[tt.field]; msg == "" {
					t.Fatalf("err = %v, want a problem with %s", err, tt.field)
				}
				if len(log.Actions) != 2 {
					t.Errorf("a bad query lost the action choices: %v", log.Actions)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range log.Events {
				got = append(got, ev.Action)
			}
			if len(got) != len(tt.actions) || (len(got) > 0 && got[0] != tt.actions[0]) {
				t.Errorf("actions = %v, want %v", got, tt.actions)
			}
		})
	}

	log, err := f.dir.AuditLog(f.ctx, directory.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := f.dir.AuditEvent(f.ctx, log.Events[0].ID)
	if err != nil || ev.Changes["display_name"] == nil {
		t.Errorf("AuditEvent = %+v, %v", ev, err)
	}
	if _, err := f.dir.AuditEvent(f.ctx, "evt_missing"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a missing event: %v", err)
	}
}
