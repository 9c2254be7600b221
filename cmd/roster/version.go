package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at release builds: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func init() {
	register(&command{name: "version", summary: "Print the version", run: runVersion})
}

func runVersion(ctx context.Context, args []string) error {
	if err := parseFlags(newFlags("version", "Prints Roster's version, commit and Go version."), args); err != nil {
		return err
	}
	fmt.Println(versionString())
	return nil
}

// versionString is e.g. "roster v1.2.3 (commit 0123abcd4567, modified) go1.26.8".
func versionString() string {
	v, commit, modified := version, "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		// `go install roster@v1.2.3` records the module version.
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if commit != "" {
		if modified {
			commit += ", modified"
		}
		v += " (commit " + commit + ")"
	}
	return fmt.Sprintf("roster %s %s", v, runtime.Version())
}
