package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"roster/internal/apiclients"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/database"
	"roster/internal/model"
	"roster/internal/store"
)

func init() {
	register(&command{name: "api-client", summary: "Create, list or revoke API clients of the management API", run: runAPIClient})
}

const apiClientUsage = `Usage: roster api-client <create|list|revoke> [arguments]

API clients call the management API (/api/v1). They trade their id and secret
for a one-hour bearer token at POST /oauth/token.

  create --name NAME   make a client; prints {"client_id","client_secret"} as
                       one JSON object. The secret is shown only this once.
  list [--json]        list every client, revoked ones included
  revoke ID            revoke a client; its tokens stop working at once

Run ` + "`roster api-client <action> --help`" + ` for details.
`

func runAPIClient(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, apiClientUsage)
		return &usageError{}
	}
	action, rest := args[0], args[1:]
	switch action {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stdout, apiClientUsage)
		return flag.ErrHelp
	case "create":
		return apiClientCreate(ctx, rest)
	case "list":
		return apiClientList(ctx, rest)
	case "revoke":
		return apiClientRevoke(ctx, rest)
	}
	fmt.Fprint(os.Stderr, apiClientUsage)
	return usageErrorf("unknown action %q: want create, list or revoke", action)
}

func apiClientCreate(ctx context.Context, args []string) error {
	fs := newFlags("api-client create --name NAME", `Creates an API client and prints its id and secret as one JSON object on
stdout, for scripts:

  {"client_id":"cli_…","client_secret":"rsk_…"}

Only a hash of the secret is kept: store it now, it cannot be shown again.`)
	name := fs.String("name", "", "a name that says who uses the client (1–100 characters)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	if *name == "" {
		return usageErrorf("--name is required")
	}
	return withAPIClients(ctx, func(ctx context.Context, svc *apiclients.Service) error {
		c, secret, err := svc.Create(ctx, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "Store the secret now: Roster keeps only its hash and cannot show it again.")
		return json.NewEncoder(os.Stdout).Encode(map[string]string{"client_id": c.ID, "client_secret": secret})
	})
}

func apiClientList(ctx context.Context, args []string) error {
	fs := newFlags("api-client list [--json]", "Lists every API client, oldest first, revoked ones included.")
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	return withAPIClients(ctx, func(ctx context.Context, svc *apiclients.Service) error {
		list, err := svc.List(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printClientsJSON(os.Stdout, list)
		}
		return printClientsTable(os.Stdout, list)
	})
}

func apiClientRevoke(ctx context.Context, args []string) error {
	fs := newFlags("api-client revoke ID", "Revokes the API client with this id (cli_…). Its secret no longer gets\ntokens and the tokens it holds stop working on their next use.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("want one client id, got %d arguments", fs.NArg())
	}
	id := fs.Arg(0)
	return withAPIClients(ctx, func(ctx context.Context, svc *apiclients.Service) error {
		before, err := svc.Get(ctx, id)
		if err != nil {
			return err
		}
		c, err := svc.Revoke(ctx, id)
		if err != nil {
			return err
		}
		if before.Revoked() {
			fmt.Printf("%s (%s) was already revoked at %s\n", c.ID, c.Name, cliTime(c.RevokedAt))
			return nil
		}
		fmt.Printf("revoked %s (%s)\n", c.ID, c.Name)
		return nil
	})
}

// withAPIClients opens the database (migrating it, so the commands work on a
// fresh install before the first `roster serve`) and runs fn with the
// service and the person at the terminal as the audit actor.
func withAPIClients(ctx context.Context, fn func(context.Context, *apiclients.Service) error) error {
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
	// The same key serve signs tokens with, though these commands only
	// need it to build the service.
	key := cfg.SecretKey
	if key == nil {
		if key, err = database.SecretKey(ctx, db); err != nil {
			return err
		}
	}
	svc := apiclients.New(store.New(db), clock.Real{}, apiclients.Options{SecretKey: key, Issuer: cfg.PublicURL.String()})
	label := "roster CLI"
	if u, err := user.Current(); err == nil {
		label = "roster CLI (" + u.Username + ")"
	}
	return fn(audit.WithActor(ctx, model.Actor{Type: "system", Label: label}), svc)
}

func printClientsTable(w io.Writer, list []apiclients.Client) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSECRET\tCREATED\tLAST USED\tSTATUS")
	for _, c := range list {
		status := "active"
		if c.Revoked() {
			status = "revoked " + cliTime(c.RevokedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\t%s\n", c.ID, c.Name, c.SecretHint, cliTime(&c.CreatedAt), cliTime(c.LastUsedAt), status)
	}
	return tw.Flush()
}

func printClientsJSON(w io.Writer, list []apiclients.Client) error {
	type clientJSON struct {
		ClientID   string     `json:"client_id"`
		Name       string     `json:"name"`
		SecretHint string     `json:"secret_hint"`
		CreatedBy  string     `json:"created_by"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
		RevokedAt  *time.Time `json:"revoked_at"`
	}
	out := make([]clientJSON, len(list))
	for i, c := range list {
		out[i] = clientJSON{c.ID, c.Name, c.SecretHint, c.CreatedBy, c.CreatedAt.UTC(), utcPtr(c.LastUsedAt), utcPtr(c.RevokedAt)}
	}
	return json.NewEncoder(w).Encode(out)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func cliTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.DateTime + " MST")
}
