package directory

import (
	"context"
	"strings"

	"roster/internal/mail"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
)

// An email change is an ownership change. Whoever reads a user's address
// can sign in as them (a mailed link or code proves the inbox), so moving
// the account to another address hands it to another mailbox. UpdateUser is
// the one place an address changes, whoever asks (console, API, command
// line), and there such a change always:
//
//   - ends every session of the user;
//   - revokes every open link and code that would still reach the account
//     through the old address (sign-in links and codes, password resets,
//     address confirmations, invitations) and drops its inbox identity;
//   - mails the old address, in the same transaction, so its owner learns
//     of it even when the change was not theirs;
//   - leaves the new address unverified until its owner signs in with a
//     link or code sent to it; nobody can set it verified in the same call;
//   - records both addresses in the audit log (user.email_changed).
//
// The same address in other letter case is not a change of owner: Roster
// compares addresses case-insensitively everywhere (one user per address,
// whatever its case), so such an edit only fixes the spelling.

// SameAddress reports whether a and b are one mailbox to Roster: equal but
// for letter case and surrounding space.
func SameAddress(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// emailLockedMessage is what a caller who may not change addresses hears.
const emailLockedMessage = "can be changed only by an owner: a new address hands the account to whoever reads it"

// handOver does what moving the user from before's address to after's does,
// in the change's transaction, and returns what it did for the audit event.
func (s *Service) handOver(ctx context.Context, tx *store.Store, before, after model.User) (model.JSONObject, error) {
	now := s.clock.Now()
	ended, err := tx.RevokeAllUserSessions(ctx, before.ID, now)
	if err != nil {
		return nil, err
	}
	revoked, err := tx.RevokeTokensOfOldAddress(ctx, before.ID, before.Email, now)
	if err != nil {
		return nil, err
	}
	if _, err := tx.DeleteInboxIdentities(ctx, before.ID); err != nil {
		return nil, err
	}
	if err := s.queueEmailChangedNotice(ctx, tx, before, after); err != nil {
		return nil, err
	}
	return model.JSONObject{"sessions_ended": ended, "links_revoked": revoked, "notified": before.Email}, nil
}

// queueEmailChangedNotice tells the old address where the account went. The
// new address is masked: enough for its owner to recognise their own, or to
// see that it is not theirs, without giving someone else's address away.
func (s *Service) queueEmailChangedNotice(ctx context.Context, tx *store.Store, before, after model.User) error {
	app, err := tx.AppName(ctx)
	if err != nil {
		return err
	}
	c, err := mail.ComposeNotice(ctx, mail.Notice{
		Title: "Your email address for " + app + " was changed",
		Paragraphs: []string{
			"Your email address was changed to " + maskAddress(after.Email) + ". From now on, sign-in links and codes for your " +
				app + " account go there, not to " + before.Email + ".",
			"You have been signed out everywhere, and links and codes sent to this address before the change no longer work.",
			"If this wasn't you, contact your administrator.",
		},
		Footer: "This mail went to the address the account had until " + s.clock.Now().UTC().Format("2 January 2006, 15:04 UTC") + ".",
	})
	if err != nil {
		return err
	}
	return tx.QueueEmail(ctx, store.Email{
		To: before.Email, ToName: nullable.Value(after.Name),
		Subject: c.Subject, Text: c.Text, HTML: c.HTML, Kind: "email_changed",
	}, s.clock.Now())
}

// maskAddress shows an address as its first character, three stars and its
// domain: "nina@example.com" becomes "n***@example.com".
func maskAddress(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 1 {
		return "***"
	}
	first := []rune(email[:at])[0]
	return string(first) + "***" + email[at:]
}
