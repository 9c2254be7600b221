package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/views"
	"roster/views/pages"
)

// consoleHandler serves the console pages that need no data of their own
// (home, style guide). Areas with data get their own handler structs.
type consoleHandler struct{}

// home is the console's start page.
func (consoleHandler) home(c echo.Context) error {
	return render(c, http.StatusOK, pages.Home(newPage(c, "", views.NavHome)))
}

// styleguide shows every component with sample content; it reads nothing and
// changes nothing, so it is safe to leave on in production.
func (consoleHandler) styleguide(c echo.Context) error {
	return render(c, http.StatusOK, pages.Styleguide(newPage(c, "Style guide", views.NavNone)))
}
