package web

import (
	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apiclients"
	"roster/internal/directory"
	"roster/internal/enduser"
	"roster/internal/invitations"
	"roster/internal/mail"
	"roster/internal/social"
	"roster/internal/store"
	"roster/web/api"
)

// routes registers every route of the server, in one place, so any URL can be
// traced to its handler from here. It returns the sign-ins, for the error
// pages of requests no route took.
func routes(e *echo.Echo, d Deps) signIns {
	st := store.New(d.DB).WithMailKey(d.SecretKey)
	dir := directory.New(st, d.Clock)
	dir.BaseURL = d.Config.PublicURL.String()
	tokens := apiclients.New(st, d.Clock, apiclients.Options{SecretKey: d.SecretKey, Issuer: d.Config.PublicURL.String()})
	socials := social.New(st, d.Clock, d.SecretKey, d.Config.PublicURL.String())
	users := enduser.New(st, d.Clock, dir, socials, d.Config.PublicURL.String())
	invites := invitations.New(st, dir, d.Clock, invitations.Options{BaseURL: d.Config.PublicURL.String(), SetPassword: users.SetPassword})

	// Probes and assets.
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.DB))
	e.GET("/static/:file", serveStatic)
	e.GET("/favicon.ico", serveFavicon)

	// Console sign-in: CSRF on every form of every non-API route, the
	// sign-in routes (open to all), then the console group, whose routes
	// need a signed-in admin and follow the role rules (console_auth.go).
	csrf := newCSRFGuard(d)
	e.Use(csrf.protect())
	admins := adminauth.New(st, d.Clock)
	auth := newAdminAuth(admins, d.SecretKey, csrf)
	newSignInHandler(d, auth, admins).Routes(e)
	console := consoleGroup(e, auth)

	// Console pages.
	pagesHandler := consoleHandler{dir: dir}
	console.GET("/", pagesHandler.home)
	adminSessionsHandler{auth: auth, svc: admins}.Routes(console)
	if d.Config.SMTPURL == nil {
		// Only while no mail server is set: with one, mail belongs to its
		// recipients, and nobody else may read its links (console_mailbox.go).
		mailboxHandler{box: mail.NewMailbox(st)}.Routes(e, console)
	}
	orgsHandler{dir: dir}.Routes(console)
	bulkInviteHandler{dir: dir, inv: invites}.Routes(console)
	auditHandler{dir: dir, clock: d.Clock}.Routes(console)
	usersHandler{dir: dir}.Routes(console)
	rolesHandler{dir: dir}.Routes(console)
	apiClientsHandler{svc: tokens}.Routes(console)
	settingsHandler{dir: dir, social: socials}.Routes(console)
	// The style guide shows sample content only, so it needs no sign-in.
	e.GET("/_styleguide", pagesHandler.styleguide)

	// Hosted end-user pages: sign-in, organizations, invitations. End users
	// never see the console; these are outside its group (hosted_session.go).
	userAuth := newHostedAuth(users, d, csrf)
	hostedSignInHandler{auth: userAuth, users: users}.Routes(e)
	newHostedSocialHandler(userAuth, socials, users, d).Routes(e)
	hostedOrgsHandler{auth: userAuth, users: users, invites: invites}.Routes(e)
	hostedInvitationsHandler{auth: userAuth, users: users, dir: dir, invites: invites}.Routes(e)

	// Management API: a token from /oauth/token, then bearer calls to /api/v1.
	api.RegisterToken(e, tokens)
	api.RegisterOpenAPI(e) // readable without a token
	v1 := e.Group("/api/v1", api.RequireClient(tokens))
	api.Register(v1, api.Deps{Store: st, Directory: dir, Clock: d.Clock, SecretKey: d.SecretKey})
	return signIns{admins: auth, users: userAuth, csrf: csrf}
}
