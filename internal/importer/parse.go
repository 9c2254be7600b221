package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/passwords"
)

// row is one record of the input. In the one-to-one shape it carries a
// user, their organization and the membership joining them; in the
// one-to-many shape exactly one of the three.
type row struct {
	file string // the input's name, "" when there is one unnamed input
	line int
	user *userRecord
	org  *orgRecord
	mem  *memberRecord
	errs []string // why the row cannot be imported
}

func (r *row) fail(format string, args ...any) { r.errs = append(r.errs, fmt.Sprintf(format, args...)) }

func (r *row) bad() bool { return len(r.errs) > 0 }

// where names the row in messages: "line 5" or "users.csv line 5".
func (r *row) where() string {
	if r.file == "" {
		return "line " + strconv.Itoa(r.line)
	}
	return r.file + " line " + strconv.Itoa(r.line)
}

// A nil pointer, slice or map in a record means the input did not give the
// field: a new object gets the default, an existing one keeps its value.
type userRecord struct {
	externalID    string
	email         string
	emailVerified *bool
	givenName     *string
	familyName    *string
	name          *string
	locale        *string
	picture       *string
	phoneNumber   *string
	passwordHash  string
	metadata      model.Metadata
}

type orgRecord struct {
	externalID  string
	displayName string
	slug        *string
	metadata    model.Metadata
}

type memberRecord struct {
	userExternalID string
	orgExternalID  string
	roles          []string
	status         string // ACTIVE or PENDING_INVITE
	metadata       model.Metadata
}

// The columns (CSV) or keys (JSON Lines) of each layout.
var (
	profileColumns   = []string{"given_name", "family_name", "name", "locale", "picture", "phone_number", "email_verified"}
	oneToOneColumns  = slices.Concat([]string{"user_external_id", "email"}, profileColumns, []string{"password_hash", "user_metadata", "org_external_id", "org_display_name", "roles", "membership_status", "membership_metadata"})
	userColumns      = slices.Concat([]string{"external_id", "email"}, profileColumns, []string{"password_hash", "metadata"})
	orgColumns       = []string{"external_id", "display_name", "slug", "metadata"}
	membershipColumn = []string{"user_external_id", "org_external_id", "roles", "metadata", "membership_status"}
)

// layout is how one kind of record is laid out and read.
type layout struct {
	columns  []string
	required []string // columns a CSV header must have
	parse    func(r *row, f fields)
}

func layoutOf(shape Shape, kind Kind) layout {
	switch {
	case shape == OneToOne:
		return layout{oneToOneColumns, []string{"user_external_id", "email", "org_external_id", "org_display_name"}, parseOneToOne}
	case kind == Users:
		return layout{userColumns, []string{"external_id", "email"}, func(r *row, f fields) { r.user = r.parseUser(f, "external_id", "metadata") }}
	case kind == Organizations:
		return layout{orgColumns, []string{"external_id", "display_name"}, func(r *row, f fields) { r.org = r.parseOrg(f, "external_id", "display_name", "slug", "metadata") }}
	default:
		return layout{membershipColumn, []string{"user_external_id", "org_external_id"}, func(r *row, f fields) {
			r.mem = r.parseMember(f, "metadata")
			r.mem.userExternalID = r.required(f, "user_external_id", 255)
			r.mem.orgExternalID = r.required(f, "org_external_id", 255)
		}}
	}
}

func parseOneToOne(r *row, f fields) {
	r.user = r.parseUser(f, "user_external_id", "user_metadata")
	r.org = r.parseOrg(f, "org_external_id", "org_display_name", "", "")
	r.mem = r.parseMember(f, "membership_metadata")
	r.mem.userExternalID, r.mem.orgExternalID = r.user.externalID, r.org.externalID
}

// readInput turns one input into rows. Problems with single rows are kept
// on the rows; an error means the input as a whole cannot be read.
func readInput(opts Options, in Input) ([]*row, error) {
	if opts.Format == CSV {
		return readCSV(in, layoutOf(opts.Shape, in.Kind))
	}
	return readJSONL(opts.Shape, in)
}

func readCSV(in Input, l layout) ([]*row, error) {
	cr := csv.NewReader(in.Reader)
	cr.FieldsPerRecord = -1 // counted here, so one short row is that row's error
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, inputError(in, "is empty; the first line must name the columns")
	}
	if err != nil {
		return nil, inputError(in, "has an unreadable header: "+err.Error()).Wrap(err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))) // Excel writes a BOM
		switch {
		case h == "password":
			return nil, inputError(in, "has a password column: plaintext passwords are not imported; give password_hash (bcrypt or argon2id)")
		case !slices.Contains(l.columns, h):
			return nil, inputError(in, fmt.Sprintf("has an unknown column %q; the columns are %s", h, strings.Join(l.columns, ", ")))
		case seen[h]:
			return nil, inputError(in, fmt.Sprintf("names the column %q twice", h))
		}
		seen[h], cols[i] = true, h
	}
	for _, c := range l.required {
		if !seen[c] {
			return nil, inputError(in, fmt.Sprintf("has no %s column; it must have %s", c, strings.Join(l.required, ", ")))
		}
	}

	var rows []*row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		r := &row{file: in.Name}
		var parseErr *csv.ParseError
		switch {
		case errors.As(err, &parseErr):
			r.line = parseErr.StartLine
			r.fail("is not valid CSV: %v", parseErr.Err)
			rows = append(rows, r)
			continue
		case err != nil:
			return nil, inputError(in, "could not be read: "+err.Error()).Wrap(err)
		}
		r.line, _ = cr.FieldPos(0)
		switch {
		case len(rec) != len(cols):
			r.fail("has %d fields, but the header names %d columns", len(rec), len(cols))
		default:
			f := csvFields{}
			for i, v := range rec {
				f[cols[i]] = v
			}
			l.parse(r, f)
		}
		rows = append(rows, r)
	}
}

func readJSONL(shape Shape, in Input) ([]*row, error) {
	br := bufio.NewReaderSize(in.Reader, 64<<10)
	var rows []*row
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, inputError(in, "could not be read: "+err.Error()).Wrap(err)
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			rows = append(rows, parseJSONLine(shape, in.Name, line, t))
		}
		if err != nil {
			return rows, nil
		}
	}
}

func parseJSONLine(shape Shape, file string, line int, b []byte) *row {
	r := &row{file: file, line: line}
	var f jsonFields
	if err := json.Unmarshal(b, &f); err != nil || f == nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
			r.fail("is not valid JSON: %v", err)
		} else {
			r.fail("must be a JSON object")
		}
		return r
	}
	l := layoutOf(shape, "")
	if shape == OneToMany {
		var kind string
		if raw, ok := f["type"]; !ok || json.Unmarshal(raw, &kind) != nil {
			r.fail(`needs "type": "user", "organization" or "membership"`)
			return r
		}
		switch kind {
		case "user":
			l = layoutOf(shape, Users)
		case "organization":
			l = layoutOf(shape, Organizations)
		case "membership":
			l = layoutOf(shape, Memberships)
		default:
			r.fail(`has "type": %q; want "user", "organization" or "membership"`, kind)
			return r
		}
		delete(f, "type")
	}
	var unknown []string
	for k := range f {
		if !slices.Contains(l.columns, k) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if _, ok := f["password"]; ok {
		r.fail("has a password: plaintext passwords are not imported; give password_hash (bcrypt or argon2id)")
	} else if len(unknown) > 0 {
		sort.Strings(unknown)
		r.fail("has unknown fields %s; the fields are %s", strings.Join(unknown, ", "), strings.Join(l.columns, ", "))
	}
	// Read the rest even so: a bad user record's external id lets the
	// memberships naming it say why they fail.
	l.parse(r, f)
	return r
}

// inputError says an input as a whole cannot be imported; Wrap keeps the
// cause (an oversized request body, say) for callers that look for it.
func inputError(in Input, problem string) *apperr.Error {
	name := in.Name
	if name == "" {
		name = "the input"
	}
	return apperr.Invalid(apperr.Field("file", name+" "+problem))
}

// fields reads the values of one record, from CSV or from JSON.
type fields interface {
	// text is the trimmed value, "" when absent.
	text(name string) (string, error)
	flag(name string) (*bool, error)
	// names is a list of names, nil when absent.
	names(name string) ([]string, error)
	// object is a map of strings, nil when absent.
	object(name string) (model.Metadata, error)
}

// csvFields are one CSV record by column. An empty cell is an absent value.
type csvFields map[string]string

func (f csvFields) text(name string) (string, error) { return strings.TrimSpace(f[name]), nil }

func (f csvFields) flag(name string) (*bool, error) {
	s := strings.TrimSpace(f[name])
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, errors.New("must be true or false")
	}
	return &b, nil
}

func (f csvFields) names(name string) ([]string, error) { return splitNames(f[name]), nil }

func (f csvFields) object(name string) (model.Metadata, error) {
	s := strings.TrimSpace(f[name])
	if s == "" {
		return nil, nil
	}
	return decodeMetadata([]byte(s))
}

// jsonFields are one JSON object by key. null is an absent value.
type jsonFields map[string]json.RawMessage

func (f jsonFields) raw(name string) json.RawMessage {
	v := f[name]
	if v == nil || string(v) == "null" {
		return nil
	}
	return v
}

func (f jsonFields) text(name string) (string, error) {
	v := f.raw(name)
	if v == nil {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return strings.TrimSpace(s), nil
	}
	// Other systems' ids are often numbers; take them as written.
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		return n.String(), nil
	}
	return "", errors.New("must be a string")
}

func (f jsonFields) flag(name string) (*bool, error) {
	v := f.raw(name)
	if v == nil {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, errors.New("must be true or false")
	}
	return &b, nil
}

func (f jsonFields) names(name string) ([]string, error) {
	v := f.raw(name)
	if v == nil {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err == nil {
		return splitNames(strings.Join(list, ";")), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return splitNames(s), nil
	}
	return nil, errors.New(`must be an array of role names, like ["admin"]`)
}

func (f jsonFields) object(name string) (model.Metadata, error) {
	v := f.raw(name)
	if v == nil {
		return nil, nil
	}
	return decodeMetadata(v)
}

func decodeMetadata(b []byte) (model.Metadata, error) {
	var m model.Metadata
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, errors.New(`must be a JSON object of strings, like {"plan": "pro"}`)
	}
	return m, nil
}

// splitNames splits "admin; member" into names, dropping empty ones and
// repeats. No names at all is nil: not given.
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ";") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// The checks below mirror the directory's (internal/directory/validate.go),
// which are not exported; the database's constraints back both.

func (r *row) required(f fields, name string, max int) string {
	v := r.optional(f, name, max)
	if v == nil {
		if !r.failedOn(name) {
			r.fail("%s is required", name)
		}
		return ""
	}
	return *v
}

func (r *row) optional(f fields, name string, max int) *string {
	v, err := f.text(name)
	if err != nil {
		r.fail("%s %v", name, err)
		return nil
	}
	if v == "" {
		return nil
	}
	if utf8.RuneCountInString(v) > max {
		r.fail("%s must be at most %d characters", name, max)
	}
	return &v
}

// failedOn tells whether the row already has an error about field name.
func (r *row) failedOn(name string) bool {
	for _, e := range r.errs {
		if strings.HasPrefix(e, name+" ") {
			return true
		}
	}
	return false
}

func (r *row) metadata(f fields, name string) model.Metadata {
	if name == "" {
		return nil
	}
	m, err := f.object(name)
	if err != nil {
		r.fail("%s %v", name, err)
		return nil
	}
	for _, p := range directory.MetadataProblems(m) {
		if p[0] == "" {
			r.fail("%s %s", name, p[1])
		} else {
			r.fail("%s key %q: %s", name, p[0], p[1])
		}
	}
	return m
}

func (r *row) parseUser(f fields, extCol, mdCol string) *userRecord {
	u := &userRecord{externalID: r.required(f, extCol, 255)}
	if raw := r.required(f, "email", 320); raw != "" {
		if email, ok := directory.NormalizeEmail(raw); ok {
			u.email = email
		} else {
			r.fail("email %q is not a valid email address", raw)
		}
	}
	u.givenName = r.optional(f, "given_name", 255)
	u.familyName = r.optional(f, "family_name", 255)
	u.name = r.optional(f, "name", 255)
	u.locale = r.optional(f, "locale", 35)
	u.phoneNumber = r.optional(f, "phone_number", 32)
	if u.picture = r.optional(f, "picture", 2048); u.picture != nil {
		if p, err := url.Parse(*u.picture); err != nil || p.Scheme != "https" || p.Host == "" {
			r.fail("picture must be an https URL")
		}
	}
	var err error
	if u.emailVerified, err = f.flag("email_verified"); err != nil {
		r.fail("email_verified %v", err)
	}
	if h := r.optional(f, "password_hash", 1024); h != nil {
		// The hash itself stays out of messages: it is a secret.
		if err := passwords.Check(*h); err != nil {
			r.fail("password_hash %v", err)
		}
		u.passwordHash = *h
	}
	u.metadata = r.metadata(f, mdCol)
	return u
}

func (r *row) parseOrg(f fields, extCol, nameCol, slugCol, mdCol string) *orgRecord {
	o := &orgRecord{externalID: r.required(f, extCol, 255), displayName: r.required(f, nameCol, 200)}
	if slugCol != "" {
		if o.slug = r.optional(f, slugCol, 63); o.slug != nil && !directory.ValidSlug(*o.slug) {
			r.fail("%s %q must be lowercase letters, digits and inner hyphens (a DNS label)", slugCol, *o.slug)
		}
	}
	o.metadata = r.metadata(f, mdCol)
	return o
}

// parseMember reads a membership's roles, status and metadata; the caller
// sets whose and where.
func (r *row) parseMember(f fields, mdCol string) *memberRecord {
	m := &memberRecord{status: model.StatusActive}
	var err error
	if m.roles, err = f.names("roles"); err != nil {
		r.fail("roles %v", err)
	}
	status, err := f.text("membership_status")
	switch s := strings.ToUpper(status); {
	case err != nil:
		r.fail("membership_status %v", err)
	case s == model.StatusActive || s == model.StatusPendingInvite:
		m.status = s
	case s != "":
		r.fail("membership_status %q must be ACTIVE or PENDING_INVITE", status)
	}
	m.metadata = r.metadata(f, mdCol)
	return m
}
