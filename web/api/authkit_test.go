package api_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"roster/internal/apiclients"
	"roster/internal/model"
	"roster/internal/store"
	"roster/web"
	"roster/web/webtest"
)

// apiServer is the application (web.New, routes and all) with a handle on
// its store and token service, for tests that set things up directly.
type apiServer struct {
	*webtest.Server
	st     *store.Store
	tokens *apiclients.Service
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	var deps web.Deps
	s := &apiServer{}
	s.Server = webtest.NewServer(t,
		webtest.WithDeps(func(d *web.Deps) { deps = *d }),
		webtest.WithRoutes(func(e *echo.Echo) {
			s.st = store.New(deps.DB).WithMailKey(deps.SecretKey)
			s.tokens = apiclients.New(s.st, deps.Clock, apiclients.Options{
				SecretKey: deps.SecretKey, Issuer: deps.Config.PublicURL.String(),
			})
		}))
	return s
}

// The fixtures below write rows directly, so these tests depend only on the
// schema, not on how other areas create organizations and users.

func (s *apiServer) org(t *testing.T, name string) string {
	t.Helper()
	var id string
	if err := s.DB.Get(&id, `INSERT INTO organizations (display_name) VALUES ($1) RETURNING id`, name); err != nil {
		t.Fatalf("insert org: %v", err)
	}
	return id
}

func (s *apiServer) user(t *testing.T, email string) string {
	t.Helper()
	var id string
	if err := s.DB.Get(&id, `INSERT INTO users (email) VALUES ($1) RETURNING id`, email); err != nil {
		t.Fatalf("insert user: %v", err)
	}
	return id
}

// session opens an ACTIVE session of userID acting in orgID ("" for none),
// signed in to orgID and the extra orgs, created at the fake clock's now.
func (s *apiServer) session(t *testing.T, userID, orgID string, extra ...string) model.Session {
	t.Helper()
	return createSession(t, s.st, s.Clock.Now(), userID, orgID, extra...)
}

func createSession(t *testing.T, st *store.Store, now time.Time, userID, orgID string, extra ...string) model.Session {
	t.Helper()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	ip, ua := "203.0.113.7", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	sess := model.Session{
		UserID: userID, IP: &ip, UserAgent: &ua, CreatedAt: now,
		IdleExpiresAt: now.Add(7 * 24 * time.Hour), AbsoluteExpiresAt: now.Add(30 * 24 * time.Hour),
		AuthenticatedOrganizations: extra,
	}
	if orgID != "" {
		sess.OrganizationID = &orgID
	}
	out, err := st.CreateSession(context.Background(), sess, hash)
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	return out
}

// errorCode returns details[0].error_code of an API error body.
func errorCode(res *webtest.APIResponse) string {
	details, _ := res.JSON["details"].([]any)
	if len(details) == 0 {
		return ""
	}
	d, _ := details[0].(map[string]any)
	code, _ := d["error_code"].(string)
	return code
}

// violatedFields lists the fields named in details[0].field_violations.
func violatedFields(res *webtest.APIResponse) []string {
	details, _ := res.JSON["details"].([]any)
	if len(details) == 0 {
		return nil
	}
	d, _ := details[0].(map[string]any)
	vs, _ := d["field_violations"].([]any)
	var out []string
	for _, v := range vs {
		m, _ := v.(map[string]any)
		f, _ := m["field"].(string)
		out = append(out, f)
	}
	return out
}

func wantStatus(t *testing.T, res *webtest.APIResponse, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d; body %s", res.Status, status, res.Raw)
	}
}
