// Package importer brings users, organizations and memberships over from
// other systems, keyed by the customer's own external ids. It reads the two
// shapes such systems export (one-to-one: each user in one organization;
// one-to-many: users, organizations and memberships as separate records) as
// CSV or JSON Lines, and writes them in batches, each in one transaction.
//
// Re-running an import updates what changed and duplicates nothing: users
// are matched by external id, else by email (whatever its case), orgs by
// external id and memberships by user × org. An import never moves an
// existing user to another address (a bad row): that is an ownership change,
// made one user at a time through the directory. A bad row is reported by line
// and skipped; the good rows are imported, unless Strict asks for all or
// nothing. DryRun does the whole import in one transaction and rolls it back,
// so its numbers are exactly what a real run would report.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
)

// Shape is how the input lays out users, organizations and memberships.
type Shape string

// The shapes.
const (
	OneToOne  Shape = "one-to-one"  // each row a user with their one organization
	OneToMany Shape = "one-to-many" // user, organization and membership records
)

// Format is the input's file format.
type Format string

// The formats.
const (
	CSV   Format = "csv"   // a header row, then one record per row
	JSONL Format = "jsonl" // one JSON object per line
)

// Kind is what a one-to-many CSV input holds: each kind is its own file.
type Kind string

// The kinds, in the order they are imported.
const (
	Organizations Kind = "organizations"
	Users         Kind = "users"
	Memberships   Kind = "memberships"
)

// Input is one file or request body.
type Input struct {
	Name   string // shown in error messages ("users.csv"); "" for a lone input
	Kind   Kind   // one-to-many CSV only
	Reader io.Reader
}

// Options say what to import and how.
type Options struct {
	Shape  Shape
	Format Format
	// DryRun computes every change and writes nothing.
	DryRun bool
	// Strict imports nothing when any row is bad.
	Strict bool
	// BatchSize is how many rows go into one transaction; 0 means 1,000.
	BatchSize int
	// Progress, when set, is told how many of the rows are done after each batch.
	Progress func(done, total int)
}

// Counts say what happened to one kind of object. Each object counts once,
// however many rows name it.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// RowError says why a row was not imported.
type RowError struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Warning is something imported as asked that deserves a look.
type Warning struct {
	OrganizationExternalID string `json:"organization_external_id,omitempty"`
	Message                string `json:"message"`
}

// Report is the outcome of an import.
type Report struct {
	DryRun bool `json:"dry_run"`
	Strict bool `json:"strict"`
	// Committed is true when the changes were kept: not a dry run, and not a
	// strict run with bad rows.
	Committed     bool       `json:"committed"`
	Rows          int        `json:"rows"`
	Users         Counts     `json:"users"`
	Organizations Counts     `json:"organizations"`
	Memberships   Counts     `json:"memberships"`
	Errors        []RowError `json:"errors"`
	Warnings      []Warning  `json:"warnings"`
}

// Importer imports into one environment's directory. It is safe for
// concurrent use.
type Importer struct {
	store *store.Store
	clock clock.Clock
}

// New returns an importer writing through st.
func New(st *store.Store, clk clock.Clock) *Importer {
	return &Importer{store: st, clock: clk}
}

// Run imports the inputs. Bad rows are reported in the Report; an error
// means the import could not run at all (bad options, an unreadable input,
// the database gone), and then in the default mode the batches already
// committed stay.
func (im *Importer) Run(ctx context.Context, opts Options, inputs ...Input) (*Report, error) {
	if err := checkOptions(opts, inputs); err != nil {
		return nil, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	var rows []*row
	for _, in := range inputs {
		rs, err := readInput(opts, in)
		if err != nil {
			return nil, err
		}
		rows = append(rows, rs...)
	}
	checkConsistency(rows)

	r := &run{
		im: im, opts: opts, actor: audit.ActorFrom(ctx), total: len(rows),
		counted: map[string]bool{}, touched: map[string]bool{},
		goodUsers: map[string]bool{}, badUsers: map[string]string{},
		goodOrgs: map[string]bool{}, badOrgs: map[string]string{},
		report: &Report{DryRun: opts.DryRun, Strict: opts.Strict, Rows: len(rows), Errors: []RowError{}, Warnings: []Warning{}},
	}
	var err error
	if opts.DryRun || opts.Strict {
		err = r.inOneTransaction(ctx, rows)
	} else {
		err = r.inBatches(ctx, rows)
	}
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if row.bad() {
			r.report.Errors = append(r.report.Errors, RowError{File: row.file, Line: row.line, Message: strings.Join(row.errs, "; ")})
		}
	}
	return r.report, nil
}

func checkOptions(opts Options, inputs []Input) error {
	var v apperr.Violations
	if opts.Shape != OneToOne && opts.Shape != OneToMany {
		v.Add("shape", "must be one-to-one or one-to-many")
	}
	if opts.Format != CSV && opts.Format != JSONL {
		v.Add("format", "must be csv or jsonl")
	}
	if len(inputs) == 0 {
		v.Add("file", "give at least one input")
	}
	if opts.Format == CSV && opts.Shape == OneToMany {
		seen := map[Kind]bool{}
		for _, in := range inputs {
			if in.Kind != Users && in.Kind != Organizations && in.Kind != Memberships || seen[in.Kind] {
				v.Add("file", "one-to-many CSV takes at most one file each of users, organizations and memberships")
				break
			}
			seen[in.Kind] = true
		}
	}
	if opts.Format == CSV && opts.Shape == OneToOne && len(inputs) != 1 {
		v.Add("file", "one-to-one CSV takes exactly one file")
	}
	return v.Err()
}

// checkConsistency finds rows that contradict earlier rows of the input:
// one external id given two emails or two sets of details, one email given
// to two users, one slug to two orgs, one membership twice. The first
// occurrence wins; later ones are bad rows pointing back at it.
func checkConsistency(rows []*row) {
	users, emails := map[string]*row{}, map[string]*row{}
	orgs, slugs := map[string]*row{}, map[string]*row{}
	pairs := map[[2]string]*row{}
	for _, r := range rows {
		if r.bad() {
			continue
		}
		if u := r.user; u != nil {
			first, ok := users[u.externalID]
			switch {
			case ok && !strings.EqualFold(first.user.email, u.email):
				r.fail("user %q is on %s with another email (%s)", u.externalID, first.where(), first.user.email)
			case ok && !reflect.DeepEqual(first.user, u):
				r.fail("user %q is on %s with different details", u.externalID, first.where())
			case !ok:
				if other, taken := emails[strings.ToLower(u.email)]; taken {
					r.fail("email %s is also given to user %q on %s", u.email, other.user.externalID, other.where())
				}
			}
		}
		if o := r.org; o != nil {
			first, seen := orgs[o.externalID]
			switch {
			case seen && !reflect.DeepEqual(first.org, o):
				r.fail("organization %q is on %s with different details", o.externalID, first.where())
			case !seen && o.slug != nil && slugs[*o.slug] != nil:
				other := slugs[*o.slug]
				r.fail("slug %q is also given to organization %q on %s", *o.slug, other.org.externalID, other.where())
			}
		}
		if m := r.mem; m != nil && !r.bad() {
			key := [2]string{m.userExternalID, m.orgExternalID}
			if first, ok := pairs[key]; ok {
				r.fail("user %q is already made a member of organization %q on %s", m.userExternalID, m.orgExternalID, first.where())
			}
		}
		if r.bad() {
			continue
		}
		if u := r.user; u != nil {
			if _, ok := users[u.externalID]; !ok {
				users[u.externalID], emails[strings.ToLower(u.email)] = r, r
			}
		}
		if o := r.org; o != nil {
			if _, ok := orgs[o.externalID]; !ok {
				orgs[o.externalID] = r
				if o.slug != nil {
					slugs[*o.slug] = r
				}
			}
		}
		if m := r.mem; m != nil {
			pairs[[2]string{m.userExternalID, m.orgExternalID}] = r
		}
	}
}

// run is one import in progress.
type run struct {
	im     *Importer
	opts   Options
	actor  model.Actor // who the audit log says imported
	report *Report
	total  int
	done   int

	// counted holds the ids of objects already in the counts, so an object
	// named by many rows (an org in a one-to-one file) counts once.
	counted map[string]bool
	// touched holds the ids of orgs the import gave members or changed.
	touched map[string]bool
	// Which user and org records of a one-to-many input were imported, or
	// where the bad ones are, for the memberships that name them.
	goodUsers, goodOrgs map[string]bool
	badUsers, badOrgs   map[string]string
}

// batches splits the good rows into batches. One-to-many records go in
// dependency order (organizations, users, then memberships) and a batch
// holds one kind, so a membership always finds its user and org written.
func (r *run) batches(rows []*row) [][]*row {
	rank := func(x *row) int {
		switch {
		case x.mem != nil && x.user == nil:
			return 2
		case x.user != nil && x.org == nil:
			return 1
		}
		return 0
	}
	good := make([]*row, 0, len(rows))
	for _, x := range rows {
		if x.bad() {
			r.noteBad(x)
		} else {
			good = append(good, x)
		}
	}
	slices.SortStableFunc(good, func(a, b *row) int { return rank(a) - rank(b) })
	var out [][]*row
	for len(good) > 0 {
		n := min(r.opts.BatchSize, len(good))
		for i := 1; i < n; i++ {
			if rank(good[i]) != rank(good[0]) {
				n = i
				break
			}
		}
		out = append(out, good[:n])
		good = good[n:]
	}
	return out
}

// noteBad remembers a bad one-to-many user or org record, so memberships
// naming it are refused with a pointer to it.
func (r *run) noteBad(x *row) {
	if x.mem != nil {
		return
	}
	if x.user != nil && x.user.externalID != "" {
		if _, ok := r.badUsers[x.user.externalID]; !ok {
			r.badUsers[x.user.externalID] = x.where()
		}
	}
	if x.org != nil && x.org.externalID != "" {
		if _, ok := r.badOrgs[x.org.externalID]; !ok {
			r.badOrgs[x.org.externalID] = x.where()
		}
	}
}

// inOneTransaction runs the whole import in one transaction, each batch
// under a savepoint, and commits only a strict run without bad rows.
func (r *run) inOneTransaction(ctx context.Context, rows []*row) error {
	errRollback := errors.New("roll back")
	err := r.im.store.InTx(ctx, func(tx *store.Store) error {
		r.progress(countBad(rows)) // done already: they will not be imported
		for _, b := range r.batches(rows) {
			if err := r.batch(ctx, b, func(fn func(*store.Store) error) error { return tx.WithSavepoint(ctx, fn) }); err != nil {
				return err
			}
		}
		if err := r.warnings(ctx, tx); err != nil {
			return err
		}
		if r.opts.DryRun || countBad(rows) > 0 {
			return errRollback
		}
		r.report.Committed = true
		return r.completed(ctx, tx, rows)
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// inBatches commits each batch on its own: a failure later on keeps what
// was imported before it, and a re-run picks up from there.
func (r *run) inBatches(ctx context.Context, rows []*row) error {
	r.progress(countBad(rows)) // done already: they will not be imported
	for _, b := range r.batches(rows) {
		if err := r.batch(ctx, b, func(fn func(*store.Store) error) error { return r.im.store.InTx(ctx, fn) }); err != nil {
			return err
		}
	}
	r.report.Committed = true
	return r.im.store.InTx(ctx, func(tx *store.Store) error {
		if err := r.warnings(ctx, tx); err != nil {
			return err
		}
		return r.completed(ctx, tx, rows)
	})
}

// progress reports n more rows done.
func (r *run) progress(n int) {
	r.done += n
	if r.opts.Progress != nil {
		r.opts.Progress(r.done, r.total)
	}
}

// batch imports rows atomically. When the database refuses the batch for
// something a row holds (a value taken meanwhile by someone else, say), it
// is retried row by row, so one such row cannot keep the others out.
func (r *run) batch(ctx context.Context, rows []*row, atomically func(func(*store.Store) error) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var res *batchResult
	err := atomically(func(tx *store.Store) error {
		var err error
		res, err = r.plan(ctx, tx, rows)
		if err == nil {
			err = res.write(ctx, tx)
		}
		return err
	})
	switch {
	case err == nil:
		r.merge(res)
		r.progress(len(rows))
		return nil
	case !rowsFault(err):
		return err
	case len(rows) > 1:
		for _, x := range rows {
			if err := r.batch(ctx, []*row{x}, atomically); err != nil {
				return err
			}
		}
		return nil
	}
	rows[0].fail("%s", message(err))
	r.noteBad(rows[0])
	r.progress(1)
	return nil
}

// rowsFault tells whether the database refused the data (a constraint)
// rather than failed (connection, cancellation).
func rowsFault(err error) bool {
	return errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrInvalid) ||
		errors.Is(err, apperr.ErrFailedPrecondition)
}

func message(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

func (r *run) merge(res *batchResult) {
	for x, errs := range res.errs {
		x.errs = append(x.errs, errs...)
		r.noteBad(x)
	}
	for _, x := range res.rows {
		if x.bad() || x.mem != nil {
			continue
		}
		if x.user != nil {
			r.goodUsers[x.user.externalID] = true
		}
		if x.org != nil {
			r.goodOrgs[x.org.externalID] = true
		}
	}
	for _, c := range res.counts {
		if r.counted[c.id] {
			continue
		}
		r.counted[c.id] = true
		counts := &r.report.Memberships
		switch c.kind {
		case "user":
			counts = &r.report.Users
		case "organization":
			counts = &r.report.Organizations
		}
		switch c.outcome {
		case created:
			counts.Created++
		case updated:
			counts.Updated++
		default:
			counts.Unchanged++
		}
	}
	for id := range res.touched {
		r.touched[id] = true
	}
}

// warnings reports every org the import touched that is left without an
// active member holding the environment's creator (admin) role. Imports
// give roles exactly as the file says, so this is allowed, but worth a look.
func (r *run) warnings(ctx context.Context, tx *store.Store) error {
	admin, ok, err := tx.DefaultCreatorRole(ctx)
	if err != nil || !ok || len(r.touched) == 0 {
		return err
	}
	ids := make([]string, 0, len(r.touched))
	for id := range r.touched {
		ids = append(ids, id)
	}
	orgs, err := tx.OrganizationsWithoutActiveHolder(ctx, ids, admin.ID)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		ext := nullable.Value(o.ExternalID)
		r.report.Warnings = append(r.report.Warnings, Warning{
			OrganizationExternalID: ext,
			Message:                fmt.Sprintf("organization %q (%s) has no active %s", ext, o.DisplayName, admin.Name),
		})
	}
	return nil
}

// completed records the run in the audit log with its counts.
func (r *run) completed(ctx context.Context, tx *store.Store, rows []*row) error {
	ev := auditEvent(r.actor, r.im.clock.Now(), "import.completed", "", "", "", "", model.JSONObject{
		"shape": r.opts.Shape, "format": r.opts.Format, "rows": len(rows), "bad_rows": countBad(rows),
		"users": r.report.Users, "organizations": r.report.Organizations, "memberships": r.report.Memberships,
		"warnings": len(r.report.Warnings),
	})
	return tx.InsertAuditEvents(ctx, []model.AuditEvent{ev})
}

func countBad(rows []*row) int {
	n := 0
	for _, x := range rows {
		if x.bad() {
			n++
		}
	}
	return n
}
