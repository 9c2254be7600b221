package api

import (
	"roster/internal/directory"
	"roster/internal/model"
)

// The API's JSON objects. They follow the shape in the reference model
// (snake_case, *_time timestamps in RFC 3339 UTC), which differs from the
// database's columns, so each object is built here explicitly.
//
// An optional field that is not set is left out (omitempty), never sent as
// null: that is the reference API's shape, and clients generated from
// openapi.json type these fields as optional strings, not nullable ones.
// Arrays and maps are always sent, empty when they hold nothing.

type organizationJSON struct {
	ID          string          `json:"id"`
	DisplayName string          `json:"display_name"`
	Slug        *string         `json:"slug,omitempty"`
	ExternalID  *string         `json:"external_id,omitempty"`
	Metadata    model.Metadata  `json:"metadata"`
	Settings    orgSettingsJSON `json:"settings"`
	LogoURL     *string         `json:"logo_url,omitempty"`
	CreateTime  string          `json:"create_time"`
	UpdateTime  string          `json:"update_time"`
}

type orgSettingsJSON struct {
	Features        []featureJSON `json:"features"`
	MaxAllowedUsers int           `json:"max_allowed_users"`
}

type featureJSON struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

func toOrganization(o model.Organization, known []string) organizationJSON {
	features := make([]featureJSON, 0, len(known))
	for _, name := range known {
		on, _ := o.Settings[name].(bool)
		features = append(features, featureJSON{Name: name, Enabled: on})
	}
	md := o.Metadata
	if md == nil {
		md = model.Metadata{}
	}
	return organizationJSON{
		ID: o.ID, DisplayName: o.DisplayName, Slug: o.Slug, ExternalID: o.ExternalID,
		Metadata: md, LogoURL: o.LogoURL,
		Settings:   orgSettingsJSON{Features: features, MaxAllowedUsers: o.MaxAllowedUsers},
		CreateTime: ts(o.CreatedAt), UpdateTime: ts(o.UpdatedAt),
	}
}

type userJSON struct {
	ID            string           `json:"id"`
	Email         string           `json:"email"`
	ExternalID    *string          `json:"external_id,omitempty"`
	Metadata      model.Metadata   `json:"metadata"`
	CreateTime    string           `json:"create_time"`
	UpdateTime    string           `json:"update_time"`
	LastLoginTime *string          `json:"last_login_time,omitempty"`
	UserProfile   userProfileJSON  `json:"user_profile"`
	Memberships   []membershipJSON `json:"memberships"`
}

type userProfileJSON struct {
	GivenName          *string            `json:"given_name,omitempty"`
	FamilyName         *string            `json:"family_name,omitempty"`
	Name               *string            `json:"name,omitempty"`
	Locale             *string            `json:"locale,omitempty"`
	Picture            *string            `json:"picture,omitempty"`
	PhoneNumber        *string            `json:"phone_number,omitempty"`
	EmailVerified      bool               `json:"email_verified"`
	CustomAttributes   model.JSONObject   `json:"custom_attributes"`
	ExternalIdentities []externalIdentity `json:"external_identities"`
}

type externalIdentity struct {
	ConnectionID       *string `json:"connection_id,omitempty"`
	ConnectionType     string  `json:"connection_type"`
	ConnectionProvider string  `json:"connection_provider"`
	ConnectionUserID   string  `json:"connection_user_id"`
	IsSocial           bool    `json:"is_social"`
	LastLoginTime      *string `json:"last_login_time,omitempty"`
	CreatedTime        string  `json:"created_time"`
}

type membershipJSON struct {
	OrganizationID          string          `json:"organization_id"`
	Name                    string          `json:"name"`
	DisplayName             string          `json:"display_name"`
	JoinTime                *string         `json:"join_time,omitempty"`
	MembershipStatus        string          `json:"membership_status"`
	Roles                   []model.RoleRef `json:"roles"`
	Permissions             []string        `json:"permissions"`
	Metadata                model.Metadata  `json:"metadata"`
	InviterEmail            *string         `json:"inviter_email,omitempty"`
	CreatedAt               string          `json:"created_at"`
	AcceptedAt              *string         `json:"accepted_at,omitempty"`
	ExpiresAt               *string         `json:"expires_at,omitempty"`
	ResentCount             int             `json:"resent_count"`
	ProvisioningMethod      string          `json:"provisioning_method"`
	PrimaryIdentityProvider *string         `json:"primary_identity_provider,omitempty"`
}

func toUser(u model.User) userJSON {
	out := userJSON{
		ID: u.ID, Email: u.Email, ExternalID: u.ExternalID, Metadata: u.Metadata,
		CreateTime: ts(u.CreatedAt), UpdateTime: ts(u.UpdatedAt), LastLoginTime: tsPtr(u.LastLoginAt),
		UserProfile: userProfileJSON{
			GivenName: u.GivenName, FamilyName: u.FamilyName, Name: u.Name, Locale: u.Locale,
			Picture: u.Picture, PhoneNumber: u.PhoneNumber, EmailVerified: u.EmailVerified,
			CustomAttributes: u.CustomAttributes, ExternalIdentities: []externalIdentity{},
		},
		Memberships: make([]membershipJSON, 0, len(u.Memberships)),
	}
	if out.Metadata == nil {
		out.Metadata = model.Metadata{}
	}
	if out.UserProfile.CustomAttributes == nil {
		out.UserProfile.CustomAttributes = model.JSONObject{}
	}
	for _, id := range u.Identities {
		out.UserProfile.ExternalIdentities = append(out.UserProfile.ExternalIdentities, externalIdentity{
			ConnectionID: id.ConnectionID, ConnectionType: connectionType(id), ConnectionProvider: id.ProviderKind,
			ConnectionUserID: id.Subject, IsSocial: id.IsSocial, LastLoginTime: tsPtr(id.LastLoginAt),
			CreatedTime: ts(id.CreatedAt),
		})
	}
	for _, m := range u.Memberships {
		out.Memberships = append(out.Memberships, toMembership(m))
	}
	return out
}

func connectionType(id model.Identity) string {
	switch id.ProviderKind {
	case "SAML":
		return "SAML"
	case "EMAIL", "PASSWORD":
		return id.ProviderKind
	}
	return "OIDC"
}

func toMembership(m model.Membership) membershipJSON {
	roles := []model.RoleRef(m.Roles)
	if roles == nil {
		roles = []model.RoleRef{}
	}
	perms := m.Permissions
	if perms == nil {
		perms = []string{}
	}
	md := m.Metadata
	if md == nil {
		md = model.Metadata{}
	}
	return membershipJSON{
		OrganizationID: m.OrganizationID, Name: m.OrganizationName, DisplayName: m.OrganizationName,
		JoinTime: tsPtr(m.JoinedAt), MembershipStatus: m.Status, Roles: roles, Permissions: perms,
		Metadata: md, InviterEmail: m.InviterEmail, CreatedAt: ts(m.CreatedAt),
		AcceptedAt: tsPtr(m.InviteAcceptedAt), ExpiresAt: tsPtr(m.InviteExpiresAt),
		ResentCount: m.ResentCount, ProvisioningMethod: m.ProvisioningMethod,
		PrimaryIdentityProvider: m.PrimaryIdentityProvider,
	}
}

func toUsers(users []model.User) []userJSON {
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUser(u)
	}
	return out
}

// UserJSON is the API's user object for u, for other front ends (the CLI)
// that print what the API would.
func UserJSON(u model.User) any { return toUser(u) }

// OrganizationJSON is the API's organization object for o.
func OrganizationJSON(o model.Organization) any {
	return toOrganization(o, directory.KnownFeatures)
}
