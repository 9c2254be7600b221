package store

import (
	"embed"
	"fmt"
	"reflect"
	"strings"
)

//go:embed *.sql
var sqlFiles embed.FS

// parseQueries splits a .sql file into its named queries. A query starts at a
// line "-- name: some-name" and runs to the next such line.
func parseQueries(file string) (map[string]string, error) {
	b, err := sqlFiles.ReadFile(file)
	if err != nil {
		return nil, err
	}
	queries := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			queries[name] = strings.TrimSpace(body.String())
		}
		body.Reset()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			flush()
			name = strings.TrimSpace(rest)
			if _, dup := queries[name]; dup {
				return nil, fmt.Errorf("%s: query %q defined twice", file, name)
			}
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	flush()
	return queries, nil
}

// loadQueries fills the string fields of the struct dst points to from the
// queries of file, matching each field's `query:"name"` tag. A missing or
// unused query is a programming error, so it panics at start, not mid-request.
func loadQueries(file string, dst any) {
	queries, err := parseQueries(file)
	if err != nil {
		panic(fmt.Sprintf("store: %v", err))
	}
	v := reflect.ValueOf(dst).Elem()
	used := map[string]bool{}
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Tag.Get("query")
		q, ok := queries[name]
		if !ok {
			panic(fmt.Sprintf("store: %s has no query %q", file, name))
		}
		v.Field(i).SetString(q)
		used[name] = true
	}
	for name := range queries {
		if !used[name] {
			panic(fmt.Sprintf("store: %s: query %q is not used by any field", file, name))
		}
	}
}
