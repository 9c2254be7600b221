package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
)

// refuseManyEmails answers 400 to a page request that names more than one
// email: a repeated `email` field (email=a&email=b) or an array form of it
// (email[]=a, email[0]=a). Handlers read one value, but which one a library
// picks is not a rule anyone should rely on when the address decides whose
// account a link or code is for, so such requests never reach them. The
// API decodes JSON into typed fields, where an array is already refused.
// multipartMemory is how much of a multipart body is kept in memory (the
// rest goes to temporary files), as Echo's own default; BodyLimit caps the
// whole.
const multipartMemory = 32 << 20

func refuseManyEmails(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if isAPI(req.URL.Path) {
			return next(c)
		}
		// Parses the query and the body, urlencoded or multipart (cached
		// for handlers); a malformed body is left to the handler to refuse.
		// ParseForm alone would leave a multipart body unread for good: with
		// req.Form set, FormValue never parses it, and the bulk invite's
		// fields (its CSRF token too) would read as empty.
		_ = req.ParseMultipartForm(multipartMemory)
		for key, values := range req.Form {
			name := strings.ToLower(key)
			if (name == "email" && len(values) > 1) || strings.HasPrefix(name, "email[") {
				return apperr.Invalid(apperr.Field("email", "give exactly one email address"))
			}
		}
		return next(c)
	}
}
