// Package lint holds the checks CI needs beyond compiling and testing:
// gofmt, go vet and generated templ code that matches its sources. They run
// as tests so that the one test command a newcomer knows checks everything.
package lint

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot walks up from this package to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the lint package")
		}
		dir = parent
	}
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestGofmt(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	gofmt := filepath.Join(os.Getenv("GOROOT"), "bin", "gofmt")
	if _, err := os.Stat(gofmt); err != nil {
		gofmt = "gofmt"
	}
	if out := run(t, root, gofmt, "-l", "."); strings.TrimSpace(out) != "" {
		t.Errorf("files not formatted with gofmt (run gofmt -w on them):\n%s", out)
	}
}

func TestGoVet(t *testing.T) {
	t.Parallel()
	run(t, repoRoot(t), "go", "vet", "./...")
}

// TestTemplGenerated regenerates every templ file into a scratch copy and
// compares the result with the committed *_templ.go files.
func TestTemplGenerated(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	scratch := t.TempDir()
	var sources []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".templ") {
			rel, _ := filepath.Rel(root, path)
			sources = append(sources, rel)
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			dst := filepath.Join(scratch, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) == 0 {
		t.Fatal("no .templ files found; is the repository layout intact?")
	}
	run(t, root, "go", "tool", "templ", "generate", "-path", scratch)
	for _, rel := range sources {
		gen := strings.TrimSuffix(rel, ".templ") + "_templ.go"
		want, err := os.ReadFile(filepath.Join(scratch, gen))
		if err != nil {
			t.Fatalf("templ did not generate %s: %v", gen, err)
		}
		got, err := os.ReadFile(filepath.Join(root, gen))
		if err != nil {
			t.Errorf("%s is missing: run `go tool templ generate` and commit the result", gen)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with %s: run `go tool templ generate` and commit the result", gen, rel)
		}
	}
}

// TestLayersPointDown keeps internal/ below the HTTP layer: no package
// under internal/, nor any of its tests, may import views/ or web/, so the
// rules never depend on how pages look and internal tests never link the
// web server.
func TestLayersPointDown(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	module := strings.TrimSpace(run(t, root, "go", "list", "-m"))
	deps := run(t, root, "go", "list", "-deps", "-test", "./internal/...")
	for _, dep := range strings.Fields(deps) {
		for _, upper := range []string{module + "/views", module + "/web"} {
			if dep == upper || strings.HasPrefix(dep, upper+"/") {
				t.Errorf("internal/ depends on %s", dep)
			}
		}
	}
}
