package web

import (
	"encoding/csv"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/model"
	"roster/internal/nullable"
)

// auditCSVColumns head the export, one event a row.
var auditCSVColumns = []string{"time", "actor", "action", "sentence", "organization", "subject", "ip", "request_id"}

// export sends the log as filtered by the query string (the list's filter,
// so "Export" on a filtered page exports what it shows, every page of it)
// as a CSV attachment, newest first. Rows stream as the directory reads
// them in keyset batches: a log of millions is never held in memory. A bad
// filter gets the list page with its errors instead of a file.
func (h auditHandler) export(c echo.Context) error {
	events, err := h.dir.AuditExport(c.Request().Context(), auditQuery(auditFilter(c)))
	if apperr.FieldErrors(err) != nil {
		return h.list(c)
	}
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition,
		`attachment; filename="roster-audit-`+h.clock.Now().UTC().Format("20060102-150405")+`.csv"`)
	res.WriteHeader(http.StatusOK)
	if err := writeAuditCSV(res, res.Flush, events); err != nil {
		// The status and part of the file are out: log the error (the
		// handler adds nothing to a committed response), then cut the
		// connection, the one way left to tell the client the file is cut.
		c.Error(err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// writeAuditCSV writes the header and a row per event to w, flushing every
// batch of rows so the download moves while the database is read.
func writeAuditCSV(w io.Writer, flush func(), events iter.Seq2[model.AuditEvent, error]) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditCSVColumns); err != nil {
		return err
	}
	n := 0
	for ev, err := range events {
		if err != nil {
			return err
		}
		row := []string{
			ev.OccurredAt.UTC().Format(time.RFC3339), audit.Actor(ev), ev.Action, audit.Sentence(ev),
			audit.Organization(ev), audit.Subject(ev), nullable.Value(ev.IP), nullable.Value(ev.RequestID),
		}
		for i := range row {
			row[i] = inertCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		if n++; n%200 == 0 {
			cw.Flush()
			flush()
		}
	}
	cw.Flush()
	return cw.Error()
}

// inertCell keeps a spreadsheet from reading a cell as a formula: text that
// starts with = + - @ (or a tab or carriage return, which some read past)
// gets a leading apostrophe, which spreadsheets show as text. Names,
// labels and user agents in the log are typed by anyone, so any of them
// could be "=HYPERLINK(…)".
func inertCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
