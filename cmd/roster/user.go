package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
	"roster/web/api"
)

func init() {
	register(&command{name: "user", summary: "List users, show one with their memberships, change one", run: runUser})
}

func runUser(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "user", args, []subcommand{
		{"list", "List or search users, one page at a time", runUserList},
		{"show", "Show a user with their memberships, roles and statuses", runUserShow},
		{"update", "Change a user's email or profile", runUserUpdate},
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
	if err := checkUserNamed(rest, *externalID); err != nil {
		return err
	}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := findUser(ctx, dir, rest, *externalID)
	if err != nil {
		return plainError(err)
	}
	return printUser(u, *format)
}

func runUserUpdate(ctx context.Context, args []string) error {
	fs := newFlags("user update (ID | EMAIL | --external-id X) [--email E] [--given-name G] [--family-name F]\n"+
		"                          [--name N] [--locale L] [--phone-number P] [--format table|json]",
		"Changes the fields given; the others stay as they are, and an empty value clears an\n"+
			"optional one. A new --email is an ownership change: whoever reads the new address can\n"+
			"sign in as the user. So every session of the user ends, the sign-in links and codes,\n"+
			"resets and invitations of the old address stop working, the old address is mailed a\n"+
			"notice, and the new address is unverified until its owner signs in with a link or code\n"+
			"sent to it. The same address in other letter case only changes its spelling.")
	externalID := fs.String("external-id", "", "find the user by your own id instead")
	fields := map[string]*string{}
	for _, f := range []struct{ name, usage string }{
		{"email", "the user's new email"},
		{"given-name", "the given name"},
		{"family-name", "the family name"},
		{"name", "the display name (empty: the given and family names)"},
		{"locale", "the locale, such as en-GB"},
		{"phone-number", "the phone number"},
	} {
		fields[f.name] = fs.String(f.name, "", f.usage)
	}
	format := formatFlag(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := checkUserNamed(rest, *externalID); err != nil {
		return err
	}
	// Only the flags given change anything, even when given empty.
	given := map[string]*string{}
	fs.Visit(func(f *flag.Flag) {
		if v, ok := fields[f.Name]; ok {
			given[f.Name] = v
		}
	})
	if len(given) == 0 {
		return usageErrorf("give a field to change: --email, --given-name, --family-name, --name, --locale or --phone-number")
	}
	in := directory.UserInput{
		Email: given["email"], GivenName: given["given-name"], FamilyName: given["family-name"],
		Name: given["name"], Locale: given["locale"], PhoneNumber: given["phone-number"],
	}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	before, err := findUser(ctx, dir, rest, *externalID)
	if err != nil {
		return plainError(err)
	}
	after, err := dir.UpdateUser(ctx, before.ID, in)
	if err != nil {
		return plainError(err)
	}
	if !directory.SameAddress(before.Email, after.Email) {
		fmt.Fprintf(os.Stderr, "The email changed from %s to %s: every session of the user ended, %s was mailed a notice,\n"+
			"and %s is unverified until its owner signs in with a link or code sent to it.\n",
			before.Email, after.Email, before.Email, after.Email)
	}
	return printUser(after, *format)
}

// checkUserNamed checks that the arguments name one user: by ID or EMAIL,
// or by --external-id.
func checkUserNamed(rest []string, externalID string) error {
	switch {
	case len(rest) > 1:
		return usageErrorf("want one user, got %q", rest)
	case len(rest) == 1 && externalID != "":
		return usageErrorf("name the user by ID, EMAIL or --external-id, not two of them")
	case len(rest) == 0 && externalID == "":
		return usageErrorf("name the user by ID, EMAIL or --external-id")
	}
	return nil
}

// findUser finds the user checkUserNamed accepted.
func findUser(ctx context.Context, dir *directory.Service, rest []string, externalID string) (model.User, error) {
	switch {
	case externalID != "":
		return dir.UserByExternalID(ctx, externalID)
	case strings.Contains(rest[0], "@"):
		return dir.UserByEmail(ctx, rest[0])
	}
	return dir.User(ctx, rest[0])
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
