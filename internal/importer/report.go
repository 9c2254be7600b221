package importer

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
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
	fmt.Fprintf(bw, "%s %d of %d rows; %d with errors.\n\n", verb, rep.Rows-len(rep.Errors), rep.Rows, len(rep.Errors))

	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcreated\tupdated\tunchanged\t")
	for _, c := range []struct {
		name string
		c    Counts
	}{{"users", rep.Users}, {"organizations", rep.Organizations}, {"memberships", rep.Memberships}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", c.name, c.c.Created, c.c.Updated, c.c.Unchanged)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(rep.Errors) > 0 {
		fmt.Fprintf(bw, "\nErrors (%d rows, not imported):\n", len(rep.Errors))
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
		fmt.Fprintf(bw, "\nNothing was imported: the import is strict and %d rows have errors.\n", len(rep.Errors))
	}
	return bw.Flush()
}

// oneLine keeps a value from the input (a name with a newline in it) from
// breaking the report's layout.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
