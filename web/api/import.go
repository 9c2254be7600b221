package api

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/importer"
)

// importAPI runs migration imports: the body is the file `roster import`
// would read, and the answer is the same report.
type importAPI struct {
	imp *importer.Importer
}

func (h *importAPI) Routes(g *echo.Group) {
	g.POST("/import", h.run)
}

// MaxImportBody caps an import's body: 64 MiB holds some 300,000 one-to-one
// rows. The server-wide 1 MiB limit must let this route through (see
// web/server.go) for it to apply.
const MaxImportBody = 64 << 20

func (h *importAPI) run(c echo.Context) error {
	var v apperr.Violations
	opts := importer.Options{Shape: importer.Shape(c.QueryParam("shape"))}
	if opts.Shape != importer.OneToOne && opts.Shape != importer.OneToMany {
		v.Add("shape", "must be one-to-one or one-to-many")
	}
	var err error
	if opts.DryRun, err = boolQuery(c, "dry_run", false); err != nil {
		v.Add("dry_run", "must be true or false")
	}
	if opts.Strict, err = boolQuery(c, "strict", false); err != nil {
		v.Add("strict", "must be true or false")
	}
	mediaType, params, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	switch mediaType {
	case "application/x-ndjson", "application/jsonl":
		opts.Format = importer.JSONL
	case "text/csv":
		opts.Format = importer.CSV
		if opts.Shape == importer.OneToMany {
			v.Add("Content-Type", "text/csv takes the one-to-one shape; send one-to-many records as application/x-ndjson")
		}
	default:
		v.Add("Content-Type", "must be application/x-ndjson (JSON Lines) or text/csv")
	}
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
		v.Add("Content-Type", "the body must be UTF-8")
	}
	if err := v.Err(); err != nil {
		return err
	}

	body := http.MaxBytesReader(c.Response(), c.Request().Body, MaxImportBody)
	rep, err := h.imp.Run(c.Request().Context(), opts, importer.Input{Reader: body})
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.Invalid(apperr.Field("body", "must not be larger than 64 MiB; split the import into several requests"))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}
