package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"roster/internal/model"
	"roster/internal/store"
	"roster/web/api"
)

func init() {
	register(&command{name: "user", summary: "List users and show one with their memberships", run: runUser})
}

func runUser(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "user", args, []subcommand{
		{"list", "List or search users, one page at a time", runUserList},
		{"show", "Show a user with their memberships, roles and statuses", runUserShow},
	})
}

func runUserList(ctx context.Context, args []string) error {
	fs := newFlags("user list [--page-size N] [--page-token T] [--query Q] [--format table|json]",
		"Lists users, oldest first, one page at a time. With --query, only those whose email or\nname contains Q (3 to 100 characters).")
	page := pageFlags(fs)
	query := fs.String("query", "", "search email and name for this text")
	format := formatFlag(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if *query != "" {
		users, info, err := dir.SearchUsers(ctx, *query, *page)
		if err != nil {
			return plainError(err)
		}
		return printUserPage(users, info, *format, "roster user list --query "+shellQuote(*query))
	}
	users, info, err := dir.ListUsers(ctx, *page)
	if err != nil {
		return plainError(err)
	}
	return printUserPage(users, info, *format, "roster user list")
}

func runUserShow(ctx context.Context, args []string) error {
	fs := newFlags("user show (ID | EMAIL | --external-id X) [--format table|json]",
		"Shows a user with every membership: organization, roles, status and dates.")
	externalID := fs.String("external-id", "", "find the user by your own id instead")
	format := formatFlag(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 1:
		return usageErrorf("want one user, got %q", rest)
	case len(rest) == 1 && *externalID != "":
		return usageErrorf("name the user by ID, EMAIL or --external-id, not two of them")
	case len(rest) == 0 && *externalID == "":
		return usageErrorf("name the user by ID, EMAIL or --external-id")
	}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	var u model.User
	switch {
	case *externalID != "":
		u, err = dir.UserByExternalID(ctx, *externalID)
	case strings.Contains(rest[0], "@"):
		u, err = dir.UserByEmail(ctx, rest[0])
	default:
		u, err = dir.User(ctx, rest[0])
	}
	if err != nil {
		return plainError(err)
	}
	return printUser(u, *format)
}

func printUserPage(users []model.User, info store.PageInfo, format, command string) error {
	if format == "json" {
		out := make([]any, len(users))
		for i, u := range users {
			out[i] = api.UserJSON(u)
		}
		return printJSON(pageJSON("users", out, info))
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tORGS\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", u.ID, u.Email, orDash(u.Name), len(u.Memberships), tableTime(&u.CreatedAt))
	}
	tw.Flush()
	printPageFooter("users", command, len(users), info)
	return nil
}

// printUser shows one user: JSON as the API's user object, or their profile
// followed by a table of memberships.
func printUser(u model.User, format string) error {
	if format == "json" {
		return printJSON(api.UserJSON(u))
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\t%s\n", u.ID)
	fmt.Fprintf(tw, "EMAIL\t%s (verified: %t)\n", u.Email, u.EmailVerified)
	fmt.Fprintf(tw, "NAME\t%s\n", orDash(u.Name))
	fmt.Fprintf(tw, "EXTERNAL_ID\t%s\n", orDash(u.ExternalID))
	fmt.Fprintf(tw, "CREATED\t%s\n", tableTime(&u.CreatedAt))
	fmt.Fprintf(tw, "LAST_LOGIN\t%s\n", tableTime(u.LastLoginAt))
	tw.Flush()
	fmt.Println()
	printMemberships(os.Stdout, u.Memberships)
	return nil
}

func printMemberships(w io.Writer, ms []model.Membership) {
	if len(ms) == 0 {
		fmt.Fprintln(w, "No memberships.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORGANIZATION_ID\tORGANIZATION\tSTATUS\tROLES\tJOINED\tINVITE_EXPIRES")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.OrganizationID, m.OrganizationName, m.Status,
			strings.Join(roleNameList(m.Roles), ","), tableTime(m.JoinedAt), tableTime(m.InviteExpiresAt))
	}
	tw.Flush()
}

// rolesIn names the roles u holds in org, for a one-line confirmation.
func rolesIn(u model.User, orgID string) string {
	for _, m := range u.Memberships {
		if m.OrganizationID == orgID {
			return strings.Join(roleNameList(m.Roles), ", ")
		}
	}
	return "-"
}

func roleNameList(roles model.RoleRefs) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Name
	}
	return out
}

// shellQuote quotes s for the "next page" hint, so it can be pasted back.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
