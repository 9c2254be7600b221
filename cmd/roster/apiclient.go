package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"roster/internal/apiclients"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/store"
)

func init() {
	register(&command{name: "api-client", summary: "Create, list and revoke clients of the management API", run: runAPIClient})
}

func runAPIClient(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "api-client", args, []subcommand{
		{"create", "Create a client; prints its id and secret as one JSON object", runAPIClientCreate},
		{"list", "List every client, revoked ones included", runAPIClientList},
		{"revoke", "Revoke a client; its tokens stop working at once", runAPIClientRevoke},
	})
}

func runAPIClientCreate(ctx context.Context, args []string) error {
	fs := newFlags("api-client create --name NAME", `Creates a client of the management API and prints one JSON object on stdout:

  {"client_id": "cli_…", "client_secret": "rsk_…"}

The client trades these for a one-hour bearer token at POST /oauth/token
(grant_type=client_credentials). Only a hash of the secret is kept: store it
now, it cannot be shown again.`)
	name := fs.String("name", "", "who or what uses the client, 1 to 100 characters (required)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return usageErrorf("--name is required")
	}
	ctx, svc, closeDB, err := openAPIClients(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	c, secret, err := svc.Create(ctx, *name)
	if err != nil {
		return plainError(err)
	}
	fmt.Fprintln(os.Stderr, "Store the secret now: Roster keeps only its hash and cannot show it again.")
	return printJSON(map[string]string{"client_id": c.ID, "client_secret": secret})
}

func runAPIClientList(ctx context.Context, args []string) error {
	fs := newFlags("api-client list [--format table|json]", "Lists every API client, oldest first, revoked ones included. Secrets are\nnot kept; the list shows their last characters to tell clients apart.")
	format := formatFlag(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	ctx, svc, closeDB, err := openAPIClients(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	list, err := svc.List(ctx)
	if err != nil {
		return plainError(err)
	}
	if *format == "json" {
		out := make([]apiClientJSON, len(list))
		for i, c := range list {
			out[i] = toAPIClientJSON(c)
		}
		return printJSON(map[string]any{"api_clients": out})
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSECRET\tCREATED\tLAST_USED\tREVOKED")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\t%s\n", c.ID, c.Name, c.SecretHint,
			tableTime(&c.CreatedAt), tableTime(c.LastUsedAt), tableTime(c.RevokedAt))
	}
	return tw.Flush()
}

func runAPIClientRevoke(ctx context.Context, args []string) error {
	fs := newFlags("api-client revoke ID", "Revokes the API client with this id (cli_…). Its secret gets no more tokens,\nand the tokens it holds stop working on their next use. Revoking twice is harmless.")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErrorf("want one client id, got %d arguments", len(rest))
	}
	ctx, svc, closeDB, err := openAPIClients(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	before, err := svc.Get(ctx, rest[0])
	if err != nil {
		return plainError(err)
	}
	c, err := svc.Revoke(ctx, before.ID)
	if err != nil {
		return plainError(err)
	}
	if before.Revoked() {
		fmt.Printf("%s (%s) was already revoked at %s\n", c.ID, c.Name, tableTime(c.RevokedAt))
		return nil
	}
	fmt.Printf("revoked %s (%s)\n", c.ID, c.Name)
	return nil
}

// openAPIClients connects as the directory commands do and refuses, like
// them, a database that lacks migrations. The service gets no secret key:
// these commands manage clients and never sign or check a token, so they
// need not read (or create) the instance key.
func openAPIClients(ctx context.Context) (context.Context, *apiclients.Service, func(), error) {
	cfg, db, closeDB, err := openMigratedDatabase(ctx)
	if err != nil {
		return ctx, nil, nil, err
	}
	svc := apiclients.New(store.New(db), clock.Real{}, apiclients.Options{Issuer: cfg.PublicURL.String()})
	return audit.WithActor(ctx, cliActor()), svc, closeDB, nil
}

// apiClientJSON is a client as scripts read it; never the secret.
type apiClientJSON struct {
	ClientID   string  `json:"client_id"`
	Name       string  `json:"name"`
	SecretHint string  `json:"secret_hint"`
	CreatedBy  string  `json:"created_by"`
	CreateTime string  `json:"create_time"`
	LastUsed   *string `json:"last_used_time"`
	RevokeTime *string `json:"revoke_time"`
}

func toAPIClientJSON(c apiclients.Client) apiClientJSON {
	return apiClientJSON{
		ClientID: c.ID, Name: c.Name, SecretHint: c.SecretHint, CreatedBy: c.CreatedBy,
		CreateTime: jsonTime(c.CreatedAt), LastUsed: jsonTimePtr(c.LastUsedAt), RevokeTime: jsonTimePtr(c.RevokedAt),
	}
}
