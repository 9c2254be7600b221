package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/adminauth"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/config"
	"roster/internal/database"
	"roster/internal/model"
	"roster/internal/store"
)

func init() {
	register(&command{name: "admin", summary: "Console access: one-time sign-in links for owners", run: runAdmin})
}

func runAdmin(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "admin", args, []subcommand{
		{"login-link", "Print a one-time sign-in link for a console owner", runAdminLoginLink},
	})
}

func runAdminLoginLink(ctx context.Context, args []string) error {
	fs := newFlags("admin login-link [--email E]",
		"Prints a link that signs its opener in to the console as an owner: once, within 15\nminutes. It is how the first owner gets in before an identity provider is configured\n(ROSTER_ADMIN_OIDC_ISSUER), and the way back in if the provider fails. The link is\nthe last line of the output, alone. It starts with ROSTER_PUBLIC_URL when set, else with\nthe address the running `roster serve` answers at. Anyone holding it can use it: hand\nit over safely.")
	email := fs.String("email", "", "the owner's email, shown in the console and the audit log\n(default ROSTER_ADMIN_BOOTSTRAP_EMAIL, owner@localhost unless set)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, _, err := loadConfig()
	if err != nil {
		return err
	}
	if *email == "" {
		*email = cfg.AdminBootstrapEmail
	}
	db, closeDB, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := requireMigrated(ctx, db); err != nil {
		return err
	}
	var running bool
	if cfg.PublicURL, running, err = servingURL(ctx, db, cfg); err != nil {
		return err
	}
	if !running {
		fmt.Fprintf(os.Stderr, "No `roster serve` is running on this database: the link is for %s, where it listens by ROSTER_ADDR.\n", cfg.PublicURL)
	}
	return printLoginLink(audit.WithActor(ctx, cliActor()), os.Stdout, db, cfg, *email)
}

// printSetupLink is what `roster serve` prints in setup mode (no identity
// provider configured): a sign-in link for the first owner.
func printSetupLink(ctx context.Context, w io.Writer, db *sqlx.DB, cfg config.Config) error {
	ctx = audit.WithActor(ctx, model.Actor{Type: "system", Label: "roster serve"})
	fmt.Fprintln(w, "Setup mode: no identity provider is configured (ROSTER_ADMIN_OIDC_ISSUER).")
	return printLoginLink(ctx, w, db, cfg, cfg.AdminBootstrapEmail)
}

// printLoginLink makes a sign-in link and prints it, the URL alone on the
// last line so scripts can take it with `tail -n 1`.
func printLoginLink(ctx context.Context, w io.Writer, db *sqlx.DB, cfg config.Config, email string) error {
	token, expires, err := adminauth.New(store.New(db), clock.Real{}).CreateLoginLink(ctx, email)
	if err != nil {
		return plainError(err)
	}
	fmt.Fprintf(w, "Sign in to the console as owner %s with this one-time link (valid until %s):\n",
		strings.ToLower(strings.TrimSpace(email)), expires.UTC().Format(time.DateTime+" MST"))
	fmt.Fprintln(w, cfg.PublicURL.String()+"/login/link/"+token)
	return nil
}

// requireMigrated refuses to work on a database that lacks migrations:
// changing the schema is `roster migrate`'s job, or serve's at start.
func requireMigrated(ctx context.Context, db *sqlx.DB) error {
	list, err := database.Status(ctx, db)
	if err != nil {
		return err
	}
	for _, m := range list {
		if !m.Applied {
			return fmt.Errorf("the database lacks some of this roster's migrations: run `roster migrate` first")
		}
	}
	return nil
}
