package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"roster/internal/database"
	"roster/internal/seed"
)

func init() {
	register(&command{name: "seed", summary: "Fill the database with realistic demo data, at scale if asked", run: runSeed})
}

const seedHelp = `Fills the database with made-up but realistic organizations, users and
memberships: names from built-in lists, unique emails at reserved example
domains, a mix of roles and statuses, two years of history. Every org with
members has an ACTIVE admin, its creator. Migrates the database first.

The load is one transaction: interrupted or failed, it leaves nothing
behind. While it runs, the seeded tables are locked and their indexes
rebuilt, so run it against a database nobody is using.

It refuses a database that already has users or organizations unless given
--yes, and then adds to them. The same --seed on the same day gives the same
data.

Example (about two minutes on two cores):
  roster seed --users 1000000 --orgs 100000 --memberships 2000000 --big-org 200000`

func runSeed(ctx context.Context, args []string) error {
	return seedCommand(ctx, args, os.Stdout, os.Stderr)
}

// seedCommand is the command with its streams: the summary goes to stdout,
// progress bars to stderr.
func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("seed [--users N] [--orgs N] [--memberships N] [--big-org N] [--seed N] [--yes]", seedHelp)
	def := seed.DefaultOptions()
	users := fs.Int("users", def.Users, "users to create")
	orgs := fs.Int("orgs", def.Orgs, "organizations to create")
	memberships := fs.Int("memberships", 0, "memberships in all, the big org's included (default 2 × --users)")
	bigOrg := fs.Int("big-org", 0, "give one organization exactly this many members")
	seedValue := fs.Uint64("seed", 0, "seed of the random source (default: a random one, printed at the end)")
	yes := fs.Bool("yes", false, "seed a database that already has users or organizations, adding to them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}

	opts := seed.Options{
		Users:         *users,
		Orgs:          *orgs,
		Memberships:   *memberships,
		BigOrg:        *bigOrg,
		Seed:          *seedValue,
		AllowNonEmpty: *yes,
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["memberships"] {
		opts.Memberships = 2 * opts.Users
	}
	if !given["seed"] {
		opts.Seed = rand.Uint64()
	}
	// A wrong count is a mistake on the command line: say so before
	// starting a database.
	if err := opts.Validate(); err != nil {
		return usageErrorf("%v", err)
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
	if err := database.Migrate(ctx, db); err != nil {
		return err
	}

	res, err := seed.Run(ctx, db, opts, stderr)
	if errors.Is(err, seed.ErrNotEmpty) {
		return fmt.Errorf("%w\nRun again with --yes to add to them.", err)
	}
	if err != nil {
		fmt.Fprintln(stderr) // end the progress bar's line
		return err
	}
	res.WriteSummary(stdout)
	if res.BigOrgID != "" {
		fmt.Fprintf(stdout, "big organization: %s (%d members)\n", res.BigOrgID, opts.BigOrg)
	}
	fmt.Fprintf(stdout, "seed: %d (repeat with --seed %d)\n", opts.Seed, opts.Seed)
	return nil
}
