package ratelimit

import "time"

// Every limit Roster applies, in one table. Per-key limits on mail are low
// because each attempt may put a mail in someone's inbox; per-IP limits
// leave room for an office behind one address; per-pair limits stop one
// network early and leave the rest of the per-key budget to everyone else.
var (
	// Identify counts the identity step of hosted sign-in (the email
	// typed first).
	Identify = Limit{Name: "identify", PerIP: 120, PerKey: 30, Window: 15 * time.Minute}

	// SignInMail counts every sign-in mail one address is sent: links and
	// codes, sign-up confirmations, resets, confirmations of a social
	// sign-in. One network may ask for 5; the address gets 15 in all.
	SignInMail = Limit{Name: "signin", PerIP: 60, PerKey: 15, PerPair: 5, Window: 15 * time.Minute}

	// CodeCheck counts guesses of email codes (each code also takes only
	// 5 guesses).
	CodeCheck = Limit{Name: "code", PerIP: 60, PerKey: 20, Window: 15 * time.Minute}

	// Password counts password attempts per client address, against
	// spraying one password over many accounts. Guesses at one account are
	// slowed by PasswordBackoff instead of a per-account window, which
	// would let anyone lock the owner out.
	Password = Limit{Name: "password", PerIP: 60, Window: 15 * time.Minute}

	// InviteMail counts invitation mails (new, resent, reminders) to one
	// address, from every path: console, API, CLI, bulk, members.
	InviteMail = Limit{Name: "invite", PerKey: 5, Window: time.Hour}

	// MemberInvites counts the invitations people send from the hosted
	// pages, per client address.
	MemberInvites = Limit{Name: "invite-ip", PerIP: 300, Window: time.Hour}

	// OrgInvites caps the invitations one organization sends in an hour
	// (key "org:<id>"), so a runaway list or script cannot flood the mail
	// server.
	OrgInvites = Limit{Name: "invite-org", PerKey: 2000, Window: time.Hour}
)

// PasswordBackoff shapes the slow-down of password guesses at one account
// from one network: Free wrong passwords, then a wait of First that
// doubles with each further wrong one, up to Max.
var PasswordBackoff = Backoff{Free: 5, First: 30 * time.Second, Max: time.Hour, Forget: 24 * time.Hour}
