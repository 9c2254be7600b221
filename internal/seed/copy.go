package seed

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/schollz/progressbar/v3"
)

// copyData is lib/pq's COPY statement taking text that is already in COPY
// format. Handing it whole chunks skips the driver's per-row work
// (database/sql argument conversion, one Exec call per row, per-value
// encoding): measured, the client then needs a third of the CPU it needs
// with one Exec per row, CPU that on two cores the server can use.
type copyData interface {
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// copyTable streams the rows write produces into table with COPY, on conn,
// which must be inside a transaction. It returns the rows sent.
func copyTable(ctx context.Context, conn *sql.Conn, table string, cols []string, bar *progressbar.ProgressBar, write func(*rowWriter) error) (int64, error) {
	query := "COPY " + table + " (" + strings.Join(cols, ", ") + ") FROM STDIN"
	var rows int64
	err := conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the database driver cannot prepare statements with a context")
		}
		stmt, err := prep.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		cd, ok := stmt.(copyData)
		if !ok {
			_ = stmt.Close()
			return errors.New("the database driver cannot stream COPY data (want lib/pq)")
		}
		w := newRowWriter(func(chunk []byte, n int64) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			// CopyData adds the last line's newline itself.
			if _, err := cd.CopyData(ctx, string(chunk[:len(chunk)-1])); err != nil {
				return err
			}
			rows += n
			_ = bar.Add64(n) // a progress display that fails is no reason to stop
			return nil
		})
		err = write(w)
		if err == nil {
			err = w.done()
		}
		// Close ends the COPY and returns the server's verdict on the data.
		// After a failure the partial COPY still ends here; the caller's
		// rollback throws it away.
		if cerr := stmt.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return rows, err
}
