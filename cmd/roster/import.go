package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/database"
	"roster/internal/importer"
	"roster/internal/store"
)

func init() {
	register(&command{name: "import", summary: "Import users, organizations and memberships from CSV or JSON Lines", run: runImport})
}

const importHelp = `Imports users, organizations and memberships from another system, keyed by
that system's external ids. Re-running an import updates what changed and
duplicates nothing. Bad rows are listed by line and skipped (with --strict,
nothing is imported); the command then exits with status 1.

Shapes:
  one-to-one   each row a user with their one organization
  one-to-many  user, organization and membership records: in JSON Lines each
               object has "type": "user", "organization" or "membership"; as
               CSV, three files given with --users, --orgs and --memberships

Imported invitations (membership_status PENDING_INVITE) send no mail; resend
them from the console or the API to mail a link. An import never changes an
existing user's email to another address (such a row is bad): a new address
hands the account to whoever reads it, so change it with roster user update,
the console or the API, which tell the old address. FILE "-" reads stdin.

Examples:
  roster import --shape one-to-one --format csv people.csv --dry-run
  roster import --shape one-to-many --format jsonl export.jsonl --json
  roster import --shape one-to-many --format csv --users u.csv --orgs o.csv --memberships m.csv`

func runImport(ctx context.Context, args []string) error {
	return importCommand(ctx, args, os.Stdin, os.Stdout, os.Stderr)
}

// importCommand is the command with its streams: the report goes to stdout,
// the progress bar to stderr.
func importCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("import --shape one-to-one|one-to-many --format csv|jsonl [--dry-run] [--strict] [--json] FILE…", importHelp)
	shape := fs.String("shape", "", "one-to-one or one-to-many (required)")
	format := fs.String("format", "", "csv or jsonl (required)")
	dryRun := fs.Bool("dry-run", false, "report what would change and write nothing")
	strict := fs.Bool("strict", false, "import nothing if any row is bad")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	usersFile := fs.String("users", "", "one-to-many CSV: the users file")
	orgsFile := fs.String("orgs", "", "one-to-many CSV: the organizations file")
	membershipsFile := fs.String("memberships", "", "one-to-many CSV: the memberships file")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}

	opts := importer.Options{Shape: importer.Shape(*shape), Format: importer.Format(*format), DryRun: *dryRun, Strict: *strict}
	if opts.Shape != importer.OneToOne && opts.Shape != importer.OneToMany {
		return usageErrorf("--shape must be one-to-one or one-to-many")
	}
	if opts.Format != importer.CSV && opts.Format != importer.JSONL {
		return usageErrorf("--format must be csv or jsonl")
	}
	byKind := map[importer.Kind]string{importer.Users: *usersFile, importer.Organizations: *orgsFile, importer.Memberships: *membershipsFile}
	kindFiles := *usersFile != "" || *orgsFile != "" || *membershipsFile != ""
	switch {
	case opts.Shape == importer.OneToMany && opts.Format == importer.CSV:
		if len(files) > 0 || !kindFiles {
			return usageErrorf("one-to-many CSV takes its files as --users F --orgs F --memberships F")
		}
	case kindFiles:
		return usageErrorf("--users, --orgs and --memberships are for one-to-many CSV; give other inputs as FILE arguments")
	case len(files) == 0:
		return usageErrorf("name at least one FILE to import")
	case opts.Format == importer.CSV && len(files) > 1:
		return usageErrorf("one-to-one CSV takes one FILE")
	}

	var inputs []importer.Input
	open := func(name string, kind importer.Kind) error {
		in := importer.Input{Name: filepath.Base(name), Kind: kind, Reader: stdin}
		if name == "-" {
			in.Name = "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			in.Reader = f
		}
		inputs = append(inputs, in)
		return nil
	}
	defer func() {
		for _, in := range inputs {
			if c, ok := in.Reader.(io.Closer); ok && in.Reader != stdin {
				c.Close()
			}
		}
	}()
	for _, kind := range []importer.Kind{importer.Organizations, importer.Users, importer.Memberships} {
		if name := byKind[kind]; name != "" {
			if err := open(name, kind); err != nil {
				return err
			}
		}
	}
	for _, name := range files {
		if err := open(name, ""); err != nil {
			return err
		}
	}
	if len(inputs) == 1 {
		inputs[0].Name = "" // errors then say "line 5", not "people.csv line 5"
	}

	cfg, _, err := loadConfig()
	if err != nil {
		return err
	}
	db, closeDB, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	// Changing the schema is `roster migrate`'s job, as for the other commands.
	list, err := database.Status(ctx, db)
	if err != nil {
		return err
	}
	for _, m := range list {
		if !m.Applied {
			return fmt.Errorf("the database lacks migration %s: run `roster migrate` first", m.Name)
		}
	}

	var bar *progressbar.ProgressBar
	opts.Progress = func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription("importing"),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
			)
		}
		_ = bar.Set(done) // a progress display that fails is no reason to stop
	}
	rep, err := importer.New(store.New(db).WithMailKey(cfg.SecretKey), clock.Real{}).Run(audit.WithActor(ctx, cliActor()), opts, inputs...)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	switch n := len(rep.Errors); {
	case n > 0 && opts.Strict && !opts.DryRun:
		return fmt.Errorf("nothing imported: %d of %d rows have errors", n, rep.Rows)
	case n > 0:
		return fmt.Errorf("%d of %d rows have errors and were not imported", n, rep.Rows)
	}
	return nil
}

// parseInterleaved parses flags that may come before, between or after the
// FILE arguments (the flag package alone stops at the first argument) and
// returns the arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(files, rest...), nil // after "--" everything is a FILE
		}
		files, args = append(files, rest[0]), rest[1:]
	}
}
