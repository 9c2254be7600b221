package api

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apiclients"
	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/model"
)

// RequireClient lets a request through only with a valid bearer token of an
// API client that is not revoked, and puts that client on the request's
// context as the audit actor. Every failure answers the same 401, whatever
// was wrong (no header, a bad signature, an expired token, a revoked client),
// so a caller learns nothing by trying variations.
func RequireClient(tokens *apiclients.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			token, ok := bearerToken(req.Header.Get(echo.HeaderAuthorization))
			if !ok {
				return unauthenticated(c)
			}
			client, err := tokens.VerifyToken(req.Context(), token)
			if errors.Is(err, apperr.ErrUnauthenticated) {
				return unauthenticated(c)
			}
			if err != nil {
				return err // the database failed: a 500, not the caller's fault
			}
			ctx := audit.WithActor(req.Context(), model.Actor{
				Type:      "api_client",
				ID:        client.ID,
				Label:     client.Name,
				IP:        c.RealIP(),
				UserAgent: req.UserAgent(),
				// Set by the request-id middleware, which runs before this one.
				RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
			})
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// bearerToken takes the token out of "Authorization: Bearer <token>"; the
// scheme is case-insensitive (RFC 7235).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

func unauthenticated(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
	return apperr.Unauthenticated("a valid bearer token is required")
}
