package directory

import (
	"context"
	"maps"
	"sort"
	"strings"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
)

// UserInput is what a caller may set on a user. Nil fields stay as they are.
type UserInput struct {
	Email            *string
	ExternalID       *string
	GivenName        *string
	FamilyName       *string
	Name             *string
	Locale           *string
	Picture          *string
	PhoneNumber      *string
	CustomAttributes model.JSONObject
	Metadata         model.Metadata

	// EmailLocked refuses a change to another address (the same one in
	// other letter case is fine): for callers who may edit a profile but
	// not hand the account to another mailbox, such as console editors.
	EmailLocked bool
}

func applyUserInput(v *apperr.Violations, u model.User, in UserInput) model.User {
	if in.Email != nil {
		u.Email = checkEmail(v, "email", *in.Email)
	}
	if in.ExternalID != nil {
		u.ExternalID = checkOptional(v, "external_id", in.ExternalID, 255)
	}
	if in.GivenName != nil {
		u.GivenName = checkOptional(v, "user_profile.given_name", in.GivenName, 255)
	}
	if in.FamilyName != nil {
		u.FamilyName = checkOptional(v, "user_profile.family_name", in.FamilyName, 255)
	}
	if in.Name != nil {
		u.Name = checkOptional(v, "user_profile.name", in.Name, 255)
	}
	if in.Locale != nil {
		u.Locale = checkOptional(v, "user_profile.locale", in.Locale, 35)
	}
	if in.Picture != nil {
		u.Picture = checkHTTPSURL(v, "user_profile.picture", in.Picture)
	}
	if in.PhoneNumber != nil {
		u.PhoneNumber = checkOptional(v, "user_profile.phone_number", in.PhoneNumber, 32)
	}
	if in.CustomAttributes != nil {
		if len(in.CustomAttributes) > 100 {
			v.Add("user_profile.custom_attributes", "must have at most 100 keys")
		}
		u.CustomAttributes = in.CustomAttributes
	}
	if in.Metadata != nil {
		u.Metadata = checkMetadata(v, "metadata", in.Metadata)
	}
	// The display name follows the given and family names unless set apart.
	if u.Name == nil && (u.GivenName != nil || u.FamilyName != nil) {
		full := strings.TrimSpace(nullable.Value(u.GivenName) + " " + nullable.Value(u.FamilyName))
		u.Name = &full
	}
	return u
}

// findOrCreateUser returns the user with in's email, creating them if new.
// Two requests creating one email at once get the same user.
func (s *Service) findOrCreateUser(ctx context.Context, tx *store.Store, in UserInput) (model.User, bool, error) {
	var v apperr.Violations
	if in.Email == nil {
		v.Add("email", "is required")
	}
	u := applyUserInput(&v, model.User{Metadata: model.Metadata{}, CustomAttributes: model.JSONObject{}}, in)
	if err := v.Err(); err != nil {
		return u, false, err
	}
	u.ID = ids.New(ids.User)
	u.CreatedAt = s.clock.Now()
	out, created, err := tx.InsertUser(ctx, u)
	if err != nil || !created {
		return out, false, err
	}
	return out, true, audit.Record(ctx, tx, s.clock, audit.Event{
		Action: "user.created", UserID: out.ID, TargetType: "user", TargetID: out.ID,
		Changes: model.JSONObject{"email": out.Email, "external_id": out.ExternalID},
	})
}

// User returns a whole user: profile, identities and every membership.
func (s *Service) User(ctx context.Context, id string) (model.User, error) {
	u, err := s.store.User(ctx, id)
	if err != nil {
		return u, err
	}
	return s.complete(ctx, u)
}

// UserByExternalID returns a whole user by the customer's id.
func (s *Service) UserByExternalID(ctx context.Context, externalID string) (model.User, error) {
	u, err := s.store.UserByExternalID(ctx, externalID)
	if err != nil {
		return u, err
	}
	return s.complete(ctx, u)
}

func (s *Service) complete(ctx context.Context, u model.User) (model.User, error) {
	users, err := s.withMemberships(ctx, []model.User{u})
	if err != nil {
		return u, err
	}
	u = users[0]
	u.Identities, err = s.store.Identities(ctx, u.ID)
	return u, err
}

// withMemberships fills the memberships of a page of users in one round trip.
func (s *Service) withMemberships(ctx context.Context, users []model.User) ([]model.User, error) {
	userIDs := make([]string, len(users))
	for i, u := range users {
		userIDs[i] = u.ID
	}
	ms, err := s.store.MembershipsOfUsers(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	for i := range users {
		users[i].Memberships = ms[users[i].ID]
		if users[i].Memberships == nil {
			users[i].Memberships = []model.Membership{}
		}
		for j := range users[i].Memberships {
			markExpired(&users[i].Memberships[j], now)
		}
	}
	return users, nil
}

// ListUsers pages through every user.
func (s *Service) ListUsers(ctx context.Context, page store.PageRequest) ([]model.User, store.PageInfo, error) {
	users, info, err := s.store.ListUsers(ctx, page)
	if err != nil {
		return nil, info, err
	}
	users, err = s.withMemberships(ctx, users)
	return users, info, err
}

// SearchUsers finds users by email or name substring.
func (s *Service) SearchUsers(ctx context.Context, query string, page store.PageRequest) ([]model.User, store.PageInfo, error) {
	query = strings.TrimSpace(query)
	if n := len([]rune(query)); n < 3 || n > 100 {
		return nil, store.PageInfo{}, apperr.Invalid(apperr.Field("query", "must be 3 to 100 characters"))
	}
	users, info, err := s.store.SearchUsers(ctx, query, page)
	if err != nil {
		return nil, info, err
	}
	users, err = s.withMemberships(ctx, users)
	return users, info, err
}

// UpdateUser changes the fields set in in. A change to another address is
// an ownership change (see email_change.go): the user's sessions end, the
// links and codes of the old address stop working, the old address is
// mailed, and the new one is unverified.
func (s *Service) UpdateUser(ctx context.Context, id string, in UserInput) (model.User, error) {
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		before, err := tx.LockUser(ctx, id)
		if err != nil {
			return err
		}
		var v apperr.Violations
		u := applyUserInput(&v, before, in)
		moved := !SameAddress(before.Email, u.Email)
		if moved && in.EmailLocked {
			v.Add("email", emailLockedMessage)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if moved {
			u.EmailVerified = false // proven only when its owner signs in with it
		}
		u.UpdatedAt = s.clock.Now()
		after, err := tx.UpdateUser(ctx, u)
		if err != nil {
			return err
		}
		ev := audit.Event{
			Action: "user.updated", UserID: id, TargetType: "user", TargetID: id,
			Changes: userChanges(before, after),
		}
		if moved {
			done, err := s.handOver(ctx, tx, before, after)
			if err != nil {
				return err
			}
			ev.Action = "user.email_changed"
			maps.Copy(ev.Changes, done)
		}
		return audit.Record(ctx, tx, s.clock, ev)
	})
	if err != nil {
		return model.User{}, err
	}
	return s.User(ctx, id)
}

// DeleteUser deletes a user: every session ends, identities and memberships
// go. Refused when the user is the last active admin of an org that has
// other active members, since that org would be left without one.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.User(ctx, id)
		if err != nil {
			return err
		}
		ms, err := tx.MembershipsOfUsers(ctx, []string{id})
		if err != nil {
			return err
		}
		// Lock orgs in id order so two such deletions cannot deadlock.
		sort.Slice(ms[id], func(i, j int) bool { return ms[id][i].OrganizationID < ms[id][j].OrganizationID })
		for _, m := range ms[id] {
			if _, err := tx.LockOrganization(ctx, m.OrganizationID); err != nil {
				return err
			}
			if err := s.checkLeavesAnAdmin(ctx, tx, m, nil); err != nil {
				return err
			}
		}
		if _, err := tx.RevokeAllUserSessions(ctx, id, s.clock.Now()); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "user.deleted", UserID: id, TargetType: "user", TargetID: id,
			Changes: model.JSONObject{"email": u.Email, "memberships": len(ms[id])},
		})
	})
}

func userChanges(a, b model.User) model.JSONObject {
	c := model.JSONObject{}
	diff := func(field string, from, to *string) {
		if nullable.Value(from) != nullable.Value(to) {
			c[field] = map[string]any{"from": from, "to": to}
		}
	}
	if a.Email != b.Email {
		c["email"] = map[string]any{"from": a.Email, "to": b.Email}
	}
	if a.EmailVerified != b.EmailVerified {
		c["email_verified"] = map[string]any{"from": a.EmailVerified, "to": b.EmailVerified}
	}
	diff("external_id", a.ExternalID, b.ExternalID)
	diff("given_name", a.GivenName, b.GivenName)
	diff("family_name", a.FamilyName, b.FamilyName)
	diff("name", a.Name, b.Name)
	diff("locale", a.Locale, b.Locale)
	diff("picture", a.Picture, b.Picture)
	diff("phone_number", a.PhoneNumber, b.PhoneNumber)
	if !sameMetadata(a.Metadata, b.Metadata) {
		c["metadata"] = map[string]any{"from": a.Metadata, "to": b.Metadata}
	}
	return c
}
