package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/database"
	"roster/internal/ratelimit"
	"roster/views"
	"roster/views/pages"
)

// APIError is the JSON body of every failed API (/api/, /oauth/) request.
type APIError struct {
	Code    int              `json:"code"` // the HTTP status
	Message string           `json:"message"`
	Details []APIErrorDetail `json:"details"` // never null
}

// APIErrorDetail classifies the error and lists bad fields.
type APIErrorDetail struct {
	ErrorCode       string                  `json:"error_code"`
	FieldViolations []apperr.FieldViolation `json:"field_violations"` // never null
	Reason          string                  `json:"reason,omitempty"` // a refusal's stable name, e.g. LAST_ADMIN
}

// statusOf is the one mapping from service error codes to HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.ErrInvalid:            http.StatusBadRequest,
	apperr.ErrNotFound:           http.StatusNotFound,
	apperr.ErrConflict:           http.StatusConflict,
	apperr.ErrForbidden:          http.StatusForbidden,
	apperr.ErrUnauthenticated:    http.StatusUnauthorized,
	apperr.ErrFailedPrecondition: http.StatusBadRequest,
}

// codeOf names errors that did not come from a service (unknown routes,
// oversized bodies, …) in the same vocabulary. Statuses not listed get no
// detail.
var codeOf = map[int]string{
	http.StatusBadRequest:            string(apperr.ErrInvalid),
	http.StatusUnauthorized:          string(apperr.ErrUnauthenticated),
	http.StatusForbidden:             string(apperr.ErrForbidden),
	http.StatusNotFound:              string(apperr.ErrNotFound),
	http.StatusConflict:              string(apperr.ErrConflict),
	http.StatusRequestEntityTooLarge: string(apperr.ErrInvalid),
	http.StatusTooManyRequests:       "RESOURCE_EXHAUSTED",
	http.StatusInternalServerError:   "INTERNAL",
	http.StatusServiceUnavailable:    "UNAVAILABLE",
}

// retryAfterSeconds is the Retry-After of a 503: a database restart or
// failover usually takes a few seconds.
const retryAfterSeconds = "5"

// failure is an error reduced to what may be shown.
type failure struct {
	status     int
	code       string
	title      string
	message    string
	violations []apperr.FieldViolation
	reason     string
	retryAfter int // seconds, for Retry-After; 0: none
}

// Wording for each status: a short title for the page and a default message.
var wording = map[int][2]string{
	http.StatusBadRequest:            {"Bad request", "The request could not be understood."},
	http.StatusUnauthorized:          {"Sign in required", "You need to sign in to see this page."},
	http.StatusForbidden:             {"Access denied", "You do not have permission to do this."},
	http.StatusNotFound:              {"Page not found", "There is nothing at this address. Check the link, or start again from the console home."},
	http.StatusMethodNotAllowed:      {"Method not allowed", "This address does not accept that kind of request."},
	http.StatusConflict:              {"Conflict", "This conflicts with something that already exists."},
	http.StatusRequestEntityTooLarge: {"Request too large", "The request body is larger than Roster accepts."},
	http.StatusTooManyRequests:       {"Too many requests", "Slow down and try again in a moment."},
	http.StatusInternalServerError:   {"Something went wrong", "An unexpected error occurred on our side. It has been logged; please try again."},
	http.StatusServiceUnavailable:    {"Temporarily unavailable", "The service is temporarily unavailable. Please try again in a moment."},
}

func wordsFor(status int) (title, message string) {
	if w, ok := wording[status]; ok {
		return w[0], w[1]
	}
	if status >= 500 {
		return wording[http.StatusInternalServerError][0], wording[http.StatusInternalServerError][1]
	}
	return http.StatusText(status), http.StatusText(status) + "."
}

// classify reduces err to a failure. known is false for errors nobody meant
// to show; they become a generic 500, or a 503 while the database cannot be
// reached.
func classify(err error) (f failure, known bool) {
	var ae *apperr.Error
	var code apperr.Code
	var he *echo.HTTPError
	var limited *ratelimit.Error
	switch {
	case errors.As(err, &limited):
		f.status = http.StatusTooManyRequests
		f.code = codeOf[http.StatusTooManyRequests]
		f.message = "Too many attempts: try again in " + minutes(limited.Minutes()) + "."
		f.retryAfter = limited.Seconds()
	case errors.As(err, &ae):
		f.status = statusOf[ae.Code]
		f.code = string(ae.Code)
		f.message = ae.Message
		f.violations = ae.Violations
		f.reason = ae.Reason
	case errors.As(err, &code):
		f.status = statusOf[code]
		f.code = string(code)
	case errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge:
		// An oversized body is bad input like any other: a 400 that says
		// which part of the request to fix.
		f.status = http.StatusBadRequest
		f.code = string(apperr.ErrInvalid)
		f.message = "body: must not be larger than 1 MiB"
		f.violations = []apperr.FieldViolation{apperr.Field("body", "must not be larger than 1 MiB")}
	case errors.As(err, &he):
		f.status = he.Code
		f.code = codeOf[he.Code]
		// Echo's own messages for 4xx (binding errors, "missing csrf token")
		// are meant for the client; for 5xx we keep our own words.
		if msg, ok := he.Message.(string); ok && he.Code == http.StatusBadRequest {
			f.message = msg
		}
	}
	switch {
	case f.status == 0 && database.Unavailable(err):
		// The database is down or unreachable: nothing is wrong with the
		// request, and the same request will work once it is back.
		f = failure{status: http.StatusServiceUnavailable, code: codeOf[http.StatusServiceUnavailable]}
	case f.status == 0:
		f = failure{status: http.StatusInternalServerError, code: codeOf[http.StatusInternalServerError]}
	default:
		known = true
	}
	title, message := wordsFor(f.status)
	f.title = title
	if f.message == "" {
		f.message = message
	}
	return f, known
}

// isAPI tells machine clients, which get JSON, from people, who get a page.
func isAPI(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") ||
		path == "/oauth" || strings.HasPrefix(path, "/oauth/")
}

// signIns are the two kinds of people a page can be for: the console's
// admins and the hosted pages' end users. The error handler asks them who is
// signed in when no route middleware did (an unknown URL, a form the CSRF
// check refused), so every error page still fits its reader.
type signIns struct {
	admins *adminAuth
	users  *hostedAuth
	csrf   csrfGuard
}

// newErrorHandler is Echo's one HTTPErrorHandler: every error of every
// request ends here and becomes the error page or the API's JSON error.
func newErrorHandler(log *slog.Logger, who signIns) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		f, known := classify(err)
		req := c.Request()
		if (!known || f.status >= 500) && !errors.Is(err, errPanicked) {
			log.ErrorContext(req.Context(), "request failed",
				slog.String("request_id", requestID(c)),
				slog.String("method", req.Method),
				slog.String("path", logPath(c)),
				slog.Int("status", f.status),
				slog.String("error", err.Error()),
			)
		}
		if c.Response().Committed {
			return // part of the answer is already out; nothing sane to add
		}
		switch {
		case f.retryAfter > 0:
			c.Response().Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		case f.status == http.StatusServiceUnavailable:
			// Clients and proxies may retry on their own; the pool reconnects
			// by itself once the database is back.
			c.Response().Header().Set("Retry-After", retryAfterSeconds)
		}

		var werr error
		switch {
		case req.Method == http.MethodHead:
			werr = c.NoContent(f.status)
		case isAPI(req.URL.Path):
			body := APIError{Code: f.status, Message: f.message, Details: []APIErrorDetail{}}
			if f.code != "" {
				vs := f.violations
				if vs == nil {
					vs = []apperr.FieldViolation{}
				}
				body.Details = append(body.Details, APIErrorDetail{ErrorCode: f.code, FieldViolations: vs, Reason: f.reason})
			}
			werr = c.JSON(f.status, body)
		default:
			werr = who.errorPage(c, err, f)
		}
		if werr != nil {
			log.ErrorContext(req.Context(), "writing the error response failed",
				slog.String("request_id", requestID(c)), slog.String("error", werr.Error()))
		}
	}
}

// errorPage renders f for a person. End users get the hosted layout, with a
// way back to their organizations or to sign-in; a signed-in admin keeps
// the console's menu; anyone else gets the page without navigation. Server
// errors always get the plain page: the hosted one needs the database.
func (who signIns) errorPage(c echo.Context, err error, f failure) error {
	who.csrf.pageToken(c) // the headers' sign-out forms need one
	if f.status < 500 && who.users != nil && who.forEndUser(c, err) {
		herr := who.users.errorPage(c, err, f)
		if herr == nil || c.Response().Committed {
			return herr
		}
		// The hosted page could not be built (its app name is in the
		// database): the plain page still says what happened.
	}
	admin := pageAdmin(c)
	p := views.Page{Title: f.title, RequestID: requestID(c), CSRFToken: csrfToken(c), Admin: admin, HideNav: admin == nil}
	return render(c, f.status, pages.Error(p, pages.ErrorDetails{
		Status: f.status, Title: f.title, Message: f.message, Violations: f.violations,
	}))
}

// forEndUser decides whether the error page of this request is a hosted
// one: the request is a hosted route's (hostedAuth.pages marked it), its
// URL lies under the hosted pages' paths (a mistyped /signin/…, a refused
// form), or it asks for a URL nobody serves while an end user and no admin
// is signed in. Along the way it loads the signed-in admin, so a console
// 404 keeps its menu.
func (who signIns) forEndUser(c echo.Context, err error) bool {
	if marked, _ := c.Get(hostedKey).(bool); marked || isHostedPath(c.Request().URL.Path) {
		return true
	}
	if who.admins != nil && adminFrom(c) == nil {
		if _, lerr := who.admins.load(c); lerr != nil {
			return false // the database: the plain page
		}
	}
	if adminFrom(c) != nil {
		return false
	}
	unserved := errors.Is(err, echo.ErrNotFound) || errors.Is(err, echo.ErrMethodNotAllowed)
	return unserved && who.users.currentUser(c) != nil
}

// hostedPaths are the path prefixes of the end users' hosted pages
// (routes.go's hosted block). "/org/" is a member's own org pages, apart
// from the console's /organizations.
var hostedPaths = []string{
	"/signin", "/signup", "/invitations", "/my-organizations", "/choose-organization",
	"/switch-organization", "/org", "/logout/user",
}

// isHostedPath reports whether path is one of the hosted pages' or under
// one (a mistyped /signin/cod, say).
func isHostedPath(path string) bool {
	for _, p := range hostedPaths {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// csrfToken is the CSRF token of the current request, "" if none.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfTokenKey).(string)
	return t
}
