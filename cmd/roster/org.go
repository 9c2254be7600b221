package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
	"roster/web/api"
)

func init() {
	register(&command{name: "org", summary: "Create and list organizations", run: runOrg})
}

func runOrg(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "org", args, []subcommand{
		{"create", "Create an organization, optionally with its first admin", runOrgCreate},
		{"list", "List organizations, one page at a time", runOrgList},
	})
}

func runOrgCreate(ctx context.Context, args []string) error {
	fs := newFlags("org create --name NAME [--slug S] [--external-id X] [--admin-email E] [--format table|json]",
		"Creates an organization. With --admin-email, the user with that email (created if new)\nbecomes its first member with the default creator role (admin out of the box).")
	name := fs.String("name", "", "the organization's display name (required)")
	slug := fs.String("slug", "", "a lowercase DNS label, unique among organizations")
	externalID := fs.String("external-id", "", "your own id for the organization, unique when set")
	adminEmail := fs.String("admin-email", "", "the email of the organization's first admin")
	format := formatFlag(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageErrorf("--name is required")
	}
	in := directory.OrganizationInput{DisplayName: name, Slug: nullable.String(*slug), ExternalID: nullable.String(*externalID)}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	var o model.Organization
	var admin model.User
	if *adminEmail != "" {
		o, admin, err = dir.CreateOrganizationWithCreator(ctx, in, directory.UserInput{Email: adminEmail})
	} else {
		o, err = dir.CreateOrganization(ctx, in)
	}
	if err != nil {
		return plainError(err)
	}
	if *format == "json" {
		return printJSON(api.OrganizationJSON(o))
	}
	printOrgs(os.Stdout, []model.Organization{o})
	if admin.ID != "" {
		fmt.Printf("\nfirst member: %s (%s) with roles %s\n", admin.Email, admin.ID, rolesIn(admin, o.ID))
	}
	return nil
}

func runOrgList(ctx context.Context, args []string) error {
	fs := newFlags("org list [--page-size N] [--page-token T] [--external-id X] [--format table|json]",
		"Lists organizations, oldest first, one page at a time. The token for the next page\nis printed on stderr (table) or in next_page_token (json).")
	page := pageFlags(fs)
	externalID := fs.String("external-id", "", "only the organization with this external id")
	format := formatFlag(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	orgs, info, err := dir.ListOrganizations(ctx, *externalID, *page)
	if err != nil {
		return plainError(err)
	}
	if *format == "json" {
		out := make([]any, len(orgs))
		for i, o := range orgs {
			out[i] = api.OrganizationJSON(o)
		}
		return printJSON(pageJSON("organizations", out, info))
	}
	printOrgs(os.Stdout, orgs)
	printPageFooter("organizations", "roster org list", len(orgs), info)
	return nil
}

func printOrgs(w io.Writer, orgs []model.Organization) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSLUG\tEXTERNAL_ID\tCREATED")
	for _, o := range orgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.ID, o.DisplayName, orDash(o.Slug), orDash(o.ExternalID), tableTime(&o.CreatedAt))
	}
	tw.Flush()
}

// What follows is shared by the directory commands (org, user, member).

// subcommand is one action of a command, e.g. the create of `roster org create`.
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

// runSubcommand runs the action named by args[0].
func runSubcommand(ctx context.Context, command string, args []string, subs []subcommand) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: roster %s <action> [options]\n\nActions:\n", command)
		for _, s := range subs {
			fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun `roster %s <action> --help` for its options.\n", command)
	}
	if len(args) == 0 {
		usage(os.Stderr)
		return &usageError{}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(os.Stdout)
		return flag.ErrHelp
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:])
		}
		names[i] = s.name
	}
	return usageErrorf("unknown action %q: want %s", args[0], strings.Join(names, " or "))
}

// openDirectory connects as every command does (DATABASE_URL, or the
// private cluster, attaching to the one a running `roster serve` owns) and
// returns the directory with ctx naming the operator as the actor, so the
// audit log tells command-line changes from console and API ones.
func openDirectory(ctx context.Context) (context.Context, *directory.Service, func(), error) {
	cfg, db, closeDB, err := openMigratedDatabase(ctx)
	if err != nil {
		return ctx, nil, nil, err
	}
	dir := directory.New(store.New(db).WithMailKey(cfg.SecretKey), clock.Real{})
	dir.BaseURL = cfg.PublicURL.String() // invitation links point at the server
	return audit.WithActor(ctx, cliActor()), dir, closeDB, nil
}

func cliActor() model.Actor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return model.Actor{Type: "admin", Label: "cli:" + name}
}

// plainError keeps the service's message and drops its cause (a driver
// error, say), which the operator cannot act on; the message already says
// what is wrong, e.g. that the last admin cannot leave.
func plainError(err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return err
	}
	if len(e.Violations) > 1 {
		parts := make([]string, len(e.Violations))
		for i, v := range e.Violations {
			parts[i] = v.Field + " " + v.Description
		}
		return errors.New(strings.Join(parts, "; "))
	}
	return errors.New(e.Message)
}

// parseArgs parses flags wherever they stand among the positional arguments
// (`user show EMAIL --format json`); the flag package alone stops at the first
// positional one.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func parseNoArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parseArgs(fs, args)
	if err == nil && len(rest) > 0 {
		return usageErrorf("unexpected argument %q", rest[0])
	}
	return err
}

// formatFlag adds --format; a value other than table or json is a usage error.
func formatFlag(fs *flag.FlagSet) *string {
	format := "table"
	fs.Func("format", "`table|json`: table (the default) is for people, json for scripts", func(s string) error {
		if s != "table" && s != "json" {
			return errors.New("want table or json")
		}
		format = s
		return nil
	})
	return &format
}

func pageFlags(fs *flag.FlagSet) *store.PageRequest {
	var p store.PageRequest
	fs.IntVar(&p.Size, "page-size", 50, "how many to show, 1 to 100")
	fs.StringVar(&p.Token, "page-token", "", "continue from a previous page's next_page_token")
	return &p
}

// pageJSON is a list as the management API returns it.
func pageJSON[T any](key string, items []T, info store.PageInfo) map[string]any {
	return map[string]any{key: items, "next_page_token": info.NextToken,
		"prev_page_token": info.PrevToken, "total_size": info.TotalSize}
}

// printPageFooter says on stderr how to get the next page, so the table on
// stdout stays clean for grep and awk.
func printPageFooter(what, command string, shown int, info store.PageInfo) {
	fmt.Fprintf(os.Stderr, "%s shown: %d", what, shown)
	if info.TotalSize > shown {
		fmt.Fprintf(os.Stderr, " of %d", info.TotalSize)
	}
	fmt.Fprintln(os.Stderr)
	if info.NextToken != "" {
		fmt.Fprintf(os.Stderr, "next page: %s --page-token %s\n", command, info.NextToken)
	}
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

func tableTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

func jsonTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func jsonTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := jsonTime(*t)
	return &s
}
