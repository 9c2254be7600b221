package api

import (
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"roster/internal/apiclients"
	"roster/internal/apperr"
)

// RegisterToken mounts POST /oauth/token, where API clients trade their id
// and secret for a short-lived bearer token (the client_credentials grant).
//
// Errors come in the management API's shape ({"code","message","details"}),
// not RFC 6749's {"error":"invalid_client"}: the callers are management-API
// clients that already read that shape, the central error handler writes it
// for every /oauth/ path, and one shape means one thing to document. The
// statuses follow RFC 6749: 400 for a malformed request or a grant we do not
// offer, 401 for client authentication that fails (unknown client, wrong
// secret, revoked client, no credentials), all with the same message.
func RegisterToken(e *echo.Echo, tokens *apiclients.Service) {
	h := &tokenAPI{tokens: tokens}
	e.POST("/oauth/token", h.issue)
}

type tokenAPI struct{ tokens *apiclients.Service }

func (h *tokenAPI) issue(c echo.Context) error {
	// RFC 6749 §5.1: token answers, good or bad, must not be cached.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("Pragma", "no-cache")

	req := c.Request()
	if mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMEApplicationForm {
		return apperr.Invalid(apperr.Field("body", "must be form-encoded (Content-Type: application/x-www-form-urlencoded)"))
	}
	// PostForm only: credentials in a query string end up in logs.
	if err := req.ParseForm(); err != nil {
		return apperr.Invalid(apperr.Field("body", "is not a valid form-encoded body"))
	}
	form := req.PostForm
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return apperr.Invalid(apperr.Field("grant_type", "is required and must be client_credentials"))
	default:
		return apperr.Invalid(apperr.Field("grant_type", "must be client_credentials"))
	}

	id, secret := form.Get("client_id"), form.Get("client_secret")
	if basicID, basicSecret, ok := req.BasicAuth(); ok {
		// RFC 6749 §2.3.1: one authentication method per request.
		if secret != "" {
			return apperr.Invalid(apperr.Field("client_secret", "must not be sent when the client authenticates with HTTP Basic"))
		}
		// §2.3.1 form-encodes both parts before Basic encoding.
		id, secret = formDecode(basicID), formDecode(basicSecret)
	}
	tok, err := h.tokens.IssueToken(req.Context(), id, secret)
	if errors.Is(err, apperr.ErrUnauthenticated) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="roster"`)
		return err
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"access_token": tok.AccessToken,
		"token_type":   "Bearer",
		"expires_in":   int(tok.ExpiresIn.Seconds()),
	})
}

func formDecode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}
