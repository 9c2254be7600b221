package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"roster/internal/database"
)

func init() {
	register(&command{name: "migrate", summary: "Apply, list or roll back database migrations", run: runMigrate})
}

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlags("migrate [up|status|down]", `  up      apply every pending migration (the default; serve does it too)
  status  list the migrations and whether each is applied
  down    roll back the most recent migration (one step)`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	action := "up"
	switch fs.NArg() {
	case 0:
	case 1:
		action = fs.Arg(0)
	default:
		return usageErrorf("want one action, got %q", fs.Args())
	}
	if action != "up" && action != "status" && action != "down" {
		return usageErrorf("unknown action %q: want up, status or down", action)
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

	switch action {
	case "up":
		if err := database.Migrate(ctx, db); err != nil {
			return err
		}
	case "down":
		name, err := database.Down(ctx, db)
		if err != nil {
			return err
		}
		fmt.Printf("rolled back %s\n", name)
	}
	list, err := database.Status(ctx, db)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	for _, m := range list {
		state, at := "pending", ""
		if m.Applied {
			state, at = "applied", m.AppliedAt.UTC().Format(time.DateTime+" MST")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", state, at, m.Name)
	}
	return w.Flush()
}
