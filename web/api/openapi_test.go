package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// These tests keep web/api/openapi.json true: it must be a valid OpenAPI 3.1
// document, and its operations must be exactly the routes this package
// registers. That a response matches its documented schema is checked by
// every API test, through webtest.ValidateAPIResponse.

// TestOpenAPIDocumentIsValid checks the document against the rules of
// OpenAPI 3.1 that can go wrong when editing it by hand: the fields each
// object may have, required fields, path templates and their parameters,
// unique operation ids, status codes, security schemes, $refs, and every
// schema being a valid JSON Schema 2020-12 schema that compiles.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	for _, p := range checkOpenAPIDocument(openAPIDocument) {
		t.Error(p)
	}
}

// TestOpenAPICheckerCatchesMistakes breaks a copy of the document in the
// ways hand edits do and expects the checker to say so.
func TestOpenAPICheckerCatchesMistakes(t *testing.T) {
	const org = "/api/v1/organizations/{org}"
	for _, tc := range []struct {
		name   string
		mutate func(d map[string]any)
		want   string
	}{
		{"OpenAPI 3.0", func(d map[string]any) { d["openapi"] = "3.0.3" }, "is not 3.1.x"},
		{"misspelt field", func(d map[string]any) { op(d, org, "get")["reponses"] = map[string]any{} }, `unknown field "reponses"`},
		{"duplicate operationId", func(d map[string]any) { op(d, org, "patch")["operationId"] = "getOrganization" }, "is also used by"},
		{"undeclared path parameter", func(d map[string]any) { delete(op(d, org, "get"), "parameters") }, "path parameter {org} is not declared"},
		{"bad status", func(d map[string]any) {
			op(d, org, "get")["responses"].(map[string]any)["20"] = map[string]any{"description": "x"}
		}, `"20" is not a status code`},
		{"response without description", func(d map[string]any) {
			delete(op(d, org, "get")["responses"].(map[string]any)["200"].(map[string]any), "description")
		}, `missing required field "description"`},
		{"dangling $ref", func(d map[string]any) {
			op(d, org, "get")["responses"].(map[string]any)["404"] = map[string]any{"$ref": "#/components/responses/Nope"}
		}, "names nothing"},
		{"invalid schema", func(d map[string]any) {
			schemas(d)["Organization"].(map[string]any)["required"] = "id"
		}, "schema at #/components/schemas/Organization"},
		{"unknown security scheme", func(d map[string]any) {
			op(d, org, "get")["security"] = []any{map[string]any{"apiKey": []any{}}}
		}, `"apiKey" is not in components.securitySchemes`},
		{"unused schema", func(d map[string]any) { schemas(d)["Spare"] = map[string]any{"type": "string"} }, "Spare is never referred to"},
		{"same path twice", func(d map[string]any) {
			paths := d["paths"].(map[string]any)
			paths["/api/v1/organizations/{id}"] = paths[org]
		}, "the same path as"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(openAPIDocument, &d); err != nil {
				t.Fatal(err)
			}
			tc.mutate(d)
			raw, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			problems := checkOpenAPIDocument(raw)
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("no problem mentions %q; got %q", tc.want, problems)
		})
	}
}

func op(d map[string]any, path, method string) map[string]any {
	return d["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
}

func schemas(d map[string]any) map[string]any {
	return d["components"].(map[string]any)["schemas"].(map[string]any)
}

// TestOpenAPIMatchesRoutes builds the API on a fresh echo as the server does
// and compares its routes with the document's operations, both ways.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	routes := map[string]bool{} // "GET /api/v1/users/{user}"
	for _, r := range registeredRoutes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		p, err := openAPIPathOf(r.Path)
		if err != nil {
			t.Errorf("%s %s: %v", r.Method, r.Path, err)
			continue
		}
		routes[r.Method+" "+p] = true
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if oasMethods[method] {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	for _, r := range sortedKeys(routes) {
		if !documented[r] {
			t.Errorf("route %s is not documented in web/api/openapi.json", r)
		}
	}
	for _, d := range sortedKeys(documented) {
		if !routes[d] {
			t.Errorf("openapi.json documents %s, but no such route is registered", d)
		}
	}
	if len(routes) < 50 {
		t.Errorf("only %d routes found; is the API built as the server builds it?", len(routes))
	}
}

// registeredRoutes builds every route this package serves, the way
// web/routes.go mounts them, on a fresh echo. No handler runs, so the
// dependencies can be zero.
func registeredRoutes() []*echo.Route {
	e := echo.New()
	RegisterToken(e, nil)
	RegisterOpenAPI(e)
	Register(e.Group("/api/v1"), Deps{})
	return e.Routes()
}

// openAPIPathOf turns an echo route path into an OpenAPI path template:
// ":name" becomes "{name}", and "\:" (echo's escaped literal colon, as in
// "/users\:search") becomes ":".
func openAPIPathOf(echoPath string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(echoPath); i++ {
		switch ch := echoPath[i]; {
		case ch == '\\' && i+1 < len(echoPath) && echoPath[i+1] == ':':
			b.WriteByte(':')
			i++
		case ch == ':' && (i == 0 || echoPath[i-1] == '/'):
			j := i + 1
			for j < len(echoPath) && echoPath[j] != '/' {
				j++
			}
			if j == i+1 {
				return "", fmt.Errorf("a parameter without a name")
			}
			b.WriteString("{" + echoPath[i+1:j] + "}")
			i = j - 1
		case ch == ':':
			return "", fmt.Errorf("a parameter in the middle of a segment has no OpenAPI form")
		case ch == '*':
			return "", fmt.Errorf("a wildcard route has no OpenAPI form")
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

func TestOpenAPIPathOf(t *testing.T) {
	for in, want := range map[string]string{
		`/api/v1/organizations`: `/api/v1/organizations`,
		`/api/v1/users\:search`: `/api/v1/users:search`,
		`/api/v1/users/:user`:   `/api/v1/users/{user}`,
		`/api/v1/memberships/organizations/:org/users\:external/:external_id`: `/api/v1/memberships/organizations/{org}/users:external/{external_id}`,
		`/api/v1/organizations/:org/roles\:set_defaults`:                      `/api/v1/organizations/{org}/roles:set_defaults`,
	} {
		if got, err := openAPIPathOf(in); err != nil || got != want {
			t.Errorf("openAPIPathOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`/files/*`, `/a/b:c`} {
		if got, err := openAPIPathOf(bad); err == nil {
			t.Errorf("openAPIPathOf(%q) = %q, want an error", bad, got)
		}
	}
}

// TestServeOpenAPI checks the handler answers the embedded document as JSON,
// with no token: RegisterOpenAPI mounts it outside the bearer-protected group.
func TestServeOpenAPI(t *testing.T) {
	e := echo.New()
	e.Group("/api/v1", func(echo.HandlerFunc) echo.HandlerFunc {
		return func(echo.Context) error { return echo.ErrUnauthorized }
	})
	RegisterOpenAPI(e)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, OpenAPIPath, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get(echo.HeaderContentType); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), openAPIDocument) {
		t.Error("the body is not the embedded document")
	}
	if got := OpenAPIDocument(); !bytes.Equal(got, openAPIDocument) {
		t.Error("OpenAPIDocument differs from the embedded document")
	} else if len(got) > 0 {
		got[0] = 'x' // a caller's copy; the embedded bytes must not change
		if openAPIDocument[0] == 'x' {
			t.Error("OpenAPIDocument hands out the embedded bytes themselves")
		}
	}
}

// ---- the OpenAPI 3.1 checks -------------------------------------------------

// checkOpenAPIDocument returns what is wrong with raw as an OpenAPI 3.1
// document of this project.
func checkOpenAPIDocument(raw []byte) []string {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		return []string{"the document is not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return []string{"the document holds more than one JSON value"}
	}
	c := &oasChecker{raw: raw, doc: doc, operationIDs: map[string]string{}, refs: map[string]bool{}, usedSchemes: map[string]bool{}}
	c.check()
	return c.problems
}

var oasMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true,
}

var (
	statusKey     = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
	componentName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	templateParam = regexp.MustCompile(`\{([^{}/]+)\}`)
)

// oasChecker walks the document and collects what breaks OpenAPI 3.1 (or
// this project's stricter house rules, marked so).
type oasChecker struct {
	raw          []byte
	doc          map[string]any
	problems     []string
	operationIDs map[string]string // id → where
	refs         map[string]bool   // every local $ref target seen
	usedSchemes  map[string]bool   // security schemes some requirement names
	schemaPtrs   []string          // JSON pointers of every schema
}

func (c *oasChecker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// object returns v as an object, or reports it.
func (c *oasChecker) object(at string, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf("%s: must be an object", at)
	}
	return m
}

// fields reports fields the object may not have (x- extensions aside) and
// required fields it lacks.
func (c *oasChecker) fields(at string, m map[string]any, allowed, required []string) {
	for k := range m {
		if !slices.Contains(allowed, k) && !strings.HasPrefix(k, "x-") {
			c.addf("%s: unknown field %q", at, k)
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			c.addf("%s: missing required field %q", at, k)
		}
	}
}

func (c *oasChecker) str(at string, m map[string]any, key string) string {
	v, ok := m[key]
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		c.addf("%s.%s: must be a string", at, key)
	}
	return s
}

func (c *oasChecker) check() {
	d := c.doc
	c.fields("document", d, []string{"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
		"components", "security", "tags", "externalDocs"}, []string{"openapi", "info", "paths"})
	if v := c.str("document", d, "openapi"); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		c.addf("openapi: %q is not 3.1.x", v)
	}
	// Schemas are checked as JSON Schema 2020-12, so the document must say
	// that is its dialect (OpenAPI's default dialect adds keywords).
	if v := c.str("document", d, "jsonSchemaDialect"); v != "https://json-schema.org/draft/2020-12/schema" {
		c.addf("jsonSchemaDialect: %q, want https://json-schema.org/draft/2020-12/schema", v)
	}
	if info := c.object("info", d["info"]); info != nil {
		c.fields("info", info, []string{"title", "summary", "description", "termsOfService", "contact", "license", "version"},
			[]string{"title", "version"})
		if c.str("info", info, "title") == "" || c.str("info", info, "version") == "" {
			c.addf("info: title and version must not be empty")
		}
	}
	if servers, ok := d["servers"].([]any); ok {
		for i, s := range servers {
			at := fmt.Sprintf("servers[%d]", i)
			if m := c.object(at, s); m != nil {
				c.fields(at, m, []string{"url", "description", "variables"}, []string{"url"})
			}
		}
	}
	tags := map[string]bool{}
	if list, ok := d["tags"].([]any); ok {
		for i, tg := range list {
			at := fmt.Sprintf("tags[%d]", i)
			if m := c.object(at, tg); m != nil {
				c.fields(at, m, []string{"name", "description", "externalDocs"}, []string{"name"})
				name := c.str(at, m, "name")
				if tags[name] {
					c.addf("%s: tag %q declared twice", at, name)
				}
				tags[name] = true
			}
		}
	}
	components, _ := d["components"].(map[string]any)
	c.checkComponents(components)
	c.checkSecurity("security", d["security"], components)
	c.checkPaths(c.object("paths", d["paths"]), components, tags)
	c.checkRefs("", d)
	c.checkUnused(components)
	c.compileSchemas()
}

func (c *oasChecker) checkComponents(components map[string]any) {
	c.fields("components", components, []string{"schemas", "responses", "parameters", "examples", "requestBodies",
		"headers", "securitySchemes", "links", "callbacks", "pathItems"}, nil)
	for kind, v := range components {
		group := c.object("components."+kind, v)
		for _, name := range sortedKeys(group) {
			at := "components." + kind + "." + name
			if !componentName.MatchString(name) {
				c.addf("%s: component names must match %s", at, componentName)
			}
			ptr := "/components/" + kind + "/" + escapePointerToken(name)
			switch kind {
			case "schemas":
				c.schemaPtrs = append(c.schemaPtrs, ptr)
			case "responses":
				c.checkResponse(at, ptr, group[name])
			case "parameters":
				c.checkParameter(at, ptr, group[name])
			case "headers":
				c.checkHeader(at, ptr, group[name])
			case "requestBodies":
				c.checkRequestBody(at, ptr, group[name])
			case "securitySchemes":
				c.checkSecurityScheme(at, group[name])
			}
		}
	}
}

func (c *oasChecker) checkSecurityScheme(at string, v any) {
	m := c.object(at, v)
	c.fields(at, m, []string{"type", "description", "name", "in", "scheme", "bearerFormat", "flows", "openIdConnectUrl"},
		[]string{"type"})
	switch typ := c.str(at, m, "type"); typ {
	case "http":
		c.fields(at, m, []string{"type", "description", "scheme", "bearerFormat"}, []string{"scheme"})
	case "apiKey":
		c.fields(at, m, []string{"type", "description", "name", "in"}, []string{"name", "in"})
	case "oauth2":
		c.fields(at, m, []string{"type", "description", "flows"}, []string{"flows"})
		flows := c.object(at+".flows", m["flows"])
		c.fields(at+".flows", flows, []string{"implicit", "password", "clientCredentials", "authorizationCode"}, nil)
		for name, f := range flows {
			fat := at + ".flows." + name
			flow := c.object(fat, f)
			required := []string{"scopes"}
			switch name {
			case "implicit":
				required = append(required, "authorizationUrl")
			case "password", "clientCredentials":
				required = append(required, "tokenUrl")
			case "authorizationCode":
				required = append(required, "authorizationUrl", "tokenUrl")
			}
			c.fields(fat, flow, []string{"authorizationUrl", "tokenUrl", "refreshUrl", "scopes"}, required)
		}
	case "openIdConnect":
		c.fields(at, m, []string{"type", "description", "openIdConnectUrl"}, []string{"openIdConnectUrl"})
	case "mutualTLS":
		c.fields(at, m, []string{"type", "description"}, nil)
	default:
		c.addf("%s: type %q is not a security scheme type", at, typ)
	}
}

func (c *oasChecker) checkSecurity(at string, v any, components map[string]any) {
	if v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok {
		c.addf("%s: must be an array", at)
		return
	}
	schemes, _ := components["securitySchemes"].(map[string]any)
	for i, req := range list {
		rat := fmt.Sprintf("%s[%d]", at, i)
		for name, scopes := range c.object(rat, req) {
			c.usedSchemes[name] = true
			if _, ok := schemes[name]; !ok {
				c.addf("%s: %q is not in components.securitySchemes", rat, name)
			}
			if _, ok := scopes.([]any); !ok {
				c.addf("%s.%s: must be an array of scopes", rat, name)
			}
		}
	}
}

func (c *oasChecker) checkPaths(paths, components map[string]any, tags map[string]bool) {
	shapes := map[string]string{}
	for _, path := range sortedKeys(paths) {
		at := "paths." + path
		if !strings.HasPrefix(path, "/") {
			c.addf("%s: a path must start with /", at)
		}
		// Templates that differ only in parameter names are the same path.
		shape := templateParam.ReplaceAllString(path, "{}")
		if other, ok := shapes[shape]; ok {
			c.addf("%s: the same path as %s with other parameter names", at, other)
		}
		shapes[shape] = path
		item := c.object(at, paths[path])
		c.fields(at, item, []string{"$ref", "summary", "description", "get", "put", "post", "delete", "options", "head",
			"patch", "trace", "servers", "parameters"}, nil)
		ptr := "/paths/" + escapePointerToken(path)
		shared := c.parameters(at+".parameters", ptr+"/parameters", item["parameters"])
		inTemplate := map[string]bool{}
		for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
			inTemplate[m[1]] = true
		}
		for _, method := range sortedKeys(item) {
			if !oasMethods[method] {
				continue
			}
			c.checkOperation(at+"."+method, ptr+"/"+method, item[method], shared, inTemplate, components, tags)
		}
	}
}

// parameters checks a list of parameters and returns them by "in:name".
func (c *oasChecker) parameters(at, ptr string, v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	if v == nil {
		return out
	}
	list, ok := v.([]any)
	if !ok {
		c.addf("%s: must be an array", at)
		return out
	}
	for i, p := range list {
		pat := fmt.Sprintf("%s[%d]", at, i)
		m := c.checkParameter(pat, fmt.Sprintf("%s/%d", ptr, i), p)
		if m == nil {
			continue
		}
		key := fmt.Sprint(m["in"]) + ":" + fmt.Sprint(m["name"])
		if _, dup := out[key]; dup {
			c.addf("%s: parameter %s listed twice", pat, key)
		}
		out[key] = m
	}
	return out
}

// deref follows a Reference Object; it returns the object and its pointer.
func (c *oasChecker) deref(at, ptr string, v any) (map[string]any, string) {
	m := c.object(at, v)
	if m == nil {
		return nil, ptr
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return m, ptr
	}
	c.fields(at, m, []string{"$ref", "summary", "description"}, nil)
	target, err := c.resolve(ref)
	if err != nil {
		c.addf("%s: %v", at, err)
		return nil, ptr
	}
	tm, _ := target.(map[string]any)
	return tm, strings.TrimPrefix(ref, "#")
}

func (c *oasChecker) checkParameter(at, ptr string, v any) map[string]any {
	m, ptr := c.deref(at, ptr, v)
	if m == nil {
		return nil
	}
	c.fields(at, m, []string{"name", "in", "description", "required", "deprecated", "allowEmptyValue", "style",
		"explode", "allowReserved", "schema", "example", "examples", "content"}, []string{"name", "in"})
	switch in := c.str(at, m, "in"); in {
	case "path":
		if m["required"] != true {
			c.addf("%s: a path parameter must be required: true", at)
		}
	case "query", "header", "cookie":
	default:
		c.addf("%s: in %q is not query, header, path or cookie", at, in)
	}
	c.schemaOrContent(at, ptr, m)
	return m
}

func (c *oasChecker) checkHeader(at, ptr string, v any) {
	m, ptr := c.deref(at, ptr, v)
	if m == nil {
		return
	}
	c.fields(at, m, []string{"description", "required", "deprecated", "style", "explode", "schema", "example",
		"examples", "content"}, nil)
	c.schemaOrContent(at, ptr, m)
}

func (c *oasChecker) schemaOrContent(at, ptr string, m map[string]any) {
	_, hasSchema := m["schema"]
	_, hasContent := m["content"]
	switch {
	case hasSchema == hasContent:
		c.addf("%s: needs exactly one of schema and content", at)
	case hasSchema:
		c.schemaPtrs = append(c.schemaPtrs, ptr+"/schema")
	default:
		c.content(at+".content", ptr+"/content", m["content"])
	}
}

func (c *oasChecker) content(at, ptr string, v any) {
	m := c.object(at, v)
	if len(m) == 0 {
		c.addf("%s: must list at least one media type", at)
	}
	for _, mt := range sortedKeys(m) {
		mat := at + "." + mt
		media := c.object(mat, m[mt])
		c.fields(mat, media, []string{"schema", "example", "examples", "encoding"}, nil)
		if _, ok := media["schema"]; ok {
			c.schemaPtrs = append(c.schemaPtrs, ptr+"/"+escapePointerToken(mt)+"/schema")
		} else {
			c.addf("%s: no schema (house rule: every body has one)", mat)
		}
	}
}

func (c *oasChecker) checkRequestBody(at, ptr string, v any) {
	m, ptr := c.deref(at, ptr, v)
	if m == nil {
		return
	}
	c.fields(at, m, []string{"description", "content", "required"}, []string{"content"})
	c.content(at+".content", ptr+"/content", m["content"])
}

func (c *oasChecker) checkResponse(at, ptr string, v any) {
	m, ptr := c.deref(at, ptr, v)
	if m == nil {
		return
	}
	c.fields(at, m, []string{"description", "headers", "content", "links"}, []string{"description"})
	if h, ok := m["headers"]; ok {
		for name, hv := range c.object(at+".headers", h) {
			c.checkHeader(at+".headers."+name, ptr+"/headers/"+escapePointerToken(name), hv)
		}
	}
	if ct, ok := m["content"]; ok {
		c.content(at+".content", ptr+"/content", ct)
	}
}

func (c *oasChecker) checkOperation(at, ptr string, v any, shared map[string]map[string]any,
	inTemplate map[string]bool, components map[string]any, tags map[string]bool) {
	op := c.object(at, v)
	if op == nil {
		return
	}
	c.fields(at, op, []string{"tags", "summary", "description", "externalDocs", "operationId", "parameters",
		"requestBody", "responses", "callbacks", "deprecated", "security", "servers"},
		// House rule: every operation has an id, a summary, a tag and responses.
		[]string{"operationId", "summary", "tags", "responses"})
	id := c.str(at, op, "operationId")
	if other, dup := c.operationIDs[id]; dup {
		c.addf("%s: operationId %q is also used by %s", at, id, other)
	}
	c.operationIDs[id] = at
	if list, ok := op["tags"].([]any); ok {
		for _, tg := range list {
			if name, _ := tg.(string); !tags[name] {
				c.addf("%s: tag %v is not declared in the top-level tags (house rule)", at, tg)
			}
		}
	}
	params := c.parameters(at+".parameters", ptr+"/parameters", op["parameters"])
	for k, p := range shared {
		if _, overridden := params[k]; !overridden {
			params[k] = p
		}
	}
	for name := range inTemplate {
		if _, ok := params["path:"+name]; !ok {
			c.addf("%s: path parameter {%s} is not declared", at, name)
		}
	}
	for k := range params {
		if name, isPath := strings.CutPrefix(k, "path:"); isPath && !inTemplate[name] {
			c.addf("%s: path parameter %q is not in the path", at, name)
		}
	}
	if rb, ok := op["requestBody"]; ok {
		c.checkRequestBody(at+".requestBody", ptr+"/requestBody", rb)
	}
	c.checkSecurity(at+".security", op["security"], components)
	responses := c.object(at+".responses", op["responses"])
	if len(responses) == 0 {
		c.addf("%s: no responses", at)
	}
	for _, code := range sortedKeys(responses) {
		if !statusKey.MatchString(code) {
			c.addf("%s.responses: %q is not a status code, a range like 4XX, or default", at, code)
		}
		c.checkResponse(at+".responses."+code, ptr+"/responses/"+escapePointerToken(code), responses[code])
	}
}

// checkRefs finds every $ref in the document and checks it resolves.
func (c *oasChecker) checkRefs(at string, v any) {
	switch n := v.(type) {
	case map[string]any:
		if ref, ok := n["$ref"].(string); ok {
			if _, err := c.resolve(ref); err != nil {
				c.addf("%s: %v", at, err)
			} else {
				c.refs[ref] = true
			}
		}
		for k, child := range n {
			c.checkRefs(at+"/"+k, child)
		}
	case []any:
		for i, child := range n {
			c.checkRefs(fmt.Sprintf("%s/%d", at, i), child)
		}
	}
}

func (c *oasChecker) resolve(ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local to the document (house rule)", ref)
	}
	var cur any = c.doc
	if ptr == "" {
		return cur, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q names nothing", ref)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q names nothing", ref)
		}
	}
	return cur, nil
}

// checkUnused reports components nothing refers to (house rule: an unused
// schema is one nobody keeps true).
func (c *oasChecker) checkUnused(components map[string]any) {
	for _, kind := range []string{"schemas", "responses", "parameters", "headers", "requestBodies"} {
		group, _ := components[kind].(map[string]any)
		for _, name := range sortedKeys(group) {
			if !c.refs["#/components/"+kind+"/"+escapePointerToken(name)] {
				c.addf("components.%s.%s is never referred to", kind, name)
			}
		}
	}
	schemes, _ := components["securitySchemes"].(map[string]any)
	for _, name := range sortedKeys(schemes) {
		if !c.usedSchemes[name] {
			c.addf("components.securitySchemes.%s is never required", name)
		}
	}
}

// compileSchemas compiles every schema of the document as JSON Schema
// 2020-12, which validates it against the meta-schema and resolves its $refs.
func (c *oasChecker) compileSchemas() {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.raw))
	if err != nil {
		c.addf("%v", err)
		return
	}
	const base = "https://roster.invalid/api/v1/openapi.json"
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	comp.AssertFormat()
	if err := comp.AddResource(base, doc); err != nil {
		c.addf("%v", err)
		return
	}
	for _, ptr := range c.schemaPtrs {
		toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
		for i, tok := range toks {
			toks[i] = pathEscapeToken(tok)
		}
		if _, err := comp.Compile(base + "#/" + strings.Join(toks, "/")); err != nil {
			c.addf("schema at #%s: %v", ptr, err)
		}
	}
	if len(c.schemaPtrs) < 20 {
		c.addf("only %d schemas found; is the walk broken?", len(c.schemaPtrs))
	}
}

func escapePointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// pathEscapeToken percent-encodes what a URI fragment cannot hold as is.
func pathEscapeToken(s string) string {
	var b strings.Builder
	for _, r := range []byte(s) {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.IndexByte("-._~:@!$&'()*+,;=", r) >= 0 {
			b.WriteByte(r)
		} else {
			fmt.Fprintf(&b, "%%%02X", r)
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
