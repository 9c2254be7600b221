package seed

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/lib/pq"
)

// setAside is an index or foreign key dropped for the load and made again
// after it from the definition PostgreSQL itself printed, so it comes back
// exactly as it was (name, columns, method, predicate, comment). All of it
// happens inside the load's transaction: if anything fails, the rollback
// brings the originals back untouched.
type setAside struct {
	name    string // for the progress bar and errors
	drop    string
	create  string
	comment string // "" when there was none
}

// setAsideIndexes drops what the load would otherwise maintain row by row:
// the secondary indexes of the seeded tables (building an index once over
// all rows is far cheaper, above all the trigram GIN indexes) and their
// foreign keys (validating one join is cheaper than millions of lookups).
// Primary keys and unique constraints stay: other tables' foreign keys
// hang on them.
func setAsideIndexes(ctx context.Context, conn *sql.Conn) ([]setAside, error) {
	var out []setAside
	// Indexes: skip those backing constraints, invalid ones (rebuilding
	// would make them valid, a change) and those in another tablespace
	// (pg_get_indexdef does not print it).
	rows, err := conn.QueryContext(ctx, `
		SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
		       coalesce(obj_description(i.indexrelid, 'pg_class'), '')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = ANY ($1::text[]::regclass[])
		  AND i.indisvalid AND c.reltablespace = 0
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k
		                  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
		                    AND k.contype IN ('p', 'u', 'x'))
		ORDER BY 1`, pq.Array(seededTables))
	if err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	for rows.Next() {
		var s setAside
		if err := rows.Scan(&s.name, &s.create, &s.comment); err != nil {
			rows.Close()
			return nil, err
		}
		s.drop = "DROP INDEX " + s.name
		if s.comment != "" {
			s.comment = "COMMENT ON INDEX " + s.name + " IS " + pq.QuoteLiteral(s.comment)
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = conn.QueryContext(ctx, `
		SELECT k.conrelid::regclass::text, quote_ident(k.conname), pg_get_constraintdef(k.oid),
		       coalesce(obj_description(k.oid, 'pg_constraint'), '')
		FROM pg_constraint k
		WHERE k.contype = 'f' AND k.conrelid = ANY ($1::text[]::regclass[])
		ORDER BY 1, 2`, pq.Array(seededTables))
	if err != nil {
		return nil, fmt.Errorf("seed: list foreign keys: %w", err)
	}
	for rows.Next() {
		var table, name, def, comment string
		if err := rows.Scan(&table, &name, &def, &comment); err != nil {
			rows.Close()
			return nil, err
		}
		s := setAside{
			name:   name,
			drop:   "ALTER TABLE " + table + " DROP CONSTRAINT " + name,
			create: "ALTER TABLE " + table + " ADD CONSTRAINT " + name + " " + def,
		}
		if comment != "" {
			s.comment = "COMMENT ON CONSTRAINT " + name + " ON " + table + " IS " + pq.QuoteLiteral(comment)
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	for _, s := range out {
		if _, err := conn.ExecContext(ctx, s.drop); err != nil {
			return nil, fmt.Errorf("seed: set aside %s: %w", s.name, err)
		}
	}
	return out, nil
}

// restore makes again what setAsideIndexes dropped: indexes first, so the
// foreign keys' validation finds them.
func restore(ctx context.Context, conn *sql.Conn, set []setAside, progress io.Writer) error {
	bar := newBar(progress, int64(len(set)), "indexes, keys")
	for _, s := range set {
		if _, err := conn.ExecContext(ctx, s.create); err != nil {
			return fmt.Errorf("seed: restore %s: %w", s.name, err)
		}
		if s.comment != "" {
			if _, err := conn.ExecContext(ctx, s.comment); err != nil {
				return fmt.Errorf("seed: restore the comment on %s: %w", s.name, err)
			}
		}
		_ = bar.Add(1)
	}
	_ = bar.Finish()
	return nil
}
