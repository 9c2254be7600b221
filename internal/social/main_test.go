package social_test

import (
	"testing"

	"roster/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
