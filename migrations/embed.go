// Package migrations holds Roster's schema as numbered goose SQL files,
// embedded in the binary. A released file is never edited: change the schema
// by adding the next number.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
