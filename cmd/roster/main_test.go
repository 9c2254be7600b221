package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"roster/internal/testkit"
)

// rosterBin is the binary under test, built once by TestMain.
var rosterBin string

// TestMain builds the binary, then runs the tests under testkit.Main so
// tests may ask for a migrated database (testkit.NewDBURL) and the test
// cluster is stopped at the end.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "roster-bin-")
	if err == nil {
		err = removeAtExit(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rosterBin = filepath.Join(dir, "roster")
	build := exec.Command("go", "build", "-o", rosterBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building roster:", err)
		os.Exit(1)
	}
	testkit.Main(m)
}

// exitPipe is never written; it closes when the test process ends.
var exitPipe *os.File

// removeAtExit removes dir once this process has ended. testkit.Main ends
// it with os.Exit, so no code of ours runs after the tests; a shell reading
// the other end of a pipe sees EOF when we are gone, however we went.
func removeAtExit(dir string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", `cat >/dev/null; rm -rf "$1"`, "roster-test-cleanup", dir)
	cmd.Stdin = r
	// Its own process group, so a Ctrl-C meant for the tests does not stop it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start cleanup watcher: %w", err)
	}
	exitPipe = w // kept referenced: a collected *os.File would close early
	return nil
}
