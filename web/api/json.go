// Package api serves the management REST API under /api/v1. Handlers parse
// the request, call one service method and answer JSON; errors go to the
// central error handler in package web, which writes the API's error shape.
package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/store"
)

// maxBody caps a request body; larger bodies are refused before decoding.
const maxBody = 1 << 20

// bind decodes the JSON body into dst. It is strict: unknown fields, wrong
// types, trailing data and bodies over 1 MiB are bad input, reported as field
// violations so the caller knows what to fix.
func bind(c echo.Context, dst any) error {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return apperr.Invalid(apperr.Field("body", "must be JSON (Content-Type: application/json)"))
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.Invalid(apperr.Field("body", "must hold one JSON object and nothing after it"))
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return apperr.Invalid(apperr.Field("body", "must not be larger than 1 MiB"))
	case errors.Is(err, io.EOF):
		return apperr.Invalid(apperr.Field("body", "is empty; send a JSON object"))
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid(apperr.Field("body", "is not valid JSON"))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apperr.Invalid(apperr.Field("body", "must be a JSON object"))
		}
		return apperr.Invalid(apperr.Field(field, "must be "+jsonKind(typeErr.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid(apperr.Field(name, "is not a known field"))
	}
	return apperr.Invalid(apperr.Field("body", "could not be read: "+err.Error()))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int32", "int64", "uint", "uint32", "uint64", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "of another type"
}

// pageRequest reads page_size and page_token from the query string.
func pageRequest(c echo.Context) (store.PageRequest, error) {
	p := store.PageRequest{Token: c.QueryParam("page_token")}
	if s := c.QueryParam("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, apperr.Invalid(apperr.Field("page_size", "must be a whole number"))
		}
		p.Size = n
	}
	if _, _, err := p.Parse(); err != nil {
		return p, err
	}
	return p, nil
}

// boolQuery reads an optional true/false query parameter.
func boolQuery(c echo.Context, name string, def bool) (bool, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, apperr.Invalid(apperr.Field(name, "must be true or false"))
	}
	return b, nil
}

// ts formats a time as the API does: RFC 3339 in UTC.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// tsPtr formats an optional time; nil stays nil, which the views' omitempty
// leaves out of the answer.
func tsPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ts(*t)
	return &s
}

// pageJSON adds the list envelope's paging fields to a list answer.
func pageJSON(items string, list any, info store.PageInfo) map[string]any {
	return map[string]any{
		items:             list,
		"next_page_token": info.NextToken,
		"prev_page_token": info.PrevToken,
		"total_size":      info.TotalSize,
	}
}
