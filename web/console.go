package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/directory"
	"roster/views"
	"roster/views/pages"
)

// consoleHandler serves the console's home page and the style guide. Areas
// with lists and forms get their own handler structs.
type consoleHandler struct {
	dir *directory.Service
}

// home is the console's start page: the directory's totals and its last
// days of activity, or the first steps on an empty directory.
func (h consoleHandler) home(c echo.Context) error {
	stats, err := h.dir.HomeStats(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.Home(newPage(c, "", views.NavHome), homeData(stats)))
}

// homeData puts the service's numbers into the page's shape.
func homeData(s directory.HomeStats) pages.HomeData {
	t := s.Totals
	d := pages.HomeData{
		Organizations:      pages.HomeCount{N: t.Organizations, Estimated: t.OrganizationsEstimated},
		Users:              pages.HomeCount{N: t.Users, Estimated: t.UsersEstimated},
		ActiveMembers:      pages.HomeCount{N: t.ActiveMembers},
		PendingInvitations: pages.HomeCount{N: t.PendingInvitations},
		Days:               make([]pages.HomeDay, len(s.Days)),
	}
	for i, day := range s.Days {
		d.Days[i] = pages.HomeDay{Day: day.Day.UTC(), SignIns: day.SignIns, NewUsers: day.NewUsers}
	}
	return d
}

// styleguide shows every component with sample content; it reads nothing and
// changes nothing, so it is safe to leave on in production.
func (consoleHandler) styleguide(c echo.Context) error {
	return render(c, http.StatusOK, pages.Styleguide(newPage(c, "Style guide", views.NavNone)))
}
