package database_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"roster/internal/database"
	"roster/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func appliedCount(t *testing.T, db *sqlx.DB) (applied, total int) {
	t.Helper()
	list, err := database.Status(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Applied {
			applied++
		}
	}
	return applied, len(list)
}

func downAll(t *testing.T, db *sqlx.DB) {
	t.Helper()
	for {
		_, err := database.Down(context.Background(), db)
		if errors.Is(err, database.ErrNothingToRollBack) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrateDownAllAndUpAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testkit.NewDB(t) // migrated from the template already

	applied, total := appliedCount(t, db)
	if total == 0 || applied != total {
		t.Fatalf("fresh test database: %d of %d migrations applied", applied, total)
	}
	downAll(t, db)
	if applied, _ := appliedCount(t, db); applied != 0 {
		t.Fatalf("after rolling everything back, %d migrations still applied", applied)
	}
	// The Down sections must really undo the Up ones, or this fails on
	// objects that already exist.
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if applied, _ := appliedCount(t, db); applied != total {
		t.Fatalf("after migrating again: %d of %d applied", applied, total)
	}
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatalf("migrating an up-to-date database: %v", err)
	}
}

func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testkit.NewDBURL(t)
	// Two replicas starting together, each with its own pool.
	db, err := database.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := database.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	downAll(t, db)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, pool := range []*sqlx.DB{db, other} {
		wg.Go(func() { errs[i] = database.Migrate(ctx, pool) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if applied, total := appliedCount(t, db); applied != total {
		t.Fatalf("%d of %d applied", applied, total)
	}
}

func TestSecretKeyIsStable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testkit.NewDB(t)
	first, err := database.SecretKey(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 || bytes.Equal(first, make([]byte, 32)) {
		t.Fatalf("bad key %x", first)
	}
	again, err := database.SecretKey(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Fatal("the secret key changed between calls")
	}
}
