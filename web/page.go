package web

import (
	"github.com/labstack/echo/v4"

	"roster/views"
)

// csrfTokenKey is where the CSRF middleware (csrfProtection) leaves the
// token for the current request.
const csrfTokenKey = "csrf"

// newPage builds the value every page takes first: title, highlighted nav
// item, the waiting flash (consumed here), request id, CSRF token and the
// signed-in admin. Call it once per rendered page, before writing the body
// (it may set a cookie).
func newPage(c echo.Context, title string, nav views.Nav) views.Page {
	token, _ := c.Get(csrfTokenKey).(string)
	return views.Page{
		Title:     title,
		Nav:       nav,
		Flash:     popFlash(c),
		RequestID: requestID(c),
		CSRFToken: token,
		Admin:     pageAdmin(c),
	}
}
