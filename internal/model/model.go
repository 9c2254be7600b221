// Package model holds Roster's objects as the store reads and writes them.
// The API and the pages shape their own views of these; the field names here
// follow the database columns.
package model

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"time"
)

// Membership statuses.
const (
	StatusActive        = "ACTIVE"
	StatusInactive      = "INACTIVE" // de-provisioned by a directory, kept for audit
	StatusPendingInvite = "PENDING_INVITE"
	StatusInviteExpired = "INVITE_EXPIRED"
)

// How a membership came to be.
const (
	ProvisionedOrgCreator  = "org_creator"
	ProvisionedInvitation  = "invitation"
	ProvisionedDirect      = "direct_provision"
	ProvisionedEmailDomain = "allowed_email_domain"
	ProvisionedJITUsingSSO = "jit_using_sso"
)

// Metadata is a string map stored as a JSON object.
type Metadata map[string]string

// Value stores the map as JSON ("{}" when empty, never null).
func (m Metadata) Value() (driver.Value, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

// Scan reads a JSON object.
func (m *Metadata) Scan(src any) error {
	*m = Metadata{}
	return scanJSON(src, m)
}

// JSONObject is any JSON object (settings, custom attributes, audit changes).
type JSONObject map[string]any

// Value stores the object as JSON ("{}" when empty).
func (o JSONObject) Value() (driver.Value, error) {
	if o == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(o)
}

// Scan reads a JSON object.
func (o *JSONObject) Scan(src any) error {
	*o = JSONObject{}
	return scanJSON(src, o)
}

// Organization is a tenant.
type Organization struct {
	ID                  string     `db:"id"`
	DisplayName         string     `db:"display_name"`
	Slug                *string    `db:"slug"`
	ExternalID          *string    `db:"external_id"`
	Metadata            Metadata   `db:"metadata"`
	Settings            JSONObject `db:"settings"`
	MaxAllowedUsers     int        `db:"max_allowed_users"`
	LogoURL             *string    `db:"logo_url"`
	DefaultMemberRoleID *string    `db:"default_member_role_id"`
	CreatedAt           time.Time  `db:"created_at"`
	UpdatedAt           time.Time  `db:"updated_at"`
}

// User is one person, unique by email in the environment.
type User struct {
	ID               string     `db:"id"`
	Email            string     `db:"email"`
	EmailVerified    bool       `db:"email_verified"`
	ExternalID       *string    `db:"external_id"`
	GivenName        *string    `db:"given_name"`
	FamilyName       *string    `db:"family_name"`
	Name             *string    `db:"name"`
	Locale           *string    `db:"locale"`
	Picture          *string    `db:"picture"`
	PhoneNumber      *string    `db:"phone_number"`
	CustomAttributes JSONObject `db:"custom_attributes"`
	Metadata         Metadata   `db:"metadata"`
	LastLoginAt      *time.Time `db:"last_login_at"`
	CreatedAt        time.Time  `db:"created_at"`
	UpdatedAt        time.Time  `db:"updated_at"`

	// Filled by the directory when asked for a whole user.
	Memberships []Membership `db:"-"`
	Identities  []Identity   `db:"-"`
}

// Identity is one way a user signs in (a Google account, an SSO subject, …).
type Identity struct {
	ID            string     `db:"id"`
	UserID        string     `db:"user_id"`
	ProviderKind  string     `db:"provider_kind"`
	ConnectionID  *string    `db:"connection_id"`
	IsSocial      bool       `db:"is_social"`
	Issuer        string     `db:"issuer"`
	Subject       string     `db:"subject"`
	Email         *string    `db:"email"`
	EmailVerified bool       `db:"email_verified"`
	LastLoginAt   *time.Time `db:"last_login_at"`
	CreatedAt     time.Time  `db:"created_at"`
}

// Membership is a user's place in one organization.
type Membership struct {
	ID                      string     `db:"id"`
	UserID                  string     `db:"user_id"`
	OrganizationID          string     `db:"organization_id"`
	OrganizationName        string     `db:"organization_name"` // the org's display name, joined in
	Status                  string     `db:"status"`
	ProvisioningMethod      string     `db:"provisioning_method"`
	PrimaryIdentityProvider *string    `db:"primary_identity_provider"`
	Metadata                Metadata   `db:"metadata"`
	InviterUserID           *string    `db:"inviter_user_id"`
	InviterEmail            *string    `db:"inviter_email"`
	InviteCreatedAt         *time.Time `db:"invite_created_at"`
	InviteExpiresAt         *time.Time `db:"invite_expires_at"`
	InviteAcceptedAt        *time.Time `db:"invite_accepted_at"`
	ResentCount             int        `db:"resent_count"`
	JoinedAt                *time.Time `db:"joined_at"`
	CreatedAt               time.Time  `db:"created_at"`
	UpdatedAt               time.Time  `db:"updated_at"`

	Roles       RoleRefs `db:"roles"` // aggregated in SQL where a query selects them
	Permissions []string `db:"-"`     // effective, inherited included
}

// RoleRef names a role held by a membership.
type RoleRef struct {
	ID          string `db:"id" json:"id"`
	Name        string `db:"name" json:"name"`
	DisplayName string `db:"display_name" json:"display_name"`
}

// RoleRefs is a list of roles read from a JSON array built in SQL.
type RoleRefs []RoleRef

// Scan reads a JSON array of {id, name, display_name}.
func (r *RoleRefs) Scan(src any) error {
	*r = RoleRefs{}
	return scanJSON(src, r)
}

// scanJSON decodes a json/jsonb column into dst; NULL leaves dst as the
// caller emptied it.
func scanJSON(src any, dst any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(v, dst)
	case string:
		return json.Unmarshal([]byte(v), dst)
	}
	return errors.New("model: want JSON from the database")
}

// Role is a named set of permissions; OrganizationID is nil for environment roles.
type Role struct {
	ID             string    `db:"id"`
	OrganizationID *string   `db:"organization_id"`
	Name           string    `db:"name"`
	DisplayName    string    `db:"display_name"`
	Description    string    `db:"description"`
	ExtendsRoleID  *string   `db:"extends_role_id"`
	ExtendsName    *string   `db:"extends_name"` // joined in
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`

	Permissions    []string `db:"-"` // its own
	DefaultCreator bool     `db:"-"`
	DefaultMember  bool     `db:"-"`
}

// Permission is a named right, "resource:action".
type Permission struct {
	ID          string    `db:"id"`
	Name        string    `db:"name"`
	Description string    `db:"description"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

// Domain is an email domain an organization has claimed.
type Domain struct {
	ID                 string     `db:"id"`
	OrganizationID     string     `db:"organization_id"`
	Domain             string     `db:"domain"`
	DomainType         string     `db:"domain_type"`
	VerificationStatus string     `db:"verification_status"`
	VerificationMethod string     `db:"verification_method"`
	TXTRecordKey       *string    `db:"txt_record_key"`
	TXTRecordSecret    *string    `db:"txt_record_secret"`
	LastCheckedAt      *time.Time `db:"last_checked_at"`
	VerifiedAt         *time.Time `db:"verified_at"`
	CreatedAt          time.Time  `db:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at"`
}

// Session is an end user's server-side session.
type Session struct {
	ID                string     `db:"id"`
	UserID            string     `db:"user_id"`
	OrganizationID    *string    `db:"organization_id"`
	Status            string     `db:"status"`
	IP                *string    `db:"ip"`
	UserAgent         *string    `db:"user_agent"`
	CreatedAt         time.Time  `db:"created_at"`
	LastActiveAt      time.Time  `db:"last_active_at"`
	IdleExpiresAt     time.Time  `db:"idle_expires_at"`
	AbsoluteExpiresAt time.Time  `db:"absolute_expires_at"`
	EndedAt           *time.Time `db:"ended_at"`

	AuthenticatedOrganizations []string `db:"-"`
}

// EnvironmentSettings are the environment's defaults (one row).
type EnvironmentSettings struct {
	AppName                       string        `db:"app_name"` // the product's name on hosted pages and mail
	EmailSigninEnabled            bool          `db:"email_signin_enabled"`
	EmailSigninMode               string        `db:"email_signin_mode"`
	EmailTokenLifetime            time.Duration `db:"-"`
	PasswordSigninEnabled         bool          `db:"password_signin_enabled"`
	SocialSigninEnabled           bool          `db:"social_signin_enabled"`
	SignupEnabled                 bool          `db:"signup_enabled"`
	SignupCreatesOrganization     bool          `db:"signup_creates_organization"`
	MaxOrganizationsPerUser       int           `db:"max_organizations_per_user"`
	InvitationExpiry              time.Duration `db:"-"`
	DeleteUsersWithoutMemberships bool          `db:"delete_users_without_memberships"`
	BlockPublicEmailDomains       bool          `db:"block_public_email_domains"`
	BlockDisposableEmailDomains   bool          `db:"block_disposable_email_domains"`
	DefaultCreatorRoleID          *string       `db:"default_creator_role_id"`
	DefaultMemberRoleID           *string       `db:"default_member_role_id"`
	UserSessionIdleTimeout        time.Duration `db:"-"`
	UserSessionLifetime           time.Duration `db:"-"`
	AdminSessionIdleTimeout       time.Duration `db:"-"`
	AdminSessionLifetime          time.Duration `db:"-"`
	AllowedRedirectURLs           []string      `db:"-"`
	UpdatedAt                     time.Time     `db:"updated_at"`
}

// AuditEvent records one change. The labels are the names of what it
// concerns as they were when it happened, kept so the log reads the same
// after those are renamed or deleted.
type AuditEvent struct {
	ID               string     `db:"id"`
	OccurredAt       time.Time  `db:"occurred_at"`
	ActorType        string     `db:"actor_type"`
	ActorID          *string    `db:"actor_id"`
	ActorLabel       *string    `db:"actor_label"`
	Action           string     `db:"action"`
	OrganizationID   *string    `db:"organization_id"`
	OrganizationName *string    `db:"organization_name"`
	UserID           *string    `db:"user_id"`
	UserLabel        *string    `db:"user_label"` // the user's email
	TargetType       *string    `db:"target_type"`
	TargetID         *string    `db:"target_id"`
	TargetLabel      *string    `db:"target_label"` // a role's name, a domain, …
	Changes          JSONObject `db:"changes"`
	IP               *string    `db:"ip"`
	UserAgent        *string    `db:"user_agent"`
	RequestID        *string    `db:"request_id"`
}

// Actor is who makes a change, carried on the context into the audit log.
type Actor struct {
	Type      string // admin, api_client, user, system, directory
	ID        string
	Label     string // an email or a client name, for people reading the log
	IP        string
	UserAgent string
	RequestID string
}
