package seed

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/lib/pq"
)

// setAside is an index or constraint dropped for the load and made again
// after it from the definition PostgreSQL itself printed, so it comes back
// as it was: same name, columns, method, predicate, options and comment.
// All of it happens inside the load's transaction: if anything fails, the
// rollback brings back the originals untouched.
type setAside struct {
	name    string // for the progress bar and errors
	drop    string
	create  string
	comment string // the COMMENT statement, "" when there was none
}

// The catalog query lists, in the order they are made again:
//  1. primary keys and unique constraints of the seeded tables,
//  2. their other indexes (skipping invalid ones, which a rebuild would
//     make valid, and those in another tablespace, which pg_get_indexdef
//     does not print),
//  3. foreign keys from or to the seeded tables (those to them depend on
//     the keys of step 1).
const setAsideQuery = `
	SELECT 1 AS step, k.conrelid::regclass::text, quote_ident(k.conname), k.contype::text,
	       pg_get_constraintdef(k.oid), coalesce(obj_description(k.oid, 'pg_constraint'), '')
	FROM pg_constraint k
	WHERE k.contype IN ('p', 'u') AND k.conrelid = ANY ($1::text[]::regclass[])
	UNION ALL
	SELECT 2, i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i',
	       pg_get_indexdef(i.indexrelid), coalesce(obj_description(i.indexrelid, 'pg_class'), '')
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	WHERE i.indrelid = ANY ($1::text[]::regclass[])
	  AND i.indisvalid AND c.reltablespace = 0
	  AND NOT EXISTS (SELECT 1 FROM pg_constraint k
	                  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
	                    AND k.contype IN ('p', 'u', 'x'))
	UNION ALL
	SELECT 3, k.conrelid::regclass::text, quote_ident(k.conname), k.contype::text,
	       pg_get_constraintdef(k.oid), coalesce(obj_description(k.oid, 'pg_constraint'), '')
	FROM pg_constraint k
	WHERE k.contype = 'f'
	  AND (k.conrelid = ANY ($1::text[]::regclass[]) OR k.confrelid = ANY ($1::text[]::regclass[]))
	ORDER BY 1, 2, 3`

// setAsideIndexes drops every index and key of the seeded tables, and the
// foreign keys that touch them. Keeping an index up to date row by row
// costs far more than building it once over all rows: the B-trees on random
// ids outgrow shared_buffers, so nearly every insert misses the cache. At
// the target scale (BenchmarkSeed) a load with every index in place took
// 125 s, 60 s of it the memberships' COPY; setting aside only the secondary
// indexes and foreign keys changed little, as the primary and unique keys
// were the ones thrashing; setting aside all of them, 82–98 s.
func setAsideIndexes(ctx context.Context, conn *sql.Conn) ([]setAside, error) {
	rows, err := conn.QueryContext(ctx, setAsideQuery, pq.Array(seededTables))
	if err != nil {
		return nil, fmt.Errorf("list indexes and keys: %w", err)
	}
	var out []setAside
	for rows.Next() {
		var step int
		var table, name, kind, def, comment string
		if err := rows.Scan(&step, &table, &name, &kind, &def, &comment); err != nil {
			rows.Close()
			return nil, err
		}
		s := setAside{name: name}
		if kind == "i" {
			s.drop = "DROP INDEX " + name
			s.create = def
			if comment != "" {
				s.comment = "COMMENT ON INDEX " + name + " IS " + pq.QuoteLiteral(comment)
			}
		} else {
			s.drop = "ALTER TABLE " + table + " DROP CONSTRAINT " + name
			s.create = "ALTER TABLE " + table + " ADD CONSTRAINT " + name + " " + def
			if comment != "" {
				s.comment = "COMMENT ON CONSTRAINT " + name + " ON " + table + " IS " + pq.QuoteLiteral(comment)
			}
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Drop in the reverse order: foreign keys before the keys they hang on.
	for i := len(out) - 1; i >= 0; i-- {
		if _, err := conn.ExecContext(ctx, out[i].drop); err != nil {
			return nil, fmt.Errorf("set aside %s: %w", out[i].name, err)
		}
	}
	return out, nil
}

// restore makes again what setAsideIndexes dropped, in its order.
func restore(ctx context.Context, conn *sql.Conn, set []setAside, progress io.Writer) error {
	bar := newBar(progress, int64(len(set)), "indexes, keys", "")
	for _, s := range set {
		if _, err := conn.ExecContext(ctx, s.create); err != nil {
			return fmt.Errorf("restore %s: %w", s.name, err)
		}
		if s.comment != "" {
			if _, err := conn.ExecContext(ctx, s.comment); err != nil {
				return fmt.Errorf("restore the comment on %s: %w", s.name, err)
			}
		}
		_ = bar.Add(1)
	}
	_ = bar.Finish()
	return nil
}
