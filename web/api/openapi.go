package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPIPath is where the API's OpenAPI 3.1 document is served.
const OpenAPIPath = "/api/v1/openapi.json"

// openAPIDocument describes every route of this package, /oauth/token
// included. openapi_test.go keeps it true: each route registered here has a
// documented operation and each documented operation a route, and the
// API tests check every response they get against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns a copy of the API's OpenAPI 3.1 document (JSON).
func OpenAPIDocument() []byte {
	return append([]byte(nil), openAPIDocument...)
}

// RegisterOpenAPI mounts GET /api/v1/openapi.json on e itself, outside the
// bearer-protected /api/v1 group, so the document is readable without a
// token: a client generator needs it before it has credentials, and it
// holds nothing secret.
func RegisterOpenAPI(e *echo.Echo) {
	e.GET(OpenAPIPath, serveOpenAPI)
}

func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
