package web

import (
	"bytes"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"roster/static"
)

// serveStatic answers /static/<name>.<hash>.<ext>. The hash is part of the
// name, so the content behind a URL never changes and browsers may keep it
// for a year without asking again. A stale or unknown hash is a 404.
func serveStatic(c echo.Context) error {
	a, ok := static.Lookup(c.Param("file"))
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	writeAsset(c, a)
	return nil
}

// serveFavicon answers the /favicon.ico that browsers request on their own,
// with the SVG icon. Its URL has no hash, so it is cached for a day only.
func serveFavicon(c echo.Context) error {
	a, ok := static.Get("favicon.svg")
	if !ok {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
	writeAsset(c, a)
	return nil
}

// writeAsset lets net/http handle conditional and range requests.
func writeAsset(c echo.Context, a *static.Asset) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, a.ContentType)
	h.Set("ETag", `"`+a.Hash+`"`)
	http.ServeContent(c.Response(), c.Request(), a.Hashed, time.Time{}, bytes.NewReader(a.Body))
}
