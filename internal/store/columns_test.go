package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every query names its columns. A row read with SELECT * (or RETURNING *, or
// alias.*) gains a column the moment a migration adds one, and sqlx refuses to
// scan a column its struct lacks ("missing destination name"): during a
// rolling upgrade the replicas still on the previous version would fail every
// such read. migrations/rolling_upgrade_test.go runs the reads against tables
// with an extra column; these tests catch a star before anything runs.

func TestQueriesNameTheirColumns(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(sqlFiles, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no .sql files embedded: %v", err)
	}
	for _, file := range files {
		queries, err := parseQueries(file)
		if err != nil {
			t.Fatal(err)
		}
		names := slices.Sorted(maps.Keys(queries))
		for _, name := range names {
			for _, star := range starColumns(queries[name]) {
				t.Errorf("%s, query %s: %s reads every column; name the columns instead", file, name, star)
			}
		}
	}
}

// sqlText picks the Go string literals worth checking: those that read rows.
var sqlText = regexp.MustCompile(`(?is)\bselect\b.*\bfrom\b|\breturning\b`)

// TestGoSQLNamesItsColumns holds SQL written inline in Go (outside the .sql
// files, outside tests) to the same rule.
func TestGoSQLNamesItsColumns(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found two levels above internal/store: %v", err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_templ.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !sqlText.MatchString(s) {
				return true
			}
			checked++
			for _, star := range starColumns(s) {
				t.Errorf("%s: %s reads every column; name the columns instead:\n%s", rel, star, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no SQL in Go files: is the walk looking in the right place?")
	}
}

// starColumns returns the stars of q that stand for columns: "*" as a select
// or RETURNING list item, and "alias.*". count(*), f(t.*) and
// multiplication are fine. The reading is loose but safe: comments, string
// literals and quoted identifiers are skipped first, so a star inside them
// never counts.
func starColumns(q string) []string {
	toks := sqlTokens(q)
	var found []string
	for i, tok := range toks {
		if tok != "*" || i == 0 {
			continue
		}
		prev := strings.ToLower(toks[i-1])
		switch {
		case prev == ".":
			// A whole row as one function argument, as in to_jsonb(t.*), is
			// one value, not columns.
			if i >= 3 && toks[i-3] == "(" && i+1 < len(toks) && toks[i+1] == ")" {
				continue
			}
			if i >= 2 {
				found = append(found, toks[i-2]+".*")
			} else {
				found = append(found, ".*")
			}
		case prev == "select", prev == "distinct", prev == "all", prev == ",":
			found = append(found, "SELECT *")
		case prev == "returning":
			found = append(found, "RETURNING *")
		case prev == ")" && afterDistinctOn(toks, i-1):
			found = append(found, "SELECT DISTINCT ON (…) *")
		}
	}
	return found
}

// afterDistinctOn tells whether the ")" at toks[close] closes DISTINCT ON (…).
func afterDistinctOn(toks []string, close int) bool {
	depth := 0
	for j := close; j >= 0; j-- {
		switch toks[j] {
		case ")":
			depth++
		case "(":
			depth--
			if depth == 0 {
				return j >= 2 && strings.EqualFold(toks[j-1], "on") && strings.EqualFold(toks[j-2], "distinct")
			}
		}
	}
	return false
}

// sqlTokens splits q into words (keywords, identifiers, numbers, $n
// parameters) and single punctuation characters, dropping whitespace,
// comments, string literals and quoted identifiers (a quoted identifier
// becomes the word "ident", enough to stand before ".*").
func sqlTokens(q string) []string {
	var toks []string
	isWord := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(q[i:], "--"):
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				return toks
			}
			i += end
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return toks
			}
			i += 2 + end + 2
		case c == '\'' || c == '"':
			// '' (or "") inside is the quote itself: skipping to each next
			// quote in turn ends at the same place.
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			if c == '"' {
				toks = append(toks, "ident")
			}
			i = j + 1
		case c == '$' && i+1 < len(q) && (q[i+1] == '$' || q[i+1] == '_' || q[i+1] >= 'A' && q[i+1] <= 'Z' || q[i+1] >= 'a' && q[i+1] <= 'z'):
			// A dollar-quoted string, $$…$$ or $tag$…$tag$.
			end := strings.IndexByte(q[i+1:], '$')
			if end < 0 {
				return toks
			}
			tag := q[i : i+1+end+1]
			rest := strings.Index(q[i+len(tag):], tag)
			if rest < 0 {
				return toks
			}
			i += len(tag) + rest + len(tag)
		case isWord(c) || c == '$':
			j := i + 1
			for j < len(q) && isWord(q[j]) {
				j++
			}
			toks = append(toks, q[i:j])
			i = j
		default:
			toks = append(toks, string(c))
			i++
		}
	}
	return toks
}

func TestStarColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    string
		want []string
	}{
		{"SELECT * FROM users", []string{"SELECT *"}},
		{"select *, lower(email) AS k from users", []string{"SELECT *"}},
		{"SELECT id, * FROM users", []string{"SELECT *"}},
		{"SELECT DISTINCT * FROM users", []string{"SELECT *"}},
		{"SELECT DISTINCT ON (email) * FROM users", []string{"SELECT DISTINCT ON (…) *"}},
		{"SELECT u.*, m.id FROM users u JOIN memberships m ON m.user_id = u.id", []string{"u.*"}},
		{"SELECT m.id FROM x CROSS JOIN LATERAL (SELECT * FROM m LIMIT 1) AS m", []string{"SELECT *"}},
		{"UPDATE users SET name = $2 WHERE id = $1\nRETURNING *;", []string{"RETURNING *"}},
		{"DELETE FROM t WHERE id = $1 RETURNING t.*", []string{"t.*"}},
		{`SELECT "u".* FROM users "u"`, []string{"ident.*"}},
		{"INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::text[])", []string{"SELECT *"}},

		{"SELECT count(*) FROM users", nil},
		{"SELECT count(*) FILTER (WHERE status = 'REVOKED') FROM ended", nil},
		{"SELECT 2 * price, a*b FROM t WHERE x = 3 * $1", nil},
		{"SELECT (a) * 2 FROM t", nil},
		{"SELECT to_jsonb(t.*) FROM t", nil},
		{"SELECT id FROM t -- not SELECT * here\nWHERE note = 'SELECT * FROM x' /* nor RETURNING * */", nil},
		{"SELECT 'it''s * here', id FROM t", nil},
		{"DO $$ BEGIN PERFORM (SELECT * FROM t); END $$", nil},
		{"SELECT id, name FROM roles RETURNING id", nil},
	}
	for _, tt := range tests {
		got := starColumns(tt.q)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("starColumns(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}
