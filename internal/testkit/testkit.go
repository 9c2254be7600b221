// Package testkit runs Roster's tests against the real thing. Its database
// part (db.go) gives every test its own freshly migrated PostgreSQL database,
// cloned in a fraction of a second from a template migrated once per test
// binary. A package with database tests calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
//
// and each test asks for a database with NewDB (or NewDBURL for a
// subprocess). A failed test's database is kept and its URL logged; set
// ROSTER_TEST_KEEP=1 to keep every database and the cluster's files.
package testkit

import "time"

// Epoch is where every test's fake clock starts: a fixed instant, so times
// in pages and tokens are the same on every run.
var Epoch = time.Date(2026, time.January, 15, 9, 0, 0, 0, time.UTC)
