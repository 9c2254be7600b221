package web

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes component as the HTML response. It renders into a buffer
// first, so a failing component becomes a clean error page instead of half
// a page with a 200 status.
func render(c echo.Context, status int, component templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := component.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}
