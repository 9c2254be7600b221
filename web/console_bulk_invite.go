package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/invitations"
	"roster/views"
	"roster/views/pages/orgs"
)

// Inviting many people to an organization from the console: a list typed
// or uploaded, a preview of what happens to each address (nothing is
// written), then the confirmation that sends, and what it did.

type bulkInviteHandler struct {
	dir *directory.Service
	inv *invitations.Service
}

// Routes registers the bulk invite pages. The preview is a POST (it takes
// a file) and so, like sending, is refused to viewers.
func (h bulkInviteHandler) Routes(g *echo.Group) {
	g.GET("/organizations/:org/invitations/bulk", h.form)
	g.POST("/organizations/:org/invitations/bulk", h.preview)
	g.POST("/organizations/:org/invitations/bulk/edit", h.edit)
	g.POST("/organizations/:org/invitations/bulk/confirm", h.confirm)
}

func (h bulkInviteHandler) form(c echo.Context) error {
	return h.renderForm(c, http.StatusOK, orgs.BulkInviteForm{})
}

// edit goes back from the preview to the form, with the list as it was.
func (h bulkInviteHandler) edit(c echo.Context) error {
	return h.renderForm(c, http.StatusOK, orgs.BulkInviteForm{List: c.FormValue("addresses"), Role: c.FormValue("role")})
}

func (h bulkInviteHandler) renderForm(c echo.Context, status int, f orgs.BulkInviteForm) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	roles, err := h.dir.ListOrgRoles(ctx, o.ID)
	if err != nil {
		return err
	}
	def, err := h.dir.OrgDefaultMemberRole(ctx, o.ID)
	if err != nil && !errors.Is(err, apperr.ErrFailedPrecondition) {
		return err
	}
	f.Org, f.Default, f.Max = orgRef(o), def.Name, invitations.MaxBulk
	for _, r := range roles {
		f.Roles = append(f.Roles, orgs.Option{Value: r.Name, Label: orgRoleLabel(r)})
	}
	return render(c, status, orgs.BulkInvite(newPage(c, "Invite many · "+o.DisplayName, views.NavOrganizations), f))
}

// preview reads the list (typed or a CSV file) and shows what sending it
// would do, writing nothing: the invitations are sent and rolled back, so a
// row the send would refuse shows failing here.
func (h bulkInviteHandler) preview(c echo.Context) error {
	f := orgs.BulkInviteForm{List: c.FormValue("addresses"), Role: c.FormValue("role")}
	rows, err := bulkRows(c, f.List)
	var plan invitations.BulkPlan
	if err == nil {
		plan, err = h.inv.PlanBulk(c.Request().Context(), c.Param("org"), adminFrom(c).Email, rows, f.Role)
	}
	if status, ok := orgFormFailure(err, &f.Errors, &f.Problem, "addresses", "file", "role"); ok {
		return h.renderForm(c, status, f)
	}
	if err != nil {
		return err
	}
	return h.renderResult(c, plan, f.Role, false)
}

// confirm sends what the preview showed, planned again, since things may
// have changed in between.
func (h bulkInviteHandler) confirm(c echo.Context) error {
	f := orgs.BulkInviteForm{List: c.FormValue("addresses"), Role: c.FormValue("role")}
	rows, err := invitations.ParseList(f.List)
	var plan invitations.BulkPlan
	if err == nil {
		plan, err = h.inv.SendBulk(c.Request().Context(), c.Param("org"), adminFrom(c).Email, rows, f.Role)
	}
	if status, ok := orgFormFailure(err, &f.Errors, &f.Problem, "addresses", "role"); ok {
		return h.renderForm(c, status, f)
	}
	if err != nil {
		return err
	}
	return h.renderResult(c, plan, f.Role, true)
}

// bulkRows parses the uploaded file if there is one, else the typed list.
func bulkRows(c echo.Context, typed string) ([]invitations.BulkRow, error) {
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		return invitations.ParseList(typed)
	}
	if strings.TrimSpace(typed) != "" {
		return nil, apperr.Invalid(apperr.Field("file", "give either a file or a typed list, not both"))
	}
	file, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return invitations.ParseCSV(file)
}

func (h bulkInviteHandler) renderResult(c echo.Context, plan invitations.BulkPlan, role string, done bool) error {
	o, err := h.dir.Organization(c.Request().Context(), c.Param("org"))
	if err != nil {
		return err
	}
	d := orgs.BulkInviteResult{Org: orgRef(o), Done: done, Role: role, List: invitations.FormatList(plan.Rows)}
	for _, r := range plan.Rows {
		row := orgs.BulkInviteRow{Line: r.Line, Email: r.Email, Roles: strings.Join(r.RoleNames, ", "), Outcome: string(r.Outcome), Reason: r.Reason}
		row.Label, row.Tone = bulkOutcomeWords(r, done)
		if r.Outcome.Sends() && !r.Failed {
			d.Sending++
		} else {
			d.Skipped++
		}
		d.Rows = append(d.Rows, row)
	}
	d.Summary = bulkSummary(plan, done)
	title := "Check the invitations"
	if done {
		d.Title = bulkDoneTitle(plan)
		title = d.Title
	}
	return render(c, http.StatusOK, orgs.BulkInviteReview(newPage(c, title+" · "+o.DisplayName, views.NavOrganizations), d))
}

// bulkDoneTitle says how many of the list's addresses got their mail:
// "3 invitations sent", "2 of 3 sent", "No invitations sent".
func bulkDoneTitle(plan invitations.BulkPlan) string {
	sent := 0
	for _, r := range plan.Rows {
		if r.Sent {
			sent++
		}
	}
	switch {
	case sent == 0:
		return "No invitations sent"
	case sent == len(plan.Rows):
		return orgPlural(sent, "invitation", "invitations") + " sent"
	}
	return fmt.Sprintf("%d of %d sent", sent, len(plan.Rows))
}

// bulkOutcomeWords says what happens (or happened) to one address.
func bulkOutcomeWords(r invitations.BulkRow, done bool) (label, tone string) {
	if r.Failed && done {
		return "Failed", "danger"
	}
	if r.Failed {
		return "Will fail", "danger"
	}
	words := map[invitations.Outcome][3]string{
		invitations.InviteNew:      {"New person, invited", "Invited (new person)", "success"},
		invitations.InviteExisting: {"Existing user, invited", "Invited (existing user)", "success"},
		invitations.Remind:         {"Invited already: reminder", "Reminded", "info"},
		invitations.Reinvite:       {"Expired: new invitation", "Invited again", "info"},
		invitations.AlreadyMember:  {"Already a member: refused", "Refused: already a member", "neutral"},
		invitations.BadAddress:     {"Bad address: skipped", "Skipped: bad address", "danger"},
		invitations.BadRole:        {"Unknown role: skipped", "Skipped: unknown role", "danger"},
		invitations.Duplicate:      {"Duplicate: skipped", "Skipped: duplicate", "neutral"},
		invitations.OverLimit:      {"Over the user limit: skipped", "Skipped: over the user limit", "warning"},
		invitations.BlockedDomain:  {"Blocked domain: skipped", "Skipped: blocked domain", "danger"},
	}
	w := words[r.Outcome]
	if done {
		return w[1], w[2]
	}
	return w[0], w[2]
}

// bulkSummary is one sentence per kind of outcome, leaving out those that
// do not occur. After sending, rows the directory refused count as failed,
// not as what the preview said.
func bulkSummary(plan invitations.BulkPlan, done bool) []string {
	n := map[invitations.Outcome]int{}
	failed := 0
	for _, r := range plan.Rows {
		if r.Failed {
			failed++
			continue
		}
		switch r.Outcome {
		case invitations.BadRole, invitations.Duplicate, invitations.BlockedDomain:
			n[invitations.BadAddress]++ // one sentence for every skipped line
		default:
			n[r.Outcome]++
		}
	}
	people := func(o invitations.Outcome) string { return orgPlural(n[o], "person", "people") }
	lines := func(o invitations.Outcome) string { return orgPlural(n[o], "line", "lines") }
	sentences := []struct {
		outcome        invitations.Outcome
		preview, after string
	}{
		{invitations.InviteNew, people(invitations.InviteNew) + " new to Roster will be invited.", "Invited " + people(invitations.InviteNew) + " new to Roster."},
		{invitations.InviteExisting, people(invitations.InviteExisting) + " already using Roster will be invited.", "Invited " + people(invitations.InviteExisting) + " already using Roster."},
		{invitations.Remind, people(invitations.Remind) + " invited already will get a reminder; their link keeps its expiry.", "Reminded " + people(invitations.Remind) + " of their invitation."},
		{invitations.Reinvite, people(invitations.Reinvite) + " with an expired invitation will get a new one.", "Invited " + people(invitations.Reinvite) + " again after their invitation expired."},
		{invitations.AlreadyMember, people(invitations.AlreadyMember) + " already in the organization: nothing is sent.", people(invitations.AlreadyMember) + " already in the organization: nothing was sent."},
		{invitations.BadAddress, lines(invitations.BadAddress) + " will be skipped: see why below.", lines(invitations.BadAddress) + " skipped: see why below."},
		{invitations.OverLimit, people(invitations.OverLimit) + " will be skipped: the organization would go over its user limit.", people(invitations.OverLimit) + " skipped: the organization reached its user limit."},
	}
	var out []string
	for _, s := range sentences {
		switch {
		case n[s.outcome] == 0:
		case done:
			out = append(out, s.after)
		default:
			out = append(out, s.preview)
		}
	}
	switch {
	case failed > 0 && done:
		out = append(out, orgPlural(failed, "invitation", "invitations")+" failed: see why below.")
	case failed > 0:
		out = append(out, orgPlural(failed, "invitation", "invitations")+" will fail and not be sent: see why below.")
	}
	if !done && plan.Sending() == 0 {
		out = append(out, "Nothing would be sent. Change the list to go on.")
	}
	return out
}
