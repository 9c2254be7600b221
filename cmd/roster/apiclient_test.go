package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// rosterIn runs the binary on dataDir's private cluster.
func rosterIn(t *testing.T, dataDir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(rosterBin, args...)
	cmd.Env = env("ROSTER_DATA_DIR=" + dataDir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("roster %v: %v", args, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func TestAPIClientCommands(t *testing.T) {
	t.Parallel()
	dataDir, err := os.MkdirTemp("", "roster-apiclient-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })

	// Like every command but migrate and serve, it leaves the schema alone.
	if _, errOut, code := rosterIn(t, dataDir, "api-client", "list"); code != 1 || !strings.Contains(errOut, "roster migrate") {
		t.Errorf("list before migrate: exit %d, %s", code, errOut)
	}
	if _, errOut, code := rosterIn(t, dataDir, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}

	// create prints exactly one JSON object on stdout, for scripts.
	out, errOut, code := rosterIn(t, dataDir, "api-client", "create", "--name", "CI pipeline")
	if code != 0 {
		t.Fatalf("create: exit %d\n%s", code, errOut)
	}
	var created map[string]string
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&created); err != nil || dec.More() || len(created) != 2 {
		t.Fatalf("create printed %q, want one JSON object", out)
	}
	id, secret := created["client_id"], created["client_secret"]
	if !strings.HasPrefix(id, "cli_") || !strings.HasPrefix(secret, "rsk_") {
		t.Fatalf("create printed %q", out)
	}

	out, _, code = rosterIn(t, dataDir, "api-client", "list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "CI pipeline") ||
		!strings.Contains(out, "…"+secret[len(secret)-4:]) || strings.Contains(out, secret) {
		t.Errorf("list (exit %d):\n%s", code, out)
	}

	out, _, code = rosterIn(t, dataDir, "api-client", "revoke", id)
	if code != 0 || !strings.Contains(out, "revoked "+id) {
		t.Errorf("revoke (exit %d): %s", code, out)
	}
	out, _, code = rosterIn(t, dataDir, "api-client", "list", "--format", "json")
	var list struct {
		Clients []map[string]any `json:"api_clients"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Clients) != 1 ||
		list.Clients[0]["client_id"] != id || list.Clients[0]["revoke_time"] == nil || !strings.HasPrefix(list.Clients[0]["created_by"].(string), "cli:") {
		t.Errorf("list --format json (exit %d): %s", code, out)
	}
	if out, _, code = rosterIn(t, dataDir, "api-client", "revoke", id); code != 0 || !strings.Contains(out, "already revoked") {
		t.Errorf("revoke again (exit %d): %s", code, out)
	}

	// Mistakes: unknown client (1), bad usage (2), invalid name (1).
	if _, errOut, code := rosterIn(t, dataDir, "api-client", "revoke", "cli_aaaaaaaaaaaaaaaaaaaaaaaaaa"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("revoke unknown: exit %d, %s", code, errOut)
	}
	for _, args := range [][]string{{"api-client"}, {"api-client", "create"}, {"api-client", "revoke"}, {"api-client", "rename"}} {
		if _, _, code := rosterIn(t, dataDir, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, errOut, code := rosterIn(t, dataDir, "api-client", "create", "--name", " "); code != 1 || !strings.Contains(errOut, "name") {
		t.Errorf("blank name: exit %d, %s", code, errOut)
	}
	for _, args := range [][]string{{"api-client", "--help"}, {"api-client", "create", "--help"}, {"api-client", "list", "--help"}, {"api-client", "revoke", "--help"}} {
		if out, _, code := rosterIn(t, dataDir, args...); code != 0 || !strings.Contains(out, "Usage: roster api-client") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}
