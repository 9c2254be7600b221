// Package roles holds the console's pages of the environment's roles and
// permissions: the overview with the default roles, the role and permission
// forms, and their deletion steps.
package roles

import (
	"net/url"
	"strconv"
	"strings"

	"roster/internal/model"
)

// FormErrors maps a form field's name to what is wrong with it; "" holds
// what belongs to no field.
type FormErrors map[string]string

// RolePath is the URL of a page of a role: RolePath("admin", "/edit").
func RolePath(name, rest string) string { return "/roles/" + url.PathEscape(name) + rest }

// PermissionPath is the URL of a page of a permission.
func PermissionPath(name, rest string) string {
	return "/permissions/" + url.PathEscape(name) + rest
}

// roleLabel is "Admin (admin)", or the name alone without a display name.
func roleLabel(r model.Role) string {
	if r.DisplayName == "" || r.DisplayName == r.Name {
		return r.Name
	}
	return r.DisplayName + " (" + r.Name + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// inherited lists the effective permissions a role does not grant itself.
func inherited(own, effective []string) []string {
	var out []string
	for _, p := range effective {
		if !contains(own, p) {
			out = append(out, p)
		}
	}
	return out
}

func joinOr(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(list, ", ")
}
