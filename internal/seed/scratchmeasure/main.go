// Temporary measurement harness; deleted before hand-off.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"roster/internal/database"
	"roster/internal/pgcluster"
	"roster/internal/seed"
)

func main() {
	users := flag.Int("users", 100000, "")
	dir := flag.String("dir", "/tmp/seedscratch", "")
	keep := flag.Bool("keep", false, "")
	flag.Parse()
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: *dir, Fsync: false})
	if err != nil {
		panic(err)
	}
	if !*keep {
		defer c.Stop()
	}
	name := fmt.Sprintf("s%d", time.Now().UnixNano())
	if err := c.CreateDatabase(ctx, name); err != nil {
		panic(err)
	}
	db, err := database.Open(ctx, c.URL(name), 5)
	if err != nil {
		panic(err)
	}
	if err := database.Migrate(ctx, db); err != nil {
		panic(err)
	}
	fmt.Println("db", c.URL(name))
	opts := seed.Options{Users: *users, Orgs: *users / 10, Memberships: 2 * *users, BigOrg: *users / 5, Seed: 1}
	res, err := seed.Run(ctx, db, opts, os.Stderr)
	if err != nil {
		panic(err)
	}
	res.WriteSummary(os.Stdout)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("go process cpu: user %.1fs sys %.1fs\n", time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds())
	if *keep {
		fmt.Println("holding")
		time.Sleep(time.Hour)
	}
}
