package importer

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report for a person to read.
func (rep *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	verb := "Imported"
	switch {
	case rep.DryRun:
		fmt.Fprintln(bw, "Dry run: nothing was written. A real run would make these changes.")
		verb = "Would import"
	case !rep.Committed:
		verb = "Would have imported"
	}
	fmt.Fprintf(bw, "%s %d of %s; %d with errors.\n\n", verb, rep.Rows-len(rep.Errors), rows(rep.Rows), len(rep.Errors))

	fmt.Fprintf(bw, "%-14s %8s %8s %10s\n", "", "created", "updated", "unchanged")
	for _, c := range []struct {
		name string
		c    Counts
	}{{"users", rep.Users}, {"organizations", rep.Organizations}, {"memberships", rep.Memberships}} {
		fmt.Fprintf(bw, "%-14s %8d %8d %10d\n", c.name, c.c.Created, c.c.Updated, c.c.Unchanged)
	}

	if len(rep.Errors) > 0 {
		fmt.Fprintf(bw, "\nErrors (%s not imported):\n", rows(len(rep.Errors)))
		for _, e := range rep.Errors {
			where := fmt.Sprintf("line %d", e.Line)
			if e.File != "" {
				where = e.File + " " + where
			}
			fmt.Fprintf(bw, "  %s: %s\n", where, oneLine(e.Message))
		}
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(bw, "\nWarnings (%d):\n", len(rep.Warnings))
		for _, wn := range rep.Warnings {
			fmt.Fprintf(bw, "  %s\n", oneLine(wn.Message))
		}
	}
	if rep.Strict && !rep.DryRun && !rep.Committed {
		fmt.Fprintf(bw, "\nNothing was imported: the import is strict and %s errors.\n", rowsHave(len(rep.Errors)))
	}
	return bw.Flush()
}

// oneLine keeps a value from the input (a name with a newline in it) from
// breaking the report's layout.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func rows(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

func rowsHave(n int) string {
	if n == 1 {
		return "1 row has"
	}
	return fmt.Sprintf("%d rows have", n)
}
