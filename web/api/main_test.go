package api_test

import (
	"testing"

	"roster/internal/testkit"
)

// TestMain lets testkit stop the test database cluster after the tests.
func TestMain(m *testing.M) { testkit.Main(m) }
