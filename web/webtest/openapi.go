package webtest

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"roster/web/api"
)

// ValidateAPIResponse checks one answer of the API against the OpenAPI
// document the server publishes (web/api/openapi.json): the request's method
// and path must name a documented operation, the status must be one of its
// documented responses, that response's required headers must be there, and
// the body must match its media type and schema (or be empty when it
// documents none). Every mismatch is reported with t.Errorf, so the test
// goes on but fails.
//
// Only the response is checked: tests send bad requests on purpose. Paths
// are matched as OpenAPI does, a literal segment ("users:search") before a
// templated one ("{user}"); the query string is ignored.
func ValidateAPIResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	v, err := sharedOpenAPI()
	if err != nil {
		t.Errorf("openapi: cannot load the API's document: %v", err)
		return
	}
	for _, p := range v.check(req, status, header, body) {
		t.Errorf("%s", p)
	}
}

var (
	openAPIOnce sync.Once
	openAPIVal  *openAPIValidator
	openAPIErr  error
)

// sharedOpenAPI parses the document once per test binary; compiled schemas
// are cached in it, so each schema is compiled once however many responses
// use it.
func sharedOpenAPI() (*openAPIValidator, error) {
	openAPIOnce.Do(func() {
		openAPIVal, openAPIErr = newOpenAPIValidator(api.OpenAPIDocument())
	})
	return openAPIVal, openAPIErr
}

// openAPIResourceURL names the document inside the schema compiler. Nothing
// is fetched from it; every $ref in the document is local ("#/components/…").
const openAPIResourceURL = "https://roster.invalid/api/v1/openapi.json"

// openAPIValidator checks responses against one OpenAPI 3.1 document.
type openAPIValidator struct {
	doc    map[string]any
	routes []openAPIRoute

	mu       sync.Mutex // guards compiler and schemas
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer into doc
}

// openAPIRoute is one entry of the document's paths.
type openAPIRoute struct {
	template string   // as written in the document: "/api/v1/users/{user}"
	segments []string // the template split at "/"
	item     map[string]any
}

func newOpenAPIValidator(raw []byte) (*openAPIValidator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the document is not JSON: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the document is not a JSON object")
	}
	if version, _ := root["openapi"].(string); !strings.HasPrefix(version, "3.1.") {
		return nil, fmt.Errorf("openapi is %q, want 3.1.x", version)
	}
	paths, ok := root["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the document has no paths object")
	}
	v := &openAPIValidator{doc: root, compiler: jsonschema.NewCompiler(), schemas: map[string]*jsonschema.Schema{}}
	for template, item := range paths {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("paths[%q] is not an object", template)
		}
		v.routes = append(v.routes, openAPIRoute{template: template, segments: strings.Split(template, "/"), item: m})
	}
	// Most specific first: where two templates match one path, the one with
	// a literal segment at the first place they differ wins.
	sort.Slice(v.routes, func(i, j int) bool { return moreSpecific(v.routes[i].segments, v.routes[j].segments) })

	v.compiler.DefaultDraft(jsonschema.Draft2020)
	v.compiler.AssertFormat()
	if err := v.compiler.AddResource(openAPIResourceURL, root); err != nil {
		return nil, err
	}
	return v, nil
}

func isTemplated(segment string) bool {
	return strings.HasPrefix(segment, "{") && strings.HasSuffix(segment, "}")
}

func moreSpecific(a, b []string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if ta, tb := isTemplated(a[i]), isTemplated(b[i]); ta != tb {
			return tb
		}
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return strings.Join(a, "/") < strings.Join(b, "/")
}

// route finds the documented path that matches an escaped request path.
func (v *openAPIValidator) route(escapedPath string) (*openAPIRoute, bool) {
	segments := strings.Split(escapedPath, "/")
	for i := range v.routes {
		r := &v.routes[i]
		if matchSegments(r.segments, segments) {
			return r, true
		}
	}
	return nil, false
}

func matchSegments(template, path []string) bool {
	if len(template) != len(path) {
		return false
	}
	for i, t := range template {
		p := path[i]
		if isTemplated(t) {
			if p == "" {
				return false
			}
			continue
		}
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		if p != t {
			return false
		}
	}
	return true
}

// check returns one line per way the response departs from the document.
func (v *openAPIValidator) check(req *http.Request, status int, header http.Header, body []byte) []string {
	where := fmt.Sprintf("openapi: %s %s → %d", req.Method, req.URL.Path, status)
	r, ok := v.route(req.URL.EscapedPath())
	if !ok {
		return []string{where + ": the document has no path that matches " + req.URL.EscapedPath()}
	}
	op, ok := r.item[strings.ToLower(req.Method)].(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: the document has no %s operation on %s", where, req.Method, r.template)}
	}
	if id, _ := op["operationId"].(string); id != "" {
		where += " (" + id + ")"
	}
	opPtr := "/paths/" + escapeToken(r.template) + "/" + strings.ToLower(req.Method)
	responses, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	key := ""
	for _, k := range []string{code, code[:1] + "XX", "default"} {
		if _, ok := responses[k]; ok {
			key = k
			break
		}
	}
	if key == "" {
		documented := make([]string, 0, len(responses))
		for k := range responses {
			documented = append(documented, k)
		}
		sort.Strings(documented)
		return []string{fmt.Sprintf("%s: status %d is not documented for %s %s (documented: %s); body: %s",
			where, status, req.Method, r.template, strings.Join(documented, ", "), excerpt(body))}
	}
	resp, respPtr, err := v.resolve(responses[key], opPtr+"/responses/"+escapeToken(key))
	if err != nil {
		return []string{where + ": " + err.Error()}
	}

	var problems []string
	problems = append(problems, v.checkHeaders(where, resp, respPtr, header)...)
	problems = append(problems, v.checkBody(where, resp, respPtr, header, body)...)
	return problems
}

func (v *openAPIValidator) checkHeaders(where string, resp map[string]any, respPtr string, header http.Header) []string {
	headers, _ := resp["headers"].(map[string]any)
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	var problems []string
	for _, name := range names {
		if strings.EqualFold(name, "Content-Type") {
			continue // OpenAPI ignores it: the content map says it
		}
		h, hPtr, err := v.resolve(headers[name], respPtr+"/headers/"+escapeToken(name))
		if err != nil {
			problems = append(problems, where+": "+err.Error())
			continue
		}
		values := header.Values(name)
		if len(values) == 0 {
			if required, _ := h["required"].(bool); required {
				problems = append(problems, fmt.Sprintf("%s: header %s is required but missing", where, name))
			}
			continue
		}
		if _, ok := h["schema"]; !ok {
			continue
		}
		sch, err := v.schema(hPtr + "/schema")
		if err != nil {
			problems = append(problems, where+": "+err.Error())
			continue
		}
		// Header values are checked as the strings they are.
		if err := sch.Validate(strings.Join(values, ", ")); err != nil {
			problems = append(problems, fmt.Sprintf("%s: header %s: %q does not match its schema: %v", where, name, strings.Join(values, ", "), err))
		}
	}
	return problems
}

func (v *openAPIValidator) checkBody(where string, resp map[string]any, respPtr string, header http.Header, body []byte) []string {
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(body)) > 0 {
			return []string{fmt.Sprintf("%s: documented without a body, got %d bytes: %s", where, len(body), excerpt(body))}
		}
		return nil
	}
	ct := header.Get("Content-Type")
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return []string{fmt.Sprintf("%s: Content-Type %q is not a media type; body: %s", where, ct, excerpt(body))}
	}
	key := matchMediaType(content, mediaType)
	if key == "" {
		documented := make([]string, 0, len(content))
		for k := range content {
			documented = append(documented, k)
		}
		sort.Strings(documented)
		return []string{fmt.Sprintf("%s: Content-Type %s is not documented (documented: %s); body: %s",
			where, mediaType, strings.Join(documented, ", "), excerpt(body))}
	}
	media, _ := content[key].(map[string]any)
	if _, ok := media["schema"]; !ok {
		return nil
	}
	if !isJSONMediaType(mediaType) {
		return nil // only JSON bodies are read
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return []string{where + ": documented with a JSON body, got an empty one"}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{fmt.Sprintf("%s: the body is not JSON (%v): %s", where, err, excerpt(body))}
	}
	sch, err := v.schema(respPtr + "/content/" + escapeToken(key) + "/schema")
	if err != nil {
		return []string{where + ": " + err.Error()}
	}
	if err := sch.Validate(inst); err != nil {
		return []string{fmt.Sprintf("%s: the body does not match the documented schema:\n%v\nbody: %s", where, err, excerpt(body))}
	}
	return nil
}

// matchMediaType picks the content entry for mediaType: the exact one, else
// "type/*", else "*/*".
func matchMediaType(content map[string]any, mediaType string) string {
	main, _, _ := strings.Cut(mediaType, "/")
	for _, want := range []string{mediaType, main + "/*", "*/*"} {
		for k := range content {
			mt, _, err := mime.ParseMediaType(k)
			if err == nil && strings.EqualFold(mt, want) {
				return k
			}
		}
	}
	return ""
}

func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// resolve follows a Reference Object ({"$ref": "#/…"}) to what it names,
// and returns it with its JSON pointer; anything else comes back as is.
func (v *openAPIValidator) resolve(node any, ptr string) (map[string]any, string, error) {
	for range 10 {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, ptr, fmt.Errorf("the document has no object at #%s", ptr)
		}
		ref, isRef := m["$ref"].(string)
		if !isRef {
			return m, ptr, nil
		}
		target, ok := strings.CutPrefix(ref, "#")
		if !ok {
			return nil, ptr, fmt.Errorf("$ref %q at #%s is not local to the document", ref, ptr)
		}
		next, err := lookupPointer(v.doc, target)
		if err != nil {
			return nil, ptr, fmt.Errorf("$ref %q at #%s: %v", ref, ptr, err)
		}
		node, ptr = next, target
	}
	return nil, ptr, fmt.Errorf("$ref chain at #%s is too long", ptr)
}

// schema compiles (once) the schema at the JSON pointer ptr of the document.
func (v *openAPIValidator) schema(ptr string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.schemas[ptr]; ok {
		return s, nil
	}
	s, err := v.compiler.Compile(openAPIResourceURL + "#" + fragmentOf(ptr))
	if err != nil {
		return nil, fmt.Errorf("the schema at #%s does not compile: %v", ptr, err)
	}
	v.schemas[ptr] = s
	return s, nil
}

// lookupPointer finds the value at an RFC 6901 JSON pointer.
func lookupPointer(doc any, ptr string) (any, error) {
	if ptr == "" {
		return doc, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer", ptr)
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch node := cur.(type) {
		case map[string]any:
			next, ok := node[tok]
			if !ok {
				return nil, fmt.Errorf("nothing at %q", ptr)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) {
				return nil, fmt.Errorf("nothing at %q", ptr)
			}
			cur = node[i]
		default:
			return nil, fmt.Errorf("nothing at %q", ptr)
		}
	}
	return cur, nil
}

// escapeToken escapes one JSON pointer token (RFC 6901).
func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// fragmentOf writes a JSON pointer as a URI fragment: each token
// percent-encoded, the slashes between them kept.
func fragmentOf(ptr string) string {
	if ptr == "" {
		return ""
	}
	toks := strings.Split(ptr[1:], "/")
	for i, t := range toks {
		toks[i] = url.PathEscape(t)
	}
	return "/" + strings.Join(toks, "/")
}

// excerpt shortens a body for a failure message.
func excerpt(body []byte) string {
	const max = 2000
	if len(body) == 0 {
		return "(empty)"
	}
	if len(body) > max {
		return string(body[:max]) + fmt.Sprintf("… (%d bytes)", len(body))
	}
	return string(body)
}
