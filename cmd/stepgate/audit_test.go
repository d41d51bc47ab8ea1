package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/gate"
)

// auditDB writes a small two-repository trail into a fresh bolt file.
func auditDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stepgate.db")
	s, err := boltstore.Open(boltstore.Options{Path: path, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 4 {
		for _, repo := range []string{"acme/api", "acme/web"} {
			e := gate.AuditEvent{Repo: repo, At: at.Add(time.Duration(i) * time.Hour), Type: gate.EventApproval,
				Actor: "alice", Details: map[string]string{"reason": "=cmd|' /C calc'!A0"}}
			if _, err := s.AppendAudit(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

func runAuditCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = auditExport(context.Background(), args, func(string) string { return "" }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditExportFormats(t *testing.T) {
	t.Parallel()
	path := auditDB(t)
	code, out, errs := runAuditCmd(t, "--store", "bolt:"+path, "--repo", "acme/api", "--since", "2026-03-01T13:00:00Z", "--verify")
	if code != 0 {
		t.Fatalf("export exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl export: %d lines, want 3:\n%s", len(lines), out)
	}
	var e gate.AuditEvent
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e.Repo != "acme/api" || e.Seq != 2 {
		t.Fatalf("first line = %+v, %v", e, err)
	}
	code, out, errs = runAuditCmd(t, "--store", "bolt:"+path, "--format", "csv")
	if code != 0 {
		t.Fatalf("csv export exit %d: %s", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 9 || rows[0][0] != "repo" || rows[1][0] != "acme/api" || rows[5][0] != "acme/web" {
		t.Fatalf("csv export = %v, %v", rows, err)
	}
	if !strings.HasPrefix(rows[1][7], "{") {
		t.Fatalf("details column = %q", rows[1][7])
	}
}

func TestAuditExportUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--format", "xml"}, 2},
		{[]string{"--since", "yesterday"}, 2},
		{[]string{"--store", "redis:x"}, 2},
		{[]string{"--no-such-flag"}, 2},
		{[]string{"extra"}, 2},
		{[]string{"--help"}, 0},
	}
	for _, tc := range tests {
		if code, _, _ := runAuditCmd(t, tc.args...); code != tc.want {
			t.Errorf("audit export %v: exit %d, want %d", tc.args, code, tc.want)
		}
	}
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"24h", now.Add(-24 * time.Hour)},
		{"30d", now.AddDate(0, 0, -30)},
		{"2026-03-01T00:00:00Z", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := parseSince(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"-1h", "x", "1y"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) succeeded", bad)
		}
	}
}

// TestAuditVerifyNamesTamperedEvent edits and deletes events in the bolt
// file behind the store's back; --verify must name the repository and the
// first broken event.
func TestAuditVerifyNamesTamperedEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper func(b *bolt.Bucket) error
		want   string
	}{
		{"edited", func(b *bolt.Bucket) error {
			k := []byte{0, 0, 0, 0, 0, 0, 0, 2}
			return b.Put(k, bytes.Replace(b.Get(k), []byte(`"actor":"alice"`), []byte(`"actor":"eve"`), 1))
		}, "acme/api: first broken event seq 2: content does not match its hash (edited)"},
		{"removed", func(b *bolt.Bucket) error {
			return b.Delete([]byte{0, 0, 0, 0, 0, 0, 0, 3})
		}, "acme/api: first broken event seq 4: expected event 3 here (removed)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := auditDB(t)
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error { return tc.tamper(tx.Bucket([]byte("audit")).Bucket([]byte("acme/api"))) })
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			code, _, errs := runAuditCmd(t, "--store", "bolt:"+path, "--verify")
			if code != 1 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "acme/web") {
				t.Fatalf("verify exit %d, stderr:\n%s\nwant exit 1 naming %q only", code, errs, tc.want)
			}
		})
	}
}

func TestStoreInit(t *testing.T) {
	ep := os.Getenv("STEPGATE_TEST_DYNAMODB_ENDPOINT")
	if ep == "" && os.Getenv("CI") == "true" {
		t.Fatal("STEPGATE_TEST_DYNAMODB_ENDPOINT is not set")
	}
	env := map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_DYNAMODB": ep,
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	}
	tests := []struct {
		name     string
		args     []string
		envStore string
		dynamo   bool
		want     int
		wantOut  string
	}{
		{"bolt from flag", []string{"--store", "bolt:" + filepath.Join(t.TempDir(), "s.db")}, "", false, 0, "ready"},
		{"bolt from env", nil, "bolt:" + filepath.Join(t.TempDir(), "e.db"), false, 0, "ready"},
		{"bad spec", []string{"--store", "mysql:x"}, "", false, 2, ""},
		{"dynamodb", []string{"--store", fmt.Sprintf("dynamodb:stepgate-init-%d", time.Now().UnixNano())}, "", true, 0, "DynamoDB table"},
	}
	for _, tc := range tests {
		if tc.dynamo && ep == "" {
			t.Log("skipping dynamodb case: STEPGATE_TEST_DYNAMODB_ENDPOINT is not set")
			continue
		}
		if tc.dynamo {
			for k, v := range env {
				t.Setenv(k, v)
			}
		}
		var out, errb bytes.Buffer
		getenv := func(k string) string {
			if k == "STEPGATE_STORE" {
				return tc.envStore
			}
			return ""
		}
		code := storeInit(context.Background(), tc.args, getenv, &out, &errb)
		if code != tc.want || !strings.Contains(out.String(), tc.wantOut) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d", tc.name, code, out.String(), errb.String(), tc.want)
		}
	}
}
