package manifest

import (
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var level = map[string]int{"": 0, "read": 1, "write": 2}

// TestManifestPermissionsAreWhatTheEndpointsNeed: the manifest asks for
// exactly the highest access each permission's endpoints need (plus
// metadata, which every App has), so widening it is a visible change here
// and in Endpoints.
func TestManifestPermissionsAreWhatTheEndpointsNeed(t *testing.T) {
	t.Parallel()
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"metadata": "read"}
	for _, e := range Endpoints {
		if e.Permission == "" {
			continue
		}
		if level[e.Access] > level[want[e.Permission]] {
			want[e.Permission] = e.Access
		}
	}
	if diff := cmp.Diff(want, m.DefaultPermissions); diff != "" {
		t.Errorf("default_permissions (-what Endpoints need +github-app.json):\n%s", diff)
	}
	// Each subscribed event needs one of its permissions.
	for _, ev := range m.DefaultEvents {
		perms, ok := EventPermissions[ev]
		if !ok {
			t.Errorf("event %s: not in EventPermissions (which permission does GitHub require for it?)", ev)
			continue
		}
		if !slices.ContainsFunc(perms, func(p string) bool { return m.DefaultPermissions[p] != "" }) {
			t.Errorf("event %s needs one of %v", ev, perms)
		}
	}
	events := make([]string, 0, len(EventPermissions))
	for ev := range EventPermissions {
		events = append(events, ev)
	}
	sort.Strings(events)
	if diff := cmp.Diff(events, m.DefaultEvents); diff != "" {
		t.Errorf("default_events (-handled +github-app.json):\n%s", diff)
	}
	if m.Public {
		t.Error("the App must be private: anyone could install a public App and send it webhooks")
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	m, err := Build(Options{Name: "stepgate-acme", PublicURL: "https://gate.acme.example/", RedirectURL: "http://127.0.0.1:4000/callback"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "stepgate-acme" || m.HookAttributes.URL != "https://gate.acme.example/webhook" || !m.HookAttributes.Active ||
		m.RedirectURL != "http://127.0.0.1:4000/callback" || m.DefaultPermissions["checks"] != "write" {
		t.Errorf("Build = %+v", m)
	}
	for _, o := range []Options{
		{PublicURL: "gate.acme.example", RedirectURL: "http://127.0.0.1/"},
		{PublicURL: "https://gate.acme.example"},
		{Name: "a-name-that-is-far-too-long-for-github-apps", PublicURL: "https://x.example", RedirectURL: "http://127.0.0.1/"},
	} {
		if _, err := Build(o); err == nil {
			t.Errorf("Build(%+v): no error", o)
		}
	}
}
