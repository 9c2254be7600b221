package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Browser is a headless Chromium tab for one test. Each test gets its own
// browser process (about half a second to start): tests share no cookies,
// can run in parallel, and nothing outlives the test.
type Browser struct {
	t   testing.TB
	ctx context.Context // the tab; the browser lives as long as it
}

// Viewport sizes the helpers use.
const (
	DesktopWidth, DesktopHeight = 1280, 900
	MobileWidth, MobileHeight   = 360, 780
	// PhoneWidth is a common larger phone (390 CSS px wide), the width the
	// layout test holds every page to.
	PhoneWidth, PhoneHeight = 390, 844
)

// runTimeout bounds one Run; a step that waits for an element that never
// comes fails the test instead of hanging it.
const runTimeout = 20 * time.Second

// chromiumPath is Debian's Chromium unless ROSTER_CHROMIUM names another.
func chromiumPath() string {
	if p := os.Getenv("ROSTER_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// NewBrowser starts Chromium for t and closes it at cleanup. If the test
// fails, a full-page screenshot named after the test is saved first (see
// ScreenshotDir). Without Chromium the test fails: page flows are tested in
// a real browser or not at all.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("testkit: no Chromium at %s (apt-get install chromium, or set ROSTER_CHROMIUM): %v", path, err)
	}
	// A fresh profile per browser: no state leaks from one test to the next.
	profile, err := os.MkdirTemp("", "roster-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	output := &SyncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // Chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The network here is closed: no update checks, sync or QUIC probes.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(DesktopWidth, DesktopHeight),
		chromedp.CombinedOutput(output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the process to exit
		os.RemoveAll(profile)
	})

	// Start the browser now. Its first call must not carry a timeout (the
	// browser would die with it), so a watchdog bounds the start instead.
	watchdog := time.AfterFunc(30*time.Second, cancelTab)
	err = chromedp.Do(ctx, chromedp.Func(addProblemProbe))
	watchdog.Stop()
	if err != nil {
		t.Fatalf("testkit: start Chromium: %v\n%s", err, lastLines(output.String(), 20))
	}

	b := &Browser{t: t, ctx: ctx}
	// The window size includes the browser's own frame; fix the page's
	// viewport itself so screenshots and layout checks are 1280×900.
	b.Desktop()
	// Registered after the close, so it runs before it.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		name := failedName(t.Name())
		if path, err := b.screenshot(name, 10*time.Second); err != nil {
			t.Logf("testkit: no screenshot of the failure: %v", err)
		} else {
			t.Logf("testkit: screenshot of the failure: %s", path)
		}
	})
	return b
}

// Context returns the tab's context, for chromedp calls the helpers do not
// cover. It has no timeout.
func (b *Browser) Context() context.Context { return b.ctx }

// Run runs the actions in order and fails the test at the first error, or
// when together they take longer than 20 seconds.
func (b *Browser) Run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, runTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Result runs one action that returns a value (Title, Text, Evaluate, …)
// and returns it, failing the test on error or after 20 seconds. (A method
// cannot have type parameters, so this is a function.)
//
//	title := testkit.Result(b, chromedp.Title())
func Result[T any](b *Browser, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, runTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Mobile makes the viewport a 360 px wide phone screen.
func (b *Browser) Mobile() {
	b.t.Helper()
	b.Run(chromedp.EmulateViewport(MobileWidth, MobileHeight, chromedp.EmulateMobile))
}

// Phone makes the viewport a 390 px wide phone screen.
func (b *Browser) Phone() {
	b.t.Helper()
	b.Run(chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateMobile))
}

// Desktop restores the 1280×900 desktop viewport.
func (b *Browser) Desktop() {
	b.t.Helper()
	b.Run(chromedp.EmulateViewport(DesktopWidth, DesktopHeight))
}

// ColorScheme emulates prefers-color-scheme: "light", "dark", or "" for the
// browser's default.
func (b *Browser) ColorScheme(scheme string) {
	b.t.Helper()
	b.Run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		p := emulation.SetEmulatedMediaParams{}
		if scheme != "" {
			p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, p)
		return err
	}))
}

// Screenshot saves a full-page PNG of the tab as <ScreenshotDir>/<name>.png
// and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	path, err := b.screenshot(name, runTimeout)
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	return path
}

func (b *Browser) screenshot(name string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 means PNG
	if err != nil {
		return "", err
	}
	dir, err := ScreenshotDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, strings.TrimSuffix(name, ".png")+".png")
	return path, os.WriteFile(path, png, 0o644)
}

// Problems returns the Content-Security-Policy violations and uncaught
// JavaScript errors of the current page, in order. A page that needs an
// inline script or style shows up here instead of silently losing it.
func (b *Browser) Problems() []string {
	b.t.Helper()
	return Result(b, chromedp.Evaluate[[]string](`window.__rosterProblems || []`))
}

// problemProbe runs in every new document before the page's own scripts and
// records what the browser refused or what threw.
const problemProbe = `(() => {
  const problems = [];
  Object.defineProperty(window, "__rosterProblems", { value: problems });
  document.addEventListener("securitypolicyviolation", (e) =>
    problems.push("CSP " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline code") +
      (e.sourceFile ? " (" + e.sourceFile + ":" + e.lineNumber + ")" : "")));
  window.addEventListener("error", (e) => problems.push("JavaScript error: " + e.message));
})();`

func addProblemProbe(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: problemProbe})
	return err
}

// ScreenshotDir is where screenshots go: $ROSTER_SCREENSHOTS, or
// testdata/screenshots at the repository root. It is created if needed.
func ScreenshotDir() (string, error) {
	dir := os.Getenv("ROSTER_SCREENSHOTS")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "testdata", "screenshots")
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// repoRoot walks up from the working directory (a test's package directory)
// to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testkit: no go.mod above the working directory")
		}
		dir = parent
	}
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// failedName turns "TestConsole/invite" into "TestConsole-invite-failed".
func failedName(testName string) string {
	return unsafeFileChars.ReplaceAllString(testName, "-") + "-failed"
}

// lastLines keeps the end of Chromium's output for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintf("chromium output:\n%s", strings.Join(lines, "\n"))
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers (a server's or
// a browser's goroutines).
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
