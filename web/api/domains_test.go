package api_test

import (
	"net/http"
	"strings"
	"testing"

	"roster/web/webtest"
)

func domainBody(domain, typ string) map[string]string {
	return map[string]string{"domain": domain, "domain_type": typ}
}

func TestDomainLifecycle(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := s.org(t, "Acme")
	base := "/organizations/" + org + "/domains"

	res := c.Do("POST", base, domainBody("  Acme.COM. ", "ORGANIZATION_DOMAIN"))
	wantStatus(t, res, http.StatusCreated)
	d := res.JSON["domain"].(map[string]any)
	id, _ := d["id"].(string)
	secret, _ := d["txt_record_secret"].(string)
	if !strings.HasPrefix(id, "dom_") || d["domain"] != "acme.com" || d["organization_id"] != org ||
		d["domain_type"] != "ORGANIZATION_DOMAIN" || d["verification_status"] != "PENDING" ||
		d["verification_method"] != "DNS" || d["txt_record_key"] != "_roster-verification.acme.com" ||
		len(secret) < 26 || d["create_time"] != "2026-01-15T09:00:00Z" || d["update_time"] != "2026-01-15T09:00:00Z" {
		t.Errorf("created %s", res.Raw)
	}

	res = c.Do("POST", base, domainBody("careers.acme.io", "ALLOWED_EMAIL_DOMAIN"))
	wantStatus(t, res, http.StatusCreated)
	allowed := res.JSON["domain"].(map[string]any)
	_, hasKey := allowed["txt_record_key"]
	_, hasSecret := allowed["txt_record_secret"]
	if allowed["verification_status"] != "AUTO_VERIFIED" || allowed["verification_method"] != "NOT_APPLICABLE" ||
		hasKey || hasSecret { // no DNS proof asked: left out, not null
		t.Errorf("allowed domain %s", res.Raw)
	}

	res = c.Do("GET", base+"/"+id, nil)
	wantStatus(t, res, http.StatusOK)
	if got := res.JSON["domain"].(map[string]any); got["txt_record_secret"] != secret {
		t.Errorf("get %s", res.Raw)
	}

	res = c.Do("GET", base, nil)
	wantStatus(t, res, http.StatusOK)
	if list := res.JSON["domains"].([]any); len(list) != 2 || res.JSON["total_size"] != float64(2) {
		t.Errorf("list %s", res.Raw)
	}

	wantStatus(t, c.Do("DELETE", base+"/"+id, nil), http.StatusOK)
	wantStatus(t, c.Do("GET", base+"/"+id, nil), http.StatusNotFound)
	wantStatus(t, c.Do("DELETE", base+"/"+id, nil), http.StatusNotFound)
	res = c.Do("GET", base, nil)
	if list := res.JSON["domains"].([]any); len(list) != 1 {
		t.Errorf("list after delete %s", res.Raw)
	}
	// Once deleted, the domain is free to claim again.
	wantStatus(t, c.Do("POST", base, domainBody("acme.com", "ORGANIZATION_DOMAIN")), http.StatusCreated)

	var events int
	_ = s.DB.Get(&events, `SELECT count(*) FROM audit_events WHERE action IN ('domain.created', 'domain.deleted') AND organization_id = $1`, org)
	if events != 4 {
		t.Errorf("%d audit events, want 4", events)
	}
}

func TestDomainBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := s.org(t, "Acme")
	base := "/organizations/" + org + "/domains"

	cases := map[string]struct {
		body  map[string]string
		field string
	}{
		"empty":           {domainBody("", "ORGANIZATION_DOMAIN"), "domain"},
		"email":           {domainBody("ann@acme.com", "ORGANIZATION_DOMAIN"), "domain"},
		"url":             {domainBody("https://acme.com/", "ORGANIZATION_DOMAIN"), "domain"},
		"one label":       {domainBody("localhost", "ORGANIZATION_DOMAIN"), "domain"},
		"ip address":      {domainBody("192.168.1.10", "ORGANIZATION_DOMAIN"), "domain"},
		"underscore":      {domainBody("a_b.com", "ORGANIZATION_DOMAIN"), "domain"},
		"leading hyphen":  {domainBody("-acme.com", "ORGANIZATION_DOMAIN"), "domain"},
		"empty label":     {domainBody("acme..com", "ORGANIZATION_DOMAIN"), "domain"},
		"wildcard":        {domainBody("*.acme.com", "ORGANIZATION_DOMAIN"), "domain"},
		"unicode":         {domainBody("bücher.de", "ORGANIZATION_DOMAIN"), "domain"},
		"long label":      {domainBody(strings.Repeat("a", 64)+".com", "ORGANIZATION_DOMAIN"), "domain"},
		"no type":         {domainBody("acme.com", ""), "domain_type"},
		"bad type":        {domainBody("acme.com", "organization_domain"), "domain_type"},
		"gmail":           {domainBody("gmail.com", "ORGANIZATION_DOMAIN"), "domain"},
		"gmail allowed":   {domainBody("GMAIL.com", "ALLOWED_EMAIL_DOMAIN"), "domain"},
		"gmail subdomain": {domainBody("mail.gmail.com", "ORGANIZATION_DOMAIN"), "domain"},
		"outlook":         {domainBody("outlook.com", "ORGANIZATION_DOMAIN"), "domain"},
		"proton":          {domainBody("proton.me", "ALLOWED_EMAIL_DOMAIN"), "domain"},
		"disposable":      {domainBody("mailinator.com", "ORGANIZATION_DOMAIN"), "domain"},
	}
	for name, tc := range cases {
		res := c.Do("POST", base, tc.body)
		if res.Status != http.StatusBadRequest || errorCode(res) != "INVALID_ARGUMENT" ||
			strings.Join(violatedFields(res), ",") != tc.field {
			t.Errorf("%s: %d %s, want 400 on %s", name, res.Status, res.Raw, tc.field)
		}
	}
	raw := map[string]string{
		"not JSON":      `{"domain": `,
		"unknown field": `{"domain": "acme.com", "domain_type": "ORGANIZATION_DOMAIN", "verified": true}`,
		"wrong type":    `{"domain": 42, "domain_type": "ORGANIZATION_DOMAIN"}`,
		"array":         `[]`,
	}
	for name, body := range raw {
		res := c.DoRaw("POST", base, "application/json", []byte(body))
		if res.Status != http.StatusBadRequest || errorCode(res) != "INVALID_ARGUMENT" {
			t.Errorf("%s: %d %s, want 400", name, res.Status, res.Raw)
		}
	}
	var n int
	_ = s.DB.Get(&n, `SELECT count(*) FROM organization_domains`)
	if n != 0 {
		t.Errorf("%d domains stored after bad input", n)
	}

	// The environment can allow public domains (a consultancy on gmail).
	if _, err := s.DB.Exec(`UPDATE environment_settings SET block_public_email_domains = false`); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.Do("POST", base, domainBody("gmail.com", "ALLOWED_EMAIL_DOMAIN")), http.StatusCreated)
	wantStatus(t, c.Do("POST", base, domainBody("mailinator.com", "ALLOWED_EMAIL_DOMAIN")), http.StatusBadRequest)
}

func TestDomainsStayInTheirOrganization(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	a, b := s.org(t, "Acme"), s.org(t, "Globex")

	res := c.Do("POST", "/organizations/"+b+"/domains", domainBody("globex.com", "ORGANIZATION_DOMAIN"))
	wantStatus(t, res, http.StatusCreated)
	bDomain := res.JSON["domain"].(map[string]any)["id"].(string)

	// One domain, one org: claiming it again, from any org, is a conflict
	// that does not say which org holds it.
	for _, org := range []string{a, b} {
		for _, typ := range []string{"ORGANIZATION_DOMAIN", "ALLOWED_EMAIL_DOMAIN"} {
			res := c.Do("POST", "/organizations/"+org+"/domains", domainBody("GLOBEX.com", typ))
			if res.Status != http.StatusConflict || errorCode(res) != "ALREADY_EXISTS" || strings.Contains(string(res.Raw), b) {
				t.Errorf("claim from %s as %s: %d %s, want 409", org, typ, res.Status, res.Raw)
			}
		}
	}

	// B's domain id under A's path does not exist.
	wantStatus(t, c.Do("GET", "/organizations/"+a+"/domains/"+bDomain, nil), http.StatusNotFound)
	wantStatus(t, c.Do("DELETE", "/organizations/"+a+"/domains/"+bDomain, nil), http.StatusNotFound)
	wantStatus(t, c.Do("GET", "/organizations/"+b+"/domains/"+bDomain, nil), http.StatusOK)
	res = c.Do("GET", "/organizations/"+a+"/domains", nil)
	if list := res.JSON["domains"].([]any); len(list) != 0 || res.JSON["total_size"] != float64(0) {
		t.Errorf("A lists %s", res.Raw)
	}

	// Unknown organizations are not found, not empty.
	missing := "/organizations/org_aaaaaaaaaaaaaaaaaaaaaaaaaa/domains"
	wantStatus(t, c.Do("GET", missing, nil), http.StatusNotFound)
	wantStatus(t, c.Do("POST", missing, domainBody("initech.com", "ORGANIZATION_DOMAIN")), http.StatusNotFound)
	wantStatus(t, c.Do("GET", "/organizations/nonsense/domains/"+bDomain, nil), http.StatusNotFound)
	wantStatus(t, c.Do("GET", "/organizations/"+a+"/domains/nonsense", nil), http.StatusNotFound)
}

func TestDomainListPages(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := s.org(t, "Acme")
	base := "/organizations/" + org + "/domains"
	for _, d := range []string{"a.acme.com", "b.acme.com", "c.acme.com"} {
		wantStatus(t, c.Do("POST", base, domainBody(d, "ALLOWED_EMAIL_DOMAIN")), http.StatusCreated)
	}
	res := c.Do("GET", base+"?page_size=2", nil)
	wantStatus(t, res, http.StatusOK)
	first := res.JSON["domains"].([]any)
	next, _ := res.JSON["next_page_token"].(string)
	if len(first) != 2 || next == "" || res.JSON["total_size"] != float64(3) {
		t.Fatalf("page 1 %s", res.Raw)
	}
	res = c.Do("GET", base+"?page_size=2&page_token="+next, nil)
	second := res.JSON["domains"].([]any)
	if len(second) != 1 || res.JSON["next_page_token"] != "" || res.JSON["prev_page_token"] == "" {
		t.Errorf("page 2 %s", res.Raw)
	}
	seen := map[any]bool{}
	for _, d := range append(first, second...) {
		seen[d.(map[string]any)["domain"]] = true
	}
	if len(seen) != 3 {
		t.Errorf("pages hold %v", seen)
	}
	wantStatus(t, c.Do("GET", base+"?page_size=0x", nil), http.StatusBadRequest)
	wantStatus(t, c.Do("GET", base+"?page_token=bogus", nil), http.StatusBadRequest)
}
