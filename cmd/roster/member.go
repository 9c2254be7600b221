package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"roster/internal/apperr"
	"roster/internal/directory"
)

func init() {
	register(&command{name: "member", summary: "Add people to organizations and remove them", run: runMember})
}

func runMember(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "member", args, []subcommand{
		{"add", "Add a person to an organization, or invite them", runMemberAdd},
		{"remove", "Remove a person from an organization", runMemberRemove},
	})
}

// roleList collects a flag given once per value: --role admin --role billing.
type roleList []string

func (r *roleList) String() string { return strings.Join(*r, ",") }

func (r *roleList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("a role needs a name")
	}
	*r = append(*r, strings.TrimSpace(s))
	return nil
}

func runMemberAdd(ctx context.Context, args []string) error {
	fs := newFlags("member add --org ORG_ID --email E [--role R]... [--invite] [--format table|json]",
		"Adds the user with that email (created if new) to the organization. Without --role they\nget the organization's default member role. Without --invite the membership is ACTIVE at\nonce; with it, PENDING_INVITE, and an invitation email is queued for the server to send.")
	orgID := fs.String("org", "", "the organization's id (required)")
	email := fs.String("email", "", "the person's email (required)")
	var roles roleList
	fs.Var(&roles, "role", "a role to give, by name; repeat for several")
	invite := fs.Bool("invite", false, "invite by email instead of adding as active at once")
	format := formatFlag(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *orgID == "" || *email == "" {
		return usageErrorf("--org and --email are required")
	}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := dir.AddMember(ctx, *orgID, directory.UserInput{Email: email},
		directory.MembershipInput{Roles: roles, SendInvitation: *invite})
	if err != nil {
		return plainError(err)
	}
	return printUser(u, *format)
}

func runMemberRemove(ctx context.Context, args []string) error {
	fs := newFlags("member remove --org ORG_ID (--user USER_ID | --email E) [--keep-user | --delete-user]",
		"Removes the person from the organization and ends their sessions there at once.\nThe org's last active admin cannot be removed while the org exists: make another\nmember admin first, or delete the org. A user left without any membership is kept\nor deleted as the environment setting says (kept unless it was turned on), or as\n--keep-user or --delete-user says.")
	orgID := fs.String("org", "", "the organization's id (required)")
	userID := fs.String("user", "", "the user's id")
	email := fs.String("email", "", "the user's email, instead of --user")
	keepUser := fs.Bool("keep-user", false, "keep the user even if this was their last membership")
	deleteUser := fs.Bool("delete-user", false, "delete the user if this was their last membership")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *keepUser && *deleteUser {
		return usageErrorf("give --keep-user or --delete-user, not both")
	}
	if *orgID == "" {
		return usageErrorf("--org is required")
	}
	if (*userID == "") == (*email == "") {
		return usageErrorf("name the user by --user or --email (one of them)")
	}

	ctx, dir, closeDB, err := openDirectory(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	who, label := *userID, *userID
	if *email != "" {
		u, err := dir.UserByEmail(ctx, *email)
		if err != nil {
			return plainError(err)
		}
		who, label = u.ID, u.Email+" ("+u.ID+")"
	}
	var deleteOrphan *bool // nil: as the environment setting says
	if *keepUser || *deleteUser {
		deleteOrphan = new(*deleteUser)
	}
	if err := dir.RemoveMembership(ctx, *orgID, who, deleteOrphan); err != nil {
		return plainError(err)
	}
	fmt.Printf("removed %s from %s\n", label, *orgID)
	// Say so when the user went too, since that cannot be undone.
	if _, err := dir.User(ctx, who); errors.Is(err, apperr.ErrNotFound) {
		fmt.Printf("deleted user %s: it had no other membership\n", who)
	} else if err != nil {
		return err
	}
	return nil
}
