package action

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/testutil/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/gate"
)

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	base := gate.RequestView{
		ID: "sg_abc123", Repo: "acme/app", Environment: "production", Rule: "prod-db",
		Risk:        gate.RiskView{Level: "high", Score: 72},
		CheckRunURL: "https://github.com/acme/app/runs/42",
	}
	tests := []struct {
		name string
		o    outcome
	}{
		{"approved", outcome{
			view: with(base, func(v *gate.RequestView) {
				v.Status, v.ApprovedBy = gate.StatusApproved, []string{"alice", "bob"}
			}),
			status: gate.StatusApproved, command: "./scripts/migrate.sh --env prod\npsql \"$DATABASE_URL\" -c 'select 1'",
			waited: 2*time.Minute + 13*time.Second, ran: true, exitCode: 0, duration: 4200 * time.Millisecond,
		}},
		{"allowed", outcome{
			view: with(base, func(v *gate.RequestView) {
				v.Status, v.Rule, v.Reason, v.Risk = gate.StatusAllowed, "read-only", "remembered command", gate.RiskView{Level: "none"}
			}),
			status: gate.StatusAllowed, command: "kubectl get pods", waited: 12 * time.Millisecond, ran: true, exitCode: 1, duration: 350 * time.Millisecond,
		}},
		{"rejected", outcome{
			view: with(base, func(v *gate.RequestView) {
				v.Status, v.RejectedBy = gate.StatusRejected, []string{"carol"}
			}),
			status: gate.StatusRejected, command: "terraform destroy -auto-approve", waited: 45 * time.Second,
			failReason: "rejected by carol: not during the freeze. Nothing was run",
		}},
		{"unreachable", outcome{
			status: "error", command: "make deploy", risk: Risk{Level: "medium", Score: 35},
			failReason: "cannot reach the stepgate App at https://stepgate.example.com/api/v1/requests after 5 attempts: connection refused. Nothing was run (stepgate fails closed)",
		}},
		{"hostile", outcome{
			view: with(base, func(v *gate.RequestView) {
				v.Status, v.Rule, v.ApprovedBy = gate.StatusApproved, "a|b <img src=x>", []string{"eve](https://evil)"}
				v.CheckRunURL = "https://github.com/x) [click](https://evil"
			}),
			status: gate.StatusApproved, command: "echo ```\n</pre><script>alert(1)</script>\n```` | tee out",
			ran: true, exitCode: 0,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := renderSummary(&tt.o)
			golden.File(t, filepath.Join("testdata", "summary_"+tt.name+".golden"), got)
		})
	}
}

func with(v gate.RequestView, f func(*gate.RequestView)) gate.RequestView {
	f(&v)
	return v
}

func TestSummaryTableCannotBeBroken(t *testing.T) {
	t.Parallel()
	o := outcome{status: gate.StatusApproved, command: "x", view: gate.RequestView{
		Rule: "r|\n| **Injected** | row |", ApprovedBy: []string{"<b>a</b>"},
	}}
	got := renderSummary(&o)
	for _, bad := range []string{"| **Injected** |", "<b>", "r|"} {
		if strings.Contains(got, bad) {
			t.Errorf("summary contains %q:\n%s", bad, got)
		}
	}
	rows := 0
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "| **") {
			rows++
		}
	}
	if rows != 5 { // Decision, Rule, Approved by, Wait, Exit code
		t.Errorf("rows = %d, want 5:\n%s", rows, got)
	}
}

func TestOutputsWhenNothingRan(t *testing.T) {
	t.Parallel()
	o := outcome{status: gate.StatusRejected, view: gate.RequestView{ID: "sg_x", RejectedBy: []string{"bob"}}, risk: Risk{Level: "low"}}
	got := outputs(&o)
	want := [][2]string{{"status", "rejected"}, {"request-id", "sg_x"}, {"approved-by", ""}, {"exit-code", ""}, {"risk-level", "low"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}
